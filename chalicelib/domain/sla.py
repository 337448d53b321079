"""Service levels (batas waktu): the city's time limits, per category.

Defaults from the city: coordinate (the holding agency's first follow-up plan)
within 6 hours of the report; resolve within 7 days, or by the estimate the
Bureau verified (e.g. 21 days for a water pump); escalate to the Inspectorate
and supervisors when still unresolved 30 days after the report. Reminders go
out at 80 % of each deadline. After a case is resolved the reporter has 7 days
to confirm or reopen; then it closes by itself.

Clocks run in calendar time by default; a category may use "working_days",
where whole days skip Saturdays and Sundays (Jakarta dates).

Priorities (urgent / normal / low), set by the Bureau or the holding agency:
``urgent`` shortens the coordination and resolution deadlines to the policy's
``urgent_*`` spans (by default 2 hours and 3 days) whenever those are shorter,
counted from the report (or the last reopening) exactly like the standard
ones. A resolution date the Bureau agreed in a verified plan stays as agreed:
it is an estimate of physical work, which a label cannot speed up, and it is
never lengthened. ``low`` changes no deadline: the 7-day resolution target is
the city's promise to every reporter (and the basis of the agencies'
performance figures), so a low priority only orders the queue; it never buys
an agency more time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from .clock import JAKARTA

CLOCKS = ("calendar", "working_days")
URGENT, NORMAL, LOW = "urgent", "normal", "low"
PRIORITIES = (URGENT, NORMAL, LOW)


@dataclass(frozen=True)
class SlaPolicy:
    coordinate_within: timedelta = timedelta(hours=6)
    resolve_within: timedelta = timedelta(days=7)
    escalate_after: timedelta = timedelta(days=30)
    reminder_fraction: float = 0.8
    confirm_within: timedelta = timedelta(days=7)
    estimates_allowed: bool = False  # may a plan propose its own completion date?
    max_estimate: timedelta = timedelta(days=90)
    clock: str = "calendar"
    urgent_coordinate_within: timedelta = timedelta(hours=2)
    urgent_resolve_within: timedelta = timedelta(days=3)

    def __post_init__(self) -> None:
        if self.clock not in CLOCKS:
            raise ValueError(f"clock must be one of {CLOCKS}")
        if not 0 < self.reminder_fraction < 1:
            raise ValueError("reminder_fraction must be between 0 and 1")

    def add(self, start: datetime, span: timedelta) -> datetime:
        """``start + span`` on this policy's clock."""
        if self.clock == "calendar" or span.days == 0:
            return start + span
        local = start.astimezone(JAKARTA)
        days_left = span.days
        while days_left > 0:
            local += timedelta(days=1)
            if local.weekday() < 5:
                days_left -= 1
        return (local + (span - timedelta(days=span.days))).astimezone(start.tzinfo)

    def for_priority(self, priority: str) -> SlaPolicy:
        """The policy a case of this priority is held to: urgent only ever shortens."""
        if priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {PRIORITIES}")
        if priority != URGENT:
            return self  # low: same deadlines (see the module's docstring)
        return replace(
            self,
            coordinate_within=min(self.coordinate_within, self.urgent_coordinate_within),
            resolve_within=min(self.resolve_within, self.urgent_resolve_within),
        )

    def reminder_time(self, start: datetime, deadline: datetime) -> datetime:
        return start + (deadline - start) * self.reminder_fraction


@dataclass(frozen=True)
class SlaCatalogue:
    default: SlaPolicy = field(default_factory=SlaPolicy)
    by_category: Mapping[str, SlaPolicy] = field(default_factory=dict)

    def for_category(self, category: str) -> SlaPolicy:
        return self.by_category.get(category, self.default)


def _policy_from(base: SlaPolicy, values: Mapping[str, Any]) -> SlaPolicy:
    changes: dict[str, Any] = {}
    for name, value in values.items():
        if name.endswith("_hours"):
            changes[name[: -len("_hours")]] = timedelta(hours=float(value))
        elif name.endswith("_days"):
            changes[name[: -len("_days")]] = timedelta(days=float(value))
        else:
            changes[name] = value
    return replace(base, **changes)


def catalogue_from(data: Mapping[str, Any]) -> SlaCatalogue:
    """From the JSON shape of chalicelib/data/sla_policy.json."""
    default = _policy_from(SlaPolicy(), data.get("default", {}))
    return SlaCatalogue(
        default=default,
        by_category={name: _policy_from(default, values) for name, values in data.get("categories", {}).items()},
    )


