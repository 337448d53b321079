"""SQS batches, on the one batch primitive (services/batch.py).

Each message is handled on its own; the ones that failed are reported in
``batchItemFailures`` so SQS retries only those, without holding back the
others (the deployment turns on ReportBatchItemFailures for every SQS event
source; docs/operations.md). A message that fails on its last receive before
the queue's redrive (``ApproximateReceiveCount`` = ``SQS_MAX_RECEIVES``, the
queues' maxReceiveCount) is quarantined instead of parked in the dead-letter
queue, and one that cannot even be parsed is quarantined at once: either way
it is deleted from the queue, and an operator lists and replays it from one
place (docs/security.md, "Poison records"). Logs name a message by its id.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from chalicelib import logs
from chalicelib.services.batch import SQS_MAX_RECEIVES, Batch, Unreadable


def _raw(record: Any) -> dict[str, Any]:
    raw = record.to_dict() if hasattr(record, "to_dict") else record
    return raw if isinstance(raw, dict) else {}


def message_id(record: Any) -> str:
    return str(getattr(record, "message_id", None) or _raw(record).get("messageId") or "")


def receive_count(record: Any) -> int:
    """This is the message's n-th receive (SQS counts them; a missing count is the first)."""
    try:
        return max(1, int((_raw(record).get("attributes") or {}).get("ApproximateReceiveCount", 1)))
    except (TypeError, ValueError):
        return 1


def body(record: Any) -> str:
    text = record.body if hasattr(record, "body") else _raw(record).get("body")
    if not isinstance(text, str):
        raise Unreadable("an SQS record without a text body")
    return text


def json_body(record: Any) -> Any:
    """The record's body as JSON, or Unreadable."""
    try:
        return json.loads(body(record))
    except ValueError:
        raise Unreadable("the body is not JSON") from None


def event_message(text: str) -> dict[str, Any]:
    """The relayed domain event in an SQS body (raw delivery or an SNS envelope)."""
    document = json.loads(text)
    if isinstance(document, dict) and document.get("Type") == "Notification" and "Message" in document:
        document = json.loads(document["Message"])
    if not isinstance(document, dict) or "type" not in document or "id" not in document:
        raise ValueError("not a domain event message")
    return document


def each_message(records: Iterable[Any], handle: Callable[[Any], Any], source: str) -> tuple[dict[str, Any], list]:
    """Run ``handle(record)`` for every record; ``source`` is the app.py handler's name.
    Returns Lambda's partial batch response and the results of the records done."""
    from chalicelib.bootstrap import services

    app = services()
    batch = Batch(
        source=source,
        store=app.quarantine,
        clock=app.clock,
        bound=SQS_MAX_RECEIVES,
        key=message_id,
        attempt=receive_count,
        payload=lambda record: _raw(record).get("body"),
    )
    outcome = batch.run(list(records), handle)
    return {"batchItemFailures": [{"itemIdentifier": key} for key in outcome.failed]}, outcome.results


def process(records: Iterable[Any], handle: Callable[[dict[str, Any]], Any], source: str) -> dict[str, Any]:
    """Batches of relayed domain events: ``handle(message)`` for each."""

    def one(record: Any) -> Any:
        try:
            message = event_message(body(record))
        except ValueError as error:  # not JSON, or not one of our events
            raise Unreadable(f"not a domain event message ({type(error).__name__})") from None
        # The handler's own lines carry the case; the primitive's failure line (after the
        # reset) only the message id.
        token = logs.bind(tracking_code=message.get("tracking_code"), event_id=message.get("id"))
        try:
            return handle(message)
        finally:
            logs.reset(token)

    answer, _results = each_message(records, one, source)
    return answer
