"""Time: stored in UTC, shown to people in Jakarta time (WIB, UTC+7, no DST).

A fixed offset rather than the tz database: Jakarta has not changed offset
since 1964 and the Lambda runtime need not ship tzdata.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

JAKARTA = timezone(timedelta(hours=7), "WIB")

Clock = Callable[[], datetime]

# A time that comes from outside (a partner's or provider's timestamp, a form,
# an e-mail's Date:) is believed only inside this window: no report of this
# system predates 2000, and clocks of phones and partners run a little ahead.
EARLIEST_FROM_OUTSIDE = datetime(2000, 1, 1, tzinfo=UTC)
AHEAD_FROM_OUTSIDE = timedelta(minutes=10)


def system_clock() -> datetime:
    return datetime.now(UTC)


def from_outside(value: datetime, now: datetime) -> datetime:
    """A time someone outside gave us, in UTC, if it is inside the window
    [2000-01-01T00:00Z, now + 10 minutes]. THE rule for every channel.

    Raises ValueError saying what is wrong (no zone, too early, in the future);
    the caller names the field. Compared before any conversion, so extreme
    values (year 1 at +07:00) are refused, never overflow.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must include a time zone offset, e.g. +07:00")
    if value < EARLIEST_FROM_OUTSIDE:
        raise ValueError("must not be before 2000-01-01T00:00:00Z")
    if value > now + AHEAD_FROM_OUTSIDE:
        raise ValueError("is in the future (more than 10 minutes ahead of our clock)")
    return value.astimezone(UTC)


def to_utc_text(instant: datetime) -> str:
    """Sortable UTC text for storage and keys: 2026-11-23T03:00:00.000000Z.

    Always a four-digit year (strftime's %Y drops the zeros of years before
    1000, and parse_instant could not read such text back). Raises ValueError
    for an instant that has no UTC date in the years 1-9999.
    """
    try:
        utc = instant.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{instant.isoformat()} is outside the years 1-9999 in UTC") from None
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def to_jakarta_text(instant: datetime) -> str:
    """ISO 8601 with +07:00, to the second, for public views. (The last seven
    hours of the year 9999 have no Jakarta date a datetime can hold: those
    instants are written in UTC, still ISO 8601.)"""
    try:
        local = instant.astimezone(JAKARTA)
    except OverflowError:
        local = instant.astimezone(UTC)
    return local.replace(microsecond=0).isoformat()


def parse_instant(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"instant without a time zone: {text!r}")
    return value.astimezone(UTC)
