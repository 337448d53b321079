"""Inbound e-mail: SES stored the raw message in the inbound-email bucket; the
bucket notifies the inbound-email queue with S3 event records, and this reads
each object (its name is the SES message id). Unusable mail is logged and
dropped; AWS trouble raises so the queue retries (its last receive quarantines
the message, workers/sqs.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from chalicelib import cloudwatch, logs

log = logs.get_logger("email")


def receive_email(bucket: str, key: str) -> Any:
    from chalicelib.adapters import aws
    from chalicelib.bootstrap import services

    key = unquote_plus(key)
    app = services()
    with aws.unavailable_on_transient("s3"):
        raw = aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return take_in(raw, key.rsplit("/", 1)[-1], app)


def take_in(raw: bytes, message_id: str, app: Any) -> Any:
    """One stored mail into a case (or nothing); ``app``: bootstrap.Services."""
    from chalicelib.channels.base import WebhookRejected
    from chalicelib.channels.email import InfectedMail, parse_email
    from chalicelib.domain.errors import InvalidReport
    from chalicelib.services.email_intake import receive_email as receive
    from chalicelib.services.notices import send_notices

    try:
        parsed = parse_email(raw, message_id, app.settings.email_from_address)
    except InfectedMail:
        # A security signal (alarm InboundVirusMailAlarm); the sender's address is not logged.
        log.warning("mail dropped: SES virus verdict FAIL", extra={"message_id": message_id})
        cloudwatch.count("InboundVirusMail")
        return None
    try:
        if parsed is None:
            log.info("mail ignored (auto-reply, own address or spam)")
            return None
        receipt = receive(
            parsed.report, subject=parsed.subject, sender=parsed.sender, verified=parsed.verified, app=app
        )
    except (WebhookRejected, InvalidReport) as error:
        log.warning("mail not taken in", extra={"reason": str(error)[:200]})
        return None
    send_notices([receipt], lambda: app.notices)
    log.info("mail taken in", extra={"case_id": logs.case_id(receipt.tracking_code), "outcome": receipt.outcome})
    return receipt


def receive_notifications(records: Any) -> dict[str, Any]:
    """SQS records whose bodies are S3 event notifications; failures are reported
    per message (SQS retries them; the last receive quarantines them)."""
    from chalicelib.bootstrap import services
    from chalicelib.services.batch import Unreadable
    from chalicelib.workers.sqs import each_message, json_body

    expected = services().settings.inbound_email_bucket

    def one(record: Any) -> None:
        body = json_body(record)
        if not isinstance(body, dict) or not isinstance(body.get("Records", []), list):
            raise Unreadable("not an S3 event notification")
        for event in body.get("Records", []):
            s3 = (event.get("s3") if isinstance(event, dict) else None) or {}
            bucket, key = (s3.get("bucket") or {}).get("name"), (s3.get("object") or {}).get("key")
            if not bucket or not key or not str(event.get("eventName", "")).startswith("ObjectCreated"):
                continue  # s3:TestEvent and other notifications
            if expected and bucket != expected:
                log.warning("notification for another bucket ignored")
                continue
            receive_email(bucket, key)

    answer, _done = each_message(records, one, "receive_email")
    return answer
