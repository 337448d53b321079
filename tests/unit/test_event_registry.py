"""One handler registry (chalicelib/services/handlers.py) drives the workers, the SNS
filter policies of infra/template.yaml and the event catalogue (docs/events.md).

Every event type has a subscriber or is history only; every subscription in the
template delivers exactly the types its queue has handlers for; the services'
own tables agree with it; events are read once, at the edge, in the wire format
messages already on the queues have."""

from __future__ import annotations

import json
import logging

import pytest

from chalicelib.domain import alerts as alert_rules
from chalicelib.domain import events, texts
from chalicelib.domain.events import DomainEvent, Envelope, UnreadableEvent
from chalicelib.domain.messages import Notice, UnreadableNotice
from chalicelib.domain.metrics import contributions
from chalicelib.services import handlers, notifications
from chalicelib.services.batch import Unreadable
from infra import event_catalogue
from infra.local.provision import load_template
from tests.support.event_messages import ALL_EVENT_TYPES, envelope, example

TEMPLATE = load_template()


# --- every event has a subscriber; every subscription a handler ------------------------------


def test_every_event_type_has_a_subscriber_or_is_history_only():
    assert handlers.problems() == []
    for cls in ALL_EVENT_TYPES:
        assert bool(handlers.subscribers(cls)) != (cls in handlers.HISTORY_ONLY), cls.type


def test_adding_an_event_type_without_a_handler_fails(monkeypatch):
    @events._event("case.bin_collected")
    class BinCollected(DomainEvent):  # a new event someone forgot to subscribe (or declare history only)
        agency_id: str

    monkeypatch.setitem(events.EVENT_TYPES, BinCollected.type, BinCollected)
    assert handlers.problems() == ["case.bin_collected (BinCollected): no handler on any queue, and not history only"]
    monkeypatch.setattr(handlers, "HISTORY_ONLY", handlers.HISTORY_ONLY | {BinCollected})
    assert handlers.problems() == []  # declared history only: fine


def test_a_history_only_event_that_is_handled_somewhere_fails(monkeypatch):
    monkeypatch.setattr(handlers, "HISTORY_ONLY", handlers.HISTORY_ONLY | {events.CaseReceived})
    (problem,) = handlers.problems()
    assert problem.startswith("case.received (CaseReceived): history only, yet handled on followups")


def test_a_handler_for_a_message_no_queue_can_read_fails(monkeypatch):
    @events._event("case.unrelayed")
    class Unrelayed(DomainEvent):  # not in EVENT_TYPES: no message of it can be parsed
        pass

    metrics = {**handlers.HANDLERS["metrics"], Unrelayed: (handlers.count_for_agencies,)}
    monkeypatch.setitem(handlers.HANDLERS, "metrics", metrics)
    assert handlers.problems() == ["metrics: Unrelayed is not a message this queue can read"]


def test_the_template_s_filter_policies_are_the_registry_s():
    assert event_catalogue.mismatches(TEMPLATE) == []
    subscribed = event_catalogue.subscriptions(TEMPLATE)
    assert set(subscribed) == set(handlers.HANDLERS)
    for queue, (_logical_id, policy) in subscribed.items():
        assert policy == handlers.filter_policy(queue)


def test_a_subscription_delivering_a_type_without_a_handler_fails(monkeypatch):
    followups = {events.CaseReceived: handlers.HANDLERS["followups"][events.CaseReceived]}  # case.merged dropped
    monkeypatch.setitem(handlers.HANDLERS, "followups", followups)
    assert event_catalogue.mismatches(TEMPLATE) == [
        "FollowupsSubscription: FilterPolicy is not the registry's (delivered without a handler: ['case.merged'])"
    ]


