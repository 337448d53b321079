"""Area alerts end to end on the moto server: subscribe and confirm over HTTP, a report
relayed by the event runner (stream -> SNS -> alerts queue -> collect_alerts), then the
daily schedule (alert_digests) sends one digest; STOP by SMS and the unsubscribe link."""

from __future__ import annotations

import json
import re
import time
from urllib.parse import urlencode

import pytest

from tests.integration.conftest import partner_body, post_report, unique
from tests.support import providers as wire
from tests.support.providers import Answer

KELAPA_GADING = "31.72.06.1003"
POINT = {"lat": -6.1530, "lng": 106.8990}  # inside Kelapa Gading Barat, far from the other tests' reports
TWILIO_MESSAGES = "/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages.json"


def post_json(client, path, body):
    response = client.http.post(path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    return response.status_code, json.loads(response.body or b"null")


def header(response, name):
    return {k.lower(): v for k, v in response.headers.items()}[name]


def mails_to(sent, address):
    return [p for p in sent if p["Destination"]["ToAddresses"] == [address]]


def run_digest_schedule(runner):
    """The daily EventBridge rule, fired once through the event runner."""
    import app
    from infra.local.event_runner import ScheduleSource

    config = next(c for c in app.app.event_sources if c.name == "alert_digests")
    assert str(config.schedule_expression) == "cron(0 0 * * ? *)"
    ScheduleSource(runner, config, app.alert_digests, 86400).poll()


def test_a_digest_end_to_end_through_the_event_runner(stack, client, runner, ses_sent, aws):
    address = f"warga{time.time_ns()}@example.com"
    status, pending = post_json(
        client, "/alerts/subscriptions", {"channel": "email", "address": address, "kelurahan": KELAPA_GADING}
    )
    assert status == 202 and pending["status"] == "pending" and address not in json.dumps(pending)
    sub_id = pending["subscription_id"]
    (mail,) = mails_to(ses_sent, address)
    text = mail["Message"]["Body"]["Text"]["Data"]
    code = re.search(r"\b(\d{6})\b", text).group(1)
    # The stored item carries a TTL while pending, and no plain code.
    item = aws("dynamodb").get_item(
        TableName=stack.env["CASES_TABLE"], Key={"PK": {"S": f"ALERTSUB#{sub_id}"}, "SK": {"S": "ALERTSUB"}}
    )["Item"]
    assert "expires_at" in item and code not in json.dumps(item) and "alert_pk" not in item
    status, body = post_json(client, "/alerts/confirm", {"subscription_id": sub_id, "code": "12345x"})
    assert status == 422
    status, confirmed = post_json(client, "/alerts/confirm", {"subscription_id": sub_id, "code": code})
    assert status == 200 and confirmed["status"] == "confirmed"

    # A citizen reports in that kelurahan through JAKI; the relay and the alerts worker run.
    body = partner_body(
        unique(),
        location={**POINT, "address": "Jl. Boulevard Raya"},
        description="Pohon tumbang menutup jalan",
        reporter={"name": "Rahasia Reporter", "phone": "+6281377776666", "anonymous": False},
    )
    response = post_report(stack, body)
    assert response.status_code in (200, 201), response.text
    tracking_code = response.json()["tracking_code"]
    runner.drain()
    entries = aws("dynamodb").query(
        TableName=stack.env["CASES_TABLE"],
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"ALERTSUB#{sub_id}"}},
    )["Items"]
    assert any(e["SK"]["S"].startswith("ENTRY#") for e in entries)

    ses_sent.clear()
    run_digest_schedule(runner)
    (digest,) = mails_to(ses_sent, address)
    text = digest["Message"]["Body"]["Text"]["Data"]
    assert digest["Message"]["Subject"]["Data"] == "Laporan di area Anda"
    assert "Pohon tumbang menutup jalan" in text and "[Baru]" in text
    assert tracking_code not in text and "Rahasia" not in text and "+6281377776666" not in text
    assert confirmed["unsubscribe_url"] in text
    # The public id in the digest opens the public status.
    public_link = re.search(r"/status/([0-9a-z]{26})", text).group(1)
    assert client.http.get(f"/status/{public_link}").status_code == 200

    # At most one a day: another run sends nothing.
    ses_sent.clear()
    run_digest_schedule(runner)
    assert mails_to(ses_sent, address) == []

    # The unsubscribe link: a page with a button (GET changes nothing), then the POST.
    link = confirmed["unsubscribe_url"].split("/alerts/", 1)[1]
    page = client.http.get(f"/alerts/{link}")
    assert page.status_code == 200 and b'method="post"' in page.body
    assert "default-src 'none'" in header(page, "content-security-policy")
    query = dict(part.split("=", 1) for part in link.split("?", 1)[1].split("&"))
    gone = client.http.post(
        "/alerts/unsubscribe",
        body=urlencode(query),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
    )
    assert gone.status_code == 200 and b"Unsubscribed" in gone.body
    assert "Item" not in aws("dynamodb").get_item(
        TableName=stack.env["CASES_TABLE"], Key={"PK": {"S": f"ALERTSUB#{sub_id}"}, "SK": {"S": "ALERTSUB"}}
    )


