"""DynamoDB requests per operation, counted with a botocore event hook on the
app's own client while the real app (in-process, Chalice's test client) serves
each request against the moto server. The "floor" of a count is the target."""

from __future__ import annotations

import base64
import json
import time
from collections import Counter

from bench.common import Row, partner_body, signed_headers


class Calls:
    """DynamoDB operations on the data tables; rate-limit counters (their own table, one
    UpdateItem per limited request and dimension: api/limits.py) are counted apart."""

    def __init__(self):
        self.names: list[str] = []
        self.counters: list[str] = []

    def __call__(self, params, model, **_):
        import os

        if params.get("TableName") and params.get("TableName") == os.environ.get("RATE_LIMITS_TABLE"):
            self.counters.append(model.name)
        else:
            self.names.append(model.name)

    def take(self) -> list[str]:
        names, self.names = self.names, []
        return names

    def take_counters(self) -> list[str]:
        counters, self.counters = self.counters, []
        return counters


WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
PAGE = 50  # the officer queue page
CASES = (60, 160)  # the dashboard is read at both sizes (the queue page needs the first >= PAGE)


def _row(name: str, calls: list[str], target: int, note: str = "", writes_only: bool = False) -> Row:
    """``writes_only``: the target counts the conditional write; the read the rules need is shown too."""
    summary = ", ".join(f"{count} {op}" for op, count in sorted(Counter(calls).items())) or "none"
    counted = [call for call in calls if call in WRITES] if writes_only else calls
    label = "write" if writes_only else "request"
    return Row(
        f"DynamoDB requests: {name}",
        f"{len(calls)} ({summary})",
        f"{target} {label}",
        len(counted) / target,
        f"== {target} {label}",
        len(counted) <= target,
        note,
    )