class MilestoneKind(StrEnum):
    """What a milestone is about: a deadline (coordination, resolution), the
    escalation to the Inspectorate, or the end of the reporter's 7 days."""

    COORDINATION = "coordination"
    RESOLUTION = "resolution"
    ESCALATION = "escalation"
    AUTO_CLOSE = "auto_close"


class Step(StrEnum):
    """A deadline's two milestones: the warning before it, and missing it."""

    REMINDER = "reminder"
    BREACH = "breach"


class Milestone(StrEnum):
    """A milestone a case passes through; the sweep acts on those that are due.

    Its value is the stored name ("coordination.breach", ...: the case item's
    ``sla.marked``), and it knows its ``kind`` and ``step`` (None for the
    escalation and the auto-close, which have no warning before them)."""

    kind: MilestoneKind
    step: Step | None

    def __new__(cls, value: str, kind: MilestoneKind, step: Step | None) -> Milestone:
        member = str.__new__(cls, value)
        member._value_ = value
        member.kind, member.step = kind, step
        return member

    COORDINATION_REMINDER = "coordination.reminder", MilestoneKind.COORDINATION, Step.REMINDER
    COORDINATION_BREACH = "coordination.breach", MilestoneKind.COORDINATION, Step.BREACH
    RESOLUTION_REMINDER = "resolution.reminder", MilestoneKind.RESOLUTION, Step.REMINDER
    RESOLUTION_BREACH = "resolution.breach", MilestoneKind.RESOLUTION, Step.BREACH
    ESCALATION = "escalation", MilestoneKind.ESCALATION, None
    AUTO_CLOSE = "auto_close", MilestoneKind.AUTO_CLOSE, None

    @classmethod
    def of(cls, kind: MilestoneKind, step: Step | None = None) -> Milestone:
        return next(m for m in cls if m.kind is kind and m.step is step)

    @classmethod
    def named(cls, name: object) -> Milestone:
        """The milestone stored as ``name``; ValueError for a name we never wrote.
        (``Milestone(name)`` does the same, but reads to a type checker as the three-argument ``__new__``.)"""
        for milestone in cls:
            if milestone.value == name:
                return milestone
        raise ValueError(f"{str(name)[:60]!r} is not a milestone")

    @property
    def is_reminder(self) -> bool:
        return self.step is Step.REMINDER

    @property
    def is_breach(self) -> bool:
        return self.step is Step.BREACH

    @property
    def deadline_kind(self) -> str | None:
        """What an officer is held to at this milestone (a reminder is only a
        warning before one): coordination | resolution | escalation | confirmation."""
        if self.is_reminder:
            return None
        return "confirmation" if self.kind is MilestoneKind.AUTO_CLOSE else self.kind.value


# The names the rest of the code and the tests use.
COORDINATION_REMINDER = Milestone.COORDINATION_REMINDER
COORDINATION_BREACH = Milestone.COORDINATION_BREACH
RESOLUTION_REMINDER = Milestone.RESOLUTION_REMINDER
RESOLUTION_BREACH = Milestone.RESOLUTION_BREACH
ESCALATION = Milestone.ESCALATION
AUTO_CLOSE = Milestone.AUTO_CLOSE


class Due(NamedTuple):
    """A pending milestone and when it falls due."""

    milestone: Milestone
    at: datetime


def next_due(pending: list[Due]) -> tuple[str, datetime] | None:
    """The next real deadline among a case's pending milestones (reminders skipped),
    as (coordination | resolution | escalation | confirmation, when)."""
    for milestone, at in pending:
        if milestone.deadline_kind is not None:
            return milestone.deadline_kind, at
    return None


