"""Reading a key range of the table or of one of its indexes: the one Query loop.

Every adapter that reads more than one item by key goes through ``Table``:
it says *which* range (``KeyRange``: a partition, sort-key bounds, direction,
the attributes wanted, equality filters) and ``Table`` builds the request,
follows ``LastEvaluatedKey`` page by page, turns AWS throttling/5xx into
``ServiceUnavailable`` (503) and a start key DynamoDB refuses into a 422 (a
cursor we never handed out).

Cursors handed to API clients are the ``LastEvaluatedKey``, base64-encoded:
opaque to them, and checked by DynamoDB when they come back.

The unit tests run the same adapters on ``tests/support/fakes.InMemoryTable``,
which evaluates a ``KeyRange`` over items held in memory (it knows no key
format either: the range names its attributes).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters import aws
from chalicelib.domain.errors import InvalidInput

TABLE_KEYS = ("PK", "SK")


def item_key(item: dict[str, Any]) -> tuple[str, str]:
    """An item's table key (its identity): what a Put with the same key replaces."""
    return item[TABLE_KEYS[0]], item[TABLE_KEYS[1]]


@dataclass(frozen=True)
class KeyRange:
    """Items of one partition whose sort key is in a range, in sort-key order."""

    partition: str
    keys: tuple[str, str] = TABLE_KEYS  # the partition and sort key attributes (of the table or the index)
    index: str | None = None  # an index name; None: the table itself
    low: str | None = None  # sort key >= low
    high: str | None = None  # sort key <= high
    prefix: str | None = None  # sort key begins with this
    newest_first: bool = False  # descending sort key
    projection: tuple[str, ...] = ()  # attribute paths to read ("card.code"); empty: every attribute
    where: tuple[tuple[str, Any], ...] = ()  # (attribute path, value): only equal items (after Limit, as DynamoDB)

    def sort_matches(self, value: str) -> bool:
        """Whether a sort key is in the range (what the key condition says, for in-memory readers)."""
        return (
            (self.low is None or value >= self.low)
            and (self.high is None or value <= self.high)
            and (self.prefix is None or value.startswith(self.prefix))
        )


@dataclass(frozen=True)
class QueryPage:
    items: list[dict[str, Any]]  # plain Python values
    last_key: dict[str, Any] | None  # DynamoDB JSON; None: the range ends here


@dataclass(frozen=True)
class Page:
    """One page for an API client: what was read, and the cursor of the next page (None: the last)."""

    items: list[Any]
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


class _Names:
    """Expression attribute names: every attribute goes through a placeholder
    (reserved words such as ``status`` or ``location`` need one anyway)."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def __call__(self, path: str) -> str:
        placeholders = []
        for part in path.split("."):
            placeholder = next((p for p, name in self.names.items() if name == part), None)
            if placeholder is None:
                placeholder = f"#n{len(self.names)}"
                self.names[placeholder] = part
            placeholders.append(placeholder)
        return ".".join(placeholders)


def query_request(key_range: KeyRange) -> dict[str, Any]:
    """The Query parameters of a range (without the table, Limit or start key)."""
    from chalicelib.adapters.case_repository import serialize

    name = _Names()
    partition, sort = key_range.keys
    condition = f"{name(partition)} = :pk"
    values: dict[str, Any] = {":pk": key_range.partition}
    if key_range.low is not None and key_range.high is not None:
        condition += f" AND {name(sort)} BETWEEN :low AND :high"
        values[":low"], values[":high"] = key_range.low, key_range.high
    elif key_range.low is not None:
        condition += f" AND {name(sort)} >= :low"
        values[":low"] = key_range.low
    elif key_range.high is not None:
        condition += f" AND {name(sort)} <= :high"
        values[":high"] = key_range.high
    if key_range.prefix is not None:
        if key_range.low is not None or key_range.high is not None:
            raise ValueError("a key range has bounds or a prefix, not both")
        condition += f" AND begins_with({name(sort)}, :prefix)"
        values[":prefix"] = key_range.prefix
    request: dict[str, Any] = {"KeyConditionExpression": condition, "ScanIndexForward": not key_range.newest_first}
    if key_range.index is not None:
        request["IndexName"] = key_range.index
    if key_range.where:
        clauses = []
        for n, (path, value) in enumerate(key_range.where):
            clauses.append(f"{name(path)} = :w{n}")
            values[f":w{n}"] = value
        request["FilterExpression"] = " AND ".join(clauses)
    if key_range.projection:
        request["ProjectionExpression"] = ", ".join(name(path) for path in key_range.projection)
    request["ExpressionAttributeNames"] = name.names
    request["ExpressionAttributeValues"] = serialize(values)
    return request


class Table:
    """Queries on one DynamoDB table (and its indexes)."""

    def __init__(self, name: str):
        self.name = name

    def page(self, key_range: KeyRange, *, limit: int | None = None, start: dict[str, Any] | None = None) -> QueryPage:
        """One Query request: up to ``limit`` items of the range after ``start`` (a LastEvaluatedKey)."""
        from chalicelib.adapters.case_repository import deserialize

        request = {"TableName": self.name, **query_request(key_range)}
        if limit is not None:
            request["Limit"] = limit
        if start:
            request["ExclusiveStartKey"] = start
        try:
            with aws.unavailable_on_transient("dynamodb"):
                response = aws.client("dynamodb").query(**request)
        except Exception as error:
            if start and aws.error_code(error) == "ValidationException":
                raise bad_cursor() from None  # a key DynamoDB does not take as this range's start
            raise
        return QueryPage([deserialize(item) for item in response.get("Items", [])], response.get("LastEvaluatedKey"))

    def items(
        self,
        key_range: KeyRange,
        *,
        page_size: int | None = None,
        max_items: int | None = None,
        start: dict[str, Any] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every item of the range (or the first ``max_items``), a page at a time, read as the
        caller reads on: a caller that has enough stops early and no further page is asked for."""
        read = 0
        while True:
            limit = page_size
            if max_items is not None:
                limit = max_items - read if limit is None else min(limit, max_items - read)
            page = self.page(key_range, limit=limit, start=start)
            read += len(page.items)
            yield from page.items
            if page.last_key is None or (max_items is not None and read >= max_items):
                return
            start = page.last_key

    def client_page(self, key_range: KeyRange, *, limit: int, cursor: str | None) -> Page:
        """One page for an API client, resumed from the cursor of the page before."""
        page = self.page(key_range, limit=limit, start=decode_cursor(cursor))
        return Page(page.items, encode_cursor(page.last_key))
