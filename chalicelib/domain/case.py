"""The Case aggregate (kasus / laporan): one citizen problem from intake to close.

Plain Python with no I/O: the services load a Case, ask it to change, and hand
it back to the repository together with the events it raised. Every method
that changes the state goes through ``lifecycle.transition`` (which edges
exist) and raises exactly the domain events that describe the change. Who may
call which method is decided in ``permissions``; this class checks the rules
of the process itself (a plan before verification, a completion photo before
resolving, delegation only down the agency tree, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

from . import lifecycle, privacy
from . import sla as sla_rules
from .agencies import Agency, AgencyDirectory
from .areas import AreaPath
from .channels import Channel
from .errors import DomainError, IllegalTransition, RuleViolation
from .events import (
    ACTOR_FIELDS,
    EVENT_TYPES,
    CaseAssigned,
    CaseClosed,
    CaseDelegated,
    CaseEscalated,
    CaseMerged,
    CaseReceived,
    CaseRejected,
    CaseReopened,
    CaseResolved,
    CaseTransferred,
    CollaboratorAdded,
    CommentAdded,
    DomainEvent,
    DuplicateAbsorbed,
    DuplicatesFound,
    FeedbackGiven,
    PhotoAdded,
    PhotoPending,
    PlanReturned,
    PlanSubmitted,
    PlanVerified,
    PriorityChanged,
    PrivacyChanged,
    ProgressPosted,
    ReporterAdded,
    SlaBreached,
    SlaReminder,
    TriageNeeded,
)
from .lifecycle import HELD_STATUSES, Action, CaseStatus, is_open, transition
from .messages import MAX_ADDITIONS, MediaLink, ReplyHandle
from .photos import COMPLETION, PhotoRef, Photos
from .plan import FollowUpPlan
from .privacy import PrivacyLevel
from .report import MAX_PHOTOS, GeoPoint, IncomingReport, Provenance, ReporterContact
from .sealed import Sealed
from .sla import Due, Milestone, SlaClock, SlaPolicy

RejectionReason = Literal["out_of_scope", "emergency", "spam"]
REJECTION_REASONS: tuple[RejectionReason, ...] = get_args(RejectionReason)

# The case operations (permissions.OPERATIONS) that are edges of the lifecycle.
OPERATION_EDGES = {
    "assign": Action.ASSIGN,
    "delegate": Action.DELEGATE,
    "transfer": Action.TRANSFER,
    "submit_plan": Action.SUBMIT_PLAN,
    "verify_plan": Action.VERIFY_PLAN,
    "return_plan": Action.RETURN_PLAN,
    "post_progress": Action.POST_PROGRESS,
    "resolve": Action.RESOLVE,
    "reject": Action.REJECT,
    "merge": Action.MERGE,
}


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the public timeline; texts are rendered per language on read."""

    at: datetime
    type: str
    data: dict[str, Any]


@dataclass(frozen=True)
class HistoryEntry:
    """One event in the case's full history (the audit trail officers see)."""

    at: datetime
    type: str
    data: dict[str, Any]

    @property
    def public(self) -> bool:
        """Is this event a line of the public timeline?"""
        cls = EVENT_TYPES.get(self.type)
        return bool(cls and cls.public)

    def public_entry(self) -> TimelineEntry | None:
        """The public timeline line for this event, or None if it is internal."""
        cls = EVENT_TYPES.get(self.type)
        if cls is None or not cls.public:
            return None
        hidden = set(ACTOR_FIELDS) | set(cls.private_fields)
        return TimelineEntry(self.at, self.type, {k: v for k, v in self.data.items() if k not in hidden})


@dataclass(frozen=True)
class Actor:
    """Who does something: an officer (user, role, agency), the reporter, or the system."""

    kind: str  # "officer" | "reporter" | "system"
    user_id: str | None = None
    role: str | None = None
    agency_id: str | None = None

    def stamp(self) -> dict[str, str | None]:
        return {"actor_user": self.user_id, "actor_role": self.role or self.kind, "actor_agency_id": self.agency_id}


SYSTEM = Actor("system")
REPORTER = Actor("reporter")


@dataclass
class Feedback:
    rating: int
    comment: str | None
    at: datetime


