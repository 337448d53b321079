"""Shared handling of SQS batches fed by the domain-event topic.

Each record is handled on its own; failures are reported per message
(``batchItemFailures``) so one bad message is retried -- and after the
queue's maxReceiveCount parked in its dead-letter queue -- without holding
back the others. The deployment turns on ReportBatchItemFailures for every
SQS event source (see docs/operations.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from chalicelib import logs

log = logs.get_logger("workers")


def event_message(body: str) -> dict[str, Any]:
    """The relayed domain event in an SQS body (raw delivery or an SNS envelope)."""
    document = json.loads(body)
    if isinstance(document, dict) and document.get("Type") == "Notification" and "Message" in document:
        document = json.loads(document["Message"])
    if not isinstance(document, dict) or "type" not in document or "id" not in document:
        raise ValueError("not a domain event message")
    return document


def process(records: Iterable[Any], handle: Callable[[dict[str, Any]], Any], worker: str) -> dict[str, Any]:
    failures = []
    for record in records:
        message_id = getattr(record, "message_id", None) or record.to_dict().get("messageId")
        try:
            message = event_message(record.body)
            token = logs.bind(tracking_code=message.get("tracking_code"), event_id=message.get("id"))
            try:
                handle(message)
            finally:
                logs.reset(token)
        except Exception as error:  # noqa: BLE001 - reported per message, retried by SQS
            log.warning(
                "message failed", extra={"worker": worker, "error": type(error).__name__, "detail": str(error)[:200]}
            )
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}