def run(stand_in) -> list[Row]:
    from chalice.test import Client

    import app
    from chalicelib.adapters import aws
    from chalicelib.bootstrap import services
    from chalicelib.services.routing import route_case
    from infra.local import demo
    from tests.support.images import jpeg_with_metadata

    calls = Calls()
    aws.client("dynamodb").meta.events.register("before-parameter-build.dynamodb", calls)
    rows = []
    region = stand_in.env["AWS_REGION"]
    with Client(app.app, stage_name="local") as client:

        def webhook(report_id):
            body = partner_body(report_id)
            return client.http.post("/webhooks/jaki", body=body, headers=signed_headers(body))

        calls.take()
        calls.take_counters()
        first = webhook("BENCH-COUNT-1")
        rows.append(_row("accepted webhook", calls.take(), 1))
        rows.append(_row("rate-limit counter of a webhook", calls.take_counters(), 1, "the channel's ceiling"))
        webhook("BENCH-COUNT-1")
        rows.append(_row("duplicate delivery", calls.take(), 1))
        code = json.loads(first.body)["tracking_code"]
        calls.take_counters()
        client.http.get(f"/status/{code}")
        rows.append(_row("public status read", calls.take(), 1, "strongly consistent GetItem"))
        rows.append(_row("rate-limit counter of a status read", calls.take_counters(), 1, "per address"))

        app_services = services()
        codes = [code]
        for n in range(2, CASES[0] + 1):
            codes.append(json.loads(webhook(f"BENCH-COUNT-{n}").body)["tracking_code"])
        for each in codes:
            route_case(
                each,
                cases=app_services.cases,
                duplicate_index=app_services.duplicate_index,
                rules=app_services.routing,
                clock=app_services.clock,
            )
        users = {}
        for name, role, agency in (
            ("lh", "agency_officer", "dinas-lh"),
            ("sudin", "agency_officer", "sudin-lh-jakpus"),
            ("biro", "bureau_verifier", "biro-pemerintahan"),
        ):
            email = f"bench.{name}.{time.time_ns()}@example.com"
            demo.create_user(stand_in.endpoint, region, stand_in.env["COGNITO_USER_POOL_ID"], email, role, agency)
            token = demo.sign_in(stand_in.endpoint, region, stand_in.env["COGNITO_APP_CLIENT_ID"], email)
            users[name] = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        calls.take()
        page = client.http.get(f"/officer/queue?view=agency&agency_id=dinas-lh&limit={PAGE}", headers=users["lh"])
        assert len(json.loads(page.body)["items"]) == PAGE, page.body[:300]
        rows.append(_row(f"officer queue page of {PAGE}", calls.take(), 1, "one Query on queue-index"))

        def act(who, path, body):
            response = client.http.post(f"/officer/cases/{code}/{path}", headers=users[who], body=json.dumps(body))
            assert response.status_code == 200, response.body[:300]
            return calls.take()

        calls.take()
        photo = base64.b64encode(jpeg_with_metadata(64, 48)).decode()
        for label, who, path, body in (
            ("delegate", "lh", "delegate", {"agency_id": "sudin-lh-jakpus"}),
            ("submit plan", "sudin", "plan", {"text": "Angkut besok"}),
            ("verify plan", "biro", "plan/verify", {}),
            ("post progress", "sudin", "progress", {"percent": 50, "text": "Separuh"}),
            ("resolve", "sudin", "resolve", {"note": "Bersih", "photo_base64": photo}),
        ):
            rows.append(
                _row(
                    f"lifecycle action: {label}",
                    act(who, path, body),
                    1,
                    "the conditional write, plus the read the rules need",
                    writes_only=True,
                )
            )
        client.http.post(
            f"/status/{code}/feedback", body=json.dumps({"rating": 5}), headers={"Content-Type": "application/json"}
        )
        rows.append(
            _row("reporter feedback", calls.take(), 1, "the conditional write, plus one read", writes_only=True)
        )

        calls.take()
        client.http.get("/metrics/agencies")
        small = calls.take()
        for n in range(CASES[0] + 1, CASES[1] + 1):
            webhook(f"BENCH-COUNT-{n}")
        calls.take()
        client.http.get("/metrics/agencies")
        large = calls.take()
        rows.append(
            Row(
                "DynamoDB requests: metrics dashboard",
                f"{len(large)} at {CASES[1]} cases",
                f"{len(small)} at {CASES[0]} cases",
                len(large) / max(1, len(small)),
                "constant (ratio 1)",
                len(large) == len(small),
                "one Query per month partition in the period",
            )
        )
        rows.extend(_public_map_rows(client, calls))
    aws.client("dynamodb").meta.events.unregister("before-call.dynamodb", calls)
    return rows


def _public_map_rows(client, calls: Calls) -> list[Row]:
    """The public map's reads: one 7-day read of the day index per half minute and function
    (8 Jakarta days x 4 shards, one page each at this size), then nothing but the page's cases."""
    from chalicelib.adapters.case_indexes import DAY_SHARDS
    from chalicelib.services import public_map

    public_map.forget_snapshots()
    calls.take()
    client.http.get("/map/points")
    first = calls.take()
    client.http.get("/map/points?category=garbage&status=open")
    again = calls.take()
    client.http.get("/map/reports?page_size=20")
    page = calls.take()
    client.http.get("/map/nearby?lat=-6.1754&lng=106.8272&category=garbage")
    nearby = calls.take()
    days = public_map.MAX_DAYS + 1
    return [
        _row("public map points, fresh read", first, days * DAY_SHARDS, f"{days} Jakarta days x {DAY_SHARDS} shards"),
        Row(
            "DynamoDB requests: public map points within 30 s",
            f"{len(again)}",
            "0 requests",
            None,
            "== 0",
            not again,
            "another filter, the same half-minute snapshot",
        ),
        _row("public map list page of 20", page, 1, "one BatchGetItem; the cards come from the snapshot"),
        _row("report form: nearby reports", nearby, 10, "9 geohash cells (geo-index) + one BatchGetItem"),
    ]