def test_a_handled_type_the_subscription_does_not_deliver_fails(monkeypatch):
    media = {**handlers.HANDLERS["media"], events.PhotoAdded: (handlers.fetch_linked_photos,)}
    monkeypatch.setitem(handlers.HANDLERS, "media", media)
    assert event_catalogue.mismatches(TEMPLATE) == [
        "MediaSubscription: FilterPolicy is not the registry's (handled but not delivered: ['case.photo_added'])"
    ]


def test_a_subscription_of_a_queue_without_handlers_and_a_queue_without_subscription_fail(monkeypatch):
    monkeypatch.setitem(handlers.HANDLERS, "archive", {events.CaseClosed: (handlers.count_for_agencies,)})
    monkeypatch.delitem(handlers.HANDLERS, "alerts")
    assert event_catalogue.mismatches(TEMPLATE) == [
        "AlertsSubscription: the queue 'alerts' has no handlers in the registry",
        "the registry's queue 'archive' has no subscription to CaseEventsTopic in the template",
    ]


def test_the_generated_files_are_current():
    """docs/events.md and the template's FilterPolicy lines: `python -m infra.event_catalogue` writes them."""
    assert event_catalogue.stale() == [], "run: python -m infra.event_catalogue"


def test_the_filter_policies_are_written_into_the_template_text():
    text = event_catalogue.TEMPLATE.read_text()
    broken = text.replace("event_type: [case.photo_pending]", "event_type: [case.photo_added]")
    assert broken != text
    assert event_catalogue.with_filter_policies(broken, load_template(event_catalogue.TEMPLATE)) == text


def test_the_catalogue_names_every_event_and_who_handles_it():
    catalogue = event_catalogue.render()
    for cls in ALL_EVENT_TYPES:
        assert f"| `{cls.type}` | `{cls.__name__}`" in catalogue
    assert "| `case.photo_pending` | `PhotoPending`" in catalogue and "media: `fetch_linked_photos`" in catalogue
    assert "**none**" not in catalogue


def test_every_subscriber_queue_is_consumed_by_its_worker():
    import app
    from chalicelib.workers import alerts, followups, media, metrics, replies
    from chalicelib.workers import notifications as notifications_worker

    consumed = {source.queue for source in app.app.event_sources if hasattr(source, "queue")}
    for queue in handlers.HANDLERS:
        assert any(name.endswith(f"-{queue}") for name in consumed), queue
    workers = (followups, metrics, notifications_worker, replies, media, alerts)
    assert sorted(worker.QUEUE for worker in workers) == sorted(handlers.HANDLERS)


# --- the services' tables agree with the registry --------------------------------------------


def test_the_replies_queue_gets_exactly_the_events_with_a_reply_text():
    assert set(handlers.event_types("replies")) == set(texts.REPLY_KEYS)


def test_the_notifications_queue_gets_exactly_the_events_with_an_inbox_title():
    assert set(handlers.event_types("officer-notifications")) == set(notifications.SUBJECTS)
    for cls in notifications.SUBJECTS:  # and each reaches somebody
        assert notifications.recipients(envelope(example(cls), agency_id="dinas-lh")), cls.type


def test_the_alerts_queue_gets_exactly_the_alert_events():
    assert set(handlers.event_types("alerts")) == set(alert_rules.ALERT_EVENTS)


def test_the_metrics_queue_gets_exactly_the_events_that_count():
    counted = set(handlers.event_types("metrics"))
    for cls in ALL_EVENT_TYPES:
        given = {"first": True} if cls is events.PlanSubmitted else {}
        counts = contributions(example(cls, agency_id="dinas-lh", **given) if _has(cls, "agency_id") else example(cls))
        assert bool(counts) == (cls in counted), cls.type


def _has(cls, name):
    return name in cls.field_names


# --- read once, at the edge -------------------------------------------------------------------

