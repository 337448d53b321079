"""Reading lists of cases from the sparse indexes (see case_indexes.py).

Every list is a Query on one index partition; none scans the table. Cursors
are opaque to clients: DynamoDB's LastEvaluatedKey, base64-encoded.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.adapters import aws
from chalicelib.adapters.case_indexes import INDEXES
from chalicelib.adapters.case_repository import deserialize, serialize
from chalicelib.domain.clock import to_utc_text
from chalicelib.domain.errors import InvalidInput

INDEX_NAMES = {name: f"{name}-index" for name in INDEXES}


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    cursor: str | None


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def bad_cursor() -> InvalidInput:
    return InvalidInput([("cursor", "is not a cursor this API returned")])


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(key, dict) or not all(isinstance(v, dict) for v in key.values()):
            raise ValueError
        return key
    except ValueError:
        raise bad_cursor() from None


class CaseQueries:
    def __init__(self, table_name: str):
        self.table_name = table_name

    def _query(self, **kwargs: Any) -> dict[str, Any]:
        with aws.unavailable_on_transient("dynamodb"):
            return aws.client("dynamodb").query(TableName=self.table_name, **kwargs)

    def list_page(
        self,
        index: str,
        partition: str,
        *,
        limit: int = 50,
        cursor: str | None = None,
        sort_before: str | None = None,
        sort_between: tuple[str, str] | None = None,
        filters: dict[str, str] | None = None,
        newest_first: bool = False,
    ) -> Page:
        """One page of cards from a list index. ``filters``: card field -> value."""
        pk, sk = INDEXES[index]
        condition = "#pk = :pk"
        names = {"#pk": pk}
        values: dict[str, Any] = {":pk": partition}
        if sort_before is not None:
            condition += " AND #sk <= :before"
            names["#sk"], values[":before"] = sk, sort_before
        elif sort_between is not None:
            condition += " AND #sk BETWEEN :low AND :high"
            names["#sk"] = sk
            values[":low"], values[":high"] = sort_between
        request: dict[str, Any] = {
            "IndexName": INDEX_NAMES[index],
            "KeyConditionExpression": condition,
            "ScanIndexForward": not newest_first,
            "Limit": limit,
        }
        if filters:
            clauses = []
            names["#card"] = "card"
            for n, (field, value) in enumerate(sorted(filters.items())):
                names[f"#f{n}"] = field
                values[f":f{n}"] = value
                clauses.append(f"#card.#f{n} = :f{n}")
            request["FilterExpression"] = " AND ".join(clauses)
        start = decode_cursor(cursor)
        if start:
            request["ExclusiveStartKey"] = start
        request["ExpressionAttributeNames"] = names
        request["ExpressionAttributeValues"] = serialize(values)
        try:
            response = self._query(**request)
        except Exception as error:
            if start and aws.error_code(error) == "ValidationException":
                raise bad_cursor() from None  # a key DynamoDB does not take as this list's start
            raise
        items = [deserialize(item) for item in response.get("Items", [])]
        return Page(items, encode_cursor(response.get("LastEvaluatedKey")))

    def due_codes(self, partition: str, now: datetime, page_size: int = 200) -> Iterator[str]:
        """Tracking codes in one due-index shard whose next deadline is at or before ``now``."""
        cursor = None
        while True:
            page = self.list_page("due", partition, limit=page_size, cursor=cursor, sort_before=f"{to_utc_text(now)}#~")
            for item in page.items:
                yield item["due_sk"].rsplit("#", 1)[1]
            if page.cursor is None:
                return
            cursor = page.cursor

    def all_items(self, index: str, partition: str, max_pages: int = 10, **kwargs: Any) -> list[dict[str, Any]]:
        items, cursor = [], None
        limit = kwargs.pop("limit", 200)
        for _ in range(max_pages):
            page = self.list_page(index, partition, cursor=cursor, limit=limit, **kwargs)
            items.extend(page.items)
            if page.cursor is None:
                break
            cursor = page.cursor
        return items
