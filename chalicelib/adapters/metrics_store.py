"""Per-agency daily counters in the table, applied exactly once per event.

    PK = METRICS#<yyyy-mm>   SK = <agency id>#<dd>   counters (numbers) + applied (set of event ids)
    PK = METRICS#<yyyy-mm>   SK = <agency id>#00     carry: open/overdue stock at the month's start

An event's contribution is one UpdateItem per agency touched: ADD the counters
and the event id to ``applied``, on condition the id is not there yet - so a
redelivered event changes nothing. ``applied`` holds one agency-day's event
ids (tens to hundreds), so it stays small.

A dashboard for a period reads the month partitions it spans (1-4 Query
requests for up to 90 days) whatever the number of cases. The carry items are
written by the daily rollup; without them the stock is summed from earlier
months (bounded to 24).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters import aws
from chalicelib.adapters.case_repository import serialize
from chalicelib.adapters.table import KeyRange, Table
from chalicelib.adapters.unreadable import readable
from chalicelib.domain.metrics import Contribution

CARRY_DAY = "00"
MAX_MONTHS_BACK = 24


def month_of(day: str) -> str:
    return day[:7]


def previous_month(month: str) -> str:
    year, number = int(month[:-3]), int(month[-2:])
    return f"{year - 1:04d}-12" if number == 1 else f"{year:04d}-{number - 1:02d}"


def next_month(month: str) -> str:
    year, number = int(month[:-3]), int(month[-2:])
    return f"{year + 1:04d}-01" if number == 12 else f"{year:04d}-{number + 1:02d}"


def _month_number(month: str) -> int:
    return int(month[:-3]) * 12 + int(month[-2:]) - 1


def months_between(first: str, last: str) -> list[str]:
    # Compared as numbers: as text, the month after "9999-12" ("10000-01") sorts
    # before it, and a period ending in December 9999 looped forever.
    months, current = [], first
    while _month_number(current) <= _month_number(last):
        months.append(current)
        current = next_month(current)
    return months


@dataclass(frozen=True)
class MonthCounters:
    """One month as the dashboard reads it."""

    carry: dict[str, dict[str, int]]  # agency -> {"open", "overdue"} at the month's start (the rollup's)
    days: dict[tuple[str, str], dict[str, int]]  # (agency, dd) -> that day's counters


def _partition(month: str) -> str:
    return f"METRICS#{month}"


class MetricsStore:
    def __init__(self, table_name: str, table: Table | None = None):
        self.table_name = table_name
        self.table = table or Table(table_name)

    def apply(self, contribution: Contribution, event_id: str) -> bool:
        """Add one event's counters to one agency-day. False if it was applied before."""
        names = {"#applied": "applied"}
        values: dict[str, Any] = {":ids": {event_id}, ":id": event_id}
        parts = []
        for n, (counter, amount) in enumerate(sorted(contribution.counters.items())):
            names[f"#c{n}"] = counter
            values[f":v{n}"] = amount
            parts.append(f"#c{n} :v{n}")
        parts.append("#applied :ids")
        client = aws.client("dynamodb")
        with aws.unavailable_on_transient("dynamodb"):
            try:
                client.update_item(
                    TableName=self.table_name,
                    Key=serialize(
                        {
                            "PK": _partition(month_of(contribution.day)),
                            "SK": f"{contribution.agency_id}#{contribution.day[8:10]}",
                        }
                    ),
                    UpdateExpression="ADD " + ", ".join(parts),
                    ConditionExpression="attribute_not_exists(#applied) OR NOT contains(#applied, :id)",
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=serialize(values),
                )
            except client.exceptions.ConditionalCheckFailedException:
                return False
        return True

    def month(self, month: str) -> MonthCounters:
        """Every agency-day counter of one month, and the month's carry items (one Query, paged)."""
        return split(self.table.items(KeyRange(_partition(month))))

    def put_carry(self, month: str, agency_id: str, open_count: int, overdue: int) -> None:
        with aws.unavailable_on_transient("dynamodb"):
            aws.client("dynamodb").put_item(
                TableName=self.table_name,
                Item=serialize(
                    {
                        "PK": _partition(month),
                        "SK": f"{agency_id}#{CARRY_DAY}",
                        "type": "metrics_carry",
                        "open_start": open_count,
                        "overdue_start": overdue,
                    }
                ),
            )


def split(items: Iterable[dict[str, Any]]) -> MonthCounters:
    """The carry by agency and the counters by (agency, dd) of one month's items. An item
    that cannot be read is left out (logged with its key, counted: adapters/unreadable.py)."""
    carry: dict[str, dict[str, int]] = {}
    days: dict[tuple[str, str], dict] = {}
    for kind, agency, dd, values in readable(items, _entry, "agency_metrics"):
        if kind == "carry":
            carry[agency] = values
        else:
            days[(agency, dd)] = values
    return MonthCounters(carry, days)


_NOT_COUNTERS = ("PK", "SK", "applied", "type")


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"a counter is {type(value).__name__}, not a whole number")
    return value


def _entry(item: dict[str, Any]) -> tuple[str, str, str, dict[str, int]]:
    """One month item as (carry | day, agency, dd, numbers); raises if it is malformed."""
    agency, _, dd = item["SK"].rpartition("#")
    if not agency or len(dd) != 2 or not (dd.isascii() and dd.isdigit()):
        raise ValueError("the sort key is not <agency>#<dd>")
    if dd == CARRY_DAY:
        return (
            "carry",
            agency,
            dd,
            {"open": _whole(item.get("open_start", 0)), "overdue": _whole(item.get("overdue_start", 0))},
        )
    counters = {name: _whole(value) for name, value in item.items() if name not in _NOT_COUNTERS}
    for name in counters:  # histogram buckets carry their bucket number last
        if name.startswith(("ch_", "rh_", "rc_")):
            int(name.rsplit("_", 1)[1])
    return "day", agency, dd, counters
