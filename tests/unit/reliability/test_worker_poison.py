"""One poisoned message in each SQS worker (on fakes): the others go through,
the poison fails until its last receive before the queue's redrive and is then
quarantined -- deleted from the queue, kept with its body for a replay -- and a
message that cannot be parsed is quarantined at its first receive.

SQS is played by ``deliver``: every receive hands the worker the messages still
on the queue, with their ApproximateReceiveCount, and deletes what succeeded."""

import json

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.http_client import ProviderUnavailable
from chalicelib.domain import tracking
from chalicelib.domain.case import Case
from chalicelib.domain.channels import Channel
from chalicelib.domain.events import CaseAssigned, CaseReceived, PhotoPending
from chalicelib.domain.report import build_report
from chalicelib.services import alerts
from chalicelib.services.alert_models import AlertSubscribeCommand
from chalicelib.services.batch import SQS_MAX_RECEIVES
from tests.support.alert_fakes import FakeAlertStore, RecordingSender
from tests.support.event_messages import envelope, example
from tests.support.fakes import (
    FakeCaseQueries,
    FakeCaseRepository,
    FakeDuplicateIndex,
    FakeMailer,
    FakeMetricsStore,
    FakeNotificationStore,
    FakePhotoStore,
    FakeQuarantine,
    FakeReplyLedger,
    FakeReplySender,
    FakeRoutingStore,
    FakeSenderRepository,
    FixedClock,
)
from tests.support.images import jpeg_with_metadata

MONAS = {"lat": -6.1754, "lng": 106.8272}  # kelurahan Gambir (31.71.01.1001)


class PoisonedCases(FakeCaseRepository):
    """A repository that cannot read some cases (what a malformed item does to a worker)."""

    def __init__(self):
        super().__init__()
        self.poisoned: set[str] = set()

    def get(self, tracking_code):
        if tracking_code in self.poisoned:
            raise RuntimeError("this case cannot be read")
        return super().get(tracking_code)


@pytest.fixture(autouse=True)
def local_stage(monkeypatch):
    monkeypatch.setenv("CRM_STAGE", "local")  # the development tracking-code key
    bootstrap.reset()


@pytest.fixture
def world():
    cases, clock, quarantine = PoisonedCases(), FixedClock(), FakeQuarantine()
    app = bootstrap.override(
        cases=cases,
        queries=FakeCaseQueries(cases),
        duplicate_index=FakeDuplicateIndex(cases),
        routing=FakeRoutingStore(),
        metrics=FakeMetricsStore(),
        notifications=FakeNotificationStore(),
        mailer=FakeMailer(),
        photos=FakePhotoStore(),
        senders=FakeSenderRepository(),
        replies=FakeReplyLedger(),
        outbound=FakeReplySender(),
        clock=clock,
        quarantine=quarantine,
    )
    return app


def open_case(app, n, **report):
    code = tracking.derive_code(b"k", "whatsapp", f"wamid.{n}")
    fields = {
        "channel": Channel.WHATSAPP,
        "message_id": f"wamid.{n}",
        "category": "garbage",
        "description": "Sampah menumpuk",
        "location": MONAS,
        "reply_handle": {"channel": Channel.WHATSAPP, "kind": "whatsapp", "address": f"62812000{n}", "via": "1065"},
        **report,
    }
    app.cases.add(Case.open(build_report(**fields), code, app.clock()))
    return code


def event(code, cls=CaseReceived, n=0, data=None, **fields):
    """The SQS body of a relayed ``cls`` event on case ``code`` (``fields``: wire fields to override)."""
    facts = {"channel": "whatsapp", "category": "garbage", "agency_id": "dinas-lh", "status": "assigned"}
    message = envelope(example(cls, **(data or {})), code, version=1, index=n, **facts).to_message()
    return json.dumps({**message, **fields})


class PoisonedMetrics(FakeMetricsStore):
    """Counters that fail for some events (a bug that bites one event, until it is fixed)."""

    def __init__(self, poisoned):
        super().__init__()
        self.poisoned = set(poisoned)

    def apply(self, contribution, event_id):
        if event_id in self.poisoned:
            raise RuntimeError("a bug in the counters")
        return super().apply(contribution, event_id)


class PoisonedInboxes(FakeNotificationStore):
    def __init__(self, poisoned):
        super().__init__()
        self.poisoned = set(poisoned)

    def add(self, inbox, event_id, occurred_at, entry, now):
        if event_id in self.poisoned:
            raise RuntimeError("a bug in the inbox")
        return super().add(inbox, event_id, occurred_at, entry, now)


def assert_malformed_event_is_quarantined_at_once(app, handler, source, body):
    """An event message that parses as JSON but is not a valid event: no retry reads it."""
    failures, waiting = deliver(handler, {"malformed": body})
    assert failures == [set()] and waiting == {}
    record = app.quarantine.items[(source, "malformed")]
    assert record["attempts"] == 1 and record["payload"] == body
    assert record["error"].startswith("Unreadable")


