"""Domain events: small facts the Case raises when something happens to it.

Each event is written in the same DynamoDB request as the state it describes
(the case item's ``outbox``), and the table's stream relays it to SNS. Public
events also become lines of the case's public timeline, so what a reporter
reads and what subscribers receive come from one source.

Events carry what subscribers need (agency ids, durations, on-time flags for
the metrics) and never the reporter's identity. Who acted (an officer's user
id, role and agency) is kept for the audit trail but is not public.

Subscribers receive an ``Envelope``: the event plus which case and write it
came from. ``Envelope.from_message`` reads the relayed message (``from_record``
the event in it) once, at the edge of each worker; what it cannot read is
``UnreadableEvent``. Which subscriber handles which event type is one registry,
chalicelib/services/handlers.py (docs/events.md is generated from it).
"""

from __future__ import annotations

import copy
import types
import typing
from dataclasses import MISSING, Field, FrozenInstanceError, dataclass, field, fields
from datetime import datetime
from functools import cache
from typing import Any, ClassVar

from .clock import parse_instant, to_utc_text

ACTOR_FIELDS = ("actor_user", "actor_role", "actor_agency_id")


# Events are plain classes, not dataclasses. A dataclass compiles its ``__init__``,
# ``__setattr__`` and ``__delattr__`` (and, before, its equality, hash and repr) from source when
# its class is made: for the 28 events that was most of this module's import, on every cold
# start (bench/cold_start.py). Here each class only records its fields, from its annotations,
# as it is made, and the methods below, written once, serve every event. They behave as a
# frozen, keyword-only dataclass's: a missing or unknown field is a TypeError, assigning or
# deleting an attribute a FrozenInstanceError, and two events are equal when they are of the
# same class with the same field values. ``_event`` tells the type checker the same, so it
# checks every event's constructor call against its fields.

_T = typing.TypeVar("_T")


@typing.dataclass_transform(frozen_default=True, kw_only_default=True, field_specifiers=(field,))
def _frozen_fields(cls: type[_T]) -> type[_T]:
    _record_fields(cls)
    return cls


def _record_fields(cls: Any) -> None:
    """Record the fields of ``cls``: those it inherits first, then its own annotated ones."""
    names = list(getattr(cls, "field_names", ()))
    defaults = dict(getattr(cls, "_defaults", {}))
    factories = dict(getattr(cls, "_factories", {}))
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        if _is_class_var(annotation):
            continue
        if name not in names:
            names.append(name)
        defaults.pop(name, None)
        factories.pop(name, None)
        value = cls.__dict__.get(name, MISSING)
        if isinstance(value, Field):
            if value.default_factory is not MISSING:
                factories[name] = value.default_factory
                delattr(cls, name)
                continue
            if value.default is MISSING:
                delattr(cls, name)
                continue
            value = value.default
            setattr(cls, name, value)
        if value is not MISSING:
            if type(value).__hash__ is None:  # a list, dict or set shared by every event: as dataclass refuses
                raise ValueError(f"mutable default {type(value)} for field {name} is not allowed: use default_factory")
            defaults[name] = value
    cls.field_names = tuple(names)
    cls.required_fields = frozenset(names) - defaults.keys() - factories.keys()
    cls._known = frozenset(names)
    cls._defaults = defaults
    cls._factories = factories


def _is_class_var(annotation: Any) -> bool:
    if isinstance(annotation, str):  # every annotation here (``from __future__ import annotations``)
        return annotation == "ClassVar" or annotation.startswith(("ClassVar[", "typing.ClassVar"))
    return annotation is ClassVar or typing.get_origin(annotation) is ClassVar


@_frozen_fields
class DomainEvent:
    type: ClassVar[str]
    # Public events are shown on the public timeline (GET /status/{code}).
    public: ClassVar[bool] = True
    # Fields never shown publicly, beyond who acted.
    private_fields: ClassVar[tuple[str, ...]] = ()
    # The event's fields in order (occurred_at and who acted first), and those without a default.
    field_names: ClassVar[tuple[str, ...]]
    required_fields: ClassVar[frozenset[str]]
    _known: ClassVar[frozenset[str]]
    _defaults: ClassVar[dict[str, Any]]
    _factories: ClassVar[dict[str, typing.Callable[[], Any]]]

    occurred_at: datetime
    actor_user: str | None = None
    actor_role: str | None = None
    actor_agency_id: str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _record_fields(cls)

    if not typing.TYPE_CHECKING:  # the type checker makes each event's own, from its fields

        def __init__(self, **values):
            cls = type(self)
            state = cls._defaults | values
            if state.keys() != cls._known:  # a field missing, one unknown, or one made by a factory
                state = _filled(cls, state)
            _set_attribute(self, "__dict__", state)

        def __setattr__(self, name, value):
            raise FrozenInstanceError(f"cannot assign to field {name!r}")

        def __delattr__(self, name):
            raise FrozenInstanceError(f"cannot delete field {name!r}")

    def _values(self) -> tuple[Any, ...]:
        state = self.__dict__
        return tuple([state[name] for name in self.field_names])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DomainEvent) or other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        state = self.__dict__
        shown = ", ".join(f"{name}={state[name]!r}" for name in self.field_names)
        return f"{type(self).__qualname__}({shown})"

    def data(self) -> dict[str, Any]:
        """The fields but ``occurred_at``, as ``dataclasses.asdict`` gave them (lists copied)."""
        state = self.__dict__
        return {name: _copied(state[name]) for name in self.field_names if name != "occurred_at"}

    def to_record(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "occurred_at": to_utc_text(self.occurred_at),
            "data": self.data(),
        }