# A message as the relay publishes it today (and as messages already on the queues are).
RELAYED = (
    '{"id":"K7QM4-XPA9R-TD2W:3:0","type":"case.assigned","occurred_at":"2026-11-23T03:05:00.000000Z",'
    '"data":{"actor_user":null,"actor_role":null,"actor_agency_id":null,"agency_id":"dinas-lh",'
    '"agency_name":"Dinas Lingkungan Hidup","how":"routing"},"tracking_code":"K7QM4-XPA9R-TD2W","version":3,'
    '"case":{"channel":"jaki","category":"garbage","agency_id":"dinas-lh","status":"assigned"}}'
)
NOTICE = '{"notice":"rate_limited","sender":"9f2c","tracking_code":null,"language":"en"}'


def compact(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def test_a_relayed_message_reads_into_a_typed_event_and_back_byte_for_byte():
    message = Envelope.from_message(json.loads(RELAYED))
    assert isinstance(message.event, events.CaseAssigned) and message.event.agency_name == "Dinas Lingkungan Hidup"
    assert (message.id, message.tracking_code, message.version) == ("K7QM4-XPA9R-TD2W:3:0", "K7QM4-XPA9R-TD2W", 3)
    assert message.case.channel == "jaki" and message.type == "case.assigned"
    assert compact(message.to_message()) == RELAYED


def test_a_queued_notice_reads_into_a_notice_and_back_byte_for_byte():
    notice = Notice.from_message(json.loads(NOTICE), id="m-1")
    assert (notice.outcome, notice.sender, notice.tracking_code, notice.language, notice.id) == (
        "rate_limited",
        "9f2c",
        None,
        "en",
        "m-1",
    )
    assert compact(notice.to_message()) == NOTICE
    assert Notice.from_message({"notice": "status", "sender": "s", "language": "fr"}).language == "id"
    for bad in ([], {"sender": "s"}, {"notice": ""}, {"notice": "status", "sender": 7}):
        with pytest.raises(UnreadableNotice):
            Notice.from_message(bad)


@pytest.mark.parametrize("cls", ALL_EVENT_TYPES, ids=lambda cls: cls.type)
def test_every_event_type_survives_the_outbox_and_the_wire(cls):
    from chalicelib.adapters.case_repository import outbox_records

    class Case:
        tracking_code = "K7QM4-XPA9R-TD2W"

    (record,) = outbox_records(Case, 4, [example(cls)])  # what a case write puts in its outbox
    wire = {**record, "tracking_code": "K7QM4-XPA9R-TD2W", "version": 4, "case": {"channel": "jaki"}}
    wire["case"] |= {"category": None, "agency_id": None, "status": None}
    message = Envelope.from_message(json.loads(json.dumps(wire)))
    assert message.event == example(cls) and message.id == "K7QM4-XPA9R-TD2W:4:0"
    assert message.to_message() == wire


def test_data_a_newer_writer_added_is_ignored():
    wire = json.loads(RELAYED)
    wire["data"]["district_code"] = "31.71"
    assert Envelope.from_message(wire).event.agency_id == "dinas-lh"


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda m: m.update(type="case.bin_collected"), "unknown event type 'case.bin_collected'"),
        (lambda m: m.pop("type"), "unknown event type 'None'"),
        (lambda m: m["data"].pop("agency_name"), "case.assigned: missing agency_name"),
        (lambda m: m["data"].update(agency_id=7), "case.assigned: agency_id is not str"),
        (lambda m: m.update(data=[]), "case.assigned: data is not an object"),
        (lambda m: m.update(occurred_at="2026-11-23T03:05:00"), "case.assigned: occurred_at is not an instant"),
        (lambda m: m.update(occurred_at=None), "case.assigned: occurred_at is not an instant"),
        (lambda m: m.update(occurred_at="yesterday"), "case.assigned: occurred_at is not an instant"),
        (lambda m: m.pop("tracking_code"), "case.assigned message: tracking_code missing or malformed"),
        (lambda m: m.update(id=""), "case.assigned message: id missing or malformed"),
        (lambda m: m.update(version="3"), "case.assigned message: version missing or malformed"),
        (lambda m: m.update(version=True), "case.assigned message: version missing or malformed"),
        (lambda m: m["case"].update(status=1), "case.assigned message: case missing or malformed"),
    ],
)
def test_what_is_not_one_of_our_events_is_unreadable(change, reason):
    wire = json.loads(RELAYED)
    change(wire)
    with pytest.raises(UnreadableEvent) as raised:
        Envelope.from_message(wire)
    assert str(raised.value).startswith(reason)


