"""A case's history out of the case item, against the moto server: a case with
1,000 comments keeps working, its item stays small, officers page through all
of it, the public timeline is what it was, and items in the old layout (the
whole history on the item) still read and update."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import timedelta

import pytest
import requests

from chalicelib.adapters import case_history
from chalicelib.adapters.case_repository import case_pk, deserialize, serialize
from chalicelib.adapters.item_size import KB, item_bytes
from chalicelib.domain.case import Actor, HistoryEntry
from chalicelib.domain.clock import parse_instant, to_utc_text
from chalicelib.domain.errors import ConcurrentUpdate
from tests.integration.conftest import partner_body, post_report
from tests.support.aws_calls import AwsCalls
from tests.support.images import jpeg_with_metadata

ITEM_BOUND = 12 * KB  # docs/data-model.md "Case history"
COMMENT = ("Koordinasi lapangan dengan kelurahan dan petugas kebersihan. " * 34)[:2000]
OFFICER = Actor("officer", "6f1c2a9e-0d4b-4c47-9a51-3f0e8e7d2b10", "agency_officer", "sudin-lh-jakpus")


def officer_post(stack, headers, code, path, body=None):
    return requests.post(f"{stack.api_url}/officer/cases/{code}/{path}", headers=headers, json=body or {}, timeout=30)


def stored_item(aws, stack, code):
    response = aws("dynamodb").get_item(
        TableName=stack.env["CASES_TABLE"], Key=serialize({"PK": case_pk(code), "SK": "CASE"}), ConsistentRead=True
    )
    return deserialize(response["Item"])


def history_items(aws, stack, code):
    response = aws("dynamodb").query(
        TableName=stack.env["CASES_TABLE"],
        KeyConditionExpression="PK = :pk AND begins_with(SK, :hist)",
        ExpressionAttributeValues=serialize({":pk": case_pk(code), ":hist": case_history.SK_PREFIX}),
    )
    return [deserialize(item) for item in response["Items"]]


def in_progress_case(stack, runner, officers):
    code = post_report(stack, partner_body()).json()["tracking_code"]
    runner.drain()  # routed to dinas-lh
    for who, path, body in (
        ("dinas_lh", "delegate", {"agency_id": "sudin-lh-jakpus"}),
        ("sudin_lh", "plan", {"text": "Truk datang besok pukul 07.00"}),
        ("bureau", "plan/verify", {}),
    ):
        answer = officer_post(stack, officers[who], code, path, body)
        assert answer.status_code == 200, answer.text
    return code


def every_entry(stack, headers, code, limit=None):
    """The whole history as the officer client reads it: the case view, then pages."""
    view = requests.get(f"{stack.api_url}/officer/cases/{code}", headers=headers, timeout=30).json()
    lines = list(view["history"])
    cursor, pages = view["history_cursor"], 0
    while cursor:
        query = f"cursor={cursor}" + (f"&limit={limit}" if limit else "")
        page = requests.get(f"{stack.api_url}/officer/cases/{code}/history?{query}", headers=headers, timeout=30)
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["skipped"] == 0 and body["total"] == view["history_total"]
        assert int(body["items"][-1]["seq"]) == int(cursor) - 1  # continues right below the previous page
        lines = body["items"] + lines
        cursor, pages = body["cursor"], pages + 1
    assert len(lines) == view["history_total"]
    return view, lines, pages


@pytest.mark.slow
def test_a_case_with_a_thousand_comments_keeps_working_and_stays_small(stack, runner, officers, aws, app_env):
    from chalicelib.bootstrap import services
    from chalicelib.domain.permissions import Principal, Role
    from chalicelib.services.lifecycle import Deps, perform

    code = in_progress_case(stack, runner, officers)
    app = services()
    deps = Deps(cases=app.cases, photos=app.photos, clock=app.clock)
    sudin = Principal(OFFICER.user_id, frozenset({Role.AGENCY_OFFICER}), "sudin-lh-jakpus")
    sizes = []  # of every case item this process writes, as sent

    def measure(params, **_):
        item = deserialize(params["Item"])
        if item["SK"] == "CASE":
            sizes.append(item_bytes(item))

    from chalicelib.adapters import aws as aws_clients

    aws_clients.client("dynamodb").meta.events.register("provide-client-params.dynamodb.PutItem", measure)
    for n in range(1000):
        if n % 100 == 50:  # now and then a public line (which later leaves the item too), over HTTP
            progress = officer_post(
                stack, officers["sudin_lh"], code, "progress", {"percent": n // 10, "text": f"P{n}"}
            )
            assert progress.status_code == 200, progress.text
        # The comments go through the service the route calls, in this process: 1,000
        # round trips to the local API would add a minute and test nothing more.
        perform(code, "comment", {"text": f"#{n} {COMMENT}"[:2000]}, sudin, deps)
    aws_clients.client("dynamodb").meta.events.unregister("provide-client-params.dynamodb.PutItem", measure)
    assert len(sizes) == 1000 and sizes[-1] == item_bytes(stored_item(aws, stack, code))
    assert max(sizes) <= ITEM_BOUND, max(sizes)

    resolved = officer_post(
        stack,
        officers["sudin_lh"],
        code,
        "resolve",
        {"note": "Sudah bersih", "photo_base64": base64.b64encode(jpeg_with_metadata(64, 48)).decode()},
    )
    assert resolved.status_code == 200, resolved.text
    closed = requests.post(f"{stack.api_url}/status/{code}/feedback", json={"rating": 4}, timeout=30)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert item_bytes(stored_item(aws, stack, code)) <= ITEM_BOUND

    view, lines, pages = every_entry(stack, officers["sudin_lh"], code)
    types = [line["type"] for line in lines]
    start = types.index("plan.verified") + 1  # routing may have noted duplicates from other tests' reports
    expected = []
    for n in range(1000):
        expected += ["case.progress", "case.commented"] if n % 100 == 50 else ["case.commented"]
    assert types[0] == "case.received" and types[start:] == [*expected, "case.resolved", "case.feedback", "case.closed"]
    assert pages >= 20 and len(view["history"]) < 30  # the case view carries only the newest entries
    paged = [int(line["seq"]) for line in lines if "seq" in line]  # the case view's own lines carry no number
    assert paged == list(range(len(lines) - len(view["history"])))
    comments = [line["data"]["text"] for line in lines if line["type"] == "case.commented"]
    assert [text.split(" ", 1)[0] for text in comments] == [f"#{n}" for n in range(1000)]

    # The public timeline, against the old computation over the whole history.
    from chalicelib.services.status import public_view_json

    case = app.cases.get(code)
    assert not case.timeline_complete
    whole = [HistoryEntry(parse_instant(line["at"]), line["type"], line["data"]) for line in lines]
    old = public_view_json(
        replace(case, history=whole, history_start=0, older_public=0),
        "id",
        app.settings.public_base_url,
        code_key=app.settings.tracking_code_key,
    )
    served = requests.get(f"{stack.api_url}/status/{code}", timeout=30).json()
    assert served["timeline"] == old["timeline"] and served == old
    assert [line["type"] for line in served["timeline"]][:2] == ["case.received", "case.assigned"]
    assert sum(line["type"] == "case.progress" for line in served["timeline"]) == 10


def test_the_history_pages_refuse_bad_parameters_and_other_agencies(stack, runner, officers):
    code = in_progress_case(stack, runner, officers)
    base = f"{stack.api_url}/officer/cases/{code}/history"
    for query in ("cursor=x", "cursor=0", "limit=0", "limit=500", "cursor=99999999999"):
        answer = requests.get(f"{base}?{query}", headers=officers["sudin_lh"], timeout=10)
        assert answer.status_code == 422 and answer.json()["error"]["code"] == "validation_failed", query
    assert requests.get(base, headers=officers["bina_marga"], timeout=10).status_code == 403
    assert requests.get(base, timeout=10).status_code == 401
    view = requests.get(f"{stack.api_url}/officer/cases/{code}", headers=officers["sudin_lh"], timeout=10).json()
    assert view["history_cursor"] is None  # a short case: the whole history is in the view
    newest = requests.get(f"{base}?limit=2", headers=officers["sudin_lh"], timeout=10).json()
    assert [line["type"] for line in newest["items"]] == ["plan.submitted", "plan.verified"]
    total = view["history_total"]
    assert newest["total"] == total and newest["cursor"] == str(total - 2)
    assert [line["seq"] for line in newest["items"]] == [total - 2, total - 1]


def named_back(value, key):
    """Officer history data with the cases the officer may not open (``{public_id, agency}``,
    issue 19) mapped back to their codes, to compare with what is stored."""
    from chalicelib.domain.request_ids import tracking_code_of

    if isinstance(value, dict) and set(value) == {"public_id", "agency"}:
        return tracking_code_of(value["public_id"], key)
    if isinstance(value, dict):
        return {name: named_back(item, key) for name, item in value.items()}
    if isinstance(value, list):
        return [named_back(item, key) for item in value]
    return value


def test_a_case_stored_in_the_old_layout_reads_and_updates(stack, runner, officers, aws):
    code = in_progress_case(stack, runner, officers)
    item = stored_item(aws, stack, code)
    at = parse_instant(item["updated_at"])
    for n in range(150):  # the whole history on the item, as every item was written before the window
        when = to_utc_text(at + timedelta(minutes=n + 1))
        data = {**OFFICER.stamp(), "agency_id": "sudin-lh-jakpus", "text": f"lama {n} {COMMENT}"[:2000]}
        item["history"].append({"at": when, "type": "case.commented", "data": data})
    item["history"].append(
        {
            "at": to_utc_text(at + timedelta(hours=3)),
            "type": "case.progress",
            "data": {**OFFICER.stamp(), "agency_id": "sudin-lh-jakpus", "percent": 40, "text": "Empat puluh"},
        }
    )
    assert "history_start" not in item and item_bytes(item) > 300 * KB
    aws("dynamodb").put_item(TableName=stack.env["CASES_TABLE"], Item=serialize(item))
    expected = [entry["type"] for entry in item["history"]]
    public_before = requests.get(f"{stack.api_url}/status/{code}", timeout=30).json()
    assert [line["type"] for line in public_before["timeline"]][-1] == "case.progress"

    view, lines, _ = every_entry(stack, officers["sudin_lh"], code)
    assert view["history_cursor"] is None and [line["type"] for line in lines] == expected

    answer = officer_post(stack, officers["sudin_lh"], code, "comments", {"text": "setelah pindah"})
    assert answer.status_code == 200, answer.text
    assert item_bytes(stored_item(aws, stack, code)) <= ITEM_BOUND
    assert len(history_items(aws, stack, code)) > 2
    view, lines, _ = every_entry(stack, officers["sudin_lh"], code, limit=40)
    assert [line["type"] for line in lines] == [*expected, "case.commented"]
    key = aws("secretsmanager").get_secret_value(SecretId=stack.env["TRACKING_CODE_KEY_PARAM"])["SecretString"].encode()
    assert [named_back(line["data"], key) for line in lines[:-1]] == [entry["data"] for entry in item["history"]]
    public_after = requests.get(f"{stack.api_url}/status/{code}", timeout=30).json()
    assert public_after["timeline"] == public_before["timeline"]


def test_a_save_that_loses_its_race_is_a_conflict_and_loses_nothing(stack, runner, officers, aws, app_env):
    from chalicelib.bootstrap import services

    code = in_progress_case(stack, runner, officers)
    for n in range(14):
        assert officer_post(stack, officers["sudin_lh"], code, "comments", {"text": f"awal {n}"}).status_code == 200
    cases = services().cases
    first, second = cases.get(code), cases.get(code)
    now = first.updated_at + timedelta(minutes=1)
    first.comment("menang", now, OFFICER)
    second.comment("kalah " + "w" * 1990, now, OFFICER)  # moves more entries out than the winner
    cases.save(first)
    with pytest.raises(ConcurrentUpdate) as lost:
        cases.save(second)  # its history items went in before the conditional case write failed
    assert lost.value.current_version == first.version
    answer = officer_post(stack, officers["sudin_lh"], code, "comments", {"text": "sesudah", "version": second.version})
    assert answer.status_code == 409 and answer.json()["error"]["current_version"] == first.version

    for n in range(30):
        assert officer_post(stack, officers["sudin_lh"], code, "comments", {"text": f"lanjut {n}"}).status_code == 200
    _, lines, _ = every_entry(stack, officers["sudin_lh"], code, limit=7)
    texts = [line["data"]["text"] for line in lines if line["type"] == "case.commented"]
    assert texts == [*(f"awal {n}" for n in range(14)), "menang", *(f"lanjut {n}" for n in range(30))]

    # A late copy of fewer entries never replaces a stored history item (the put's condition, on moto).
    stored = sorted(history_items(aws, stack, code), key=lambda item: item["SK"])[0]
    cases.put_history({**stored, "until": stored["until"] - 1, "entries": stored["entries"][:-1]})
    assert sorted(history_items(aws, stack, code), key=lambda item: item["SK"])[0] == stored


def test_reading_a_long_case_costs_one_query_more_and_a_short_one_nothing_more(stack, runner, officers, client):

    long_code = in_progress_case(stack, runner, officers)
    for n in range(30):
        assert officer_post(stack, officers["sudin_lh"], long_code, "comments", {"text": f"c{n}"}).status_code == 200
    short_code = post_report(stack, partner_body()).json()["tracking_code"]
    recorder = AwsCalls("dynamodb", short=True)
    calls = recorder.made
    try:
        assert client.http.get(f"/status/{short_code}").status_code == 200
        short_calls, calls[:] = list(calls), []
        status = client.http.get(f"/status/{long_code}")
        assert status.status_code == 200
    finally:
        recorder.stop()
    assert short_calls == ["GetItem"]
    assert recorder.counter_writes == ["UpdateItem"] * 2  # one rate-limit counter per status request
    assert calls == ["GetItem", "Query"]
