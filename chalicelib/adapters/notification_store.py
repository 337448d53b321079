"""In-app notifications for officers: one inbox per agency (and one for supervisors).

    PK = INBOX#<agency id | supervisors>   SK = <occurred_at>#<event id>   expires_at: +90 days

Writing is idempotent (the key is the event), reading an inbox is one Query,
newest first.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from chalicelib.adapters import aws
from chalicelib.adapters.case_queries import Page, bad_cursor, decode_cursor, encode_cursor
from chalicelib.adapters.case_repository import deserialize, serialize
from chalicelib.adapters.unreadable import readable

KEEP_FOR = timedelta(days=90)


class NotificationStore:
    def __init__(self, table_name: str):
        self.table_name = table_name

    def add(self, inbox: str, event_id: str, occurred_at: str, entry: dict[str, Any], now: datetime) -> None:
        item = {
            "PK": f"INBOX#{inbox}",
            "SK": f"{occurred_at}#{event_id}",
            "type": "notification",
            "event_id": event_id,
            "occurred_at": occurred_at,
            "expires_at": int((now + KEEP_FOR).timestamp()),
            **entry,
        }
        with aws.unavailable_on_transient("dynamodb"):
            aws.client("dynamodb").put_item(TableName=self.table_name, Item=serialize(item))

    def page(self, inbox: str, limit: int = 50, cursor: str | None = None) -> Page:
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": serialize({":pk": f"INBOX#{inbox}"}),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        start = decode_cursor(cursor)
        if start:
            request["ExclusiveStartKey"] = start
        try:
            with aws.unavailable_on_transient("dynamodb"):
                response = aws.client("dynamodb").query(**request)
        except Exception as error:
            if start and aws.error_code(error) == "ValidationException":
                raise bad_cursor() from None  # a key DynamoDB does not take as this inbox's start
            raise
        items = readable(map(deserialize, response.get("Items", [])), _entry, "notifications")
        return Page(items, encode_cursor(response.get("LastEvaluatedKey")))


def _entry(item: dict[str, Any]) -> dict[str, Any]:
    """One inbox entry as the officer client reads it; raises if it is malformed."""
    entry = {k: v for k, v in item.items() if k not in ("PK", "SK", "expires_at", "type")}
    for name in ("event_id", "occurred_at", "event_type", "tracking_code"):
        if not isinstance(entry[name], str):
            raise TypeError(f"{name} must be text")
    if not isinstance(entry.get("detail", {}), dict):
        raise TypeError("detail must be a map")
    json.dumps(entry)  # what the API will do with it (a set or bytes would fail there)
    return entry
