"""Relaying the outbox: events written with a case change go out to subscribers.

Each stream record is one write of a case item, read by the adapter as a
``CaseChange`` (adapters/case_stream.py): the events of that write (the item's
``outbox``) and the case's filterable facts. Relaying is at-least-once (a failed
batch is retried), so every message carries a stable ``id`` that subscribers
use to drop repeats.

Records are relayed in stream order, and relaying stops at the first record
that cannot be relayed (unreadable, or not accepted by SNS). The outcome names
that record's position, so the stream consumer retries from it -- neither
skipping it nor holding back the records before it -- and a record that
never goes through ends up at the consumer's on-failure destination.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.case_stream import CaseChange
from chalicelib.adapters.event_publisher import EventPublisher, PublishFailed


@dataclass(frozen=True)
class RelayOutcome:
    published: int  # messages that went out
    failed_at: str | None = None  # position of the first record not relayed (it and later ones are retried)
    reason: str | None = None


def messages_for(change: CaseChange) -> list[dict[str, Any]]:
    """The SNS messages of one write: each event of its outbox, with the case's filterable facts."""
    case = {
        "channel": change.channel,
        "category": change.category,
        "agency_id": change.agency_id,
        "status": change.status,
    }
    return [
        {**event, "tracking_code": change.tracking_code, "version": change.version, "case": case}
        for event in change.events
    ]


def relay(records: Iterable[CaseChange], publisher: EventPublisher) -> RelayOutcome:
    """Publish the records' events in order; stop at the first record that fails."""
    records = list(records)
    messages: list[dict[str, Any]] = []
    owner: list[int] = []  # owner[i]: index of the record message i came from
    stop: tuple[int, str] | None = None
    for index, record in enumerate(records):
        try:
            found = messages_for(record)
        except Exception as error:  # noqa: BLE001 - an unreadable record is reported, not raised
            stop = (index, f"unreadable record ({type(error).__name__})")
            break
        messages.extend(found)
        owner.extend([index] * len(found))
    if messages:
        try:
            publisher.publish(messages)
        except Exception as error:  # noqa: BLE001 - reported with the record to retry from
            published = error.published if isinstance(error, PublishFailed) else 0
            reason = error.reason if isinstance(error, PublishFailed) else type(error).__name__
            first_failed = owner[min(published, len(messages) - 1)]
            # Messages of the failed record that did go out are sent again on
            # the retry; their ids let subscribers drop the repeats.
            return RelayOutcome(owner.index(first_failed), records[first_failed].position, reason)
    if stop is not None:
        return RelayOutcome(len(messages), records[stop[0]].position, stop[1])
    return RelayOutcome(len(messages))
