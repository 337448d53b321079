"""Every channel end to end on the moto server: the real app in this process
(chalice.test.Client), provider payloads signed as providers sign them, the
event runner feeding the reply and media workers, and a local fake provider
API that records what we send (method, path, auth, body)."""

from __future__ import annotations

import json
import time

import pytest

import tests.support.providers as wire
from chalicelib.config import DEV_SECRETS
from chalicelib.domain import request_ids, tracking
from tests.support.aws_calls import AwsCalls
from tests.support.images import jpeg_with_metadata
from tests.support.providers import Answer

PAGE_ID = "112233445566778"
PHONE_NUMBER_ID = "106540352242922"
BEARER_META = f"Bearer {DEV_SECRETS['META_ACCESS_TOKEN']}"


@pytest.fixture
def dynamodb_calls(app_env):
    counter = AwsCalls("dynamodb", short=True)
    yield counter.made
    counter.stop()


def code_for(channel, message_id):
    from chalicelib.bootstrap import services

    return tracking.derive_code(services().settings.tracking_code_key, channel, message_id)


def stored(code):
    """The case with its sealed fields (contact, reply handle) opened, as the reply path sees it."""
    from chalicelib.bootstrap import services

    case = services().cases.get(code)
    return services().cases.open_sealed(case) if case is not None else None


def post(client, path, body, headers):
    return client.http.post(path, body=body, headers=headers)


def meta_post(client, channel, payload, secret=None):
    body = wire.dumps(payload)
    return post(client, f"/webhooks/{channel}", body, wire.meta_headers(body, secret))


def x_post(client, channel, payload, secret=None):
    body = wire.dumps(payload)
    return post(client, f"/webhooks/{channel}", body, wire.x_headers(body, secret))


def twilio_post(client, app_env, channel, params, token=None):
    path, body, headers = wire.twilio_request(app_env["PUBLIC_BASE_URL"], channel, params, token)
    return post(client, path, body, headers)


