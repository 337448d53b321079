"""The lists of cases, asked for by what they are: the port services and the API use.

    queue(view, holder, ...)          a page of an officer queue: an agency's cases (or a Dinas's
                                      family), the Bureau's triage and review lists, the escalated
    due(now)                          codes of the cases with an SLA milestone due by now (the sweep)
    reported(since, until, now, ...)  cases reported in a window, newest first (Open311, the public map)
    nearby_open(category, lat, lng)   open, routed cases of a category around a point (routing's
                                      duplicate candidates, the report form's "already reported?")

Each is Queries on the sparse indexes (case_indexes.py), none scans the table,
and each answers ``CaseCard`` rows read from the ``card`` the indexes project:
never a raw item, a key or an index name. A card that cannot be read (a field
missing or of the wrong type) is skipped, logged with its key and counted under
the list's name (adapters/unreadable.py): one bad item never costs the whole list.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from chalicelib.adapters.case_indexes import (
    DAY_SHARDS,
    ESCALATED,
    GEOHASH_PRECISION,
    INDEXES,
    REVIEW,
    TRIAGE,
    agency_partition,
    code_of,
    day_partitions,
    due_partitions,
    family_partition,
    geo_partition,
    index_attributes,
    index_range,
    up_to,
)
from chalicelib.adapters.case_repository import serialize
from chalicelib.adapters.table import TABLE_KEYS, KeyRange, Page, Table, encode_cursor
from chalicelib.adapters.unreadable import readable
from chalicelib.domain import geo, privacy, search
from chalicelib.domain.case import Case
from chalicelib.domain.clock import JAKARTA, parse_instant, to_utc_text
from chalicelib.domain.lifecycle import CaseStatus, is_open
from chalicelib.domain.sla import Milestone

QUEUE = "officer_queue"  # the UnreadableItems dimension of the officer queues
PAGE_ITEMS = 500  # cards per Query (~600 bytes each: well under DynamoDB's 1 MB page)
DUE_PAGE_ITEMS = 200  # keys per due-index Query
DAYS_AT_ONCE = 4  # a window is read the newest day alone, then 2, then up to this many days together
# A day that ended more than SETTLED ago (index lag) gets no case later: a case is
# filed under the Jakarta day it was taken in and never moves.
SETTLED = timedelta(hours=1)
# What a nearby search reads of each geo-index entry (not the whole card: routing reads
# up to 90 of them for every new case).
NEARBY_FIELDS = (
    "PK",
    "SK",
    "location",
    "card.code",
    "card.status",
    "card.category",
    "card.created_at",
    "card.privacy",
)


@dataclass(frozen=True)
class CaseCard:
    """One row of a case list: what the index card holds, read and checked."""

    code: str  # the tracking code: never shown to the public (services turn it into the public id)
    status: CaseStatus
    category: str
    created_at: datetime
    privacy: str = privacy.PUBLIC
    priority: str = "normal"
    agency_id: str | None = None
    area: dict[str, Any] | None = None  # kota, kecamatan, kelurahan codes
    lat: float | None = None
    lng: float | None = None
    summary: str = ""
    progress: int = 0
    version: int | None = None
    next_deadline: datetime | None = None  # the next SLA milestone (a reminder included: it orders the lists)
    deadline_kind: str | None = None  # the next real deadline the officer is held to
    deadline: datetime | None = None
    breached: tuple[Milestone, ...] = ()  # milestones breached (stored as "coordination.breach", ...)
    escalated: bool = False
    unverified_sender: bool = False  # opened by an e-mail SES could not verify (officers only)
    updated_at: datetime | None = None
    coordinate_by: datetime | None = None  # the SLA deadlines (cards written before they were projected: None)
    resolve_by: datetime | None = None
    words: str = ""  # what the officer search matches: description and address, folded (domain/search.py)

    @property
    def kota(self) -> str | None:
        return self.area.get("kota") if self.area else None


@dataclass(frozen=True)
class Reported:
    """Cards of cases reported in a window, newest first."""

    cards: list[CaseCard]
    complete: bool  # every day of the window was read (False: stopped once enough were found)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError("not a number")
    return float(value)


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be text")
    return value


def _instant(value: Any) -> datetime | None:
    return parse_instant(value) if value else None


def read_card(card: Mapping[str, Any], location: Mapping[str, Any] | None = None) -> CaseCard:
    """A card as a row; raises (KeyError, TypeError, ValueError...) when it cannot be read.
    ``location``: the index entry's own point, for cards written before they carried one."""
    where = card.get("location") or location
    lat = lng = None
    if where:
        lat, lng = _number(where["lat"]), _number(where["lng"])
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise ValueError("location out of range")
    level = card.get("privacy") or privacy.PUBLIC  # cards written before privacy levels: public
    if level not in privacy.LEVELS:
        raise ValueError(f"unknown privacy {level!r}")
    area = card.get("area")
    breached = card.get("breached") or []
    version, progress = card.get("version"), card.get("progress", 0)
    if not isinstance(breached, list) or not all(isinstance(m, str) for m in breached):
        raise TypeError("breached must be a list of text")
    if (version is not None and not isinstance(version, int)) or not isinstance(progress, int):
        raise TypeError("version and progress must be numbers")
    return CaseCard(
        code=_text(card["code"], "code"),
        status=CaseStatus(card["status"]),
        category=_text(card["category"], "category"),
        created_at=parse_instant(card["created_at"]),
        privacy=level,
        priority=card.get("priority") or "normal",  # cards written before priorities: normal
        agency_id=card.get("agency_id"),
        area=area if isinstance(area, dict) else None,
        lat=lat,
        lng=lng,
        summary=_text(card.get("summary", ""), "summary"),
        progress=progress,
        version=version,
        next_deadline=_instant(card.get("next_deadline")),
        deadline_kind=card.get("deadline_kind"),
        deadline=_instant(card.get("deadline")),
        breached=tuple(Milestone.named(name) for name in breached),  # an unknown name: unreadable
        escalated=bool(card.get("escalated")),
        unverified_sender=card.get("unverified_sender") is True,
        updated_at=_instant(card.get("updated_at")),
        coordinate_by=_instant(card.get("coordinate_by")),
        resolve_by=_instant(card.get("resolve_by")),
        # cards written before they carried their words: the summary's
        words=_text(card.get("words") or search.fold(_text(card.get("summary", ""), "summary")), "words"),
    )