def deliver(handler, bodies):
    """SQS until the queue is empty or the redrive would take the rest: the failures of each receive."""
    waiting = dict(bodies)
    failures = []
    for receive in range(1, SQS_MAX_RECEIVES + 1):
        if not waiting:
            break
        records = [
            {
                "messageId": message_id,
                "receiptHandle": f"rh-{message_id}-{receive}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": str(receive)},
            }
            for message_id, body in waiting.items()
        ]
        failed = {failure["itemIdentifier"] for failure in handler(records)["batchItemFailures"]}
        assert failed <= set(waiting)
        failures.append(failed)
        waiting = {message_id: body for message_id, body in waiting.items() if message_id in failed}
    return failures, waiting


def assert_quarantined_after_the_bound(app, source, failures, waiting, bodies, poison="poison"):
    assert failures == [{poison}] * (SQS_MAX_RECEIVES - 1) + [set()]  # retried alone, then quarantined
    assert waiting == {}  # deleted from the queue: nothing reaches the dead-letter queue
    record = app.quarantine.items[(source, poison)]
    assert record["state"] == "quarantined" and record["attempts"] == SQS_MAX_RECEIVES
    assert record["payload"] == bodies[poison]  # the body as it was on the queue: enough to replay
    assert set(app.quarantine.quarantined()) == {(source, poison)}


def assert_unparseable_is_quarantined_at_once(app, handler, source):
    failures, waiting = deliver(handler, {"garbled": "{not json"})
    assert failures == [set()] and waiting == {}
    record = app.quarantine.items[(source, "garbled")]
    assert record["attempts"] == 1 and record["payload"] == "{not json"
    assert record["error"].startswith("Unreadable")


def test_case_followups(world):
    from chalicelib.workers.followups import handle_batch

    good = [open_case(world, n) for n in (1, 2)]
    bad = open_case(world, 3)
    world.cases.poisoned.add(bad)
    bodies = {"good-1": event(good[0]), "poison": event(bad), "good-2": event(good[1])}
    failures, waiting = deliver(handle_batch, bodies)
    assert all(world.cases.get(code).routed for code in good)
    assert_quarantined_after_the_bound(world, "case_followups", failures, waiting, bodies)
    assert_unparseable_is_quarantined_at_once(world, handle_batch, "case_followups")


def test_agency_metrics(world):
    from chalicelib.workers.metrics import handle_batch

    bootstrap.override(metrics=PoisonedMetrics({"B:1:0"}))
    assigned = {"cls": CaseAssigned, "data": {"agency_id": "dinas-lh"}}
    bodies = {
        "good-1": event("A", **assigned),
        "poison": event("B", **assigned),
        "good-2": event("C", **assigned),
    }
    failures, waiting = deliver(handle_batch, bodies)
    (counters,) = bootstrap.services().metrics.days.values()
    assert counters["received"] == 2
    assert_quarantined_after_the_bound(world, "agency_metrics", failures, waiting, bodies)
    assert_unparseable_is_quarantined_at_once(world, handle_batch, "agency_metrics")
    no_time = event("D", **assigned, occurred_at=None)  # no day to count it on
    assert_malformed_event_is_quarantined_at_once(world, handle_batch, "agency_metrics", no_time)


def test_officer_notifications(world):
    from chalicelib.workers.notifications import handle_batch

    inboxes = PoisonedInboxes({"B:1:0"})
    bootstrap.override(notifications=inboxes)
    assigned = {"cls": CaseAssigned, "data": {"agency_id": "dinas-lh"}}
    bodies = {
        "good-1": event("A", **assigned),
        "poison": event("B", **assigned),
        "good-2": event("C", **assigned),
    }
    failures, waiting = deliver(handle_batch, bodies)
    assert len(inboxes.entries) == 2
    assert_quarantined_after_the_bound(world, "officer_notifications", failures, waiting, bodies)
    assert_unparseable_is_quarantined_at_once(world, handle_batch, "officer_notifications")
    no_agency = json.loads(event("D", **assigned))
    del no_agency["data"]["agency_id"]  # no agency to tell
    assert_malformed_event_is_quarantined_at_once(world, handle_batch, "officer_notifications", json.dumps(no_agency))


def test_collect_alerts(world, monkeypatch):
    from chalicelib.workers import alerts as worker

    sender, store = RecordingSender(), FakeAlertStore()
    ctx = alerts.Context(store=store, key=world.settings.tracking_code_key, base_url="https://crm.x", sender_for=sender)
    bootstrap.override(alerts=ctx)
    answer = alerts.subscribe(
        AlertSubscribeCommand(channel="email", address="warga@example.com", kelurahan="31.71.01.1001"),
        ctx,
        world.clock(),
        lambda code: True,
    )
    alerts.confirm_with_code(answer["subscription_id"], sender.sent[-1][1].split(": ")[1][:6], ctx)
    good = [open_case(world, n) for n in (1, 2)]
    bad = open_case(world, 3)
    world.cases.poisoned.add(bad)
    bodies = {"good-1": event(good[0]), "poison": event(bad), "good-2": event(good[1])}
    failures, waiting = deliver(worker.collect_batch, bodies)
    assert len(store.entries_of[answer["subscription_id"]]) == 2
    assert_quarantined_after_the_bound(world, "collect_alerts", failures, waiting, bodies)
    assert_unparseable_is_quarantined_at_once(world, worker.collect_batch, "collect_alerts")