_set_attribute = object.__setattr__


def _filled(cls: type[DomainEvent], state: dict[str, Any]) -> dict[str, Any]:
    """``state`` with the values of fields made by a factory, or the TypeError of a wrong call."""
    for name, make in cls._factories.items():
        if name not in state:
            state[name] = make()
    if state.keys() != cls._known:
        raise _wrong_fields(cls, state.keys())
    return state


def _wrong_fields(cls: type[DomainEvent], given: typing.KeysView[str]) -> TypeError:
    unknown = sorted(given - cls._known)
    if unknown:
        return TypeError(f"{cls.__qualname__}.__init__() got an unexpected keyword argument {unknown[0]!r}")
    missing = [name for name in cls.field_names if name in cls.required_fields and name not in given]
    return TypeError(f"{cls.__qualname__}.__init__() missing required keyword-only argument(s): {', '.join(missing)}")


def _copied(value: Any) -> Any:
    """A field's value with its lists and dicts copied, as ``dataclasses.asdict`` copies them."""
    if value is None or type(value) in (str, int, bool, float):
        return value
    if type(value) is list:
        return [_copied(item) for item in value]
    if type(value) is dict:
        return {key: _copied(item) for key, item in value.items()}
    return copy.deepcopy(value)


_E = typing.TypeVar("_E", bound=DomainEvent)


# The type checker is told that the decorator makes a frozen, keyword-only dataclass (its fields
# recorded by DomainEvent.__init_subclass__), and checks every event's constructor call.
@typing.dataclass_transform(frozen_default=True, kw_only_default=True, field_specifiers=(field,))
def _event(type_name: str, public: bool = True, private: tuple[str, ...] = ()) -> typing.Callable[[type[_E]], type[_E]]:
    def decorate(cls: type[_E]) -> type[_E]:
        cls.type = type_name
        cls.public = public
        cls.private_fields = private
        return cls

    return decorate


@_event("case.received")
class CaseReceived(DomainEvent):
    """A report became a case (laporan diterima)."""

    channel: str
    category: str


@_event("case.assigned")
class CaseAssigned(DomainEvent):
    """Routing or the Bureau's triage gave the case to an agency (didisposisikan)."""

    agency_id: str
    agency_name: str
    how: str  # "routing" | "triage"


@_event("case.triage_needed", public=False)
class TriageNeeded(DomainEvent):
    """No routing rule matched: the Bureau decides."""

    reason: str


@_event("case.delegated")
class CaseDelegated(DomainEvent):
    """Dinas -> Suku Dinas, down the tree."""

    from_agency_id: str
    agency_id: str
    agency_name: str
    resolution_breached: bool = False


@_event("case.transferred", private=("reason",))
class CaseTransferred(DomainEvent):
    """To another agency (dialihkan), with a reason."""

    from_agency_id: str | None
    agency_id: str
    agency_name: str
    reason: str
    resolution_breached: bool = False


@_event("case.collaborator_added")
class CollaboratorAdded(DomainEvent):
    """Another agency helps (koordinasi): it may comment and post progress."""

    agency_id: str
    agency_name: str


@_event("plan.submitted", private=("text",))
class PlanSubmitted(DomainEvent):
    """The holding agency's follow-up plan (rencana tindak lanjut), for the Bureau."""

    agency_id: str
    text: str
    proposed_completion: str | None
    first: bool
    minutes_since_report: int


@_event("plan.verified")
class PlanVerified(DomainEvent):
    """The Bureau approved the follow-up plan; the expected completion date is set."""

    agency_id: str
    expected_completion: str


@_event("plan.returned", public=False)
class PlanReturned(DomainEvent):
    """The Bureau sent the follow-up plan back to the agency, with a comment."""

    agency_id: str
    comment: str


@_event("case.progress")
class ProgressPosted(DomainEvent):
    """The holding or a collaborating agency reported progress (e.g. 50% done)."""

    agency_id: str
    percent: int
    text: str


