"""The media fetcher: media queue (``case.photo_pending`` events) -> provider
API -> cleaned photos on the case. A failure raises: SQS retries it, and its
last receive quarantines it (workers/sqs.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

QUEUE = "media"


def fetch_media(records: Iterable[Any]) -> dict[str, Any]:
    from chalicelib.bootstrap import services
    from chalicelib.services.handlers import MediaPorts
    from chalicelib.workers.sqs import dispatch

    app = services()
    ports = MediaPorts(cases=app.cases, photos=app.photos, fetch=app.fetch_media, clock=app.clock)
    answer, _results = dispatch(records, QUEUE, ports, "fetch_linked_media")
    return answer
