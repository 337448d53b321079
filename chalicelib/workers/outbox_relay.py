"""DynamoDB stream -> SNS: publish the events each case write put in its outbox.

Returns Lambda's partial batch response: ``{"batchItemFailures":
[{"itemIdentifier": <sequence number>}]}`` names the first record that could
not be relayed, so Lambda checkpoints everything before it and retries from
it; an empty list means the whole batch went out. Records are relayed in
stream order, so one case's events never overtake each other. This needs
``ReportBatchItemFailures`` on the event source mapping -- see
docs/security.md for the deployment settings. Subscribers drop repeats by the
message ``id``.

Each record is read on its own through the batch primitive (services/batch.py).
A record that cannot be read (its image does not deserialize, or its outbox is
malformed) is deterministic poison: no retry would read it, so it is
quarantined at once -- with the record itself, to replay -- and the rest of
the batch goes on instead of blocking the shard. Only a record whose events
SNS did not take (or whose quarantine record could not be written) stops the
batch; after the event source mapping's retries it goes to the on-failure
destination and the stream moves on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from chalicelib import logs

log = logs.get_logger("outbox")

SOURCE = "relay_case_events"


def read_record(record: Any) -> Any:
    """One stream record as a CaseChange whose messages can be built, or Unreadable."""
    from chalicelib.adapters.case_stream import from_stream
    from chalicelib.services.batch import Unreadable
    from chalicelib.services.outbox import messages_for

    try:
        change = from_stream(record)
        messages_for(change)
    except Exception as error:  # noqa: BLE001 - whatever the reason, reading it again gives the same
        raise Unreadable(f"unreadable stream record ({type(error).__name__})") from None
    return change


def stream_record(record: Any) -> str:
    """What a replay needs: the record as Lambda delivered it (the images in DynamoDB JSON)."""
    raw = record.to_dict() if hasattr(record, "to_dict") else None
    if raw is None:
        raw = {
            "eventName": record.event_name,
            "dynamodb": {
                "SequenceNumber": record.sequence_number,
                "NewImage": record.new_image,
                "OldImage": record.old_image,
            },
        }
    return json.dumps(raw, separators=(",", ":"), default=str)


def relay_records(records: Iterable[Any]) -> dict[str, list[dict[str, str]]]:
    """``records``: Chalice DynamoDBRecord objects (or anything with the same attributes)."""
    from chalicelib.bootstrap import services
    from chalicelib.services.batch import Batch
    from chalicelib.services.outbox import relay

    app = services()
    publisher = app.event_publisher()  # not configured: the whole batch fails and is retried
    batch = Batch(
        source=SOURCE,
        store=app.quarantine,
        clock=app.clock,
        bound=1,
        key=lambda record: record.sequence_number,
        payload=stream_record,
    )
    read = batch.run(records, read_record, ordered=True)
    outcome = relay(read.results, publisher)
    failed_at, reason = outcome.failed_at, outcome.reason
    if failed_at is None and read.stopped_at is not None:
        failed_at, reason = read.stopped_at, "unreadable record not quarantined"
    if outcome.published:
        log.info("events relayed", extra={"count": outcome.published})
    if failed_at is None:
        return {"batchItemFailures": []}
    log.error(
        "relay stopped; the stream retries from this record", extra={"sequence_number": failed_at, "reason": reason}
    )
    return {"batchItemFailures": [{"itemIdentifier": failed_at}]}
