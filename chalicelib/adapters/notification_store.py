"""In-app notifications for officers: one inbox per agency (and one for supervisors).

    PK = INBOX#<agency id | supervisors>   SK = <occurred_at>#<event id>   expires_at: +90 days

Writing is idempotent (the key is the event), reading an inbox is one Query,
newest first.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.adapters import aws
from chalicelib.adapters.case_queries import Page, bad_cursor, decode_cursor, encode_cursor
from chalicelib.adapters.case_repository import deserialize, serialize

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
        items = []
        for item in map(deserialize, response.get("Items", [])):
            items.append({k: v for k, v in item.items() if k not in ("PK", "SK", "expires_at", "type")})
        return Page(items, encode_cursor(response.get("LastEvaluatedKey")))
