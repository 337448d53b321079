"""A poisoned item: one a batch gave up retrying (services/batch.py quarantines it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Poison:
    """What the quarantine record says about one item."""

    source: str  # the entry point: the app.py handler's name (metric dimension, record partition)
    key: str  # how the item is named: a message id, a sequence number, a public id; never a tracking code
    error: str  # the exception type (and an Unreadable's own message); never the item's content
    attempts: int
    seen_at: datetime
    payload: str | None = None  # what a replay needs (JSON text), when the key alone is not enough