def test_sms_subscription_by_code_and_stop_by_sms(client, app_env, providers, aws, stack):
    providers.routes[f"POST {TWILIO_MESSAGES}"] = Answer(201, b'{"sid": "SM1"}')
    phone = wire.phone_number()
    status, pending = post_json(
        client, "/alerts/subscriptions", {"channel": "sms", "address": "0" + phone[3:], "radius_m": 1500, **POINT}
    )
    assert status == 202
    (sms,) = [r for r in providers.calls("POST", TWILIO_MESSAGES) if r.form().get("To") == phone]
    assert sms.form()["From"] == "1708"
    code = re.search(r"\b(\d{6})\b", sms.form()["Body"]).group(1)
    status, _ = post_json(client, "/alerts/confirm", {"subscription_id": pending["subscription_id"], "code": code})
    assert status == 200

    params = wire.twilio_form(From=phone, Body="BERHENTI")
    path, body, headers = wire.twilio_request(app_env["PUBLIC_BASE_URL"], "sms_1708", params)
    answer = client.http.post(path, body=body, headers=headers)
    assert answer.status_code == 200 and b"dihentikan" in answer.body
    assert "Item" not in aws("dynamodb").get_item(
        TableName=stack.env["CASES_TABLE"],
        Key={"PK": {"S": f"ALERTSUB#{pending['subscription_id']}"}, "SK": {"S": "ALERTSUB"}},
    )


@pytest.mark.parametrize(
    "body, status",
    [
        ({"channel": "pigeon", "address": "a@b.example", "kelurahan": KELAPA_GADING}, 422),
        ({"channel": "email", "address": "a@b.example"}, 422),
        ({"channel": "email", "address": "a@b.example", "kelurahan": "nowhere"}, 422),
        ({"channel": "email", "address": "a@b.example", "lat": -6.2, "lng": 106.8, "radius_m": 99999}, 422),
    ],
)
def test_bad_subscriptions_are_clear_4xx(client, body, status):
    got, answer = post_json(client, "/alerts/subscriptions", body)
    assert got == status and answer["error"]["code"] == "validation_failed"


def test_not_json_and_unknown_confirmations(client):
    response = client.http.post("/alerts/subscriptions", body=b"{", headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    status, answer = post_json(client, "/alerts/confirm", {"subscription_id": "0" * 24, "code": "123456"})
    assert status == 404 and answer["error"]["code"] == "not_found"
    page = client.http.get("/alerts/confirm?s=abc&t=def")
    assert page.status_code == 404 and header(page, "content-type").startswith("text/html")
    status, answer = post_json(client, "/alerts/unsubscribe", {"s": "0" * 24, "t": "nope"})
    assert status == 422


def test_a_thousand_sign_ups_for_one_number_send_at_most_the_daily_cap(client, app_env, providers, monkeypatch):
    """SMS bombing / pumping (issue 19): one number, 1,000 areas. The per-address and global
    limits of the route are kept far out of reach here (the stack's generous limits), so what
    holds the count is the per-destination cap (its real default)."""
    from chalicelib import bootstrap, config
    from chalicelib.config import RATE_LIMIT_DEFAULTS

    monkeypatch.setenv("RATE_LIMIT_ALERT_MESSAGES", RATE_LIMIT_DEFAULTS["alert_messages"])
    bootstrap.reset()
    cap = config.settings().rate_limits["alert_messages"]["contact"].count
    providers.routes[f"POST {TWILIO_MESSAGES}"] = Answer(201, b'{"sid": "SM1"}')
    phone = wire.phone_number()
    answers = {}
    for i in range(1000):
        body = {"channel": "sms", "address": "0" + phone[3:], "lat": -6.20 + i * 1e-5, "lng": 106.85, "radius_m": 500}
        status, answer = post_json(client, "/alerts/subscriptions", body)
        answers[status] = answers.get(status, 0) + 1
        if status == 429:
            assert answer["error"]["code"] == "rate_limited"
    sent = [r for r in providers.calls("POST", TWILIO_MESSAGES) if r.form().get("To") == phone]
    assert len(sent) == cap == 3
    assert answers == {202: cap, 429: 1000 - cap}


@pytest.mark.parametrize("address", ["+447700900123", "+8822123456", "+2347012345678"])
def test_a_phone_outside_the_allowed_countries_is_422(client, providers, address):
    before = len(providers.calls("POST", TWILIO_MESSAGES))
    status, answer = post_json(
        client, "/alerts/subscriptions", {"channel": "sms", "address": address, "radius_m": 500, **POINT}
    )
    assert status == 422 and answer["error"]["details"][0]["field"] == "address"
    assert len(providers.calls("POST", TWILIO_MESSAGES)) == before