def wait_for(providers, method, path, count=1, runner=None, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if runner is not None:
            runner.drain()
        calls = providers.calls(method, path)
        if len(calls) >= count:
            return calls
        time.sleep(0.05)
    raise AssertionError(f"no {method} {path}; got {[(r.method, r.path) for r in providers.requests][-10:]}")


# --- SMS (Twilio) ---------------------------------------------------------------------


def test_sms_gets_its_code_in_twiml_once_per_message(client, app_env, dynamodb_calls):
    params = wire.twilio_form()
    first = twilio_post(client, app_env, "sms_1708", params)
    assert first.status_code == 200 and first.headers["Content-Type"].startswith("text/xml")
    code = code_for("sms_1708", params["MessageSid"])
    assert f"<Response><Message>Terima kasih, laporan Anda sudah kami terima. Kode laporan: {code}." in (
        first.body.decode()
    )
    assert dynamodb_calls == ["UpdateItem", "PutItem"]  # sender state, then the case
    dynamodb_calls.clear()
    again = twilio_post(client, app_env, "sms_1708", params)  # Twilio retries after a timeout
    assert again.status_code == 200 and code in again.body.decode()
    assert dynamodb_calls == ["UpdateItem", "PutItem"]
    assert stored(code).version == 1 and stored(code).reply_handle.address == params["From"]


@pytest.mark.parametrize("tamper", ["forged", "missing", "other_url"])
def test_a_bad_twilio_signature_is_403_and_stores_nothing(client, app_env, dynamodb_calls, tamper):
    params = wire.twilio_form()
    path, body, headers = wire.twilio_request(
        app_env["PUBLIC_BASE_URL"], "sms_1708", params, token="forged" if tamper == "forged" else None
    )
    if tamper == "missing":
        del headers["X-Twilio-Signature"]
    if tamper == "other_url":
        path = "/webhooks/whatsapp"
    response = post(client, path, body, headers)
    assert response.status_code == 403  # Twilio's convention
    assert json.loads(response.body)["error"]["code"] == "invalid_signature"
    assert dynamodb_calls == []


def test_malformed_twilio_post_is_400(client, app_env, dynamodb_calls):
    response = twilio_post(client, app_env, "sms_1708", wire.twilio_form(MessageSid="not-a-sid"))
    assert response.status_code == 400 and dynamodb_calls == []


def test_sms_media_is_fetched_after_the_answer(client, app_env, runner, providers):
    media_path = "/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages/MM1/Media/ME" + str(time.time_ns())
    providers.routes[f"GET {media_path}"] = Answer(200, jpeg_with_metadata(), "image/jpeg")
    params = wire.twilio_form(
        NumMedia="1", MediaUrl0=providers.url + media_path, MediaContentType0="image/jpeg", Body=""
    )
    assert twilio_post(client, app_env, "sms_1708", params).status_code == 200
    code = code_for("sms_1708", params["MessageSid"])
    view = json.loads(client.http.get(f"/status/{code}").body)
    assert view["photos_pending"] == 1 and view["photos"] == []
    (fetched,) = wait_for(providers, "GET", media_path, runner=runner)
    assert fetched.headers["authorization"].startswith("Basic ")
    deadline = time.time() + 10
    while stored(code).pending_media and time.time() < deadline:
        runner.drain()
    view = json.loads(client.http.get(f"/status/{code}").body)
    assert view["photos_pending"] == 0 and len(view["photos"]) == 1
    assert [e["type"] for e in view["timeline"]][-1] == "case.photo_added"


def test_a_media_fetch_that_keeps_failing_is_quarantined_on_its_last_receive(
    client, app_env, runner, providers, aws, stack
):
    from chalicelib.bootstrap import services

    media_path = "/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages/MM2/Media/ME" + str(time.time_ns())
    providers.routes[f"GET {media_path}"] = Answer(503, b"{}")
    params = wire.twilio_form(NumMedia="1", MediaUrl0=providers.url + media_path, MediaContentType0="image/png")
    assert twilio_post(client, app_env, "sms_1708", params).status_code == 200
    code = code_for("sms_1708", params["MessageSid"])
    sqs = aws("sqs")
    media_url = sqs.get_queue_url(QueueName=stack.env["MEDIA_QUEUE"])["QueueUrl"]
    dlq_url = sqs.get_queue_url(QueueName=stack.env["MEDIA_QUEUE"] + "-dlq")["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=media_url, Attributes={"VisibilityTimeout": "0"})

    def quarantined():
        records = services().quarantine.records("fetch_linked_media")
        return [r for r in records if r.payload and json.loads(r.payload).get("tracking_code") == code]

    try:
        deadline = time.time() + 20
        while not quarantined() and time.time() < deadline:
            runner.drain(timeout=2)
    finally:
        sqs.set_queue_attributes(QueueUrl=media_url, Attributes={"VisibilityTimeout": "180"})
    (record,) = quarantined()  # kept with its message, for a replay once the provider works
    assert record.state == "quarantined" and record.attempts == 5 and record.error == "ProviderUnavailable"
    parked = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10).get("Messages", [])
    assert not any(json.loads(m["Body"]).get("tracking_code") == code for m in parked)  # not in the DLQ
    assert len(providers.calls("GET", media_path)) >= 5  # retried before giving up
    view = json.loads(client.http.get(f"/status/{code}").body)
    assert view["status"] in ("received", "assigned") and view["photos_pending"] == 1  # it exists and says so


def replies_to(providers, method, path, runner, match, count=1, timeout=15):
    """Requests to a fake provider path that ``match`` accepts, draining the runner meanwhile."""
    deadline, found = time.time() + timeout, []
    while len(found) < count and time.time() < deadline:
        runner.drain()
        found = [r for r in providers.calls(method, path) if match(r)]
    return found


def test_status_changes_go_out_through_twilio_messages_api(client, app_env, runner, providers):
    params = wire.twilio_form()
    twilio_post(client, app_env, "sms_1708", params)
    code = code_for("sms_1708", params["MessageSid"])
    path = "/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages.json"
    providers.routes[f"POST {path}"] = Answer(201, b'{"sid": "SM1"}')
    # Routing assigns the new case (a real lifecycle event); case.received was answered in TwiML.
    (sent,) = replies_to(providers, "POST", path, runner, lambda r: r.form().get("To") == params["From"])
    import base64

    sid, token = DEV_SECRETS["TWILIO_ACCOUNT_SID"], DEV_SECRETS["TWILIO_AUTH_TOKEN"]
    assert sent.headers["authorization"] == "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()
    form = sent.form()
    assert form["From"] == "1708"
    assert form["Body"].startswith(f"Laporan {code} sudah diteruskan ke instansi yang berwenang (")
    # A later status change (here a synthetic one) goes out the same way.
    from chalicelib.domain.events import ProgressPosted

    _record(code, ProgressPosted, agency_id="x", percent=40, text="Sedang dikerjakan")
    progress = replies_to(
        providers,
        "POST",
        path,
        runner,
        lambda r: r.form().get("To") == params["From"] and "(40% selesai)" in r.form()["Body"],
    )
    assert progress


def _record(code, event_class, **data):
    """A lifecycle event as an officer's action raises it, saved the way every change is."""
    from datetime import UTC, datetime

    from chalicelib.bootstrap import services

    cases = services().cases
    case = cases.get(code)
    case.record(event_class(occurred_at=datetime.now(UTC), **data))
    cases.save(case)


def _resolved(code):
    from chalicelib.domain.events import CaseResolved

    _record(
        code,
        CaseResolved,
        agency_id="dinas-lh",
        note="Sudah dibersihkan",
        photo_id="c1",
        minutes_since_report=60,
        on_time=True,
        resolution_breached=False,
    )


# --- WhatsApp Cloud API ---------------------------------------------------------------


def test_whatsapp_message_reply_and_conversation(client, runner, providers, dynamodb_calls):
    sender = f"62812{time.time_ns() % 10**8:08d}"
    text = wire.whatsapp_text("Sampah menumpuk di depan pasar", sender=sender)
    response = meta_post(client, "whatsapp", text)
    assert response.status_code == 200 and json.loads(response.body) == {"received": 1}
    assert dynamodb_calls == ["UpdateItem", "PutItem"]
    wamid = text["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    code = code_for("whatsapp", wamid)

    path = f"/v21.0/{PHONE_NUMBER_ID}/messages"
    providers.routes[f"POST {path}"] = Answer(200, b'{"messages": [{"id": "wamid.out"}]}')
    sent = replies_to(providers, "POST", path, runner, lambda r: f"Kode laporan: {code}" in r.body.decode())
    assert sent, "the tracking code went out through the Cloud API"
    assert sent[0].headers["authorization"] == BEARER_META
    body = sent[0].json()
    assert body["messaging_product"] == "whatsapp" and body["to"] == sender and body["type"] == "text"
    assert f"Kode laporan: {code}" in body["text"]["body"]
    public = client.http.get(f"/status/{code}").body.decode()
    assert sender not in public and "reply_handle" not in public and "Siti" not in public

    # A photo a minute later joins the same case.
    media_id = str(time.time_ns())
    providers.routes[f"GET /v21.0/{media_id}"] = Answer(
        200,
        json.dumps(
            {"url": f"{providers.url}/whatsapp/media/{media_id}", "mime_type": "image/jpeg", "id": media_id}
        ).encode(),
    )
    providers.routes[f"GET /whatsapp/media/{media_id}"] = Answer(200, jpeg_with_metadata(), "image/jpeg")
    before = stored(code).version
    dynamodb_calls.clear()
    photo = wire.whatsapp_message(
        {"type": "image", "image": {"mime_type": "image/jpeg", "sha256": "x", "id": media_id}}, sender=sender
    )
    assert meta_post(client, "whatsapp", photo).status_code == 200
    # claim refused -> the open case -> mark the photo's own code for it -> save
    assert dynamodb_calls == ["UpdateItem", "GetItem", "PutItem", "PutItem"]
    case = stored(code)
    assert case.version == before + 1 and [m.ref for m in case.pending_media] == [media_id]
    graph_calls = wait_for(providers, "GET", f"/whatsapp/media/{media_id}", runner=runner)
    assert graph_calls[0].headers["authorization"] == BEARER_META
    deadline = time.time() + 10
    while stored(code).pending_media and time.time() < deadline:
        runner.drain()
    assert len(stored(code).photos) == 1
    added = replies_to(
        providers, "POST", path, runner, lambda r: "Tambahan Anda (foto)" in r.body.decode() and code in r.body.decode()
    )
    assert added


def test_reporters_of_a_merged_duplicate_hear_of_the_primary_by_their_own_code(client, runner, providers):
    from datetime import UTC, datetime

    from chalicelib.bootstrap import services
    from chalicelib.domain.case import SYSTEM

    path = f"/v21.0/{PHONE_NUMBER_ID}/messages"
    providers.routes[f"POST {path}"] = Answer(200, b'{"messages": [{"id": "wamid.out"}]}')
    first, second = f"62816{time.time_ns() % 10**8:08d}", f"62817{time.time_ns() % 10**8:08d}"
    codes = []
    for sender in (first, second):
        payload = wire.whatsapp_text("Pohon tumbang menutup jalan", sender=sender)
        meta_post(client, "whatsapp", payload)
        codes.append(code_for("whatsapp", payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]))
    primary, duplicate = codes
    cases = services().cases
    case = cases.get(duplicate)
    case.merge_into(primary, datetime.now(UTC), SYSTEM)
    cases.save(case)
    deadline = time.time() + 15
    while duplicate not in stored(primary).merged_cases and time.time() < deadline:
        runner.drain()  # the followups worker records the merge on the primary
    assert stored(primary).merged_cases == [duplicate]

    _resolved(primary)

    def to(number, words):
        return lambda request: request.json()["to"] == number and words in request.json()["text"]["body"]

    assert replies_to(providers, "POST", path, runner, to(first, f"Laporan {primary} selesai ditangani"))
    (told,) = replies_to(providers, "POST", path, runner, to(second, f"Laporan {duplicate} selesai ditangani"))
    text = told.json()["text"]["body"]
    assert primary not in text  # whoever holds the primary's code could confirm or reopen it
    public_id = request_ids.public_id(primary, services().settings.tracking_code_key)
    assert f"/status/{public_id}/photos/c1" in text
    runner.drain()
    assert len([r for r in providers.calls("POST", path) if to(second, "selesai")(r)]) == 1


@pytest.fixture
def update_template(client, monkeypatch):
    """WHATSAPP_UPDATE_TEMPLATE set for this process's workers (and unset again after)."""
    from chalicelib import bootstrap

    monkeypatch.setenv("WHATSAPP_UPDATE_TEMPLATE", "crm_status_update")
    bootstrap.reset()
    yield "crm_status_update"
    monkeypatch.delenv("WHATSAPP_UPDATE_TEMPLATE")
    bootstrap.reset()


def test_whatsapp_updates_after_the_24_hour_window_go_out_as_the_template(
    client, aws, runner, providers, update_template
):
    path = f"/v21.0/{PHONE_NUMBER_ID}/messages"
    sender = f"62818{time.time_ns() % 10**8:08d}"
    providers.routes[f"POST {path}"] = Answer(200, b'{"messages": [{"id": "wamid.out"}]}')
    payload = wire.whatsapp_text("Kabel menjuntai rendah", sender=sender)
    meta_post(client, "whatsapp", payload)
    code = code_for("whatsapp", payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"])
    assert replies_to(providers, "POST", path, runner, lambda r: r.json()["to"] == sender)
    runner.drain()
    # they just wrote: inside the window, the receipt (and the routing update) go as text
    assert {r.json()["type"] for r in providers.calls("POST", path) if r.json()["to"] == sender} == {"text"}

    # Two days on (their sender item says when they last wrote: expires_at = then + 25 h), it is resolved.
    set_on_sender_item(aws, code, "expires_at", int(time.time()) - 2 * 86400 + 25 * 3600)
    before = len([r for r in providers.calls("POST", path) if r.json()["to"] == sender])
    _resolved(code)
    (sent,) = replies_to(
        providers, "POST", path, runner, lambda r: r.json()["to"] == sender and r.json()["type"] == "template"
    )
    template = sent.json()["template"]
    assert template["name"] == update_template and template["language"] == {"code": "id"}
    code_parameter, text_parameter = template["components"][0]["parameters"]
    assert code_parameter["text"] == code and text_parameter["text"].startswith(f"Laporan {code} selesai")
    # no free-form text was tried first (Meta would accept it and fail it later)
    assert len([r for r in providers.calls("POST", path) if r.json()["to"] == sender]) == before + 1


def set_on_sender_item(aws, code, attribute, value):
    """Change the sender item of case ``code``'s reporter directly (time passing)."""
    from chalicelib.adapters.case_repository import serialize
    from chalicelib.adapters.sender_state import SENDER_SK, sender_key
    from chalicelib.bootstrap import services

    key = sender_key(services().settings.tracking_code_key, stored(code).reply_handle)
    aws("dynamodb").update_item(
        TableName=services().settings.cases_table,
        Key=serialize({"PK": f"SENDER#{key}", "SK": SENDER_SK}),
        UpdateExpression="SET #attribute = :value",
        ExpressionAttributeNames={"#attribute": attribute},
        ExpressionAttributeValues=serialize({":value": value}),
    )


def close_conversation(aws, code):
    """As if the sender's 30-minute conversation window had passed."""
    set_on_sender_item(aws, code, "open_until", "2000-01-01T00:00:00Z")


def test_whatsapp_addition_retried_after_the_window_stays_in_its_case(client, aws, dynamodb_calls):
    sender = f"62815{time.time_ns() % 10**8:08d}"
    opener = wire.whatsapp_text("Sampah menumpuk di depan pasar", sender=sender)
    meta_post(client, "whatsapp", opener)
    code = code_for("whatsapp", opener["entry"][0]["changes"][0]["value"]["messages"][0]["id"])
    addition = wire.whatsapp_text("Sudah tiga hari tidak diangkut", sender=sender)
    assert meta_post(client, "whatsapp", addition).status_code == 200
    version = stored(code).version
    close_conversation(aws, code)

    dynamodb_calls.clear()
    assert meta_post(client, "whatsapp", addition).status_code == 200  # Meta retries for up to 7 days
    # the window is claimed, the addition's code is taken by its mark -> the case, which has it already
    assert dynamodb_calls == ["UpdateItem", "PutItem", "GetItem"]
    addition_code = code_for("whatsapp", addition["entry"][0]["changes"][0]["value"]["messages"][0]["id"])
    assert stored(addition_code) is None and client.http.get(f"/status/{addition_code}").status_code == 404
    case = stored(code)
    assert case.version == version and case.description.count("tiga hari") == 1


def test_an_added_message_mark_is_first_come_and_never_read_as_a_case(client):
    from datetime import UTC, datetime

    from chalicelib.bootstrap import services

    cases, now = services().cases, datetime.now(UTC)
    mark, key = tracking.new_code(), f"whatsapp:wamid.{time.time_ns()}"
    first, second = tracking.new_code(), tracking.new_code()
    assert cases.mark_message(mark, key, first, now) == first
    assert cases.mark_message(mark, key, second, now) == first  # an earlier delivery's case wins
    assert cases.get(mark) is None and client.http.get(f"/status/{mark}").status_code == 404
    assert services().case_reader.get_many([mark]) == {}


def test_whatsapp_status_question_and_receipts(client, runner, providers, dynamodb_calls):
    first = wire.whatsapp_text("Air PDAM tidak mengalir")
    meta_post(client, "whatsapp", first)
    code = code_for("whatsapp", first["entry"][0]["changes"][0]["value"]["messages"][0]["id"])
    asker = f"62813{time.time_ns() % 10**8:08d}"
    dynamodb_calls.clear()
    assert meta_post(client, "whatsapp", wire.whatsapp_text(code.lower(), sender=asker)).status_code == 200
    assert dynamodb_calls == ["UpdateItem", "GetItem"]  # counted, then read; no case written
    path = f"/v21.0/{PHONE_NUMBER_ID}/messages"
    providers.routes.setdefault(f"POST {path}", Answer(200, b"{}"))
    deadline, answered = time.time() + 10, []
    while not answered and time.time() < deadline:
        runner.drain()
        answered = [r for r in providers.calls("POST", path) if r.json()["to"] == asker]
    from chalicelib.domain.texts import status_label

    assert answered and answered[0].json()["text"]["body"].startswith(f"Status laporan {code}: ")
    assert any(
        status_label(status, "id") in answered[0].json()["text"]["body"]
        for status in __import__("chalicelib.domain.lifecycle", fromlist=["CaseStatus"]).CaseStatus
    )
    # A second question is a new notice (its own SQS message id), answered too.
    meta_post(client, "whatsapp", wire.whatsapp_text(code, sender=asker))
    deadline = time.time() + 10
    while len(answered) < 2 and time.time() < deadline:
        runner.drain()
        answered = [r for r in providers.calls("POST", path) if r.json()["to"] == asker]
    assert len(answered) == 2

    dynamodb_calls.clear()
    receipts = meta_post(client, "whatsapp", wire.fixture("whatsapp_status.json"))
    assert receipts.status_code == 200 and json.loads(receipts.body) == {"received": 0}
    assert dynamodb_calls == []


def test_whatsapp_bad_signature_and_handshake(client, dynamodb_calls):
    assert meta_post(client, "whatsapp", wire.whatsapp_text(), secret="forged").status_code == 401
    body = b'{"object": "whatsapp_business_account", "entry": '
    assert post(client, "/webhooks/whatsapp", body, wire.meta_headers(body)).status_code == 400
    assert dynamodb_calls == []
    token = DEV_SECRETS["META_VERIFY_TOKEN"]
    ok = client.http.get(f"/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=8675309")
    assert ok.status_code == 200 and ok.body == b"8675309" and ok.headers["Content-Type"].startswith("text/plain")
    no = client.http.get("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1")
    assert no.status_code == 403


# --- Facebook page and the Governor's social media ----------------------------------


def test_messenger_reply_through_the_send_api(client, runner, providers, dynamodb_calls):
    psid = str(time.time_ns())
    payload = wire.messenger("Jalan berlubang di depan halte Senen", sender=psid)
    assert meta_post(client, "facebook", payload).status_code == 200
    assert dynamodb_calls == ["UpdateItem", "PutItem"]
    code = code_for("facebook", payload["entry"][0]["messaging"][0]["message"]["mid"])
    path = f"/v21.0/{PAGE_ID}/messages"
    providers.routes[f"POST {path}"] = Answer(200, b'{"recipient_id": "1", "message_id": "m_1"}')
    deadline, sent = time.time() + 10, []
    while not sent and time.time() < deadline:
        runner.drain()
        sent = [r for r in providers.calls("POST", path) if r.json()["recipient"]["id"] == psid]
    assert sent[0].headers["authorization"] == BEARER_META
    assert sent[0].json()["messaging_type"] == "RESPONSE" and code in sent[0].json()["message"]["text"]
    # A later status change is an account update (allowed after Messenger's 24 h window).
    from chalicelib.domain.events import CaseClosed

    _record(code, CaseClosed, agency_id="dinas-lh", how="confirmed")
    deadline, closed = time.time() + 10, []
    while not closed and time.time() < deadline:
        runner.drain()
        closed = [
            r
            for r in providers.calls("POST", path)
            if r.json()["recipient"]["id"] == psid and "ditutup" in r.json()["message"]["text"]
        ]
    assert closed[0].json()["messaging_type"] == "MESSAGE_TAG" and closed[0].json()["tag"] == "ACCOUNT_UPDATE"


def test_feed_comment_gets_the_code_privately_and_a_neutral_public_answer(client, runner, providers):
    payload = wire.feed_comment()
    comment_id = payload["entry"][0]["changes"][0]["value"]["comment_id"]
    assert meta_post(client, "facebook", payload).status_code == 200
    public_path = f"/v21.0/{comment_id}/comments"
    private_path = f"/v21.0/{PAGE_ID}/messages"
    providers.routes[f"POST {public_path}"] = Answer(200, b'{"id": "c1"}')
    providers.routes[f"POST {private_path}"] = Answer(200, b'{"recipient_id": "1", "message_id": "m_1"}')
    code = code_for("facebook", comment_id)
    private = replies_to(
        providers, "POST", private_path, runner, lambda r: r.json()["recipient"] == {"comment_id": comment_id}
    )
    assert f"Kode laporan: {code}" in private[0].json()["message"]["text"]
    public = replies_to(providers, "POST", public_path, runner, lambda r: True)
    assert public and all(code not in r.json()["message"] for r in public)
    from chalicelib.bootstrap import services

    public_id = request_ids.public_id(code, services().settings.tracking_code_key)
    assert f"/status/{public_id}" in public[0].json()["message"]
    page = json.loads(client.http.get(f"/status/{public_id}").body)  # the link works, read-only
    assert page["tracking_code"] == public_id and code not in json.dumps(page)
    assert (
        client.http.post(
            f"/status/{public_id}/reopen",
            body=b'{"reason": "belum diperbaiki"}',
            headers={"Content-Type": "application/json"},
        ).status_code
        == 404
    )
    own = wire.feed_comment(author=PAGE_ID)
    assert json.loads(meta_post(client, "facebook", own).body) == {"received": 0}


def test_governor_social_takes_meta_and_x(client):
    messenger = wire.messenger("Pohon tumbang di Jl. Thamrin")
    assert meta_post(client, "governor_social", messenger).status_code == 200
    mid = messenger["entry"][0]["messaging"][0]["message"]["mid"]
    assert stored(code_for("governor_social", mid)).category == "fallen_tree"
    mention = wire.x_mention("@aniesbaswedan banjir di Kemang")
    assert x_post(client, "governor_social", mention).status_code == 200
    assert stored(code_for("governor_social", mention["tweet_create_events"][0]["id_str"])).category == "flooding"
    crc = client.http.get("/webhooks/governor_social?crc_token=abc")
    assert json.loads(crc.body)["response_token"].startswith("sha256=")
    assert x_post(client, "governor_social", wire.x_mention(), secret="forged").status_code == 401


# --- X ---------------------------------------------------------------------------------


def test_x_dm_reply_and_media(client, runner, providers, dynamodb_calls):
    sender = str(time.time_ns() % 10**12)
    media_path = f"/x/media/{time.time_ns()}.jpg"
    providers.routes[f"GET {media_path}"] = Answer(200, jpeg_with_metadata(), "image/jpeg")
    payload = wire.x_dm(
        "Parkir liar di trotoar Jl. Wahid Hasyim",
        sender=sender,
        media={"type": "photo", "url": "https://t.co/x", "media_url_https": providers.url + media_path},
    )
    assert x_post(client, "x", payload).status_code == 200
    assert dynamodb_calls == ["UpdateItem", "PutItem"]
    code = code_for("x", payload["direct_message_events"][0]["id"])
    path = f"/2/dm_conversations/with/{sender}/messages"
    providers.routes[f"POST {path}"] = Answer(201, b'{"data": {"dm_event_id": "1"}}')
    (sent,) = replies_to(providers, "POST", path, runner, lambda r: f"Kode laporan: {code}" in r.json()["text"])
    assert sent.headers["authorization"] == f"Bearer {DEV_SECRETS['X_ACCESS_TOKEN']}"
    (fetched,) = wait_for(providers, "GET", media_path, runner=runner)
    assert fetched.headers["authorization"] == f"Bearer {DEV_SECRETS['X_ACCESS_TOKEN']}"
    # a retried delivery: same case, nothing new
    assert x_post(client, "x", payload).status_code == 200
    assert stored(code).version >= 1 and stored(code).source_key == f"x:{payload['direct_message_events'][0]['id']}"


def test_x_crc_and_bad_input(client, dynamodb_calls):
    crc = client.http.get("/webhooks/x?crc_token=challenge")
    from chalicelib.channels.x import crc_response

    assert json.loads(crc.body) == crc_response(DEV_SECRETS["X_CONSUMER_SECRET"], "challenge")
    assert x_post(client, "x", wire.x_mention(), secret="forged").status_code == 401
    assert x_post(client, "x", {"tweet_create_events": []}).status_code == 400
    own = wire.x_mention(author="1111111111")
    assert json.loads(x_post(client, "x", own).body) == {"received": 0}
    assert dynamodb_calls == []


def test_unknown_channel_and_method(client):
    assert client.http.get("/webhooks/pigeon").status_code == 404
    assert client.http.get("/webhooks/jaki").status_code == 405


# --- e-mail ----------------------------------------------------------------------------


PASSING = "spf=pass; dkim=pass; dmarc=pass"


def mail(
    subject,
    sender="warga@example.com",
    body="Sampah di Jl. Sabang belum diangkut tiga hari.",
    photo=None,
    verdicts=PASSING,
):
    """A raw message as SES stores it: its Authentication-Results on top (``verdicts``; None: none)."""
    from email.message import EmailMessage

    message = EmailMessage()
    if verdicts is not None:
        message["Authentication-Results"] = f"amazonses.com; {verdicts}"
    message["From"] = f"Warga <{sender}>"
    message["To"] = "dki@jakarta.go.id"
    message["Subject"] = subject
    message.set_content(body)
    if photo:
        message.add_attachment(photo, maintype="image", subtype="jpeg", filename="foto.jpg")
    return message.as_bytes()


def test_email_to_a_case_and_a_reply_to_it(stack, aws, runner, ses_sent, dynamodb_calls):
    bucket = stack.env["INBOUND_EMAIL_BUCKET"]
    sender = f"warga{time.time_ns()}@example.com"
    message_id = f"ses{time.time_ns()}"
    aws("s3").put_object(
        Bucket=bucket, Key=f"inbound/{message_id}", Body=mail("Sampah menumpuk", sender, photo=jpeg_with_metadata())
    )
    runner.drain()
    code = code_for("email", message_id)
    case = stored(code)
    assert case is not None and len(case.photos) == 1 and case.reporter.email == sender
    assert {"PutItem", "UpdateItem"} <= set(dynamodb_calls)
    sent = [p for p in ses_sent if p["Destination"]["ToAddresses"] == [sender]]
    assert sent and sent[0]["Source"] == "dki@jakarta.go.id" and code in sent[0]["Message"]["Subject"]["Data"]
    assert code in sent[0]["Message"]["Body"]["Text"]["Data"]

    # The reporter replies to our mail: the subject carries the code, so it adds to the case.
    reply_id = f"ses{time.time_ns()}"
    aws("s3").put_object(
        Bucket=bucket,
        Key=f"inbound/{reply_id}",
        Body=mail(f"Re: [{code}] Laporan Anda", sender, body="Sekarang juga ada bau busuk."),
    )
    before = stored(code).version
    runner.drain()
    assert stored(code_for("email", reply_id)) is None
    assert "bau busuk" in stored(code).description and stored(code).version > before
    # ...but a stranger quoting the code opens their own case.
    other_id = f"ses{time.time_ns()}"
    aws("s3").put_object(
        Bucket=bucket, Key=f"inbound/{other_id}", Body=mail(f"Re: [{code}] Laporan Anda", "stranger@example.com")
    )
    runner.drain()
    assert stored(code_for("email", other_id)) is not None


@pytest.mark.parametrize(
    "verdicts",
    [
        "spf=fail; dkim=fail; dmarc=fail",
        "spf=pass; dkim=fail; dmarc=pass",
        "spf=softfail; dkim=pass; dmarc=none",
        "spf=pass; dkim=pass; dmarc=fail",
        None,  # no verdicts at all
    ],
)
def test_a_forged_mail_quoting_a_code_adds_nothing_to_that_case(stack, aws, runner, verdicts):
    """The From of the case's reporter, a subject with the code, but SES did not verify the
    sender: nothing is added to that case (a new case is opened instead)."""
    bucket = stack.env["INBOUND_EMAIL_BUCKET"]
    sender = f"warga{time.time_ns()}@example.com"
    first = f"ses{time.time_ns()}"
    aws("s3").put_object(Bucket=bucket, Key=f"inbound/{first}", Body=mail("Sampah menumpuk", sender))
    runner.drain()
    code = code_for("email", first)
    before = stored(code)
    forged = f"ses{time.time_ns()}"
    aws("s3").put_object(
        Bucket=bucket,
        Key=f"inbound/{forged}",
        Body=mail(
            f"Re: [{code}] Laporan", sender, body="Tambahan palsu", photo=jpeg_with_metadata(), verdicts=verdicts
        ),
    )
    runner.drain()
    after = stored(code)
    assert after.version == before.version and "palsu" not in after.description
    assert len(after.photos) == len(before.photos)
    assert stored(code_for("email", forged)).unverified_sender and not before.unverified_sender


def test_officers_see_an_unverified_sender_the_public_does_not(client, stack, aws, runner, officers):
    bucket, message_id = stack.env["INBOUND_EMAIL_BUCKET"], f"ses{time.time_ns()}"
    forged = mail("Jalan rusak", f"w{time.time_ns()}@example.com", verdicts="spf=fail; dkim=fail; dmarc=fail")
    aws("s3").put_object(Bucket=bucket, Key=f"inbound/{message_id}", Body=forged)
    runner.drain()
    code = code_for("email", message_id)
    officer = client.http.get(f"/officer/cases/{code}", headers=officers["bureau"])
    assert officer.status_code == 200 and json.loads(officer.body)["unverified_sender"] is True
    public = client.http.get(f"/status/{code}")
    assert public.status_code == 200 and b"unverified" not in public.body and b"sender" not in public.body


def test_email_intake_costs(stack, aws, app_env, dynamodb_calls):
    from chalicelib.workers.email_intake import receive_email

    message_id = f"ses{time.time_ns()}"
    key = f"inbound/{message_id}"
    aws("s3").put_object(Bucket=stack.env["INBOUND_EMAIL_BUCKET"], Key=key, Body=mail("Jalan rusak"))
    dynamodb_calls.clear()
    receive_email(stack.env["INBOUND_EMAIL_BUCKET"], key)
    assert dynamodb_calls == ["UpdateItem", "PutItem"]
    dynamodb_calls.clear()
    receive_email(stack.env["INBOUND_EMAIL_BUCKET"], key)  # S3 delivered the event twice
    assert dynamodb_calls == ["UpdateItem", "PutItem"]  # the condition fails: same case, nothing new


# --- partner callbacks -----------------------------------------------------------------


def test_partner_gets_status_changes_at_its_callback_url(client, runner, providers, monkeypatch):
    from tests.integration.conftest import partner_body, signed_headers

    monkeypatch.setenv("JAKI_CALLBACK_URL", f"{providers.url}/jaki/callback")
    providers.routes["POST /jaki/callback"] = Answer(200, b"{}")
    body = partner_body()
    raw = json.dumps(body).encode()
    code = json.loads(client.http.post("/webhooks/jaki", body=raw, headers=signed_headers(raw)).body)["tracking_code"]
    _resolved(code)
    (callback,) = replies_to(
        providers,
        "POST",
        "/jaki/callback",
        runner,
        lambda r: r.json()["tracking_code"] == code and r.json()["event_type"] == "case.resolved",
    )
    document = callback.json()
    assert document["report_id"] == body["report_id"] and document["event_type"] == "case.resolved"
    assert f"/status/{code}/photos/c1" in document["text"]
    from chalicelib.channels import signing
    from chalicelib.domain.signatures import signed_message

    expected = signing.hmac_sha256(
        DEV_SECRETS["JAKI_WEBHOOK_SECRET"], signed_message(callback.headers["x-crm-timestamp"], callback.body)
    ).hex()
    assert callback.headers["x-crm-signature"] == f"sha256={expected}"


def test_website_report_costs_one_request(client, dynamodb_calls):
    body = json.dumps({"category": "garbage", "description": "Sampah", "submission_id": f"cost-{time.time_ns()}"})
    response = client.http.post("/reports", body=body.encode(), headers={"Content-Type": "application/json"})
    assert response.status_code == 201 and dynamodb_calls == ["PutItem"]


def test_email_reply_to_a_case_costs_a_read_and_a_write(stack, aws, app_env, dynamodb_calls):
    from chalicelib.workers.email_intake import receive_email

    bucket, sender = stack.env["INBOUND_EMAIL_BUCKET"], f"w{time.time_ns()}@example.com"
    first = f"ses{time.time_ns()}"
    aws("s3").put_object(Bucket=bucket, Key=f"inbound/{first}", Body=mail("Sampah", sender))
    receive_email(bucket, f"inbound/{first}")
    code = code_for("email", first)
    reply = f"ses{time.time_ns()}"
    aws("s3").put_object(Bucket=bucket, Key=f"inbound/{reply}", Body=mail(f"Re: [{code}] Laporan", sender, body="Lagi"))
    dynamodb_calls.clear()
    receive_email(bucket, f"inbound/{reply}")
    assert dynamodb_calls == ["GetItem", "PutItem"]


def test_no_sender_identity_in_logs_or_events(client, runner, aws, stack):
    import io
    import logging

    from chalicelib.logs import ROOT_LOGGER, JsonFormatter
    from tests.integration.test_outbox_relay import receive_all, subscribe_queue

    events = subscribe_queue(stack, aws, f"test-privacy-{time.time_ns()}")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logging.getLogger(ROOT_LOGGER).addHandler(handler)
    try:
        sender = f"62819{time.time_ns() % 10**8:08d}"
        payload = wire.whatsapp_text("Sampah menumpuk", sender=sender)
        payload["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]["name"] = "Rahasia Sekali"
        meta_post(client, "whatsapp", payload)
        meta_post(client, "whatsapp", wire.whatsapp_text("status lagi", sender=sender))
        runner.drain()
    finally:
        logging.getLogger(ROOT_LOGGER).removeHandler(handler)
    published = json.dumps([m["Body"] for m in receive_all(aws, events)])
    assert "case.received" in published
    for text in (stream.getvalue(), published):
        assert sender not in text and "Rahasia Sekali" not in text


CHANNEL_PAYLOADS = {
    "whatsapp": (
        lambda: wire.whatsapp_text(),
        meta_post,
        lambda p: p["entry"][0]["changes"][0]["value"]["messages"][0]["id"],
    ),
    "facebook": (lambda: wire.messenger(), meta_post, lambda p: p["entry"][0]["messaging"][0]["message"]["mid"]),
    "governor_social": (
        lambda: wire.feed_comment(),
        meta_post,
        lambda p: p["entry"][0]["changes"][0]["value"]["comment_id"],
    ),
    "x": (lambda: wire.x_mention(), x_post, lambda p: p["tweet_create_events"][0]["id_str"]),
}


@pytest.mark.parametrize("channel", sorted(CHANNEL_PAYLOADS))
def test_each_json_channel_dedupes_retries_and_refuses_forgeries(client, dynamodb_calls, channel):
    make, send, message_id = CHANNEL_PAYLOADS[channel]
    payload = make()
    assert send(client, channel, payload).status_code == 200
    assert send(client, channel, payload).status_code == 200  # the provider retries
    code = code_for(channel, message_id(payload))
    assert stored(code).version == 1 and stored(code).channel.value == channel
    forged = make()
    dynamodb_calls.clear()
    assert send(client, channel, forged, secret="forged").status_code == 401
    assert send(client, channel, [1, 2]).status_code == 400
    assert dynamodb_calls == [] and stored(code_for(channel, message_id(forged))) is None