@_event("case.commented", public=False)
class CommentAdded(DomainEvent):
    """An internal note on the case, for officers only."""

    agency_id: str | None
    text: str


@_event("case.privacy_changed", public=False)
class PrivacyChanged(DomainEvent):
    """The case's privacy level was raised or (by the Bureau) lowered; the audit trail."""

    previous: str
    level: str
    reason: str


@_event("case.priority_changed", public=False)
class PriorityChanged(DomainEvent):
    """Urgent / normal / low was set; the SLA deadlines were recomputed (the audit trail)."""

    previous: str
    priority: str
    reason: str


@_event("case.resolved")
class CaseResolved(DomainEvent):
    """The agency finished the work, with a completion photo (selesai ditangani)."""

    agency_id: str
    note: str
    photo_id: str
    minutes_since_report: int
    on_time: bool
    resolution_breached: bool


@_event("case.reopened", private=("reason",))
class CaseReopened(DomainEvent):
    """The reporter said the problem is not solved (within 7 days): back to the agency."""

    agency_id: str | None
    reason: str


@_event("case.feedback", private=("comment",))
class FeedbackGiven(DomainEvent):
    """The reporter rated the resolution (1-5)."""

    agency_id: str | None
    rating: int
    comment: str | None


@_event("case.closed")
class CaseClosed(DomainEvent):
    """Closed for good: confirmed by the reporter, or no answer within the window."""

    agency_id: str | None
    how: str  # "confirmed" by the reporter, or "no_response" after the window


@_event("case.rejected", private=("note",))
class CaseRejected(DomainEvent):
    """Not a case for the city's agencies (out of scope, an emergency, spam)."""

    agency_id: str | None
    reason: str  # out_of_scope | emergency | spam
    note: str | None
    resolution_breached: bool = False


@_event("case.merged")
class CaseMerged(DomainEvent):
    """This case duplicates another; its reporter now follows the primary."""

    agency_id: str | None
    primary: str
    resolution_breached: bool = False


@_event("case.duplicate_absorbed", public=False)
class DuplicateAbsorbed(DomainEvent):
    """A duplicate was merged into this (primary) case."""

    duplicate: str


@_event("case.duplicates_found", public=False)
class DuplicatesFound(DomainEvent):
    """Routing found open cases that may report the same problem."""

    candidates: list[str]


@_event("sla.reminder", public=False)
class SlaReminder(DomainEvent):
    """A deadline (coordination or resolution) is close."""

    agency_id: str | None
    milestone: str  # "coordination" | "resolution"
    deadline: str


@_event("sla.breached", public=False)
class SlaBreached(DomainEvent):
    """A deadline (coordination or resolution) passed."""

    agency_id: str | None
    milestone: str
    deadline: str


@_event("case.escalated", public=False)
class CaseEscalated(DomainEvent):
    """Unresolved 30 days after the report: the Inspectorate and supervisors step in."""

    agency_id: str | None
    days_open: int


@_event("case.reporter_added")
class ReporterAdded(DomainEvent):
    """The reporter sent more (a photo, a place, text) to their open case (laporan dilengkapi)."""

    added: list[str]  # "text", "photo", "location"


@_event("case.photo_pending")
class PhotoPending(DomainEvent):
    """Photos the provider only linked to are being fetched (foto sedang diambil)."""

    count: int


@_event("case.photo_added")
class PhotoAdded(DomainEvent):
    """Fetched photos were cleaned and attached to the case."""

    count: int


@_event("photo.redacted", public=False)
class PhotoRedacted(DomainEvent):
    """An officer blurred rectangles of a photo's public copy (the original is untouched)."""

    photo_id: str
    kind: str  # report | completion
    regions: list  # [[x, y, width, height], ...] in the public copy's pixels


EVENT_TYPES: dict[str, type[DomainEvent]] = {
    cls.type: cls
    for cls in (
        CaseReceived,
        CaseAssigned,
        TriageNeeded,
        CaseDelegated,
        CaseTransferred,
        CollaboratorAdded,
        PlanSubmitted,
        PlanVerified,
        PlanReturned,
        ProgressPosted,
        CommentAdded,
        CaseResolved,
        CaseReopened,
        FeedbackGiven,
        CaseClosed,
        CaseRejected,
        CaseMerged,
        DuplicateAbsorbed,
        DuplicatesFound,
        SlaReminder,
        SlaBreached,
        CaseEscalated,
        ReporterAdded,
        PhotoPending,
        PhotoAdded,
        PrivacyChanged,
        PhotoRedacted,
        PriorityChanged,
    )
}


class UnreadableEvent(ValueError):
    """A record or message that is not one of our events (no retry reads it differently)."""


