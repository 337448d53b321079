"""Privacy of reporters, checked by planting their details and searching for them.

For every webhook channel, one named and one anonymous report carry marker
details (a name, a phone number and an e-mail address made for this run) and
a photo full of metadata. Then every place the system writes or answers is
searched for the markers:

    the raw table items (any written)   S3 objects and their metadata
    SNS messages                        every public route (tests/support/routes.py)
    the answers to the partner          the logs (the API's and the relay's)

Named reports keep the contact -- sealed, so it is not in the items either --
and anonymous ones store none at all. Public photos carry no EXIF, GPS, XMP,
ICC profile or comment.
"""

from __future__ import annotations

import io
import json
import logging
import random

import pytest
import requests
from PIL import Image

from chalicelib.adapters.sealing import TOKEN_PREFIX
from tests.support.artifacts import artifact
from tests.support.images import jpeg_with_metadata, metadata_leaks
from tests.support.routes import PUBLIC, ROUTES, Planted, routes_with
from tests.support.webhooks import MESSAGING_PROFILES, PARTNER_PROFILES, PROFILES, Report, send, unique_id


class Run:
    def __init__(self):
        from datetime import UTC, datetime

        from chalicelib.domain.clock import to_utc_text

        self.started = to_utc_text(datetime.now(UTC))
        self.id = unique_id("PII")
        digits = f"{random.Random(self.id).randrange(10**7, 10**8)}"
        self.name = f"Penanda Rahasia {self.id}"
        self.phone = f"+62812{digits}"
        self.email = f"penanda.{self.id.lower()}@example.com"
        # Searched for: the name, the phone's digits in any format, the e-mail.
        self.markers = (self.name, f"812{digits}", self.email)
        self.cases: list[tuple[str, bool, Planted]] = []  # (channel, anonymous, case): partner apps
        self.messaging: list[tuple[str, Planted]] = []  # (channel, case): one per messaging channel
        self.answers = []

    def leaks(self, text: str | bytes) -> list[str]:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        return [marker for marker in self.markers if marker.lower() in text.lower()]


@pytest.fixture(scope="module")
def planted(stack, code_key):
    from chalicelib.domain.request_ids import public_id

    run = Run()
    photo = jpeg_with_metadata(160, 120)
    for channel, profile in PARTNER_PROFILES.items():
        for anonymous in (False, True):
            report = Report(
                message_id=f"{run.id}-{channel}-{'anon' if anonymous else 'named'}",
                description="Pohon tumbang menutup trotoar di depan pasar",
                # Dinas Pertamanan: out of the queues the lifecycle tests read, and a public
                # category (whistleblower categories start confidential: nothing public to probe).
                category="fallen_tree",
                reporter={"name": run.name, "phone": run.phone, "email": run.email},
                anonymous=anonymous,
                photos=(photo,),
            )
            answer = send(stack.api_url, profile.delivery(report))
            assert answer.status == 201, answer.body
            run.answers.append(answer)
            code = answer.json()["tracking_code"]
            run.cases.append((channel, anonymous, Planted(code, ("p1",), run.markers, public_id(code, code_key))))
    # Messaging channels: the sender's number (and WhatsApp profile name) is
    # all they know of a reporter; no photos (those are provider links).
    for channel, profile in MESSAGING_PROFILES.items():
        report = Report(
            message_id=f"{run.id}-{channel}",
            description="Pohon tumbang menutup trotoar di depan pasar",
            reporter={"name": run.name, "phone": run.phone},
        )
        answer = send(stack.api_url, profile.delivery(report))
        assert answer.status == 200, answer.body
        run.answers.append(answer)
        code = profile.tracking_code(report, answer, code_key)
        run.messaging.append((channel, Planted(code, (), run.markers, public_id(code, code_key))))
    return run


def written_since(stack, aws, started):
    """Every item written since the run started: all items of any other type, and
    the case items changed since (older cases cannot hold this run's markers)."""
    pages = (
        aws("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=stack.env["CASES_TABLE"],
            FilterExpression="NOT (#type = :case AND updated_at < :started)",
            ExpressionAttributeNames={"#type": "type"},
            ExpressionAttributeValues={":case": {"S": "case"}, ":started": {"S": started}},
        )
    )
    return [item for page in pages for item in page["Items"]]


def item_of(stack, aws, code):
    return aws("dynamodb").get_item(
        TableName=stack.env["CASES_TABLE"], Key={"PK": {"S": f"CASE#{code}"}, "SK": {"S": "CASE"}}
    )["Item"]


