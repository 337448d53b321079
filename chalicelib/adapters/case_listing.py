"""What the public map lists, asked for by intent: no key format leaves adapters/.

    recent(since, until, limit)       cases reported in a window, newest first (day-index)
    open_nearby(category, lat, lng)   open, routed cases of a category around a point (geo-index)

Both read the cards the list indexes project (case_indexes.card), never the
case items, and answer ``ListedCase`` rows: what a point on a map needs and
what decides whether it may be shown (privacy, status). Whether a row is
shown, and everything a person reads about it, is decided elsewhere
(services/public_map.py builds the words from status.public_view).

A card that cannot be read (a field missing or of the wrong type) is skipped,
logged with its index key and counted in ``Listed.unreadable``: one bad item
never costs the whole list.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.adapters.case_indexes import DAY_SHARDS, GEOHASH_PRECISION
from chalicelib.domain import geo, privacy
from chalicelib.domain.clock import JAKARTA, parse_instant, to_utc_text
from chalicelib.domain.lifecycle import CaseStatus
from chalicelib.logs import get_logger

log = get_logger("case_listing")

PAGE_ITEMS = 500  # cards per Query (~600 bytes each: well under DynamoDB's 1 MB page)
NEARBY_PAGES = 2  # per geohash cell: 1,000 open cases of one category in ~150 m is already a flood


@dataclass(frozen=True)
class ListedCase:
    code: str  # the tracking code: services turn it into the public id before anything is shown
    created_at: datetime
    status: CaseStatus
    category: str
    privacy: str
    kota: str | None
    lat: float | None
    lng: float | None


@dataclass(frozen=True)
class Listed:
    cases: list[ListedCase]
    unreadable: int = 0
    complete: bool = True  # False: the limit was reached before the window's end


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError("not a number")
    return float(value)


def listed_case(card: dict[str, Any], location: dict[str, Any] | None = None) -> ListedCase:
    """A card as a row; ValueError/KeyError/TypeError when it cannot be read."""
    where = location if location is not None else card.get("location")
    lat = lng = None
    if where:
        lat, lng = _number(where["lat"]), _number(where["lng"])
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise ValueError("location out of range")
    area = card.get("area") or {}
    level = card.get("privacy") or privacy.PUBLIC  # cards written before privacy levels: public
    if level not in privacy.LEVELS:
        raise ValueError(f"unknown privacy {level!r}")
    code, category = card["code"], card["category"]
    if not isinstance(code, str) or not isinstance(category, str):
        raise TypeError("code and category must be text")
    return ListedCase(
        code=code,
        created_at=parse_instant(card["created_at"]),
        status=CaseStatus(card["status"]),
        category=category,
        privacy=level,
        kota=area.get("kota") if isinstance(area, dict) else None,
        lat=lat,
        lng=lng,
    )


class CaseListing:
    def __init__(self, queries: Any, workers: int = DAY_SHARDS):
        self.queries = queries  # CaseQueries (or the fake): list_page over the indexes
        self.workers = workers

    def recent(self, since: datetime, until: datetime, limit: int) -> Listed:
        """Cases reported from ``since`` to ``until``, newest first, at most ``limit``.

        One Jakarta day at a time (its shards queried together), newest day
        first, until the window or the limit ends."""
        low, high = to_utc_text(since), f"{to_utc_text(until)}#~"
        first, day = since.astimezone(JAKARTA).date(), until.astimezone(JAKARTA).date()
        found: list[ListedCase] = []
        unreadable = 0
        with ThreadPoolExecutor(max_workers=max(1, self.workers)) as pool:
            while day >= first and len(found) < limit:
                partitions = [f"DAY#{day.isoformat()}#{shard}" for shard in range(DAY_SHARDS)]
                pages = pool.map(lambda partition: self._all("day", partition, (low, high)), partitions)
                items = sorted((item for page in pages for item in page), key=_day_order, reverse=True)
                rows, bad = _read(items, lambda item: listed_case(item["card"]), "day_pk", "day_sk")
                found.extend(rows)
                unreadable += bad
                day -= timedelta(days=1)
        # Cut at the limit, or stopped at it with days left to read: there may be more.
        truncated = len(found) > limit or (len(found) == limit and day >= first)
        return Listed(found[:limit], unreadable, complete=not truncated)

    def open_nearby(self, category: str, lat: float, lng: float) -> Listed:
        """Open, routed cases of ``category`` in the geohash cell of the point and
        its eight neighbours (every point within ~150 m of it; farther ones too)."""
        rows: list[ListedCase] = []
        unreadable = 0
        seen: set[str] = set()
        for cell in geo.neighbourhood(lat, lng, GEOHASH_PRECISION):
            items = self._all("geo", f"GEO#{category}#{cell}", None, max_pages=NEARBY_PAGES)
            found, bad = _read(items, lambda item: listed_case(item["card"], item.get("location")), "geo_pk", "geo_sk")
            unreadable += bad
            for row in found:
                if row.code not in seen and row.lat is not None:
                    seen.add(row.code)
                    rows.append(row)
        return Listed(rows, unreadable)

    def _all(
        self, index: str, partition: str, between: tuple[str, str] | None, max_pages: int | None = None
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor, pages = None, 0
        while True:
            page = self.queries.list_page(
                index, partition, limit=PAGE_ITEMS, cursor=cursor, sort_between=between, newest_first=True
            )
            items.extend(page.items)
            pages += 1
            if page.cursor is None or (max_pages is not None and pages >= max_pages):
                return items
            cursor = page.cursor


def _day_order(item: dict[str, Any]) -> str:
    order = item.get("day_sk")
    return order if isinstance(order, str) else ""


def _read(
    items: list[dict[str, Any]], parse: Callable[[dict[str, Any]], ListedCase], pk: str, sk: str
) -> tuple[list[ListedCase], int]:
    rows, unreadable = [], 0
    for item in items:
        try:
            rows.append(parse(item))
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            unreadable += 1
            log.warning(
                "unreadable card skipped",
                extra={"index_key": f"{item.get(pk)}|{item.get(sk)}", "problem": type(error).__name__},
            )
    return rows, unreadable
