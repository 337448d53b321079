"""Agency performance (kinerja OPD): the public indicator of civil servants' work.

Counters are kept per agency per day and fed by the domain events, so a
dashboard reads a handful of counter items and never a case:

    received            cases the agency got (routing, triage, delegation, transfer in)
    resolved            cases it resolved; resolved_on_time: by their deadline
    breached            resolution deadlines it missed; coord_breached: 6-hour coordination missed
    reopened, rejected, merged, escalated, closed
    coord_n/coord_min   first follow-up plans and their minutes since the report (+ histogram ch_<b>)
    res_n/res_min       resolutions and their minutes since the report (+ histogram rh_<b>, and per
                        category rc_<category>_<b> for predictions)
    rating_n/rating_sum reporter ratings
    open_delta          +1 in, -1 out: the stock of open cases is the running sum
    overdue_delta       the same for open cases past their resolution deadline

Percentiles come from the histograms (fixed buckets; the p90 is the upper
bound of the bucket holding the 90th value), averages from sums and counts.
On-time rate = resolved on time / (resolved + overdue open at the period's end).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import events
from .clock import JAKARTA
from .events import DomainEvent

# Upper bounds of the duration buckets, in minutes: 15 min ... 60 days, then overflow.
BUCKETS = (15, 30, 60, 120, 180, 240, 360, 480, 720, 1440, 2880, 4320, 7200, 10080, 14400, 20160, 30240, 43200, 86400)
OVERFLOW = len(BUCKETS)


def bucket(minutes: int) -> int:
    for index, bound in enumerate(BUCKETS):
        if minutes <= bound:
            return index
    return OVERFLOW


def bucket_bound(index: int) -> int | None:
    return BUCKETS[index] if index < OVERFLOW else None


def percentile(histogram: Mapping[int, int], fraction: float) -> int | None:
    """Upper bound (minutes) of the bucket holding the given fraction of values."""
    total = sum(histogram.values())
    if total == 0:
        return None
    threshold, running = fraction * total, 0
    for index in range(OVERFLOW + 1):
        running += histogram.get(index, 0)
        if running >= threshold:
            return bucket_bound(index) or BUCKETS[-1] * 2
    return None


@dataclass(frozen=True)
class Contribution:
    agency_id: str
    day: str  # yyyy-mm-dd in Jakarta
    counters: dict[str, int]


def jakarta_day(instant: datetime) -> str:
    return instant.astimezone(JAKARTA).strftime("%Y-%m-%d")


def contributions(event: DomainEvent, category: str | None = None) -> list[Contribution]:
    """What one domain event adds to which agency's counters on which day (``category``:
    the case's, for the per-category resolution histograms). Events that count nothing
    give nothing; which event types reach the counters is the handler registry's
    (chalicelib/services/handlers.py)."""
    day = jakarta_day(event.occurred_at)
    out: dict[str, dict[str, int]] = {}

    def add(agency: str | None, **counters: int) -> None:
        if not agency:
            return
        bucket_counters = out.setdefault(agency, {})
        for name, value in counters.items():
            if value:
                bucket_counters[name] = bucket_counters.get(name, 0) + value

    match event:
        case events.CaseAssigned():
            add(event.agency_id, received=1, open_delta=1)
        case events.CaseDelegated() | events.CaseTransferred():
            breached = 1 if event.resolution_breached else 0
            add(event.from_agency_id, moved_out=1, open_delta=-1, overdue_delta=-breached)
            add(event.agency_id, received=1, open_delta=1, overdue_delta=breached)
        case events.PlanSubmitted(first=True):
            minutes = event.minutes_since_report
            add(event.agency_id, coord_n=1, coord_min=minutes, **{f"ch_{bucket(minutes)}": 1})
        case events.CaseResolved():
            minutes = event.minutes_since_report
            per_category = {f"rc_{category}_{bucket(minutes)}": 1} if category else {}
            add(
                event.agency_id,
                resolved=1,
                resolved_on_time=1 if event.on_time else 0,
                res_n=1,
                res_min=minutes,
                open_delta=-1,
                overdue_delta=-1 if event.resolution_breached else 0,
                **{f"rh_{bucket(minutes)}": 1},
                **per_category,
            )
        case events.CaseReopened():
            add(event.agency_id, reopened=1, open_delta=1)
        case events.FeedbackGiven():
            add(event.agency_id, rating_n=1, rating_sum=event.rating)
        case events.CaseClosed():
            add(event.agency_id, closed=1)
        case events.CaseRejected():
            add(event.agency_id, rejected=1, open_delta=-1, overdue_delta=-1 if event.resolution_breached else 0)
        case events.CaseMerged():
            add(event.agency_id, merged=1, open_delta=-1, overdue_delta=-1 if event.resolution_breached else 0)
        case events.SlaBreached(milestone="resolution"):
            add(event.agency_id, breached=1, overdue_delta=1)
        case events.SlaBreached():
            add(event.agency_id, coord_breached=1)
        case events.CaseEscalated():
            add(event.agency_id, escalated=1)
    return [Contribution(agency, day, counters) for agency, counters in out.items() if counters]


FLOW_COUNTERS = (
    "received",
    "moved_out",
    "resolved",
    "resolved_on_time",
    "breached",
    "coord_breached",
    "reopened",
    "rejected",
    "merged",
    "escalated",
    "closed",
    "coord_n",
    "coord_min",
    "res_n",
    "res_min",
    "rating_n",
    "rating_sum",
)


@dataclass
class AgencyTotals:
    """Counters summed over a period, plus the stock of open cases at its end."""

    agency_id: str
    flows: dict[str, int] = field(default_factory=dict)
    coord_hist: dict[int, int] = field(default_factory=dict)
    res_hist: dict[int, int] = field(default_factory=dict)
    open_now: int = 0
    overdue_now: int = 0

    def add_day(self, counters: Mapping[str, Any]) -> None:
        for name, value in counters.items():
            if name in FLOW_COUNTERS:
                self.flows[name] = self.flows.get(name, 0) + int(value)
            elif name.startswith("ch_"):
                index = int(name[3:])
                self.coord_hist[index] = self.coord_hist.get(index, 0) + int(value)
            elif name.startswith("rh_"):
                index = int(name[3:])
                self.res_hist[index] = self.res_hist.get(index, 0) + int(value)

    def summary(self) -> dict[str, Any]:
        f = self.flows.get
        resolved = f("resolved", 0)
        on_time_base = resolved + max(0, self.overdue_now)
        return {
            "agency_id": self.agency_id,
            "received": f("received", 0),
            "resolved": resolved,
            "open": max(0, self.open_now),
            "overdue_open": max(0, self.overdue_now),
            "breached": f("breached", 0),
            "coordination_breached": f("coord_breached", 0),
            "coordination_minutes_avg": round(f("coord_min", 0) / f("coord_n", 1)) if f("coord_n") else None,
            "coordination_minutes_p90": percentile(self.coord_hist, 0.9),
            "resolution_minutes_avg": round(f("res_min", 0) / f("res_n", 1)) if f("res_n") else None,
            "resolution_minutes_p90": percentile(self.res_hist, 0.9),
            "on_time_rate": round(f("resolved_on_time", 0) / on_time_base, 4) if on_time_base else None,
            "satisfaction_avg": round(f("rating_sum", 0) / f("rating_n", 1), 2) if f("rating_n") else None,
            "ratings": f("rating_n", 0),
            "reopen_rate": round(f("reopened", 0) / resolved, 4) if resolved else None,
            "escalated": f("escalated", 0),
            "rejected": f("rejected", 0),
        }


def median_minutes(histograms: Iterable[Mapping[int, int]]) -> int | None:
    merged: dict[int, int] = {}
    for histogram in histograms:
        for index, count in histogram.items():
            merged[index] = merged.get(index, 0) + count
    return percentile(merged, 0.5)
