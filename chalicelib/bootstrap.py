"""The composition root: which adapter serves each port, built once per process.

Entry points ask for ``services()``; tests swap in fakes with ``override``.
Nothing here touches AWS until an adapter is used.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.adapters.case_repository import CaseRepository, DynamoCaseRepository
from chalicelib.adapters.event_publisher import EventPublisher, SnsEventPublisher
from chalicelib.adapters.photo_store import PhotoStore, S3PhotoStore
from chalicelib.config import ConfigurationError, Settings, settings
from chalicelib.domain.clock import Clock, system_clock


@dataclass(frozen=True)
class Services:
    settings: Settings
    cases: CaseRepository
    photos: PhotoStore
    clock: Clock
    events: EventPublisher | None

    def event_publisher(self) -> EventPublisher:
        if self.events is None:
            raise ConfigurationError("EVENTS_TOPIC_ARN is not set")
        return self.events


_current: Services | None = None
_lock = threading.Lock()


def _build() -> Services:
    config = settings()
    return Services(
        settings=config,
        cases=DynamoCaseRepository(config.cases_table),
        photos=S3PhotoStore(config.photos_bucket, config.photo_url_ttl_seconds),
        clock=system_clock,
        events=SnsEventPublisher(config.events_topic_arn) if config.events_topic_arn else None,
    )


def services() -> Services:
    global _current
    if _current is None:
        with _lock:
            if _current is None:
                _current = _build()
    return _current


def override(**replacements: Any) -> Services:
    """Replace some adapters (tests): ``override(clock=fixed_clock)``."""
    global _current
    with _lock:
        _current = replace(_current or _build(), **replacements)
    return _current


def reset() -> None:
    global _current
    with _lock:
        _current = None
