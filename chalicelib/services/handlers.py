"""The handler registry: which queue runs which handlers for which message type.

The outbox relay publishes every domain event to the SNS topic; each subscriber
is an SQS queue whose filter policy lets through exactly the event types this
registry gives it handlers for, and its worker dispatches each message here --
by the message's class, never by a type string. One table drives three things:

* the workers (``handle``), each with the ports of its queue;
* the SNS filter policies in infra/template.yaml (``filter_policy``;
  tests/unit/test_event_registry.py fails when the template differs);
* the event catalogue, docs/events.md (``python -m infra.event_catalogue``).

Every event type has at least one handler or is in ``HISTORY_ONLY`` (kept in
the case's history and timeline, delivered to nobody); the test fails
otherwise. A queue's key is its name without the ``crm-<stage>-`` prefix.

Handlers run at least once per message (SQS redelivers; a message whose second
handler failed runs its first again), so each is idempotent by the message id.
The ports a handler needs come in as a parameter (one small dataclass per
queue, built by its worker); service modules are imported inside the handlers,
so a worker loads only what its own queue uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.domain import events
from chalicelib.domain.clock import Clock
from chalicelib.domain.events import DomainEvent, Envelope
from chalicelib.domain.messages import Notice
from chalicelib.logs import get_logger

if TYPE_CHECKING:  # the ports' types; their modules load with the handlers that use them
    from chalicelib.adapters.alert_store import AlertStore
    from chalicelib.adapters.case_repository import CaseRepository
    from chalicelib.adapters.duplicate_index import DuplicateIndex
    from chalicelib.adapters.mailer import SesMailer
    from chalicelib.adapters.metrics_store import MetricsStore
    from chalicelib.adapters.notification_store import NotificationStore
    from chalicelib.adapters.photo_store import PhotoStore
    from chalicelib.adapters.routing_store import RoutingStore
    from chalicelib.adapters.sender_state import SenderRepository
    from chalicelib.domain.areas import AreaPath
    from chalicelib.domain.case import Case
    from chalicelib.domain.messages import MediaLink, ReplyHandle
    from chalicelib.services.replies import ReplyLedger, ReplySender

log = get_logger("handlers")

Message = Envelope | Notice
Handler = Callable[[Any, Any], Any]  # (message, the queue's ports) -> result


# --- the ports of each queue's handlers -----------------------------------------------------


@dataclass(frozen=True)
class FollowupPorts:
    cases: CaseRepository
    duplicate_index: DuplicateIndex
    routing: RoutingStore  # admins' rule edits
    metrics: MetricsStore  # completion predictions
    clock: Clock


@dataclass(frozen=True)
class MetricsPorts:
    metrics: MetricsStore


@dataclass(frozen=True)
class NotificationPorts:
    notifications: NotificationStore
    mailer: SesMailer | None  # None: no e-mail configured
    clock: Clock


@dataclass(frozen=True)
class ReplyPorts:
    cases: CaseRepository  # also opens the sealed reply handle
    senders: SenderRepository  # a notice's reply handle
    ledger: ReplyLedger
    sender_for: Callable[[ReplyHandle], ReplySender]
    base_url: str
    code_key: bytes


@dataclass(frozen=True)
class MediaPorts:
    cases: CaseRepository
    photos: PhotoStore
    fetch: Callable[[MediaLink, Case], bytes]
    clock: Clock


@dataclass(frozen=True)
class AlertPorts:
    store: AlertStore
    cases: CaseRepository
    public_view: Callable[[Case], dict[str, Any]]  # by the public id, never the tracking code
    locate: Callable[[float, float], AreaPath]  # lat, lng
    clock: Clock


# --- the handlers ---------------------------------------------------------------------------


def route_new_case(message: Envelope, ports: FollowupPorts) -> None:
    """Route the new case: area, agency (or the Bureau's triage), duplicates, prediction."""
    from chalicelib.services import metrics
    from chalicelib.services.routing import route_case

    route_case(
        message.tracking_code,
        cases=ports.cases,
        duplicate_index=ports.duplicate_index,
        rules=ports.routing,
        clock=ports.clock,
        predict=lambda agency, category, reported: metrics.predict_completion(
            ports.metrics, agency, category, reported
        ),
    )


def record_merge(message: Envelope, ports: FollowupPorts) -> None:
    """Record the merged duplicate on its primary case (its reporter then follows the primary)."""
    from chalicelib.services.routing import absorb_duplicate

    match message.event:
        case events.CaseMerged(primary=primary):
            absorb_duplicate(primary, message.tracking_code, cases=ports.cases, clock=ports.clock)


def count_for_agencies(message: Envelope, ports: MetricsPorts) -> int:
    """Add the event to the agencies' daily counters, once per event id."""
    from chalicelib.services import metrics

    return metrics.record_event(message, ports.metrics)


def notify_officers(message: Envelope, ports: NotificationPorts) -> list[str]:
    """Write the inbox entries of the agencies, the Bureau or the supervisors concerned (and e-mail)."""
    from chalicelib.services.notifications import notify

    return notify(message, ports.notifications, ports.mailer, ports.clock())


def reply_to_reporter(message: Envelope, ports: ReplyPorts) -> list[str]:
    """Tell the reporter (and the reporters of merged duplicates) on their channel, once."""
    from chalicelib.services.replies import reply_to_event

    with _unreadable_content():
        return reply_to_event(
            message,
            cases=ports.cases,
            ledger=ports.ledger,
            sender_for=ports.sender_for,
            base_url=ports.base_url,
            code_key=ports.code_key,
        )


def answer_notice(notice: Notice, ports: ReplyPorts) -> list[str]:
    """Answer a message that changed no case (status question, limit, outside Jakarta), once."""
    from chalicelib.services.replies import reply_to_notice

    with _unreadable_content():
        return reply_to_notice(
            notice,
            cases=ports.cases,
            senders=ports.senders,
            ledger=ports.ledger,
            sender_for=ports.sender_for,
            base_url=ports.base_url,
            code_key=ports.code_key,
        )


@contextmanager
def _unreadable_content() -> Iterator[None]:
    """A reply whose stored data cannot be read (a malformed handle, a text that does not
    format) fails the same on every retry: quarantined at once, not retried."""
    from chalicelib.services.batch import Unreadable

    try:
        yield
    except (ValueError, TypeError, KeyError) as error:
        raise Unreadable(f"the reply message cannot be read ({type(error).__name__})") from None


def fetch_linked_photos(message: Envelope, ports: MediaPorts) -> int:
    """Fetch the photos the provider only linked to, clean them, attach them to the case."""
    from chalicelib.services.media import fetch_pending_media

    return fetch_pending_media(
        message.tracking_code, cases=ports.cases, photos=ports.photos, fetch=ports.fetch, clock=ports.clock
    )


def collect_area_alerts(message: Envelope, ports: AlertPorts) -> int:
    """Add the case (by its public view) to the digests of citizens following its area."""
    from chalicelib.services.alerts import collect

    return collect(
        message,
        store=ports.store,
        cases=ports.cases,
        public_view=ports.public_view,
        locate=ports.locate,
        now=ports.clock(),
    )


# --- the registry -----------------------------------------------------------------------------


def _each(types: tuple[type[DomainEvent], ...], *handlers: Handler) -> dict[type, tuple[Handler, ...]]:
    return {cls: handlers for cls in types}


HANDLERS: dict[str, dict[type, tuple[Handler, ...]]] = {
    "followups": {
        events.CaseReceived: (route_new_case,),
        events.CaseMerged: (record_merge,),
    },
    "metrics": _each(
        (
            events.CaseAssigned,
            events.CaseDelegated,
            events.CaseTransferred,
            events.PlanSubmitted,
            events.CaseResolved,
            events.CaseReopened,
            events.FeedbackGiven,
            events.CaseClosed,
            events.CaseRejected,
            events.CaseMerged,
            events.SlaBreached,
            events.CaseEscalated,
        ),
        count_for_agencies,
    ),
    "officer-notifications": _each(
        (
            events.CaseAssigned,
            events.CaseDelegated,
            events.CaseTransferred,
            events.CollaboratorAdded,
            events.CaseReopened,
            events.PlanSubmitted,
            events.PlanReturned,
            events.PlanVerified,
            events.SlaReminder,
            events.SlaBreached,
            events.CaseEscalated,
            events.TriageNeeded,
            events.DuplicatesFound,
        ),
        notify_officers,
    ),
    "replies": {
        Notice: (answer_notice,),  # queued by the webhooks, not through SNS
        **_each(
            (
                events.CaseReceived,
                events.ReporterAdded,
                events.CaseAssigned,
                events.CaseDelegated,
                events.CaseTransferred,
                events.PlanVerified,
                events.ProgressPosted,
                events.CaseResolved,
                events.CaseReopened,
                events.CaseClosed,
                events.CaseRejected,
                events.CaseMerged,
            ),
            reply_to_reporter,
        ),
    },
    "media": {events.PhotoPending: (fetch_linked_photos,)},
    "alerts": _each((events.CaseReceived, events.CaseResolved), collect_area_alerts),
}

# Kept in the case's history (and, if public, its timeline); no subscriber needs them.
HISTORY_ONLY: frozenset[type[DomainEvent]] = frozenset(
    {
        events.CommentAdded,
        events.DuplicateAbsorbed,
        events.PhotoAdded,
        events.PrivacyChanged,
        events.PriorityChanged,
        events.PhotoRedacted,
    }
)


def event_types(queue: str) -> list[type[DomainEvent]]:
    """The domain events a queue subscribes to, in the registry's order."""
    return [cls for cls in HANDLERS[queue] if issubclass(cls, DomainEvent)]


def filter_policy(queue: str) -> dict[str, list[str]]:
    """The SNS subscription filter policy of a queue: exactly its handled event types."""
    return {"event_type": sorted(cls.type for cls in event_types(queue))}


def subscribers(cls: type[DomainEvent]) -> dict[str, tuple[Handler, ...]]:
    """Which queues handle an event type, and with what."""
    return {queue: table[cls] for queue, table in HANDLERS.items() if cls in table}


def handle(queue: str, message: Message, ports: Any) -> list[Any]:
    """Run the queue's handlers for one message, in order; returns their results.

    A message of a type the queue has no handler for (only possible while a
    deployment brings the template and the code to the same registry) is logged
    and left alone."""
    kind = type(message.event) if isinstance(message, Envelope) else type(message)
    handlers = HANDLERS[queue].get(kind, ())
    if not handlers:
        log.warning(
            "no handler for this message on this queue; left alone",
            extra={"queue": queue, "message_type": getattr(kind, "type", kind.__name__), "event_id": message.id},
        )
    return [handler(message, ports) for handler in handlers]


def problems() -> list[str]:
    """What is wrong with the registry (empty: nothing). Every event type has a handler on
    some queue or is history only, never both; every registered message type can be read
    off a queue (a known event type, or a Notice on the replies queue); no empty chains."""
    found = []
    for kind, cls in events.EVENT_TYPES.items():
        queues = subscribers(cls)
        if not queues and cls not in HISTORY_ONLY:
            found.append(f"{kind} ({cls.__name__}): no handler on any queue, and not history only")
        if queues and cls in HISTORY_ONLY:
            found.append(f"{kind} ({cls.__name__}): history only, yet handled on {', '.join(queues)}")
    known = set(events.EVENT_TYPES.values())
    for queue, table in HANDLERS.items():
        for cls, chain in table.items():
            readable = cls in known or (cls is Notice and queue == "replies")
            if not readable:
                found.append(f"{queue}: {cls.__name__} is not a message this queue can read")
            if not chain:
                found.append(f"{queue}: {cls.__name__} has an empty handler chain")
    return found
