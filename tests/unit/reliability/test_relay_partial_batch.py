"""The outbox relay reports partial batch failures: a record SNS did not take
never blocks the ones before it, and names itself so the stream retries from
it; a record no retry could read is quarantined and blocks nothing."""

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.case_repository import case_to_item, serialize
from chalicelib.adapters.event_publisher import PublishFailed, SnsEventPublisher
from chalicelib.domain.case import Case
from chalicelib.domain.channels import Channel
from chalicelib.domain.report import build_report
from chalicelib.workers.outbox_relay import relay_records
from tests.support.fakes import FakePublisher, FakeQuarantine, FakeSealer

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def record(sequence, image, event_name="INSERT"):
    return SimpleNamespace(event_name=event_name, new_image=image, old_image=None, sequence_number=sequence)


def case_image(code, events=1):
    report = build_report(
        channel=Channel.JAKI, message_id=code, category="garbage", description="Sampah", reporter={"name": "Siti"}
    )
    case = Case.open(report, code, NOW)
    pending = case.pull_events() * events
    return serialize(case_to_item(case, 1, pending, FakeSealer()))


POISON = serialize({"PK": "CASE#X", "SK": "CASE", "type": "case", "version": 1, "outbox": [{"type": "x"}]})


class PartialPublisher:
    """Publishes the first ``accept`` messages of a call, then fails."""

    def __init__(self, accept):
        self.accept = accept
        self.published = []

    def publish(self, messages):
        self.published.extend(messages[: self.accept])
        if len(messages) > self.accept:
            raise PublishFailed(self.accept, "Throttling")


@pytest.fixture
def quarantine():
    return FakeQuarantine()


@pytest.fixture
def publisher(quarantine):
    fake = FakePublisher()
    bootstrap.override(events=fake, quarantine=quarantine)
    return fake


def codes(messages):
    return [message["tracking_code"] for message in messages]


def test_a_good_batch_reports_no_failures(publisher):
    answer = relay_records([record("1", case_image("A")), record("2", case_image("B"))])
    assert answer == {"batchItemFailures": []}
    assert codes(publisher.published) == ["A", "B"]


def test_a_poisoned_record_is_quarantined_and_the_rest_of_the_batch_goes_out(publisher, quarantine):
    answer = relay_records([record("1", case_image("A")), record("2", POISON), record("3", case_image("C"))])
    # No retry would read it: it does not block the shard.
    assert answer == {"batchItemFailures": []}
    assert codes(publisher.published) == ["A", "C"]
    (poisoned,) = quarantine.quarantined("relay_case_events").values()
    assert poisoned["error"].startswith("Unreadable: unreadable stream record (KeyError)")
    kept = json.loads(poisoned["payload"])  # the record itself, to replay
    assert kept["dynamodb"]["SequenceNumber"] == "2" and kept["dynamodb"]["NewImage"] == POISON


def test_an_unreadable_image_is_quarantined_too(publisher, quarantine):
    broken = {"PK": {"S": "CASE#Y"}, "version": {"XX": "1"}}  # a type the deserializer does not know
    answer = relay_records([record("1", case_image("A")), record("2", broken), record("3", case_image("C"))])
    assert answer == {"batchItemFailures": []}
    assert codes(publisher.published) == ["A", "C"]
    assert set(quarantine.quarantined("relay_case_events")) == {("relay_case_events", "2")}


def test_a_poisoned_record_that_cannot_be_quarantined_is_reported_and_the_ones_before_it_go_out(publisher, quarantine):
    quarantine.fail_writes = True
    answer = relay_records([record("1", case_image("A")), record("2", POISON), record("3", case_image("C"))])
    assert answer == {"batchItemFailures": [{"itemIdentifier": "2"}]}
    # Stop there: C is not sent now (it is retried after 2, keeping each case's events in stream order).
    assert codes(publisher.published) == ["A"]


def test_a_publish_failure_names_the_first_record_not_fully_published():
    partial = PartialPublisher(accept=3)
    bootstrap.override(events=partial, quarantine=FakeQuarantine())
    records = [
        record("1", case_image("A", events=2)),
        record("2", case_image("B", events=2)),
        record("3", case_image("C")),
    ]
    answer = relay_records(records)
    # A's two messages went out, then B's first: B is retried (its repeat is dropped by id).
    assert answer == {"batchItemFailures": [{"itemIdentifier": "2"}]}
    assert codes(partial.published) == ["A", "A", "B"]


def test_an_unexpected_publisher_error_fails_from_the_first_record_with_messages():
    failing = FakePublisher(fail_next=1)
    bootstrap.override(events=failing, quarantine=FakeQuarantine())
    answer = relay_records([record("1", case_image("A")), record("2", case_image("B"))])
    assert answer == {"batchItemFailures": [{"itemIdentifier": "1"}]}


def test_records_without_events_never_fail(publisher):
    removed = record("1", None, event_name="REMOVE")
    assert relay_records([removed, record("2", case_image("A"))]) == {"batchItemFailures": []}


class StubSns:
    def __init__(self, failed_ids):
        self.failed_ids = failed_ids
        self.calls = []

    def publish_batch(self, TopicArn, PublishBatchRequestEntries):  # noqa: N803 - boto3's names
        self.calls.append([entry["Id"] for entry in PublishBatchRequestEntries])
        failed = [
            {"Id": i, "Code": "InternalError", "SenderFault": False} for i in self.failed_ids if len(self.calls) == 2
        ]
        return {"Successful": [], "Failed": failed}


def test_sns_partial_failures_say_how_far_publishing_got(monkeypatch):
    stub = StubSns(["m3", "m7"])
    from chalicelib.adapters import aws

    monkeypatch.setattr(aws, "client", lambda service: stub)
    messages = [{"type": "case.received", "case": {}} for _ in range(25)]
    with pytest.raises(PublishFailed) as failed:
        SnsEventPublisher("arn:aws:sns:ap-southeast-3:1:t").publish(messages)
    assert failed.value.published == 13  # all of the first batch of ten, then m0..m2 of the second
    assert len(stub.calls) == 2  # the third batch is not attempted