@dataclass
class SlaClock:
    """A case's deadlines and which milestones have been acted on."""

    coordinate_by: datetime
    resolve_from: datetime  # the report, or the last reopening
    resolve_by: datetime
    escalate_at: datetime
    marked: set[Milestone] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.marked = {Milestone.named(name) for name in self.marked}  # ValueError for a name we never wrote

    @classmethod
    def start(cls, reported_at: datetime, policy: SlaPolicy) -> SlaClock:
        return cls(
            coordinate_by=policy.add(reported_at, policy.coordinate_within),
            resolve_from=reported_at,
            resolve_by=policy.add(reported_at, policy.resolve_within),
            escalate_at=policy.add(reported_at, policy.escalate_after),
        )

    def deadline(self, kind: MilestoneKind) -> datetime:
        """The deadline of a coordination or resolution milestone."""
        if kind is MilestoneKind.COORDINATION:
            return self.coordinate_by
        if kind is MilestoneKind.RESOLUTION:
            return self.resolve_by
        raise ValueError(f"{kind} has no deadline of its own")

    def passed(self, milestone: Milestone) -> bool:
        """Acted on (or skipped for its breach)."""
        return milestone in self.marked

    def mark(self, milestone: Milestone) -> None:
        """Acted on: never again. A breach also settles the reminder before it."""
        self.marked.add(milestone)
        if milestone.is_breach:
            self.marked.add(Milestone.of(milestone.kind, Step.REMINDER))

    def rearm(self, kind: MilestoneKind) -> None:
        """The deadline of ``kind`` moved: warn again, unless it was already missed."""
        if Milestone.of(kind, Step.BREACH) not in self.marked:
            self.marked.discard(Milestone.of(kind, Step.REMINDER))

    @property
    def breaches(self) -> list[Milestone]:
        """The deadlines missed, in name order."""
        return sorted(m for m in self.marked if m.is_breach)

    def pending(
        self,
        policy: SlaPolicy,
        reported_at: datetime,
        *,
        coordinating: bool,
        working: bool,
        confirm_from: datetime | None,
    ) -> list[Due]:
        """The milestones still ahead, earliest first. ``coordinating``: the case
        is open and waits for its first plan; ``working``: it is open;
        ``confirm_from``: it was resolved then (the reporter's 7 days run)."""
        due: list[Due] = []
        if coordinating:
            if not self.passed(COORDINATION_REMINDER) and not self.passed(COORDINATION_BREACH):
                due.append(Due(COORDINATION_REMINDER, policy.reminder_time(reported_at, self.coordinate_by)))
            if not self.passed(COORDINATION_BREACH):
                due.append(Due(COORDINATION_BREACH, self.coordinate_by))
        if working:
            if not self.passed(RESOLUTION_REMINDER) and not self.passed(RESOLUTION_BREACH):
                due.append(Due(RESOLUTION_REMINDER, policy.reminder_time(self.resolve_from, self.resolve_by)))
            if not self.passed(RESOLUTION_BREACH):
                due.append(Due(RESOLUTION_BREACH, self.resolve_by))
            if not self.passed(ESCALATION):
                due.append(Due(ESCALATION, self.escalate_at))
        if confirm_from is not None:
            due.append(Due(AUTO_CLOSE, confirm_from + policy.confirm_within))
        return sorted(due, key=lambda item: item.at)

    def restart_resolution(self, now: datetime, policy: SlaPolicy) -> None:
        """After a reopening: a fresh resolution deadline and its reminders."""
        self.resolve_from = now
        self.resolve_by = policy.add(now, policy.resolve_within)
        self.marked -= {RESOLUTION_REMINDER, RESOLUTION_BREACH}

    def agree(self, completion: datetime) -> None:
        """A verified plan's date replaces the standard resolution deadline. A
        breach that already happened stays on the record."""
        self.resolve_by = completion
        self.rearm(MilestoneKind.RESOLUTION)

    def apply_priority(self, created_at: datetime, policy: SlaPolicy, agreed: datetime | None) -> None:
        """Recompute the deadlines for ``policy`` (already ``for_priority``): coordination
        from the report, resolution from ``resolve_from``, unless a date was agreed.
        A breach already recorded stays on the record; a reminder is re-armed when
        its deadline moved and has not been breached."""
        coordinate_by = policy.add(created_at, policy.coordinate_within)
        resolve_by = agreed if agreed is not None else policy.add(self.resolve_from, policy.resolve_within)
        if coordinate_by != self.coordinate_by:
            self.rearm(MilestoneKind.COORDINATION)
        if resolve_by != self.resolve_by:
            self.rearm(MilestoneKind.RESOLUTION)
        self.coordinate_by, self.resolve_by = coordinate_by, resolve_by

    @property
    def resolution_breached(self) -> bool:
        return RESOLUTION_BREACH in self.marked

    @property
    def escalated(self) -> bool:
        return ESCALATION in self.marked
