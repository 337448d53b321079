"""Time: stored in UTC, shown to people in Jakarta time (WIB, UTC+7, no DST).

A fixed offset rather than the tz database: Jakarta has not changed offset
since 1964 and the Lambda runtime need not ship tzdata.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

JAKARTA = timezone(timedelta(hours=7), "WIB")

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def to_utc_text(instant: datetime) -> str:
    """Sortable UTC text for storage and keys: 2026-11-23T03:00:00.000000Z."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def to_jakarta_text(instant: datetime) -> str:
    """ISO 8601 with +07:00, to the second, for public views."""
    return instant.astimezone(JAKARTA).replace(microsecond=0).isoformat()


def parse_instant(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"instant without a time zone: {text!r}")
    return value.astimezone(UTC)