def test_send_replies(world):
    from chalicelib.workers.replies import send_replies

    good = [open_case(world, n) for n in (1, 2)]
    bad = open_case(world, 3)
    world.cases.poisoned.add(bad)
    bodies = {"good-1": event(good[0]), "poison": event(bad), "good-2": event(good[1])}
    failures, waiting = deliver(send_replies, bodies)
    assert sorted(code for _, _, code, _ in world.outbound.sent) == sorted(good)
    assert_quarantined_after_the_bound(world, "send_replies", failures, waiting, bodies)
    assert_unparseable_is_quarantined_at_once(world, send_replies, "send_replies")


def test_fetch_linked_media(world):
    from chalicelib.workers.media import fetch_media

    media = {"media": [{"source": "whatsapp", "ref": "m1"}]}
    good = [open_case(world, n, **media) for n in (1, 2)]
    bad = open_case(world, 3, media=[{"source": "whatsapp", "ref": "always-down"}])

    def fetch(link, _case):
        if link.ref == "always-down":
            raise ProviderUnavailable("meta", 503, "down")
        return jpeg_with_metadata()

    bootstrap.override(media=fetch)
    bodies = {n: event(code, PhotoPending) for n, code in (("good-1", good[0]), ("poison", bad), ("good-2", good[1]))}
    failures, waiting = deliver(fetch_media, bodies)
    assert all(len(world.cases.get(code).photos) == 1 for code in good)
    assert_quarantined_after_the_bound(world, "fetch_linked_media", failures, waiting, bodies)
    assert_unparseable_is_quarantined_at_once(world, fetch_media, "fetch_linked_media")


def test_receive_email(world, monkeypatch):
    from chalicelib.workers import email_intake

    taken = []

    def receive_email(bucket, key):
        if key == "inbound/poison":
            raise RuntimeError("this mail breaks the parser")
        taken.append(key)

    monkeypatch.setattr(email_intake, "receive_email", receive_email)

    def notification(key):
        created = {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "mail"}, "object": {"key": key}}}
        return json.dumps({"Records": [created]})

    bodies = {
        "good-1": notification("inbound/a"),
        "poison": notification("inbound/poison"),
        "good-2": notification("inbound/b"),
    }
    failures, waiting = deliver(email_intake.receive_notifications, bodies)
    assert taken == ["inbound/a", "inbound/b"]
    assert_quarantined_after_the_bound(world, "receive_email", failures, waiting, bodies)
    assert_unparseable_is_quarantined_at_once(world, email_intake.receive_notifications, "receive_email")


def test_a_message_that_fails_once_goes_through_on_its_retry(world):
    from chalicelib.workers.followups import handle_batch

    code = open_case(world, 1)
    world.cases.poisoned.add(code)
    records = [{"messageId": "m", "body": event(code), "attributes": {"ApproximateReceiveCount": "1"}}]
    assert handle_batch(records) == {"batchItemFailures": [{"itemIdentifier": "m"}]}
    world.cases.poisoned.clear()
    records[0]["attributes"]["ApproximateReceiveCount"] = "2"
    assert handle_batch(records) == {"batchItemFailures": []}
    assert world.cases.get(code).routed and world.quarantine.items == {}


def test_every_non_http_handler_is_on_the_primitive_under_its_own_name():
    """Quarantine records and the metric name a source by its app.py handler, which is
    how infra/quarantine.py finds the queue to replay into. Each source below is
    exercised by a test of this file (queues), test_relay_partial_batch.py,
    test_sweep_isolation.py, test_alerts.py (digests) or test_agency_metrics.py (rollup)."""
    import app
    from chalicelib.services.alerts import DIGEST_SOURCE
    from chalicelib.services.metrics import ROLLUP_SOURCE
    from chalicelib.services.sla_sweep import SOURCE as SWEEP_SOURCE
    from chalicelib.workers.outbox_relay import SOURCE as RELAY_SOURCE

    queues = {
        "case_followups",
        "agency_metrics",
        "officer_notifications",
        "collect_alerts",
        "send_replies",
        "fetch_linked_media",
        "receive_email",
    }
    handlers = {source.name for source in app.app.event_sources}
    assert handlers == queues | {RELAY_SOURCE, SWEEP_SOURCE, DIGEST_SOURCE, ROLLUP_SOURCE}