def from_record(record: Any) -> DomainEvent:
    """The event of an outbox record ``{"type", "occurred_at", "data"}``.

    The one parser of stored and relayed events. Data fields the event class does
    not have are ignored (a newer writer's additions); a missing field, a value of
    the wrong type, an unknown type or a time without a zone is ``UnreadableEvent``."""
    if not isinstance(record, dict):
        raise UnreadableEvent("an event record is a JSON object")
    kind = record.get("type")
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise UnreadableEvent(f"unknown event type {str(kind)[:60]!r}")
    data = record.get("data", {})
    if not isinstance(data, dict):
        raise UnreadableEvent(f"{kind}: data is not an object")
    at = record.get("occurred_at")
    try:
        occurred_at = parse_instant(at) if isinstance(at, str) else None
    except ValueError:
        occurred_at = None
    if occurred_at is None:
        raise UnreadableEvent(f"{kind}: occurred_at is not an instant with a time zone")
    values = {}
    for name, hint in _field_types(kind).items():
        if name in data:
            if not _conforms(data[name], hint):
                raise UnreadableEvent(f"{kind}: {name} is not {_describe(hint)}")
            values[name] = data[name]
    try:
        return cls(occurred_at=occurred_at, **values)
    except TypeError:
        missing = sorted(cls.required_fields - values.keys() - {"occurred_at"})
        raise UnreadableEvent(f"{kind}: missing {', '.join(missing)}") from None


@cache
def _field_types(kind: str) -> dict[str, Any]:
    cls = EVENT_TYPES[kind]
    hints = typing.get_type_hints(cls)
    return {name: hints[name] for name in cls.field_names if name != "occurred_at"}


def _conforms(value: Any, hint: Any) -> bool:
    """Whether a JSON value fits an event field's annotation (str, int, bool, lists, optionals)."""
    if hint is Any:
        return True
    if hint is type(None):
        return value is None
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return any(_conforms(value, option) for option in typing.get_args(hint))
    origin = typing.get_origin(hint)
    if origin is list:
        (item,) = typing.get_args(hint) or (Any,)
        return isinstance(value, list) and all(_conforms(element, item) for element in value)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def _describe(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint)


@dataclass(frozen=True)
class CaseFacts:
    """What the relay tells about the case as the write left it (SNS filters on these)."""

    channel: str | None = None
    category: str | None = None
    agency_id: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class Envelope:
    """A relayed event: the event, and which case and write it came from.

    On the wire (SNS raw delivery, SQS bodies) it is the outbox record plus the
    case: ``{"id", "type", "occurred_at", "data", "tracking_code", "version",
    "case": {"channel", "category", "agency_id", "status"}}``, and
    ``"correlation_id"`` when the write that raised it had one (the API request's,
    or the message's or scheduled run's that changed the case; also an SNS message
    attribute). It only labels log lines: a message without one, or with one that is
    not 1-100 characters, reads the same (as one without)."""

    id: str  # "<tracking code>:<version>:<index>": subscribers drop repeats by it
    tracking_code: str
    version: int
    event: DomainEvent
    case: CaseFacts = field(default_factory=CaseFacts)
    correlation_id: str | None = None

    @property
    def type(self) -> str:
        return self.event.type

    def to_message(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **self.event.to_record(),
            "tracking_code": self.tracking_code,
            "version": self.version,
            "case": {name: getattr(self.case, name) for name in _CASE_FACTS},
            **({"correlation_id": self.correlation_id} if self.correlation_id else {}),
        }

    @classmethod
    def from_message(cls, message: Any) -> Envelope:
        """The relayed message, read once; ``UnreadableEvent`` if it is not one."""
        if not isinstance(message, dict):
            raise UnreadableEvent("an event message is a JSON object")
        event = from_record(message)
        problems = [
            name
            for name, ok in (
                ("id", isinstance(message.get("id"), str) and message["id"] != ""),
                ("tracking_code", isinstance(message.get("tracking_code"), str) and message["tracking_code"] != ""),
                ("version", isinstance(message.get("version"), int) and not isinstance(message["version"], bool)),
            )
            if not ok
        ]
        case = message.get("case", {})
        if not isinstance(case, dict) or any(not isinstance(case.get(name), str | None) for name in _CASE_FACTS):
            problems.append("case")
        if problems:
            raise UnreadableEvent(f"{event.type} message: {', '.join(problems)} missing or malformed")
        return cls(
            id=message["id"],
            tracking_code=message["tracking_code"],
            version=message["version"],
            event=event,
            case=CaseFacts(**{name: case.get(name) for name in _CASE_FACTS}),
            correlation_id=_label(message.get("correlation_id")),
        )


_CASE_FACTS = tuple(f.name for f in fields(CaseFacts))


def _label(value: Any) -> str | None:
    """A correlation id as sent (1-100 characters), or None: it is never a reason to refuse a message."""
    return value if isinstance(value, str) and 0 < len(value) <= 100 else None
