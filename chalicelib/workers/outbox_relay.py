"""DynamoDB stream -> SNS: publish the events each case write put in its outbox.

A failure raises, so Lambda retries the batch (and, after the configured
attempts, sends it to the stream's on-failure destination); subscribers drop
repeats by the message ``id``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib import logs

log = logs.get_logger("outbox")


def relay_records(records: Iterable[Any]) -> int:
    """``records``: Chalice DynamoDBRecord objects (or anything with the same attributes)."""
    from chalicelib.adapters.case_repository import deserialize
    from chalicelib.bootstrap import services
    from chalicelib.services.outbox import ChangeRecord, relay

    changes = [
        ChangeRecord(
            event_name=record.event_name,
            new_image=deserialize(record.new_image) if record.new_image else None,
            old_image=deserialize(record.old_image) if record.old_image else None,
        )
        for record in records
    ]
    published = relay(changes, services().event_publisher())
    if published:
        log.info("events relayed", extra={"count": published})
    return published