def test_no_table_item_holds_a_reporter_detail(stack, aws, planted):
    everything = written_since(stack, aws, planted.started)
    assert {f"CASE#{case.tracking_code}" for _, _, case in planted.cases} <= {item["PK"]["S"] for item in everything}
    assert planted.leaks(json.dumps(everything)) == []
    for _, anonymous, case in planted.cases:
        item = item_of(stack, aws, case.tracking_code)
        if anonymous:
            assert "reporter" not in item  # not even sealed: nothing is kept
        else:
            assert item["reporter"]["S"].startswith(TOKEN_PREFIX + ".")  # kept, sealed
    for _, case in planted.messaging:  # the sender's number: in the contact and the reply handle, both sealed
        item = item_of(stack, aws, case.tracking_code)
        assert item["reply_handle"]["S"].startswith(TOKEN_PREFIX + "."), item.get("reply_handle")
    senders = [item for item in everything if item["PK"]["S"].startswith("SENDER#")]
    assert len(senders) >= len(planted.messaging)  # conversation state: keyed by a keyed hash, handle sealed
    assert all(item["reply_handle"]["S"].startswith(TOKEN_PREFIX + ".") for item in senders)


def test_the_sealed_contact_opens_to_the_details_for_the_reply_path(app_env, planted):
    from chalicelib.adapters.sender_state import sender_key
    from chalicelib.bootstrap import services

    app = services()
    cases = app.cases
    for _, case in planted.messaging:
        stored = cases.get(case.tracking_code)
        assert planted.leaks(repr(stored)) == []
        handle = cases.open_sealed(stored, "reply_handle").reply_handle
        assert planted.markers[1] in handle.address or handle.kind in ("messenger", "x_dm")
        assert app.senders.reply_handle(sender_key(app.settings.tracking_code_key, handle)) == handle
    for _, anonymous, case in planted.cases:
        stored = cases.get(case.tracking_code)
        opened = cases.open_sealed(stored)
        if anonymous:
            assert stored.reporter is None and opened.reporter is None
        else:
            assert "Sealed" in repr(stored.reporter) and planted.leaks(repr(stored)) == []
            assert (opened.reporter.name, opened.reporter.phone, opened.reporter.email) == (
                planted.name,
                planted.phone,
                planted.email,
            )


def test_s3_objects_and_their_metadata_hold_no_reporter_detail(stack, aws, planted):
    s3 = aws("s3")
    bucket = stack.env["PHOTOS_BUCKET"]
    seen = 0
    for _, _, case in planted.cases:
        for prefix in ("originals", "public"):
            listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/{case.tracking_code}/").get("Contents", [])
            assert listed, f"no {prefix} photo for {case.tracking_code}"
            for entry in listed:
                obj = s3.get_object(Bucket=bucket, Key=entry["Key"])
                body = obj["Body"].read()
                described = json.dumps({k: v for k, v in obj.items() if k != "Body"}, default=str)
                assert planted.leaks(body) == [] and planted.leaks(described) == []
                assert planted.leaks(entry["Key"]) == []
                assert obj.get("Metadata", {}) == {}
                seen += 1
    assert seen == 2 * len(planted.cases)


@pytest.fixture
def relay(app_env, stack):
    """The event runner feeding only the outbox relay (not the workers behind SNS)."""
    import app
    from infra.local.event_runner import EventRunner

    runner = EventRunner(
        app,
        stack.aws_endpoint,
        stack.env["AWS_REGION"],
        run_schedules=False,
        start_streams_at="LATEST",
        only={"relay_case_events"},
    )
    runner.drain()
    return runner


