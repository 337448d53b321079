"""Correlation ids and the per-invocation log fields (logs.py, services/batch.py, workers/sqs.py).

Every line carries function name, request id, cold start and correlation id; each
item of a batch is logged under its own correlation id (the one its message carries,
else one named after the invocation), cleared after it; what a write records carries
the id of the work that made it, on to SNS and SQS."""

import json

import pytest
from chalice import Chalice
from chalice.test import Client

from chalicelib import bootstrap, config, logs
from chalicelib.adapters.case_repository import case_to_item
from chalicelib.adapters.event_publisher import _attributes
from chalicelib.api.http import correlation_middleware
from chalicelib.domain import tracking
from chalicelib.domain.case import Case
from chalicelib.domain.channels import Channel
from chalicelib.domain.events import CaseAssigned, CaseReceived, Envelope
from chalicelib.domain.report import build_report
from chalicelib.services import routing
from chalicelib.services.batch import Batch
from chalicelib.workers.sqs import correlation_of
from tests.support.event_messages import envelope, example
from tests.support.fakes import (
    FakeCaseQueries,
    FakeCaseRepository,
    FakeDuplicateIndex,
    FakeMetricsStore,
    FakeQuarantine,
    FakeRoutingStore,
    FakeSealer,
    FixedClock,
)
from tests.support.log_lines import captured_lines

log = logs.get_logger("tests.correlation")
MONAS = {"lat": -6.1754, "lng": 106.8272}  # kelurahan Gambir


def batch(**options):
    return Batch(source="test", store=FakeQuarantine(), clock=FixedClock(), bound=3, **options)


def handled(item):
    log.info("handled", extra={"item": item})
    if item == "bad":
        raise RuntimeError("cannot")
    return item


def by_item(lines):
    return {line["item"]: line for line in lines if line.get("message") == "handled"}


# --- the batch primitive: one id per item, cleared after it --------------------------------


def test_each_item_is_logged_under_its_own_id_and_the_next_never_inherits_it():
    own = {"a": "trace-a", "c": "trace-c"}
    with captured_lines() as lines, logs.bound(correlation_id="run-1"):
        batch(correlation=own.get).run(["a", "b", "c", "d"], handled)
        assert logs.correlation_id() == "run-1"  # the invocation's, again, after the run
    seen = {item: line["correlation_id"] for item, line in by_item(lines()).items()}
    # b and d carry none: named after the invocation and their place, never a's or c's.
    assert seen == {"a": "trace-a", "b": "run-1.2", "c": "trace-c", "d": "run-1.4"}


def test_a_failing_items_failure_line_carries_its_id_and_the_next_item_does_not():
    own = {"bad": "trace-bad"}
    with captured_lines() as lines, logs.bound(correlation_id="run-2"):
        outcome = batch(correlation=own.get, key=str).run(["bad", "good"], handled)
    assert outcome.failed == ["bad"] and outcome.results == ["good"]
    failure = next(line for line in lines() if line["message"].startswith("batch item failed"))
    assert failure["correlation_id"] == "trace-bad" and failure["key"] == "bad"
    assert by_item(lines())["good"]["correlation_id"] == "run-2.2"


def test_an_id_that_is_malformed_or_cannot_be_read_is_replaced_not_logged():
    def unreadable(item):
        raise KeyError(item)

    malformed = {"a": "has spaces", "b": "x" * 101, "c": "ok:1"}
    with captured_lines() as lines, logs.bound(correlation_id="run-3"):
        batch(correlation=malformed.get).run(["a", "b", "c"], handled)
        batch(correlation=unreadable).run(["d"], handled)
    seen = {item: line["correlation_id"] for item, line in by_item(lines()).items()}
    assert seen == {"a": "run-3.1", "b": "run-3.2", "c": "ok:1", "d": "run-3.1"}


def test_a_long_invocation_id_still_names_its_items_within_the_limit():
    with captured_lines() as lines, logs.bound(correlation_id="r" * 100):
        batch().run(["a"], handled)
    (line,) = lines()
    assert line["correlation_id"] == "r" * 98 + ".1"  # its end: the number stays


def test_outside_any_invocation_each_item_still_gets_one():
    with captured_lines() as lines:
        batch().run(["a", "b"], handled)
    first, second = (line["correlation_id"] for line in lines())
    assert first.endswith(".1") and second.endswith(".2") and first[:-2] == second[:-2]
    assert logs.correlation_id() is None


