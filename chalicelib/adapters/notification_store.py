"""In-app notifications for officers: one inbox per agency (and one for supervisors).

    PK = INBOX#<agency id | supervisors>   SK = <occurred_at>#<digest of the event id>   expires_at: +90 days

Writing is idempotent (the key is the event), reading an inbox is one Query,
newest first. The sort key holds a digest of the event id, not the id itself:
an event id starts with its case's tracking code, and a page's cursor is its
last key, which an officer who may no longer open that case must not read
(entries written before the digest keep their old key until they expire).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from chalicelib.adapters import aws
from chalicelib.adapters.case_repository import serialize
from chalicelib.adapters.table import KeyRange, Page, Table
from chalicelib.adapters.unreadable import readable

KEEP_FOR = timedelta(days=90)


def _partition(inbox: str) -> str:
    return f"INBOX#{inbox}"


class NotificationStore:
    def __init__(self, table_name: str):
        self.table_name = table_name

    def add(self, inbox: str, event_id: str, occurred_at: str, entry: dict[str, Any], now: datetime) -> None:
        item = {
            "PK": _partition(inbox),
            "SK": f"{occurred_at}#{hashlib.sha256(event_id.encode()).hexdigest()[:32]}",
            "type": "notification",
            "event_id": event_id,
            "occurred_at": occurred_at,
            "expires_at": int((now + KEEP_FOR).timestamp()),
            **entry,
        }
        with aws.unavailable_on_transient("dynamodb"):
            aws.client("dynamodb").put_item(TableName=self.table_name, Item=serialize(item))

    def page(self, inbox: str, limit: int = 50, cursor: str | None = None) -> Page:
        """One page of an inbox, newest first; an entry that cannot be read is skipped (logged, counted)."""
        page = Table(self.table_name).client_page(
            KeyRange(_partition(inbox), newest_first=True), limit=limit, cursor=cursor
        )
        return Page(readable(page.items, _entry, "notifications"), page.cursor)


# What an entry shows (api: responses.Notification); any other attribute stays in the table.
ENTRY_FIELDS = ("event_id", "occurred_at", "event_type", "tracking_code", "title", "category", "detail")


def _entry(item: dict[str, Any]) -> dict[str, Any]:
    """One inbox entry as the officer client reads it; raises if it is malformed."""
    entry = {k: v for k, v in item.items() if k in ENTRY_FIELDS}
    for name in ("event_id", "occurred_at", "event_type", "tracking_code", "title"):
        if not isinstance(entry[name], str):
            raise TypeError(f"{name} must be text")
    if not isinstance(entry.get("category"), str | None):
        raise TypeError("category must be text")
    entry.setdefault("detail", {})
    if not isinstance(entry["detail"], dict):
        raise TypeError("detail must be a map")
    json.dumps(entry)  # what the API will do with it (a set or bytes would fail there)
    return entry