def test_field_types_are_checked_to_the_items_of_lists():
    found = example(events.DuplicatesFound, candidates=["A", "B"])
    wire = envelope(found).to_message()
    assert Envelope.from_message(wire).event.candidates == ["A", "B"]
    wire["data"]["candidates"] = ["A", 2]
    with pytest.raises(UnreadableEvent, match="candidates is not"):
        Envelope.from_message(wire)
    wire["data"]["candidates"] = "A"
    with pytest.raises(UnreadableEvent, match="candidates is not"):
        Envelope.from_message(wire)
    resolved = envelope(example(events.CaseResolved)).to_message()
    resolved["data"]["minutes_since_report"] = True  # a bool is no count of minutes
    with pytest.raises(UnreadableEvent, match="minutes_since_report is not int"):
        Envelope.from_message(resolved)


def test_the_worker_edge_reads_raw_and_sns_enveloped_bodies_and_refuses_the_rest():
    from chalicelib.workers.sqs import read_event

    raw = {"messageId": "m1", "body": RELAYED}
    wrapped = {"messageId": "m2", "body": json.dumps({"Type": "Notification", "Message": RELAYED})}
    assert read_event(raw) == read_event(wrapped) == Envelope.from_message(json.loads(RELAYED))
    for body in ("{not json", "[]", json.dumps({"Type": "Notification", "Message": "{"}), NOTICE):
        with pytest.raises(Unreadable):
            read_event({"messageId": "m3", "body": body})


def test_the_replies_edge_tells_notices_from_events():
    from chalicelib.workers.replies import read_reply_message

    notice = read_reply_message({"messageId": "m1", "body": NOTICE})
    assert notice == Notice("rate_limited", "9f2c", None, "en", id="m1")
    assert isinstance(read_reply_message({"messageId": "m2", "body": RELAYED}), Envelope)
    with pytest.raises(Unreadable):
        read_reply_message({"body": NOTICE})  # no message id: its answer could not be once-only
    with pytest.raises(Unreadable):
        read_reply_message({"messageId": "m3", "body": '{"notice": 5}'})


# --- dispatch ---------------------------------------------------------------------------------


def test_dispatch_is_by_the_message_s_class_in_registry_order(monkeypatch):
    calls = []
    first = lambda message, ports: calls.append(("first", message.type, ports)) or 1  # noqa: E731
    second = lambda message, ports: calls.append(("second", message.type, ports)) or 2  # noqa: E731
    monkeypatch.setitem(handlers.HANDLERS, "followups", {events.CaseMerged: (first, second)})
    merged = envelope(example(events.CaseMerged))
    assert handlers.handle("followups", merged, "ports") == [1, 2]
    assert calls == [("first", "case.merged", "ports"), ("second", "case.merged", "ports")]


def test_a_message_without_a_handler_on_its_queue_is_logged_and_left_alone(monkeypatch, caplog):
    calls = []
    monkeypatch.setitem(handlers.HANDLERS, "media", {events.PhotoPending: (lambda m, p: calls.append(m),)})
    with caplog.at_level(logging.WARNING, logger="chalicelib.handlers"):
        assert handlers.handle("media", envelope(example(events.CaseClosed), id="C:2:0"), None) == []
    assert calls == []
    (line,) = [record for record in caplog.records if "no handler" in record.getMessage()]
    assert (line.queue, line.message_type, line.event_id) == ("media", "case.closed", "C:2:0")
