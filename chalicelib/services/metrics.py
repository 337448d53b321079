"""Agency metrics: counting events as they happen, and reading the dashboard.

Counting is exactly-once per event and agency-day (adapters/metrics_store.py).
Reading never touches cases: a period's flows are summed from the day items of
the months it spans; the open and overdue stocks from the month's carry item
plus that month's deltas (the daily rollup writes the carries).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.adapters import reference_data
from chalicelib.adapters.metrics_store import (
    MAX_MONTHS_BACK,
    MetricsStore,
    month_of,
    months_between,
    previous_month,
)
from chalicelib.domain.clock import JAKARTA, Clock
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.events import Envelope
from chalicelib.domain.metrics import AgencyTotals, contributions, median_minutes
from chalicelib.services.batch import SCHEDULED_MAX_RUNS, Batch, Quarantine

MAX_PERIOD_DAYS = 366


def record_event(message: Envelope, store: MetricsStore) -> int:
    """Apply one relayed event; returns how many agency-day counters changed (a
    repeated event, by its id, changes none)."""
    return sum(
        store.apply(contribution, message.id) for contribution in contributions(message.event, message.case.category)
    )


class _Months:
    """Month partitions read at most once per request."""

    def __init__(self, store: MetricsStore):
        self.store = store
        self.cache: dict[str, Any] = {}

    def get(self, month: str):
        if month not in self.cache:
            counters = self.store.month(month)
            self.cache[month] = (counters.carry, counters.days)
        return self.cache[month]


def _stock_at_start(months: _Months, month: str, depth: int = MAX_MONTHS_BACK) -> dict[str, list[int]]:
    carry, days = months.get(month)
    if carry:
        return {agency: [values["open"], values["overdue"]] for agency, values in carry.items()}
    if depth == 0:
        return {}
    previous = previous_month(month)
    prev_carry, prev_days = months.get(previous)
    if not prev_carry and not prev_days:
        return {}  # nothing recorded before: the stock starts at zero
    stock = _stock_at_start(months, previous, depth - 1)
    for (agency, _dd), counters in prev_days.items():
        entry = stock.setdefault(agency, [0, 0])
        entry[0] += int(counters.get("open_delta", 0))
        entry[1] += int(counters.get("overdue_delta", 0))
    return stock


def parse_period(start: str | None, end: str | None, today: date) -> tuple[date, date]:
    problems = []
    try:
        last = date.fromisoformat(end) if end else today
    except ValueError:
        problems.append(("to", "must be a date, e.g. 2026-11-23"))
        last = today
    try:
        first = date.fromisoformat(start) if start else last - timedelta(days=29)
    except ValueError:
        problems.append(("from", "must be a date, e.g. 2026-11-01"))
        first = last
    except OverflowError:  # 'to' in the first days of year 1: 29 days before it is no date
        problems.append(("from", "the period would start before the year 1"))
        first = last
    if not problems and first > last:
        problems.append(("from", "must not be after 'to'"))
    if not problems and (last - first).days >= MAX_PERIOD_DAYS:
        problems.append(("from", f"the period may span at most {MAX_PERIOD_DAYS} days"))
    if problems:
        raise InvalidInput(problems)
    return first, last


def totals_for(store: MetricsStore, first: date, last: date) -> dict[str, AgencyTotals]:
    months = _Months(store)
    first_text, last_text = first.isoformat(), last.isoformat()
    last_month = month_of(last_text)
    totals: dict[str, AgencyTotals] = {}
    stock = _stock_at_start(months, last_month)
    for agency, (open_count, overdue) in stock.items():
        entry = totals.setdefault(agency, AgencyTotals(agency))
        entry.open_now, entry.overdue_now = open_count, overdue
    for month in months_between(month_of(first_text), last_month):
        _carry, days = months.get(month)
        for (agency, dd), counters in days.items():
            day_text = f"{month}-{dd}"
            entry = totals.setdefault(agency, AgencyTotals(agency))
            if month == last_month and day_text <= last_text:
                entry.open_now += int(counters.get("open_delta", 0))
                entry.overdue_now += int(counters.get("overdue_delta", 0))
            if first_text <= day_text <= last_text:
                entry.add_day(counters)
    return totals


TARGETS = {"coordination_minutes": 6 * 60, "resolution_minutes": 7 * 24 * 60}


def dashboard(store: MetricsStore, start: str | None, end: str | None, today: date) -> dict[str, Any]:
    first, last = parse_period(start, end, today)
    directory = reference_data.agencies()
    totals = totals_for(store, first, last)
    everyone = AgencyTotals("all")
    rows = []
    for agency_id, entry in totals.items():
        agency = directory.get(agency_id)
        everyone.open_now += entry.open_now
        everyone.overdue_now += entry.overdue_now
        everyone.add_day(_flatten(entry))
        rows.append(
            {
                **entry.summary(),
                "name": agency.name if agency else agency_id,
                "kind": agency.kind if agency else None,
                "parent": agency.parent if agency else None,
            }
        )
    rows.sort(key=lambda row: row["name"])
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "targets": TARGETS,
        "agencies": rows,
        "total": {**everyone.summary(), "name": "Semua instansi"},
    }


def _flatten(entry: AgencyTotals) -> dict[str, int]:
    flat = dict(entry.flows)
    flat.update({f"ch_{k}": v for k, v in entry.coord_hist.items()})
    flat.update({f"rh_{k}": v for k, v in entry.res_hist.items()})
    return flat


def agency_detail(
    store: MetricsStore, agency_id: str, start: str | None, end: str | None, today: date
) -> dict[str, Any] | None:
    agency = reference_data.agencies().get(agency_id)
    if agency is None:
        return None
    first, last = parse_period(start, end, today)
    months = _Months(store)
    totals = totals_for(store, first, last).get(agency_id, AgencyTotals(agency_id))
    series = []
    for month in months_between(month_of(first.isoformat()), month_of(last.isoformat())):
        _carry, days = months.get(month)
        for (owner, dd), counters in sorted(days.items()):
            day_text = f"{month}-{dd}"
            if owner == agency_id and first.isoformat() <= day_text <= last.isoformat():
                day_totals = AgencyTotals(agency_id)
                day_totals.add_day(counters)
                summary = day_totals.summary()
                series.append(
                    {
                        "day": day_text,
                        **{
                            k: summary[k]
                            for k in (
                                "received",
                                "resolved",
                                "breached",
                                "coordination_minutes_avg",
                                "resolution_minutes_avg",
                            )
                        },
                    }
                )
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "targets": TARGETS,
        "agency": {"id": agency.id, "name": agency.name, "kind": agency.kind, "parent": agency.parent},
        "summary": totals.summary(),
        "daily": series,
    }


ROLLUP_SOURCE = "metrics_rollup"


def rollup(store: MetricsStore, today: date, quarantine: Quarantine, clock: Clock) -> int:
    """Write this month's carry items (open/overdue at its start). Idempotent; returns
    how many were written. Each agency's carry is written on its own (services/batch.py):
    one that fails is written by the next run, and after ``SCHEDULED_MAX_RUNS`` failed
    runs it is quarantined (key ``<month>/<agency>``) until an operator replays it."""
    from chalicelib.adapters.aws import ServiceUnavailable

    month = month_of(today.isoformat())
    months = _Months(store)
    previous = previous_month(month)
    stock = _stock_at_start(months, previous)
    for (agency, _dd), counters in months.get(previous)[1].items():
        entry = stock.setdefault(agency, [0, 0])
        entry[0] += int(counters.get("open_delta", 0))
        entry[1] += int(counters.get("overdue_delta", 0))

    def one(agency: str) -> None:
        open_count, overdue = stock[agency]
        store.put_carry(month, agency, open_count, overdue)

    batch = Batch(
        source=ROLLUP_SOURCE,
        store=quarantine,
        clock=clock,
        bound=SCHEDULED_MAX_RUNS,
        key=lambda agency: f"{month}/{agency}",
        uncounted=(ServiceUnavailable,),
    )
    held = {key.split("/", 1)[1] for key in batch.quarantined_keys() if key.startswith(f"{month}/")} if stock else set()
    return batch.run(sorted(set(stock) - held), one).done


def predict_completion(
    store: MetricsStore,
    agency_id: str,
    category: str,
    reported: datetime,
    minimum_samples: int = 5,
    months_back: int = 3,
) -> datetime | None:
    """Median resolution time of recent cases of this agency (and category, when there are enough)."""
    month = month_of(reported.astimezone(JAKARTA).strftime("%Y-%m-%d"))
    by_category, overall = [], []
    for _ in range(months_back):
        for (owner, _dd), counters in store.month(month).days.items():
            if owner != agency_id:
                continue
            by_category.append(
                {int(k.rsplit("_", 1)[1]): int(v) for k, v in counters.items() if k.startswith(f"rc_{category}_")}
            )
            overall.append({int(k[3:]): int(v) for k, v in counters.items() if k.startswith("rh_")})
        month = previous_month(month)
    samples = sum(sum(h.values()) for h in by_category)
    chosen = by_category if samples >= minimum_samples else overall
    if sum(sum(h.values()) for h in chosen) < minimum_samples:
        return None
    minutes = median_minutes(chosen)
    return reported + timedelta(minutes=minutes) if minutes else None
