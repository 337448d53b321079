"""Where routing looks for possible duplicates of a new case: bounded reads only.

Two lookups, each a fixed number of Queries with a Limit, so what one routed
case reads does not grow with the day's or the week's volume:

    nearby     geo-index  GEO#<category>#<geohash-7>      9 cells, newest first, Limit per cell
               (the case item's sparse key: routed open cases with a location, case_indexes.py;
               read by case_queries.nearby_open, the one geo-index reader)
    by text    table      PK = SIG#<category>#<band>#<band key>
                          SK = <created UTC>#<code>        8 bands, newest first within the window,
                                                           Limit per band

A signature item is written per band when a case is routed (one
BatchWriteItem, never at intake): ``type`` = text_signature, ``code``,
``summary`` (the first 160 characters the text check compares), and
``expires_at`` = created + 7 days (the table's TTL removes it after the
window; the Query's sort-key condition, not TTL, enforces the window).
Signature items do not know whether their case is still open, so text
candidates are checked with one BatchGetItem that reads only ``status``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from chalicelib import cloudwatch
from chalicelib.adapters import aws
from chalicelib.adapters.case_queries import CaseCard, nearby_open
from chalicelib.adapters.case_repository import case_key, deserialize, is_case_item, serialize
from chalicelib.adapters.table import KeyRange, Table
from chalicelib.domain.clock import to_utc_text
from chalicelib.domain.duplicates import SIMILAR_WINDOW
from chalicelib.domain.lifecycle import OPEN_STATUSES
from chalicelib.logs import get_logger

log = get_logger("duplicate_index")

LIST = "duplicate_search"  # the UnreadableItems dimension
SIGNATURE_TYPE = "text_signature"
BATCH_WRITE_LIMIT = 25  # DynamoDB's maximum requests per BatchWriteItem
BATCH_GET_LIMIT = 100  # ... and keys per BatchGetItem
BATCH_ATTEMPTS = 5
_OPEN_VALUES = frozenset(status.value for status in OPEN_STATUSES)


def _unreadable(partition: str, error: Exception) -> None:
    """One entry that cannot be read is skipped, logged by its partition (no tracking code) and counted."""
    log.warning("unreadable duplicate-search entry skipped", extra={"partition": partition, "error": repr(error)[:200]})
    cloudwatch.count("UnreadableItems", list=LIST)


@dataclass(frozen=True)
class TextCandidate:
    code: str
    summary: str


def signature_partition(category: str, band: int, key: str) -> str:
    return f"SIG#{category}#{band}#{key}"


def signature_items(
    code: str, category: str, bands: tuple[str, ...], summary: str, created_at: datetime
) -> list[dict[str, Any]]:
    """The items that file one case's text under its band keys (not yet serialised)."""
    expires = int((created_at + SIMILAR_WINDOW).timestamp())
    return [
        {
            "PK": signature_partition(category, band, key),
            "SK": f"{to_utc_text(created_at)}#{code}",
            "type": SIGNATURE_TYPE,
            "code": code,
            "summary": summary,
            "expires_at": expires,
        }
        for band, key in enumerate(bands)
    ]


class DuplicateSearch(Protocol):
    """What routing's duplicate search reads and files (DuplicateIndex; the demo history's stand-in)."""

    def nearby_open(self, category: str, lat: float, lng: float, per_cell: int) -> list[CaseCard]: ...

    def similar_recent(
        self, category: str, bands: tuple[str, ...], since: datetime, per_band: int
    ) -> Iterable[TextCandidate]: ...

    def still_open(self, codes: list[str]) -> set[str]: ...

    def record_signature(
        self, code: str, category: str, bands: tuple[str, ...], summary: str, created_at: datetime
    ) -> None: ...


class DuplicateIndex:
    def __init__(self, table_name: str):
        self.table_name = table_name

    @property
    def _client(self) -> Any:
        return aws.client("dynamodb")

    def nearby_open(self, category: str, lat: float, lng: float, per_cell: int) -> list[CaseCard]:
        """The newest ``per_cell`` open cases of the category in the point's cell and the 8 around it
        (case_queries.nearby_open, the one geo-index reader). Reads at most 9 x per_cell index
        entries. Distance is for the caller to judge."""
        return nearby_open(Table(self.table_name), category, lat, lng, per_cell, LIST)

    def similar_recent(
        self, category: str, bands: tuple[str, ...], since: datetime, per_band: int
    ) -> Iterator[TextCandidate]:
        """Cases of the category filed since ``since`` under any of these band keys, newest ``per_band``
        of each band, each case once; one Query per band, made as the caller reads on (a caller that
        has enough stops early). Reads at most len(bands) x per_band signature items. Open or not is
        for ``still_open``.
        """
        seen: set[str] = set()
        table = Table(self.table_name)
        for band, key in enumerate(bands):
            partition = signature_partition(category, band, key)
            filed = KeyRange(partition, low=to_utc_text(since), newest_first=True, projection=("code", "summary"))
            for item in table.items(filed, max_items=per_band):
                code, summary = item.get("code"), item.get("summary")
                if not isinstance(code, str) or not isinstance(summary, str):
                    _unreadable(partition, ValueError("no code or summary"))
                elif code not in seen:
                    seen.add(code)
                    yield TextCandidate(code, summary)

    def still_open(self, codes: list[str]) -> set[str]:
        """Which of these cases are open now (reads each case's status only; at most len(codes) items)."""
        open_codes: set[str] = set()
        wanted = list(dict.fromkeys(codes))
        for start in range(0, len(wanted), BATCH_GET_LIMIT):
            keys = [serialize(case_key(code)) for code in wanted[start : start + BATCH_GET_LIMIT]]
            request = {"Keys": keys, "ProjectionExpression": "#type, code, #status"}
            names = {"#type": "type", "#status": "status"}
            for attempt in range(BATCH_ATTEMPTS):
                with aws.unavailable_on_transient("dynamodb"):
                    response = self._client.batch_get_item(
                        RequestItems={self.table_name: {**request, "ExpressionAttributeNames": names}}
                    )
                for item in map(deserialize, response.get("Responses", {}).get(self.table_name, [])):
                    if is_case_item(item) and item.get("status") in _OPEN_VALUES and "code" in item:
                        open_codes.add(item["code"])
                request["Keys"] = response.get("UnprocessedKeys", {}).get(self.table_name, {}).get("Keys", [])
                if not request["Keys"]:
                    break
                time.sleep(0.05 * 2**attempt)  # DynamoDB asks to slow down
            else:
                raise aws.ServiceUnavailable("dynamodb", "UnprocessedKeys")
        return open_codes

    def record_signature(
        self, code: str, category: str, bands: tuple[str, ...], summary: str, created_at: datetime
    ) -> None:
        """File the case's text under its band keys: one BatchWriteItem (8 items of ~0.3 KB)."""
        items = signature_items(code, category, bands, summary, created_at)
        for start in range(0, len(items), BATCH_WRITE_LIMIT):
            pending = [{"PutRequest": {"Item": serialize(item)}} for item in items[start : start + BATCH_WRITE_LIMIT]]
            for attempt in range(BATCH_ATTEMPTS):
                with aws.unavailable_on_transient("dynamodb"):
                    response = self._client.batch_write_item(RequestItems={self.table_name: pending})
                pending = response.get("UnprocessedItems", {}).get(self.table_name, [])
                if not pending:
                    break
                time.sleep(0.05 * 2**attempt)  # throttled: a hot band partition on a flood day
            else:
                raise aws.ServiceUnavailable("dynamodb", "UnprocessedItems")
