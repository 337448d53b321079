"""Relaying the outbox: events written with a case change go out to subscribers.

Each stream record is one write of a case item; its new image's ``outbox``
holds exactly the events of that write. Relaying is at-least-once (a failed
batch is retried), so every message carries a stable ``id`` that subscribers
use to drop repeats.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.event_publisher import EventPublisher


@dataclass(frozen=True)
class ChangeRecord:
    """One stream record, already in plain Python values."""

    event_name: str  # INSERT | MODIFY | REMOVE
    new_image: dict[str, Any] | None
    old_image: dict[str, Any] | None


def messages_for(record: ChangeRecord) -> list[dict[str, Any]]:
    image = record.new_image
    if record.event_name == "REMOVE" or not image or image.get("type") != "case":
        return []
    old_version = (record.old_image or {}).get("version", 0)
    if image.get("version", 0) <= old_version:
        return []  # a write that changed no state carries no new events
    case = {
        "channel": image.get("channel"),
        "category": image.get("category"),
        "agency_id": image.get("agency_id"),
        "status": image.get("status"),
    }
    return [
        {
            **event,
            "tracking_code": image["code"],
            "version": image["version"],
            "case": case,
        }
        for event in image.get("outbox", [])
    ]


def relay(records: Iterable[ChangeRecord], publisher: EventPublisher) -> int:
    messages = [message for record in records for message in messages_for(record)]
    if messages:
        publisher.publish(messages)
    return len(messages)
