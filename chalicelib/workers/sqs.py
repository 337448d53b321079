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
from chalicelib.domain.events import Envelope, UnreadableEvent
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


def message_document(record: Any) -> dict[str, Any]:
    """The JSON object a record carries, unwrapping an SNS envelope (raw delivery off), or Unreadable."""
    document = json_body(record)
    if isinstance(document, dict) and document.get("Type") == "Notification" and "Message" in document:
        try:
            document = json.loads(document["Message"])
        except (TypeError, ValueError):
            raise Unreadable("the SNS envelope's message is not JSON") from None
    if not isinstance(document, dict):
        raise Unreadable("the message is not a JSON object")
    return document


def read_event(record: Any) -> Envelope:
    """The relayed domain event a record carries, read once; Unreadable if it is not one."""
    try:
        return Envelope.from_message(message_document(record))
    except UnreadableEvent as error:
        raise Unreadable(str(error)) from None


def correlation_of(record: Any) -> str | None:
    """The correlation id a message carries: its ``correlation_id`` message attribute
    (SNS raw delivery copies the relay's attributes onto the SQS message; the notice
    queue sets it too), else the SNS envelope's attribute (raw delivery off), else the
    relayed event's own ``correlation_id`` (a message replayed from quarantine keeps only
    its body). None if it has none or it is malformed: the batch primitive then names
    one after the invocation."""
    own = _attribute(_raw(record).get("messageAttributes"), "stringValue")
    if own:
        return own
    try:
        document = json.loads(body(record))
        if isinstance(document, dict) and document.get("Type") == "Notification":
            own = _attribute(document.get("MessageAttributes"), "Value")
            if own:
                return own
            message = document.get("Message")
            if not isinstance(message, str):
                return None
            document = json.loads(message)
    except (Unreadable, TypeError, ValueError):
        return None
    return logs.valid_correlation_id(document.get("correlation_id")) if isinstance(document, dict) else None


def _attribute(attributes: Any, value_key: str) -> str | None:
    found = attributes.get("correlation_id") if isinstance(attributes, dict) else None
    return logs.valid_correlation_id(found.get(value_key)) if isinstance(found, dict) else None


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
        correlation=correlation_of,
    )
    outcome = batch.run(list(records), handle)
    return {"batchItemFailures": [{"itemIdentifier": key} for key in outcome.failed]}, outcome.results


def dispatch(
    records: Iterable[Any],
    queue: str,
    ports: Any,
    source: str,
    read: Callable[[Any], Any] = read_event,
) -> tuple[dict[str, Any], list]:
    """Batches of a subscriber queue: each record read once (``read``: the relayed
    event; the replies queue also reads notices) and handed to the queue's handlers
    in the registry (services/handlers.py). Returns the partial batch response and
    the handlers' results of the records done."""
    from chalicelib.services.handlers import handle

    def one(record: Any) -> Any:
        message = read(record)
        # The handlers' own lines carry the case; the primitive's failure line (after the
        # reset) only the message id.
        token = logs.bind(case_id=logs.case_id(message.tracking_code), event_id=message.id)
        try:
            return handle(queue, message, ports)
        finally:
            logs.reset(token)

    return each_message(records, one, source)
