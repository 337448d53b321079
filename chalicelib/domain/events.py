"""Domain events: small facts the Case raises when something happens to it.

Each event is written in the same DynamoDB request as the state it describes
(the case item's ``outbox``), and the table's stream relays it to SNS. Public
events also become lines of the case's public timeline, so what a reporter
reads and what subscribers receive come from one source.

Events carry what subscribers need (agency ids, durations, on-time flags for
the metrics) and never the reporter's identity. Who acted (an officer's user
id, role and agency) is kept for the audit trail but is not public.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any, ClassVar

from .clock import parse_instant, to_utc_text

ACTOR_FIELDS = ("actor_user", "actor_role", "actor_agency_id")


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    type: ClassVar[str]
    # Public events are shown on the public timeline (GET /status/{code}).
    public: ClassVar[bool] = True
    # Fields never shown publicly, beyond who acted.
    private_fields: ClassVar[tuple[str, ...]] = ()

    occurred_at: datetime
    actor_user: str | None = None
    actor_role: str | None = None
    actor_agency_id: str | None = None

    def data(self) -> dict[str, Any]:
        values = asdict(self)
        values.pop("occurred_at")
        return values

    def to_record(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "occurred_at": to_utc_text(self.occurred_at),
            "data": self.data(),
        }


def _event(type_name: str, public: bool = True, private: tuple[str, ...] = ()):
    def decorate(cls):
        cls.type = type_name
        cls.public = public
        cls.private_fields = private
        return dataclass(frozen=True, kw_only=True)(cls)

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
    agency_id: str
    expected_completion: str


@_event("plan.returned", public=False)
class PlanReturned(DomainEvent):
    agency_id: str
    comment: str


@_event("case.progress")
class ProgressPosted(DomainEvent):
    agency_id: str
    percent: int
    text: str


@_event("case.commented", public=False)
class CommentAdded(DomainEvent):
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
    agency_id: str
    note: str
    photo_id: str
    minutes_since_report: int
    on_time: bool
    resolution_breached: bool


@_event("case.reopened", private=("reason",))
class CaseReopened(DomainEvent):
    agency_id: str | None
    reason: str


@_event("case.feedback", private=("comment",))
class FeedbackGiven(DomainEvent):
    agency_id: str | None
    rating: int
    comment: str | None


@_event("case.closed")
class CaseClosed(DomainEvent):
    agency_id: str | None
    how: str  # "confirmed" by the reporter, or "no_response" after the window


@_event("case.rejected", private=("note",))
class CaseRejected(DomainEvent):
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
    duplicate: str


@_event("case.duplicates_found", public=False)
class DuplicatesFound(DomainEvent):
    candidates: list[str]


@_event("sla.reminder", public=False)
class SlaReminder(DomainEvent):
    agency_id: str | None
    milestone: str  # "coordination" | "resolution"
    deadline: str


@_event("sla.breached", public=False)
class SlaBreached(DomainEvent):
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


def from_record(record: dict[str, Any]) -> DomainEvent:
    cls = EVENT_TYPES[record["type"]]
    known = {f.name for f in fields(cls)}
    data = {k: v for k, v in record.get("data", {}).items() if k in known}
    return cls(occurred_at=parse_instant(record["occurred_at"]), **data)