def test_sns_messages_and_relay_logs_carry_no_reporter_detail(stack, aws, planted, relay, caplog):
    sqs, sns = aws("sqs"), aws("sns")
    url = sqs.create_queue(QueueName=f"privacy-{planted.id}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=stack.env["EVENTS_TOPIC_ARN"], Protocol="sqs", Endpoint=arn)
    # The runner starts after the planted cases were written (it skips old records):
    # change each case once more (a save writes its sealed contact back as is).
    from chalicelib.bootstrap import services
    from chalicelib.domain.events import CaseReceived

    cases = services().cases
    for _, anonymous, case in planted.cases:
        token = None if anonymous else item_of(stack, aws, case.tracking_code)["reporter"]["S"]
        stored = cases.get(case.tracking_code)
        stored.record(
            CaseReceived(occurred_at=stored.updated_at, channel=stored.channel.value, category=stored.category)
        )
        cases.save(stored)
        assert item_of(stack, aws, case.tracking_code).get("reporter", {}).get("S") == token
    with caplog.at_level(logging.DEBUG):
        relay.drain()
    messages = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
        if not batch.get("Messages"):
            break
        messages.extend(batch["Messages"])
    relayed = {json.loads(json.loads(m["Body"])["Message"])["tracking_code"] for m in messages}
    assert {case.tracking_code for _, _, case in planted.cases} <= relayed
    assert planted.leaks(json.dumps(messages)) == []
    assert TOKEN_PREFIX + "." not in json.dumps(messages)
    assert planted.leaks(caplog.text) == []


def fetch(stack, probe):
    response = requests.request(
        probe.method,
        stack.api_url + probe.path,
        headers=probe.headers,
        json=probe.json,
        timeout=10,
        allow_redirects=False,
    )
    answers = [response]
    if probe.follow_redirect:
        assert response.status_code == 302, (probe.path, response.status_code)
        answers.append(requests.get(response.headers["Location"], timeout=10))
    return answers


def test_no_public_route_answers_a_reporter_detail(stack, planted):
    probed = {route: 0 for route in routes_with(PUBLIC)}
    images = []
    everyone = [case for _, _, case in planted.cases] + [case for _, case in planted.messaging]
    for route in routes_with(PUBLIC):
        for case in everyone:
            for probe in ROUTES[route].probes(case):
                for response in fetch(stack, probe):
                    assert response.status_code < 500, (probe.path, response.status_code)
                    headers = json.dumps(dict(response.headers))
                    assert planted.leaks(response.content) == [] and planted.leaks(headers) == [], probe.path
                    assert TOKEN_PREFIX.encode() + b"." not in response.content
                    if probe.follow_redirect and response.headers.get("Content-Type", "").startswith("image/"):
                        images.append(response.content)
                probed[route] += 1
    assert all(probed.values()), probed
    assert len(images) == 2 * len(planted.cases)  # /status/.../photos and Open311 media
    for served in images:
        assert metadata_leaks(served) == []
        with Image.open(io.BytesIO(served)) as image:
            assert not image.getexif() and not image.info.get("icc_profile") and not image.info.get("xmp")
            assert not image.info.get("comment") and not image.getexif().get_ifd(0x8825)  # GPS


def test_answers_to_the_partner_carry_no_reporter_detail(planted):
    for answer in planted.answers:
        assert planted.leaks(answer.body) == [] and planted.leaks(json.dumps(answer.headers)) == []


def test_invalid_reports_are_refused_without_echoing_the_details(stack, planted):
    profile = PROFILES["jaki"]
    bad = Report(
        unique_id("PII-BAD"),
        reporter={"name": planted.name, "phone": "12" + planted.markers[1], "email": planted.email.replace("@", "@@")},
    )
    answer = send(stack.api_url, profile.delivery(bad))
    assert answer.status == 422
    assert {detail["field"] for detail in answer.json()["error"]["details"]} == {"reporter.phone", "reporter.email"}
    assert planted.leaks(answer.body) == []


def test_the_api_logs_carry_no_reporter_detail(stack, planted):
    # chalice local's output: every JSON log line the API wrote during this session.
    written = artifact("integration-stack.log").read_text()
    assert any(case.request_id in written for _, _, case in planted.cases), "the planted requests were not logged"
    assert planted.leaks(written) == []


def test_in_process_logs_carry_no_reporter_detail(client, planted, code_key):
    import logging as stdlib_logging

    from chalicelib.logs import ROOT_LOGGER, JsonFormatter

    stream = io.StringIO()
    handler = stdlib_logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = stdlib_logging.getLogger(ROOT_LOGGER)
    logger.addHandler(handler)
    try:
        for channel, profile in PROFILES.items():
            for anonymous in (False, True) if not profile.messaging else (False,):
                report = Report(
                    f"{planted.id}-inproc-{channel}-{anonymous}",
                    anonymous=anonymous,
                    category="fallen_tree",
                    reporter={"name": planted.name, "phone": planted.phone, "email": planted.email},
                )
                answer = send(client, profile.delivery(report))
                assert answer.status == profile.created_status
                assert send(client, profile.delivery(report)).status == 200  # the repeat is logged too
                client.http.get(f"/status/{profile.tracking_code(report, answer, code_key)}")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "case opened" in text and "repeated delivery" in text
    assert planted.leaks(text) == []