@dataclass(frozen=True)
class Scanned:
    """Every card of a filtered queue, up to a budget."""

    cards: list[CaseCard]
    truncated: bool  # the budget was reached: more cards are in the queue than were read


def _card_of(item: dict[str, Any]) -> CaseCard:
    return read_card(item["card"], item.get("location"))


def _selecting_card_of(item: dict[str, Any]) -> CaseCard:
    """Only what selects a case from a list (code, status, category, privacy) read from its card;
    the time it was reported is the day-index sort key's (``<created>#<code>``). For a caller that
    reads each selected case whole afterwards: a card damaged elsewhere does not hide the case."""
    card = item["card"]
    _pk, sk = INDEXES["day"]
    return CaseCard(
        code=_text(card["code"], "code"),
        status=CaseStatus(card["status"]),
        category=_text(card["category"], "category"),
        created_at=parse_instant(_text(item[sk], sk).split("#")[0]),
        privacy=card.get("privacy") or privacy.PUBLIC,  # cards written before privacy levels: public
    )


def nearby_open(table: Table, category: str, lat: float, lng: float, per_cell: int, list_name: str) -> list[CaseCard]:
    """Open, routed cases of ``category`` in the geohash-7 cell of the point and the 8 around it
    (every point within ~150 m of it; farther ones too): the newest ``per_cell`` entries of each
    cell, so at most 9 x per_cell entries are read. Distance is for the caller to judge.

    The one reader of the geo-index (``CaseQueries.nearby_open`` and routing's duplicate search)."""
    found: list[CaseCard] = []
    seen: set[str] = set()
    for cell in geo.neighbourhood(lat, lng, GEOHASH_PRECISION):
        entries = index_range("geo", geo_partition(category, cell), newest_first=True, projection=NEARBY_FIELDS)
        for card in readable(table.items(entries, page_size=PAGE_ITEMS, max_items=per_cell), _card_of, list_name):
            # the index lags a closing write by a moment: what has closed meanwhile is left out
            if is_open(card.status) and card.lat is not None and card.code not in seen:
                seen.add(card.code)
                found.append(card)
    return found


