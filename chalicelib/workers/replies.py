"""The reply sender: replies queue -> the reporter's channel.

The queue gets (a) domain events from the SNS topic (subscription with a
filter policy and raw delivery, infra/template.yaml, generated from the
handler registry) and (b) notices queued by the webhooks. Each record is read
once into an ``Envelope`` or a ``Notice`` and handed to the replies queue's
handlers (services/handlers.py). Each is handled on its own (workers/sqs.py):
the ones that failed in a way a retry can fix are reported in
``batchItemFailures`` (SQS retries only those; the last receive quarantines),
an unreadable one is quarantined at once; the ledger makes sure a retried
message never sends twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib import logs

log = logs.get_logger("replies")

QUEUE = "replies"


def read_reply_message(record: Any) -> Any:
    """A relayed event, or a notice (it names its outcome under ``notice``); Unreadable otherwise."""
    from chalicelib.domain.messages import Notice, UnreadableNotice
    from chalicelib.services.batch import Unreadable
    from chalicelib.workers.sqs import message_document, message_id, read_event

    document = message_document(record)
    if "notice" not in document:
        return read_event(record)
    if not message_id(record):
        raise Unreadable("an SQS record without a messageId")
    try:
        return Notice.from_message(document, id=message_id(record))
    except UnreadableNotice as error:
        raise Unreadable(str(error)) from None


def send_replies(records: Iterable[Any]) -> dict[str, Any]:
    from chalicelib.bootstrap import services
    from chalicelib.services.handlers import ReplyPorts
    from chalicelib.workers.sqs import dispatch

    app = services()
    ports = ReplyPorts(
        cases=app.cases,
        senders=app.senders,
        ledger=app.replies,
        sender_for=app.reply_sender,
        base_url=app.settings.public_base_url,
        code_key=app.settings.tracking_code_key,
    )
    answer, results = dispatch(records, QUEUE, ports, "send_replies", read=read_reply_message)
    counts: dict[str, int] = {}
    for outcome in (outcome for handled in results for done in handled for outcome in done):
        counts[outcome] = counts.get(outcome, 0) + 1
    if counts:
        log.info("replies handled", extra=counts)
    return answer
