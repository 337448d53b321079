"""The cases table's stream as typed change records: the relay reads nothing else.

A stream record is one write of one item, with its images in DynamoDB JSON.
``from_stream`` maps it to a ``CaseChange``: for a write of a case that advanced
its version, the events of that write (the item's ``outbox``, see
case_repository.py) and the facts SNS subscriptions filter on (channel,
category, agency, status); for any other write (a history item, a mark, a
removal, a write that changed no state) a change with no events.

A record that cannot be read raises here (KeyError, TypeError, ValueError...);
the relay quarantines it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.case_repository import CASE_TYPE, deserialize


@dataclass(frozen=True)
class CaseChange:
    """One write of the cases table, as the relay needs it."""

    position: str = ""  # the stream sequence number: where a retry resumes
    tracking_code: str | None = None
    version: int = 0
    events: tuple[dict[str, Any], ...] = ()  # this write's outbox records: id, type, occurred_at, data
    channel: str | None = None
    category: str | None = None
    agency_id: str | None = None
    status: str | None = None


def change_of(
    event_name: str, new_image: dict[str, Any] | None, old_image: dict[str, Any] | None, position: str = ""
) -> CaseChange:
    """A write's change record from its images (plain Python values)."""
    if event_name == "REMOVE" or not new_image or new_image.get("type") != CASE_TYPE:
        return CaseChange(position)
    if new_image.get("version", 0) <= (old_image or {}).get("version", 0):
        return CaseChange(position)  # a write that changed no state carries no new events
    events = new_image.get("outbox", [])
    if not events:
        return CaseChange(position)
    if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
        raise TypeError("outbox must be a list of maps")
    return CaseChange(
        position=position,
        tracking_code=new_image["code"],
        version=new_image["version"],
        events=tuple(events),
        channel=new_image.get("channel"),
        category=new_image.get("category"),
        agency_id=new_image.get("agency_id"),
        status=new_image.get("status"),
    )


def from_stream(record: Any) -> CaseChange:
    """A DynamoDB stream record (Chalice's DynamoDBRecord, or anything with its attributes)."""
    return change_of(
        record.event_name,
        deserialize(record.new_image) if record.new_image else None,
        deserialize(record.old_image) if record.old_image else None,
        record.sequence_number,
    )
