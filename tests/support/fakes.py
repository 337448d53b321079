"""In-memory stand-ins for the adapters, for fast unit tests of the services.

They keep the adapters' contracts (conditional add, ids, errors) so a service
that works against them works against DynamoDB/S3/SNS too; the integration
tests check that claim against the moto server.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.adapters.case_repository import Added, AlreadyStored, CodeTaken, case_to_item, item_to_case
from chalicelib.adapters.images import CleanImage
from chalicelib.domain.case import Case, PhotoRef
from chalicelib.domain.errors import ConcurrentUpdate


class FakeCaseRepository:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.requests = 0
        self._lock = threading.Lock()

    def add(self, case: Case) -> Any:
        with self._lock:
            self.requests += 1
            events = case.pull_events()
            item = case_to_item(case, version=1, events=events)
            old = self.items.get(case.tracking_code)
            if old is not None:
                case.pending_events = events
                stored = item_to_case(copy.deepcopy(old))
                if case.source_key and stored.source_key == case.source_key:
                    return AlreadyStored(stored)
                return CodeTaken()
            self.items[case.tracking_code] = item
            case.version = 1
            return Added(case)

    def save(self, case: Case) -> Case:
        with self._lock:
            self.requests += 1
            current = self.items.get(case.tracking_code)
            current_version = int(current["version"]) if current else None
            if current_version != case.version:
                raise ConcurrentUpdate(current_version)
            self.items[case.tracking_code] = case_to_item(case, case.version + 1, case.pull_events())
            case.version += 1
            return case

    def get(self, tracking_code: str) -> Case | None:
        with self._lock:
            self.requests += 1
            item = self.items.get(tracking_code)
            return item_to_case(copy.deepcopy(item)) if item else None


@dataclass
class FakePhotoStore:
    objects: dict[str, bytes] = field(default_factory=dict)

    def store(self, tracking_code: str, photo_id: str, kind: str, image: CleanImage) -> PhotoRef:
        original_key = f"originals/{tracking_code}/{photo_id}.{image.extension}"
        public_key = f"public/{tracking_code}/{photo_id}.{image.extension}"
        self.objects[original_key] = image.original
        self.objects[public_key] = image.public
        return PhotoRef(photo_id, kind, original_key, public_key, image.content_type, image.width, image.height)

    def public_url(self, photo: PhotoRef) -> str:
        return f"https://photos.example/{photo.public_key}?signed"


@dataclass
class FakePublisher:
    published: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0

    def publish(self, messages: list[dict[str, Any]]) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("injected publish failure")
        self.published.extend(messages)


class FixedClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None):
        self.now = start or datetime(2026, 11, 23, 3, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
