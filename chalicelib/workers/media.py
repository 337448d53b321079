"""The media fetcher: media queue (``case.photo_pending`` events) -> provider
API -> cleaned photos on the case. A failure raises: SQS retries and, after
maxReceiveCount, parks the message in the media dead-letter queue."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib import logs

log = logs.get_logger("media")


def fetch_media(records: Iterable[Any]) -> dict[str, Any]:
    from chalicelib.bootstrap import services
    from chalicelib.services.media import fetch_pending_media
    from chalicelib.workers.replies import body_of

    app = services()
    failures = []
    for record in records:
        try:
            code = body_of(record).get("tracking_code")
            if code:
                fetch_pending_media(code, cases=app.cases, photos=app.photos, fetch=app.fetch_media, clock=app.clock)
        except Exception as error:  # noqa: BLE001 - reported per message: SQS retries it, then the DLQ
            log.warning("linked photos not fetched; will retry", extra={"error": type(error).__name__})
            failures.append({"itemIdentifier": _message_id(record)})
    return {"batchItemFailures": failures}


def _message_id(record: Any) -> str:
    raw = record.to_dict() if hasattr(record, "to_dict") else record
    return str(raw.get("messageId"))
