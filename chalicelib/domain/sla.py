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
from typing import Any

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


# Milestones a case passes through; the sweep acts on those that are due.
COORDINATION_REMINDER = "coordination.reminder"
COORDINATION_BREACH = "coordination.breach"
RESOLUTION_REMINDER = "resolution.reminder"
RESOLUTION_BREACH = "resolution.breach"
ESCALATION = "escalation"
AUTO_CLOSE = "auto_close"

# What an officer is held to (a reminder is only a warning before one of these).
DEADLINES = {
    COORDINATION_BREACH: "coordination",
    RESOLUTION_BREACH: "resolution",
    ESCALATION: "escalation",
    AUTO_CLOSE: "confirmation",
}


def next_due(pending: list[tuple[str, datetime]]) -> tuple[str, datetime] | None:
    """The next real deadline among a case's pending milestones (reminders skipped),
    as (coordination | resolution | escalation | confirmation, when)."""
    for milestone, at in pending:
        if milestone in DEADLINES:
            return DEADLINES[milestone], at
    return None


@dataclass
class SlaClock:
    """A case's deadlines and which milestones have been acted on."""

    coordinate_by: datetime
    resolve_from: datetime  # the report, or the last reopening
    resolve_by: datetime
    escalate_at: datetime
    marked: set[str] = field(default_factory=set)

    @classmethod
    def start(cls, reported_at: datetime, policy: SlaPolicy) -> SlaClock:
        return cls(
            coordinate_by=policy.add(reported_at, policy.coordinate_within),
            resolve_from=reported_at,
            resolve_by=policy.add(reported_at, policy.resolve_within),
            escalate_at=policy.add(reported_at, policy.escalate_after),
        )

    def restart_resolution(self, now: datetime, policy: SlaPolicy) -> None:
        """After a reopening: a fresh resolution deadline and its reminders."""
        self.resolve_from = now
        self.resolve_by = policy.add(now, policy.resolve_within)
        self.marked -= {RESOLUTION_REMINDER, RESOLUTION_BREACH}

    def apply_priority(self, created_at: datetime, policy: SlaPolicy, agreed: datetime | None) -> None:
        """Recompute the deadlines for ``policy`` (already ``for_priority``): coordination
        from the report, resolution from ``resolve_from``, unless a date was agreed.
        A breach already recorded stays on the record; a reminder is re-armed when
        its deadline moved and has not been breached."""
        coordinate_by = policy.add(created_at, policy.coordinate_within)
        resolve_by = agreed if agreed is not None else policy.add(self.resolve_from, policy.resolve_within)
        if coordinate_by != self.coordinate_by and COORDINATION_BREACH not in self.marked:
            self.marked.discard(COORDINATION_REMINDER)
        if resolve_by != self.resolve_by and RESOLUTION_BREACH not in self.marked:
            self.marked.discard(RESOLUTION_REMINDER)
        self.coordinate_by, self.resolve_by = coordinate_by, resolve_by

    @property
    def resolution_breached(self) -> bool:
        return RESOLUTION_BREACH in self.marked