def _days_newest_first(since: datetime, until: datetime) -> list[str]:
    first, last = since.astimezone(JAKARTA).date(), until.astimezone(JAKARTA).date()
    return [(last - timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def _day_bounds(day: str) -> tuple[str, str, datetime]:
    first = datetime.combine(datetime.fromisoformat(day).date(), time.min, tzinfo=JAKARTA)
    following = first + timedelta(days=1)
    return to_utc_text(first), to_utc_text(following - timedelta(microseconds=1)), following


class CaseQueries:
    def __init__(self, table: str | Table, workers: int = 16):
        self.table = Table(table) if isinstance(table, str) else table
        self.workers = workers  # parallel Queries of a window's days (boto3 clients are thread-safe)
        # Days whose partitions were found empty (they stay empty once settled): a quiet
        # window costs 4 Queries per day only the first time in a warm process.
        self._empty_days: set[str] = set()
        self._lock = threading.Lock()

    def queue(
        self,
        view: str,
        holder: str | None = None,
        *,
        filters: Mapping[str, str] | None = None,
        due_from: datetime | None = None,
        due_by: datetime | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page:
        """One page of ``CaseCard``s of an officer queue, soonest next deadline first.

        ``view``: agency (the cases ``holder`` holds), family (a top agency's with its
        sub-agencies'), triage, review or escalated. ``filters``: card field -> value
        (status, category, priority). ``due_from``/``due_by``: only cases whose next
        deadline is in that span."""
        entries = _queue_range(view, holder, filters, due_from, due_by)
        page = self.table.client_page(entries, limit=limit, cursor=cursor)
        return Page(readable(page.items, _card_of, QUEUE), page.cursor)

    def queue_cards(
        self,
        view: str,
        holder: str | None = None,
        *,
        filters: Mapping[str, str] | None = None,
        due_from: datetime | None = None,
        due_by: datetime | None = None,
        budget: int,
    ) -> Scanned:
        """The whole filtered queue (as ``queue``), read a page of PAGE_ITEMS at a time, but
        at most ``budget`` cards: for counting, searching and exporting it."""
        entries = _queue_range(view, holder, filters, due_from, due_by)
        items = list(self.table.items(entries, page_size=PAGE_ITEMS, max_items=budget + 1))
        return Scanned(list(readable(items[:budget], _card_of, QUEUE)), truncated=len(items) > budget)

    def queue_counted(
        self,
        view: str,
        holder: str | None = None,
        *,
        filters: Mapping[str, str] | None = None,
        due_from: datetime | None = None,
        due_by: datetime | None = None,
        limit: int,
        budget: int,
    ) -> tuple[Page, Scanned]:
        """The first page of a queue (as ``queue``) and the whole filtered queue (as
        ``queue_cards``) from one read: a queue of up to PAGE_ITEMS cards costs one Query.
        The page's cursor is its last entry's key, as DynamoDB's own would be."""
        entries = _queue_range(view, holder, filters, due_from, due_by)
        items = list(self.table.items(entries, page_size=PAGE_ITEMS, max_items=budget + 1))
        page_cards: list[CaseCard] = []
        cards: list[CaseCard] = []
        for n, item in enumerate(items[:budget]):
            for card in readable([item], _card_of, QUEUE):
                cards.append(card)
                if n < limit:
                    page_cards.append(card)
        last = items[limit - 1] if len(items) > limit else None
        cursor = encode_cursor(serialize({name: last[name] for name in (*TABLE_KEYS, *entries.keys)})) if last else None
        return Page(page_cards, cursor), Scanned(cards, truncated=len(items) > budget)

    def due(self, now: datetime) -> Iterator[str]:
        """Tracking codes of the cases whose next SLA milestone is at or before ``now``
        (one Query per write shard of the due-index, paged)."""
        _pk, sk = INDEXES["due"]
        for partition in due_partitions():
            for item in self.table.items(index_range("due", partition, high=up_to(now)), page_size=DUE_PAGE_ITEMS):
                yield code_of(item[sk])

    def reported(
        self,
        since: datetime,
        until: datetime,
        now: datetime,
        *,
        wanted: int,
        keep: Callable[[CaseCard], bool] | None = None,
        list_name: str,
        whole_cards: bool = True,
    ) -> Reported:
        """Cards of the cases reported from ``since`` to ``until``, newest first, read whole
        Jakarta days at a time (the newest day alone, then 2, then up to 4 days together,
        each day's shards queried in parallel) until ``wanted`` cards that ``keep`` accepts
        are in hand or the window is read. Only kept cards are answered, those of every day
        read (so possibly more than ``wanted``). ``whole_cards=False``: only the fields that
        select a case are read and must be readable (Open311, which reads each case whole)."""
        _pk, sk = INDEXES["day"]
        low, high = to_utc_text(since), up_to(until)
        days = [day for day in _days_newest_first(since, min(until, now)) if day not in self._empty_days]
        kept: list[CaseCard] = []
        start, size = 0, 1
        with ThreadPoolExecutor(max_workers=max(1, self.workers)) as pool:
            while start < len(days) and len(kept) < wanted:
                chunk, start, size = days[start : start + size], start + size, min(size * 2, DAYS_AT_ONCE)
                shards = {
                    (day, n): pool.submit(self._day_shard, partition, low, high)
                    for day in chunk
                    for n, partition in enumerate(day_partitions(day))
                }
                for day in chunk:
                    items = [item for n in range(DAY_SHARDS) for item in shards[(day, n)].result()]
                    first, last, following = _day_bounds(day)
                    if not items and low <= first and last <= high and following + SETTLED <= now:
                        with self._lock:
                            self._empty_days.add(day)
                    items.sort(key=lambda item: item[sk] if isinstance(item.get(sk), str) else "", reverse=True)
                    read = _card_of if whole_cards else _selecting_card_of
                    kept += [card for card in readable(items, read, list_name) if keep is None or keep(card)]
        return Reported(kept, complete=start >= len(days))

    def _day_shard(self, partition: str, low: str, high: str) -> list[dict[str, Any]]:
        """Every entry of one day's shard between two sort keys, newest first (all pages)."""
        return list(
            self.table.items(index_range("day", partition, low=low, high=high, newest_first=True), page_size=PAGE_ITEMS)
        )

    def nearby_open(self, category: str, lat: float, lng: float, per_cell: int, list_name: str) -> list[CaseCard]:
        return nearby_open(self.table, category, lat, lng, per_cell, list_name)


def _queue_range(
    view: str,
    holder: str | None,
    filters: Mapping[str, str] | None,
    due_from: datetime | None,
    due_by: datetime | None,
) -> KeyRange:
    if view == "agency":
        index, partition = "queue", agency_partition(_required(holder))
    elif view == "family":
        index, partition = "family", family_partition(_required(holder))
    elif view in ("triage", "review"):
        index, partition = "work", TRIAGE if view == "triage" else REVIEW
    elif view == "escalated":
        index, partition = "escalated", ESCALATED
    else:
        raise ValueError(f"no queue view {view!r}")
    return index_range(
        index,
        partition,
        low=to_utc_text(due_from) if due_from else None,
        high=up_to(due_by) if due_by else None,
        where=tuple((f"card.{field}", value) for field, value in sorted((filters or {}).items())),
    )


def case_card(case: Case) -> CaseCard:
    """The card a case's list entries carry, read from the case itself (a search that jumps to it)."""
    return read_card(index_attributes(case, case.version or 0)["card"])


def _required(holder: str | None) -> str:
    if not holder:
        raise ValueError("this queue view needs an agency")
    return holder