# --- what an SQS message carries ---------------------------------------------------------


def sqs_record(body, attributes=None):
    record = {"messageId": "m-1", "body": body, "attributes": {"ApproximateReceiveCount": "1"}}
    if attributes is not None:
        record["messageAttributes"] = attributes
    return record


def test_the_message_attribute_of_raw_delivery_wins():
    record = sqs_record(
        json.dumps({"correlation_id": "from-body"}),
        {"correlation_id": {"stringValue": "from-attribute", "dataType": "String"}},
    )
    assert correlation_of(record) == "from-attribute"


def test_the_sns_envelopes_attribute_when_raw_delivery_is_off():
    envelope_body = {
        "Type": "Notification",
        "Message": json.dumps({"correlation_id": "inner"}),
        "MessageAttributes": {"correlation_id": {"Type": "String", "Value": "outer"}},
    }
    assert correlation_of(sqs_record(json.dumps(envelope_body))) == "outer"
    del envelope_body["MessageAttributes"]
    assert correlation_of(sqs_record(json.dumps(envelope_body))) == "inner"


def test_a_replayed_body_keeps_the_events_own_id():
    message = envelope(example(CaseReceived)).to_message()
    assert correlation_of(sqs_record(json.dumps({**message, "correlation_id": "replayed"}))) == "replayed"


@pytest.mark.parametrize(
    "record",
    [
        sqs_record("{not json"),
        sqs_record(json.dumps(["a list"])),
        sqs_record(json.dumps({"correlation_id": 42})),
        sqs_record(json.dumps({"correlation_id": "new\nline"})),
        sqs_record(json.dumps({"Type": "Notification", "Message": "{not json"})),
        sqs_record("{}", {"correlation_id": {"stringValue": "x" * 101}}),
        sqs_record("{}", {"correlation_id": "not a map"}),
        {"messageId": "no body"},
    ],
)
def test_no_id_or_a_malformed_one_is_none(record):
    assert correlation_of(record) is None


# --- the write side: outbox, SNS attribute, envelope --------------------------------------


def new_case(n=1):
    report = build_report(
        channel=Channel.WHATSAPP,
        message_id=f"wamid.{n}",
        category="garbage",
        description="Sampah menumpuk",
        location=MONAS,
        reply_handle={"channel": Channel.WHATSAPP, "kind": "whatsapp", "address": f"62812000{n}", "via": "1065"},
    )
    return Case.open(report, tracking.derive_code(b"k", "whatsapp", f"wamid.{n}"), FixedClock()())


def test_the_outbox_records_carry_the_id_of_the_work_that_raised_them():
    case = new_case()
    events = case.pull_events()
    with logs.bound(correlation_id="trace-api-1"):
        stamped = case_to_item(case, 1, events, FakeSealer())["outbox"]
    assert stamped and all(record["correlation_id"] == "trace-api-1" for record in stamped)
    assert all("correlation_id" not in record for record in case_to_item(case, 1, events, FakeSealer())["outbox"])


def test_the_relay_sends_it_as_a_message_attribute_and_in_the_body():
    message = {**envelope(example(CaseReceived), channel="jaki").to_message(), "correlation_id": "trace-api-2"}
    assert _attributes(message)["correlation_id"] == {"DataType": "String", "StringValue": "trace-api-2"}
    assert Envelope.from_message(message).correlation_id == "trace-api-2"
    assert "correlation_id" not in _attributes(envelope(example(CaseReceived)).to_message())


@pytest.mark.parametrize("value", [None, 42, "", "x" * 101])
def test_a_message_with_no_usable_id_reads_the_same(value):
    message = envelope(example(CaseReceived)).to_message()
    read = Envelope.from_message({**message, "correlation_id": value})
    assert read.correlation_id is None and read == Envelope.from_message(message)
    assert "correlation_id" not in read.to_message()


# --- a worker: each message's lines, and what its handling writes -------------------------


