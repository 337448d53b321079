"""The media fetcher: media queue (``case.photo_pending`` events) -> provider
API -> cleaned photos on the case. A failure raises: SQS retries it, and its
last receive quarantines it (workers/sqs.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def fetch_media(records: Iterable[Any]) -> dict[str, Any]:
    from chalicelib.bootstrap import services
    from chalicelib.services.media import fetch_pending_media
    from chalicelib.workers.replies import body_of
    from chalicelib.workers.sqs import each_message

    app = services()

    def one(record: Any) -> None:
        code = body_of(record).get("tracking_code")
        if code:
            fetch_pending_media(code, cases=app.cases, photos=app.photos, fetch=app.fetch_media, clock=app.clock)

    answer, _done = each_message(records, one, "fetch_linked_media")
    return answer
