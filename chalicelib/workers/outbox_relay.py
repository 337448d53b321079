"""DynamoDB stream -> SNS: publish the events each case write put in its outbox.

Returns Lambda's partial batch response: ``{"batchItemFailures":
[{"itemIdentifier": <sequence number>}]}`` names the first record that could
not be relayed, so Lambda checkpoints everything before it and retries from
it; an empty list means the whole batch went out. A poisoned record therefore
blocks nothing that came before it, and after the event source mapping's
retries (bisecting at the reported record) it is sent to the on-failure
destination and the stream moves on. This needs ``ReportBatchItemFailures``
on the event source mapping -- see docs/security.md for the deployment
settings. Subscribers drop repeats by the message ``id``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib import logs

log = logs.get_logger("outbox")


def relay_records(records: Iterable[Any]) -> dict[str, list[dict[str, str]]]:
    """``records``: Chalice DynamoDBRecord objects (or anything with the same attributes)."""
    from chalicelib.adapters.case_repository import deserialize
    from chalicelib.bootstrap import services
    from chalicelib.services.outbox import ChangeRecord, relay

    publisher = services().event_publisher()  # not configured: the whole batch fails and is retried
    changes, unreadable = [], None
    for record in records:
        try:
            changes.append(
                ChangeRecord(
                    event_name=record.event_name,
                    new_image=deserialize(record.new_image) if record.new_image else None,
                    old_image=deserialize(record.old_image) if record.old_image else None,
                    position=record.sequence_number,
                )
            )
        except Exception as error:  # noqa: BLE001 - a record we cannot read is reported, not raised
            unreadable = (record.sequence_number, f"unreadable record ({type(error).__name__})")
            break
    outcome = relay(changes, publisher)
    failed_at, reason = outcome.failed_at, outcome.reason
    if failed_at is None and unreadable is not None:
        failed_at, reason = unreadable
    if outcome.published:
        log.info("events relayed", extra={"count": outcome.published})
    if failed_at is None:
        return {"batchItemFailures": []}
    log.error(
        "relay stopped; the stream retries from this record", extra={"sequence_number": failed_at, "reason": reason}
    )
    return {"batchItemFailures": [{"itemIdentifier": failed_at}]}
