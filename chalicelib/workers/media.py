"""The media fetcher: media queue (``case.photo_pending`` events) -> provider
API -> cleaned photos on the case. A failure raises: SQS retries and, after
maxReceiveCount, parks the message in the media dead-letter queue."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib import logs

log = logs.get_logger("media")


def fetch_media(records: Iterable[Any]) -> int:
    from chalicelib.bootstrap import services
    from chalicelib.services.media import fetch_pending_media
    from chalicelib.workers.replies import body_of

    app = services()
    added = 0
    for record in records:
        body = body_of(record)
        code = body.get("tracking_code")
        if not code:
            continue
        added += fetch_pending_media(code, cases=app.cases, photos=app.photos, fetch=app.fetch_media,
                                     clock=app.clock)
    return added