@dataclass
class Case:
    tracking_code: str
    channel: Channel
    category: str
    description: str
    status: CaseStatus
    created_at: datetime
    updated_at: datetime
    source_key: str | None = None  # "<channel>:<provider message id>", for idempotency
    # A client-chosen key's content digest (domain/idempotency.py): the same key with other content is refused.
    content_digest: str | None = None
    location: GeoPoint | None = None
    reporter: ReporterContact | Sealed | None = None  # Sealed once stored (see domain/sealed.py)
    anonymous: bool = False
    privacy: PrivacyLevel = PrivacyLevel.PUBLIC  # domain/privacy.py
    priority: str = "normal"  # urgent | normal | low (domain/sla.py)
    language: str = "id"
    reported_at: datetime | None = None
    agency_id: str | None = None  # the agency holding the case
    assigned_at: datetime | None = None
    collaborators: list[str] = field(default_factory=list)
    area: AreaPath | None = None
    expected_completion: datetime | None = None  # agreed (verified plan) or SLA deadline
    predicted_completion: datetime | None = None  # from recent similar cases
    sla: SlaClock | None = None
    plan: FollowUpPlan | None = None
    first_plan_at: datetime | None = None
    progress: int = 0
    resolved_at: datetime | None = None
    resolution_note: str | None = None
    closed_at: datetime | None = None
    feedback: Feedback | None = None
    reopen_count: int = 0
    rejection_reason: str | None = None
    merged_into: str | None = None
    merged_cases: list[str] = field(default_factory=list)
    duplicate_candidates: list[str] = field(default_factory=list)
    routed: bool = False  # routing ran (to an agency or to triage)
    photos: Photos = field(default_factory=Photos)
    # The recent history, oldest first: all of it for a short case. A long
    # case's older entries are stored apart (the repository keeps a bounded
    # window on the case item); ``history_start`` is the sequence number of
    # ``history[0]`` (entries are numbered 0, 1, ... in the order recorded) and
    # ``older_public`` how many of the older entries are public timeline lines.
    history: list[HistoryEntry] = field(default_factory=list)
    history_start: int = 0
    older_public: int = 0
    # How many entries of ``history`` are stored (set by the repository): the
    # ones after them were recorded since the case was read.
    history_stored: int = field(default=0, repr=False)
    version: int = 0  # 0: never stored; every stored change adds one
    # How to answer the reporter on their channel; private like ``reporter``.
    reply_handle: ReplyHandle | Sealed | None = None  # Sealed once stored, like reporter
    # Linked photos not fetched yet (private: provider URLs and media ids).
    pending_media: list[MediaLink] = field(default_factory=list)
    # Source keys of later messages that were added to this case (idempotency).
    added_messages: list[str] = field(default_factory=list)
    # Answers to the category's extra questions; private (officers only).
    answers: dict[str, Any] = field(default_factory=dict)
    # Links to photos elsewhere, as the reporter's app sent them (never fetched,
    # never public: only our cleaned copies are shown to the public).
    media_urls: list[str] = field(default_factory=list)
    # What the channel proved about the sender (an e-mail's SES verdicts); officers only.
    provenance: Provenance = Provenance.NOT_CHECKED
    pending_events: list[DomainEvent] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.privacy = PrivacyLevel(self.privacy)  # ValueError for a level there is not
        self.provenance = Provenance(self.provenance)
        if not isinstance(self.photos, Photos):
            self.photos = Photos(self.photos)

    # --- intake -------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        report: IncomingReport,
        tracking_code: str,
        now: datetime,
        photos: list[PhotoRef] | None = None,
        policy: SlaPolicy | None = None,
    ) -> Case:
        """A new case from a report: status received, SLA clocks started, event CaseReceived."""
        case = cls(
            tracking_code=tracking_code,
            channel=report.channel,
            category=report.category,
            description=report.description,
            status=CaseStatus.RECEIVED,
            created_at=now,
            updated_at=now,
            source_key=source_key(report.channel, report.message_id),
            location=report.location,
            reporter=None if report.anonymous else report.reporter,
            anonymous=report.anonymous,
            privacy=privacy.initial(report.privacy, report.anonymous, report.category),
            language=report.language,
            reported_at=report.reported_at,
            photos=Photos(photos or ()),
            sla=SlaClock.start(now, policy or SlaPolicy()),
            reply_handle=report.reply_handle,
            pending_media=list(report.media),
            answers=dict(report.answers),
            media_urls=list(report.media_urls),
            provenance=report.provenance,
        )
        case.record(CaseReceived(occurred_at=now, channel=report.channel.value, category=report.category))
        if case.pending_media:
            case.record(PhotoPending(occurred_at=now, count=len(case.pending_media)))
        return case

    # --- the reporter's later messages -------------------------------------------

    def has_message(self, key: str | None) -> bool:
        return bool(key) and (key == self.source_key or key in self.added_messages)

    def accepts_additions(self) -> bool:
        return is_open(self.status) and len(self.added_messages) < MAX_ADDITIONS

    def add_from_reporter(
        self, report: IncomingReport, now: datetime, photos: list[PhotoRef] | None = None, text: str | None = None
    ) -> list[str]:
        """Add a later message of the reporter (photo, place, text) to this open case.

        ``text`` is the message's own words (None when it only carried media).
        Returns what was added; raises ReporterAdded unless nothing was.
        """
        key = source_key(report.channel, report.message_id)
        added: list[str] = []
        if text:
            self.description = f"{self.description}\n{text}"[:5000]
            added.append("text")
        room = MAX_PHOTOS - len(self.photos) - len(self.pending_media)
        new_photos = list(photos or [])[: max(room, 0)]
        new_media = list(report.media)[: max(room - len(new_photos), 0)]
        if new_photos or new_media:
            self.photos.add(new_photos)
            self.pending_media.extend(new_media)
            # A web link (Open311 media_url) stays on the case for officers, like the report's own.
            self.media_urls.extend(link.ref for link in new_media if link.source == "web")
            added.append("photo")
        if report.location and report.location != self.location:
            self.location = report.location
            added.append("location")
        if key:
            self.added_messages.append(key)
        if added:
            self.record(ReporterAdded(occurred_at=now, added=added))
        if new_media:
            self.record(PhotoPending(occurred_at=now, count=len(new_media)))
        if not added:
            self.updated_at = max(self.updated_at, now)
        return added

    def attach_fetched_photos(self, fetched: list[tuple[MediaLink, PhotoRef | None]], now: datetime) -> int:
        """Fetched media leave ``pending_media``; the usable ones become photos."""
        done = [link for link, _ in fetched]
        self.pending_media = [link for link in self.pending_media if link not in done]
        photos = [photo for _, photo in fetched if photo is not None]
        self.photos.add(photos)
        if photos:
            self.record(PhotoAdded(occurred_at=now, count=len(photos)))
        else:
            self.updated_at = max(self.updated_at, now)
        return len(photos)

    def record(self, event: DomainEvent) -> None:
        """Raise an event: it goes to the outbox and the history (public ones to the timeline)."""
        self.pending_events.append(event)
        self.updated_at = max(self.updated_at, event.occurred_at)
        self.history.append(HistoryEntry(at=event.occurred_at, type=event.type, data=event.data()))

    @property
    def timeline(self) -> list[TimelineEntry]:
        """The public part of the history held here, with private fields left out.

        The whole public timeline when ``timeline_complete``; otherwise its
        older lines are in the repository's history store."""
        return [entry for entry in (h.public_entry() for h in self.history) if entry is not None]

    @property
    def timeline_complete(self) -> bool:
        return self.older_public == 0

    @property
    def history_total(self) -> int:
        """How many entries the whole history has (those stored apart included)."""
        return self.history_start + len(self.history)

    def pull_events(self) -> list[DomainEvent]:
        events, self.pending_events = self.pending_events, []
        return events

    # --- what the case allows now ------------------------------------------------------

    def refusal(self, operation: str) -> DomainError | None:
        """Why the case, as it stands, does not allow ``operation`` (one of
        permissions.OPERATIONS), or None. Who may do it is permissions' business,
        what a request must say the method's; the methods below raise exactly
        this error, so an officer is offered only what would be accepted."""
        action = OPERATION_EDGES.get(operation)
        if action is not None and (refused := lifecycle.refusal(self.status, action)):
            return refused
        if operation == "assign" and self.agency_id:
            return IllegalTransition(f"cannot assign a case that {self.agency_id} holds (transfer it)")
        if operation == "add_collaborator" and self.status not in HELD_STATUSES:
            return IllegalTransition(f"cannot add a collaborator to a {self.status.value} case")
        if operation == "set_priority" and not is_open(self.status):
            return RuleViolation(f"the priority of a {self.status.value} case cannot change")
        return None

    def can(self, operation: str) -> bool:
        """Does the case, as it stands, allow ``operation``?"""
        return self.refusal(operation) is None

    def require(self, operation: str) -> None:
        """Raise the error of ``refusal`` (a service checks before costly work)."""
        refused = self.refusal(operation)
        if refused is not None:
            raise refused

    def _move(self, action: Action) -> None:
        self.status = transition(self.status, action)

    def _minutes_since_report(self, now: datetime) -> int:
        return max(0, int((now - self.created_at).total_seconds() // 60))

    @property
    def resolution_breached(self) -> bool:
        return bool(self.sla and self.sla.resolution_breached)

    # --- routing and who holds the case ----------------------------------------------

    def locate(self, area: AreaPath) -> None:
        self.area = area

    def assign(self, agency: Agency, now: datetime, actor: Actor = SYSTEM, how: str = "routing") -> None:
        self.require("assign")
        self._move(Action.ASSIGN)
        self.agency_id, self.assigned_at, self.routed = agency.id, now, True
        self.record(
            CaseAssigned(occurred_at=now, agency_id=agency.id, agency_name=agency.name, how=how, **actor.stamp())
        )

    def send_to_triage(self, now: datetime, reason: str) -> None:
        """No rule matched: the case waits for the Bureau (it stays received)."""
        if self.status is not CaseStatus.RECEIVED:
            raise IllegalTransition(f"only a received case goes to triage, not a {self.status.value} one")
        self.routed = True
        self.record(TriageNeeded(occurred_at=now, reason=reason))

    def delegate(self, to: Agency, directory: AgencyDirectory, now: datetime, actor: Actor) -> None:
        if not self.agency_id or not directory.is_below(to.id, self.agency_id):
            raise RuleViolation(f"{to.id} is not a sub-agency of {self.agency_id}; delegation goes down the tree")
        self._move(Action.DELEGATE)
        previous, self.agency_id, self.assigned_at = self.agency_id, to.id, now
        self._forget_open_plan()
        self.record(
            CaseDelegated(
                occurred_at=now,
                from_agency_id=previous,
                agency_id=to.id,
                agency_name=to.name,
                resolution_breached=self.resolution_breached,
                **actor.stamp(),
            )
        )

    def transfer(self, to: Agency, reason: str, now: datetime, actor: Actor) -> None:
        if to.id == self.agency_id:
            raise RuleViolation("the case is already with that agency")
        if not reason or not reason.strip():
            raise RuleViolation("a transfer needs a reason")
        self._move(Action.TRANSFER)
        previous, self.agency_id, self.assigned_at = self.agency_id, to.id, now
        self._forget_open_plan()
        self.collaborators = [c for c in self.collaborators if c != to.id]
        self.record(
            CaseTransferred(
                occurred_at=now,
                from_agency_id=previous,
                agency_id=to.id,
                agency_name=to.name,
                reason=reason.strip(),
                resolution_breached=self.resolution_breached,
                **actor.stamp(),
            )
        )

    def add_collaborator(self, agency: Agency, now: datetime, actor: Actor) -> None:
        self.require("add_collaborator")
        if agency.id == self.agency_id or agency.id in self.collaborators:
            raise RuleViolation(f"{agency.id} already works on this case")
        self.collaborators.append(agency.id)
        self.record(CollaboratorAdded(occurred_at=now, agency_id=agency.id, agency_name=agency.name, **actor.stamp()))

    def _forget_open_plan(self) -> None:
        # A new holder makes its own plan; the old one is history.
        if self.plan is not None and not self.plan.verified:
            self.plan = None

    # --- follow-up plan and the Bureau's review ------------------------------------------

    def submit_plan(
        self, text: str, proposed_completion: datetime | None, policy: SlaPolicy, now: datetime, actor: Actor
    ) -> None:
        if not text or not text.strip():
            raise RuleViolation("the plan needs a text")
        if proposed_completion is not None:
            if not policy.estimates_allowed:
                raise RuleViolation(
                    f"{self.category} cases are resolved within the standard time; "
                    "no estimated completion date can be proposed"
                )
            if proposed_completion <= now:
                raise RuleViolation("the estimated completion must be in the future")
            if proposed_completion > now + policy.max_estimate:
                raise RuleViolation(f"the estimated completion may be at most {policy.max_estimate.days} days away")
        self._move(Action.SUBMIT_PLAN)
        first = self.first_plan_at is None
        if first:
            self.first_plan_at = now
        self.plan = FollowUpPlan(
            text=text.strip(), agency_id=self.agency_id or "", submitted_at=now, proposed_completion=proposed_completion
        )
        self.record(
            PlanSubmitted(
                occurred_at=now,
                agency_id=self.agency_id or "",
                text=text.strip(),
                proposed_completion=proposed_completion.isoformat() if proposed_completion else None,
                first=first,
                minutes_since_report=self._minutes_since_report(now),
                **actor.stamp(),
            )
        )

    def verify_plan(self, now: datetime, actor: Actor) -> None:
        self._move(Action.VERIFY_PLAN)
        assert self.plan is not None and self.sla is not None
        self.plan.verify(now)
        if self.plan.proposed_completion is not None:
            self.sla.agree(self.plan.proposed_completion)
        self.expected_completion = self.sla.resolve_by
        self.record(
            PlanVerified(
                occurred_at=now,
                agency_id=self.plan.agency_id,
                expected_completion=self.expected_completion.isoformat(),
                **actor.stamp(),
            )
        )

    def return_plan(self, comment: str, now: datetime, actor: Actor) -> None:
        if not comment or not comment.strip():
            raise RuleViolation("say what the agency should change in its plan")
        self._move(Action.RETURN_PLAN)
        assert self.plan is not None
        self.plan.send_back(comment.strip(), now)
        self.record(
            PlanReturned(occurred_at=now, agency_id=self.plan.agency_id, comment=comment.strip(), **actor.stamp())
        )

    # --- the work ------------------------------------------------------------------------

    def post_progress(self, percent: int, text: str, now: datetime, actor: Actor) -> None:
        if not 0 <= percent <= 100:
            raise RuleViolation("progress is a percentage from 0 to 100")
        if not text or not text.strip():
            raise RuleViolation("say what was done")
        self._move(Action.POST_PROGRESS)
        self.progress = percent
        self.record(
            ProgressPosted(
                occurred_at=now,
                agency_id=actor.agency_id or self.agency_id or "",
                percent=percent,
                text=text.strip(),
                **actor.stamp(),
            )
        )

    def change_privacy(self, level: str, reason: str, now: datetime, actor: Actor, may_lower: bool) -> None:
        """Raise the level (anyone who may work the case) or lower it (the Bureau).

        Raising to anonymous forgets the reporter's contact for good: only the
        reply handle stays, as for a report that came in anonymous."""
        level = privacy.check(level)
        if not reason or not reason.strip():
            raise RuleViolation("say why the privacy level changes (reason)")
        refused = self.privacy.refusal(level, may_lower)
        if refused:
            raise RuleViolation(refused)
        previous, self.privacy = self.privacy, level
        if level.forgets_reporter:
            self.reporter, self.anonymous = None, True
        self.record(
            PrivacyChanged(
                occurred_at=now, previous=previous.value, level=level.value, reason=reason.strip(), **actor.stamp()
            )
        )

    def set_priority(self, priority: str, reason: str, policy: SlaPolicy, now: datetime, actor: Actor) -> None:
        """Urgent / normal / low, while the case is open; the SLA deadlines follow
        (domain/sla.py: urgent shortens, low never lengthens, an agreed date stays)."""
        if priority not in sla_rules.PRIORITIES:
            raise RuleViolation(f"priority must be one of {', '.join(sla_rules.PRIORITIES)}")
        if not reason or not reason.strip():
            raise RuleViolation("say why the priority changes (reason)")
        self.require("set_priority")
        if priority == self.priority:
            raise RuleViolation(f"the case is already {priority}")
        previous, self.priority = self.priority, priority
        if self.sla is not None:
            # A date agreed before the last reopening was for the work that did not hold.
            agreed = self.plan.agreed_completion(since=self.sla.resolve_from) if self.plan else None
            self.sla.apply_priority(self.created_at, policy.for_priority(priority), agreed)
            if self.expected_completion is not None:
                self.expected_completion = self.sla.resolve_by
        self.record(
            PriorityChanged(
                occurred_at=now, previous=previous, priority=priority, reason=reason.strip(), **actor.stamp()
            )
        )

    @property
    def hidden_from_public(self) -> bool:
        return self.privacy.hidden

    @property
    def unverified_sender(self) -> bool:
        """Opened by an e-mail whose sender SES could not verify (officers see the flag)."""
        return self.provenance is Provenance.UNVERIFIED

    def comment(self, text: str, now: datetime, actor: Actor) -> None:
        if not text or not text.strip():
            raise RuleViolation("the comment is empty")
        self.record(CommentAdded(occurred_at=now, agency_id=actor.agency_id, text=text.strip(), **actor.stamp()))

    def redact_photo(
        self, photo_id: str, public_key: str, regions: list[list[int]], now: datetime, actor: Actor
    ) -> PhotoRef:
        """The photo's public copy becomes ``public_key`` (re-rendered with ``regions``
        blurred); audited in the history. Returns the photo as it was."""
        from .events import PhotoRedacted

        try:
            before = self.photos.republish(photo_id, public_key)
        except KeyError:
            raise RuleViolation(f"the case has no photo {photo_id!r}") from None
        self.record(
            PhotoRedacted(
                occurred_at=now,
                photo_id=photo_id,
                kind=before.kind,
                regions=[list(region) for region in regions],
                **actor.stamp(),
            )
        )
        return before

    def resolve(self, photo: PhotoRef, note: str, now: datetime, actor: Actor) -> None:
        if photo.kind != COMPLETION:
            raise RuleViolation("resolving needs a completion photo")
        self._move(Action.RESOLVE)
        assert self.sla is not None
        on_time = now <= self.sla.resolve_by
        self.photos.add([photo])
        self.progress, self.resolved_at, self.resolution_note = 100, now, (note or "").strip()
        self.record(
            CaseResolved(
                occurred_at=now,
                agency_id=self.agency_id or "",
                note=self.resolution_note,
                photo_id=photo.id,
                minutes_since_report=self._minutes_since_report(now),
                on_time=on_time,
                resolution_breached=self.resolution_breached,
                **actor.stamp(),
            )
        )

    # --- the reporter's word ---------------------------------------------------------------

    def reopen(self, reason: str, policy: SlaPolicy, now: datetime) -> None:
        if not reason or not reason.strip():
            raise RuleViolation("say why the problem is not solved")
        if self.status is CaseStatus.RESOLVED and self.resolved_at and now > self.resolved_at + policy.confirm_within:
            raise IllegalTransition("the 7 days to reopen this case have passed")
        self._move(Action.REOPEN)
        assert self.sla is not None
        self.reopen_count += 1
        self.resolved_at = None
        self.sla.restart_resolution(now, policy.for_priority(self.priority))
        self.expected_completion = self.sla.resolve_by
        self.record(CaseReopened(occurred_at=now, agency_id=self.agency_id, reason=reason.strip(), **REPORTER.stamp()))

    def give_feedback(self, rating: int, comment: str | None, now: datetime) -> None:
        """The reporter confirms the work with a 1-5 rating; this closes the case."""
        if not 1 <= rating <= 5:
            raise RuleViolation("the rating is from 1 to 5")
        self._move(Action.CLOSE)
        self.feedback = Feedback(rating, (comment or "").strip() or None, now)
        self.closed_at = now
        self.record(
            FeedbackGiven(
                occurred_at=now,
                agency_id=self.agency_id,
                rating=rating,
                comment=self.feedback.comment,
                **REPORTER.stamp(),
            )
        )
        self.record(CaseClosed(occurred_at=now, agency_id=self.agency_id, how="confirmed", **REPORTER.stamp()))

    # --- ending otherwise ----------------------------------------------------------------------

    def reject(self, reason: str, note: str | None, now: datetime, actor: Actor) -> None:
        if reason not in REJECTION_REASONS:
            raise RuleViolation(f"the reason must be one of: {', '.join(REJECTION_REASONS)}")
        self._move(Action.REJECT)
        self.rejection_reason = reason
        self.closed_at = now
        self.record(
            CaseRejected(
                occurred_at=now,
                agency_id=self.agency_id,
                reason=reason,
                note=(note or "").strip() or None,
                resolution_breached=self.resolution_breached,
                **actor.stamp(),
            )
        )

    def merge_into(self, primary: str, now: datetime, actor: Actor) -> None:
        if primary == self.tracking_code:
            raise RuleViolation("a case cannot be merged into itself")
        self._move(Action.MERGE)
        self.merged_into, self.closed_at = primary, now
        self.record(
            CaseMerged(
                occurred_at=now,
                agency_id=self.agency_id,
                primary=primary,
                resolution_breached=self.resolution_breached,
                **actor.stamp(),
            )
        )

    @property
    def takes_duplicates(self) -> bool:
        """May other cases be merged into this one?"""
        return not self.merged_into and self.status not in (CaseStatus.REJECTED, CaseStatus.MERGED)

    def absorb(self, duplicate: str, now: datetime) -> bool:
        """Remember that ``duplicate`` follows this case. False if already known."""
        if duplicate in self.merged_cases:
            return False
        self.merged_cases.append(duplicate)
        self.record(DuplicateAbsorbed(occurred_at=now, duplicate=duplicate))
        return True

    def note_duplicates(self, candidates: list[str], now: datetime) -> None:
        fresh = [code for code in candidates if code != self.tracking_code]
        if fresh:
            self.duplicate_candidates = fresh
            self.record(DuplicatesFound(occurred_at=now, candidates=fresh))

    def predict(self, when: datetime | None) -> None:
        self.predicted_completion = when

    # --- time limits ------------------------------------------------------------------------

    def pending_milestones(self, policy: SlaPolicy) -> list[Due]:
        """The SLA milestones still ahead of this case, earliest first."""
        if self.sla is None:
            return []
        working = is_open(self.status)
        resolved = self.status is CaseStatus.RESOLVED and self.resolved_at is not None
        return self.sla.pending(
            policy,
            self.created_at,
            coordinating=working and self.first_plan_at is None,
            working=working,
            confirm_from=self.resolved_at if resolved else None,
        )

    def next_deadline(self, policy: SlaPolicy) -> datetime | None:
        pending = self.pending_milestones(policy)
        return pending[0].at if pending else None

    def apply_due_milestones(self, policy: SlaPolicy, now: datetime) -> list[Milestone]:
        """Act on every milestone due by ``now`` (the sweep). Returns what was done.

        Idempotent: a milestone is marked when acted on and never acted on twice.
        A reminder whose deadline has also passed is skipped for the breach.
        """
        done: list[Milestone] = []
        for milestone, at in self.pending_milestones(policy):
            if at > now:
                break
            clock = self.sla
            assert clock is not None  # a case without a clock has no milestones
            if milestone is Milestone.AUTO_CLOSE:
                self._move(Action.CLOSE)
                self.closed_at = now
                self.record(CaseClosed(occurred_at=now, agency_id=self.agency_id, how="no_response"))
            elif milestone is Milestone.ESCALATION:
                clock.mark(milestone)
                self.record(
                    CaseEscalated(occurred_at=now, agency_id=self.agency_id, days_open=(now - self.created_at).days)
                )
            else:
                deadline = clock.deadline(milestone.kind)
                clock.mark(milestone)
                if milestone.is_reminder and deadline <= now:
                    continue  # the breach follows in this same sweep
                raised = SlaReminder if milestone.is_reminder else SlaBreached
                self.record(
                    raised(
                        occurred_at=now,
                        agency_id=self.agency_id,
                        milestone=milestone.kind.value,
                        deadline=deadline.isoformat(),
                    )
                )
            done.append(milestone)
        return done

    @property
    def escalated(self) -> bool:
        return bool(self.sla and self.sla.escalated)


def source_key(channel: Channel, message_id: str | None) -> str | None:
    return f"{channel.value}:{message_id}" if message_id else None