@pytest.fixture
def followups(monkeypatch):
    monkeypatch.setenv("CRM_STAGE", "local")
    config.reset()
    routing.forget_cached_rules()
    cases = FakeCaseRepository()
    app = bootstrap.override(
        cases=cases,
        queries=FakeCaseQueries(cases),
        duplicate_index=FakeDuplicateIndex(cases),
        routing=FakeRoutingStore(),
        metrics=FakeMetricsStore(),
        clock=FixedClock(),
        quarantine=FakeQuarantine(),
    )
    yield app
    routing.forget_cached_rules()


def test_the_routing_worker_logs_and_writes_under_each_messages_own_id(followups):
    from chalicelib.workers.followups import handle_batch

    codes = []
    for n in (1, 2):
        case = new_case(n)
        followups.cases.add(case)
        codes.append(case.tracking_code)
    first = envelope(example(CaseReceived), codes[0], version=1, channel="whatsapp", category="garbage")
    second = envelope(example(CaseReceived), codes[1], version=1, channel="whatsapp", category="garbage")
    records = [
        sqs_record(json.dumps(first.to_message()), {"correlation_id": {"stringValue": "trace-first"}}),
        {**sqs_record(json.dumps(second.to_message())), "messageId": "m-2"},
    ]
    with captured_lines() as lines, logs.bound(correlation_id="invocation-9"):
        assert handle_batch(records) == {"batchItemFailures": []}
    routed = [line for line in lines() if line["message"] == "case routed"]
    assert [line["correlation_id"] for line in routed] == ["trace-first", "invocation-9.2"]
    # What routing wrote goes on under the same id: the assignment the replies worker gets.
    for code, expected in zip(codes, ("trace-first", "invocation-9.2"), strict=True):
        outbox = followups.cases.items[code]["outbox"]
        assert {record["type"] for record in outbox} >= {CaseAssigned.type}
        assert {record["correlation_id"] for record in outbox} == {expected}


# --- the invocation's fields: function name, request id, cold start --------------------------


@pytest.fixture
def tiny_app(monkeypatch):
    """A Chalice app with the two middlewares app.py registers, and handlers that log."""
    monkeypatch.setattr(logs, "_cold_start", True)  # this process's first invocation, again
    app = Chalice(app_name="tiny")
    app.register_middleware(logs.invocation_middleware, "all")
    app.register_middleware(correlation_middleware, "http")

    @app.route("/ping")
    def ping():
        log.info("ping")
        return {}

    @app.on_sqs_message(queue="q")
    def worker(event):
        for record in event:
            log.info("message", extra={"body": record.body})

    @app.schedule("rate(5 minutes)")
    def job(event):
        log.info("run")

    with Client(app) as client:
        yield client


def test_every_line_carries_function_request_and_cold_start_and_they_are_cleared(tiny_app):
    with captured_lines() as lines:
        tiny_app.lambda_.invoke("worker", tiny_app.events.generate_sqs_event(["one"], "q"))
        assert logs.current("function_name") is None and logs.current("request_id") is None
        tiny_app.lambda_.invoke("worker", tiny_app.events.generate_sqs_event(["two"], "q"))
    first, second = lines()
    assert first["function_name"] == second["function_name"] == "worker"
    assert first["cold_start"] is True and second["cold_start"] is False
    assert first["request_id"] and second["request_id"] and first["request_id"] != second["request_id"]
    # Lines outside a message's handling carry the invocation's own id.
    assert first["correlation_id"] == first["request_id"]


def test_each_scheduled_run_gets_a_fresh_id(tiny_app):
    event = tiny_app.events.generate_cw_event("aws.events", "Scheduled Event", {}, [])
    with captured_lines() as lines:
        tiny_app.lambda_.invoke("job", event)
        tiny_app.lambda_.invoke("job", event)
    first, second = lines()
    assert first["correlation_id"] != second["correlation_id"]
    assert first["correlation_id"] == first["request_id"]


def test_an_api_request_keeps_the_headers_id_beside_the_invocation_fields(tiny_app):
    with captured_lines() as lines:
        response = tiny_app.http.get("/ping", headers={"X-Correlation-Id": "trace-http-1"})
    assert response.headers["X-Correlation-Id"] == "trace-http-1"
    (line,) = lines()
    assert line["correlation_id"] == "trace-http-1" and line["cold_start"] is True
    assert line["function_name"] == "api_handler" and line["request_id"]


def test_the_app_registers_the_invocation_middleware_for_every_event_type():
    import app

    assert (logs.invocation_middleware, "all") in app.app.middleware_handlers
