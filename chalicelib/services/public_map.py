"""The public map: recent reports as points and as a paged list, the open
reports near a point, where a point is, and a report's public page.

    points(filters)          GET /map/points     [[public id, lat, lng, category, status], ...]
    reports_page(filters)    GET /map/reports    a page of summaries, newest first
    nearby(lat, lng, cat)    GET /map/nearby     open reports of a category within 100 m
    area_at(lat, lng)        GET /areas/lookup   kelurahan / kecamatan / kota (pure: no database)
    public_case(id)          GET /reports/{id}   the case behind a public id, unless confidential

What may be shown: every case whose privacy level is not confidential, named
by its public id (domain/request_ids.py), never by its tracking code (the
reporter's key). Merged cases are left out: their primary is on the map.
Everything a person reads about a report (category and status names, area
names, the masked description, photos) is cut from ``status.public_view``, the
allow-list every public surface uses; the points carry only what the cards
hold and the map draws (place, category, status).

Cost: the window is at most 7 days and the points at most 5,000 (the newest
that match). The cards of the last 7 days (at most SNAPSHOT_LIMIT) are read
once per SNAPSHOT_SECONDS per warm function and filtered in memory, so a busy
map costs one 7-day read (~32 Queries, ~5,000 cards on a busy week) per
container per half minute, whatever the traffic. A new report shows within
that half minute (plus the index's lag), and so does leaving the map for a
report made confidential later.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

from chalicelib.adapters.case_queries import CaseCard, CaseQueries, Reported
from chalicelib.domain import categories, duplicates, geo, privacy, request_ids
from chalicelib.domain.case import Case
from chalicelib.domain.clock import to_jakarta_text
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.lifecycle import CaseStatus, is_open
from chalicelib.logs import get_logger
from chalicelib.services.status import public_view_json

log = get_logger("public_map")

MAX_DAYS = 7
MAX_POINTS = 5_000
SNAPSHOT_LIMIT = 20_000  # cards held per function: a week of 2,800 reports a day
SNAPSHOT_SECONDS = 30.0
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 50
MAX_PAGE = 1_000
NEARBY_METRES = duplicates.NEARBY_METRES  # what officers are shown as "the same problem"
NEARBY_LIMIT = 5
NEARBY_PER_CELL = 1_000  # newest entries read per geohash cell: 1,000 open cases of one category in ~150 m is a flood
LIST = "public_map"  # the UnreadableItems dimension of the map's lists
SUMMARY_CHARS = 200
STATUSES = ("open", "closed")
POINT_FIELDS = ("id", "lat", "lng", "category", "status")


@dataclass(frozen=True)
class MapFilters:
    category: str | None = None
    status: str | None = None  # "open" | "closed"
    kota: str | None = None
    days: int = MAX_DAYS


@dataclass(frozen=True)
class Deps:
    lists: CaseQueries  # the case lists port: reported (day-index), nearby_open (geo-index)
    get_many: Callable[[list[str]], dict[str, Case]]  # adapters/case_reader.py: BatchGetItem
    clock: Callable[[], datetime]
    code_key: bytes
    base_url: str
    monotonic: Callable[[], float] = time.monotonic


# --- reading the query ---------------------------------------------------------------------


def _text(query: Mapping[str, str], name: str) -> str | None:
    value = (query.get(name) or "").strip()
    return value or None


def _whole(query: Mapping[str, str], name: str, default: int, low: int, high: int, problems: list) -> int:
    value = _text(query, name)
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()) or len(value) > 6 or not low <= int(value) <= high:
        problems.append((name, f"must be a whole number from {low} to {high}"))
        return default
    return int(value)


def _kota_codes() -> dict[str, str]:
    from chalicelib.adapters import reference_data

    return {area.code: area.name for area in reference_data.areas().at_level("kota")}


def parse_filters(query: Mapping[str, str] | None) -> MapFilters:
    """category, status (open|closed), kota (a code such as 31.71), days (1-7); 422 naming each bad one."""
    query = query or {}
    problems: list[tuple[str, str]] = []
    category = _text(query, "category")
    if category is not None and categories.get(category) is None:
        problems.append(("category", "is not a category of this service (GET /open311/v2/services.json)"))
    status = _text(query, "status")
    if status is not None and status not in STATUSES:
        problems.append(("status", "must be open or closed"))
    kota = _text(query, "kota")
    if kota is not None and kota not in _kota_codes():
        problems.append(("kota", f"must be one of {', '.join(sorted(_kota_codes()))}"))
    days = _whole(query, "days", MAX_DAYS, 1, MAX_DAYS, problems)
    if problems:
        raise InvalidInput(problems)
    return MapFilters(category, status, kota, days)


def parse_page(query: Mapping[str, str] | None) -> tuple[int, int]:
    query = query or {}
    problems: list[tuple[str, str]] = []
    page = _whole(query, "page", 1, 1, MAX_PAGE, problems)
    size = _whole(query, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE, problems)
    if problems:
        raise InvalidInput(problems)
    return page, size


def parse_point(query: Mapping[str, str] | None) -> tuple[float, float]:
    """lat and lng as decimal degrees, finite and on the earth."""
    query = query or {}
    problems: list[tuple[str, str]] = []
    values = {}
    for name, limit in (("lat", 90.0), ("lng", 180.0)):
        text = _text(query, name)
        try:
            value = float(text) if text is not None and len(text) <= 32 else math.nan
        except ValueError:
            value = math.nan
        if text is None:
            problems.append((name, "is required"))
        elif not math.isfinite(value) or not -limit <= value <= limit:
            problems.append((name, f"must be a number from -{limit:g} to {limit:g} (decimal degrees)"))
        values[name] = value
    if problems:
        raise InvalidInput(problems)
    return values["lat"], values["lng"]


# --- the recent cases, read once per half minute --------------------------------------------


@dataclass
class _Snapshot:
    taken: float
    until: datetime
    rows: list[CaseCard]  # shown ones only, newest first
    complete: bool
    public_ids: dict[str, str] = field(default_factory=dict)


_SNAPSHOTS: WeakKeyDictionary = WeakKeyDictionary()  # the lists port (CaseQueries) -> _Snapshot
_SNAPSHOT_LOCK = threading.Lock()


def forget_snapshots() -> None:
    with _SNAPSHOT_LOCK:
        _SNAPSHOTS.clear()


def shown(row: CaseCard) -> bool:
    return not privacy.is_hidden(row.privacy) and row.status is not CaseStatus.MERGED


def _snapshot(deps: Deps) -> _Snapshot:
    key = deps.lists
    with _SNAPSHOT_LOCK:
        current = _SNAPSHOTS.get(key)
        if current is not None and deps.monotonic() - current.taken < SNAPSHOT_SECONDS:
            return current
        now = deps.clock()
        listed = recent(deps.lists, now - timedelta(days=MAX_DAYS), now, SNAPSHOT_LIMIT)
        current = _Snapshot(deps.monotonic(), now, [row for row in listed.cards if shown(row)], listed.complete)
        _SNAPSHOTS[key] = current
        return current


def recent(lists: CaseQueries, since: datetime, until: datetime, limit: int) -> Reported:
    """The cards of the cases reported in the window, newest first, at most ``limit``
    (``complete``: none left out)."""
    found = lists.reported(since, until, until, wanted=limit, list_name=LIST)
    return Reported(found.cards[:limit], found.complete and len(found.cards) <= limit)


def _public_id(snapshot: _Snapshot, code: str, code_key: bytes) -> str:
    known = snapshot.public_ids.get(code)
    if known is None:
        known = snapshot.public_ids[code] = request_ids.public_id(code, code_key)
    return known


def _matching(snapshot: _Snapshot, filters: MapFilters) -> list[CaseCard]:
    since = snapshot.until - timedelta(days=filters.days)
    return [
        row
        for row in snapshot.rows
        if row.created_at >= since
        and (filters.category is None or row.category == filters.category)
        and (filters.kota is None or row.kota == filters.kota)
        and (filters.status is None or is_open(row.status) == (filters.status == "open"))
    ]


def _window(snapshot: _Snapshot, filters: MapFilters) -> dict[str, Any]:
    return {
        "since": to_jakarta_text(snapshot.until - timedelta(days=filters.days)),
        "until": to_jakarta_text(snapshot.until),
        "days": filters.days,
    }


def points(filters: MapFilters, deps: Deps) -> dict[str, Any]:
    snapshot = _snapshot(deps)
    located = [
        (row, row.lat, row.lng) for row in _matching(snapshot, filters) if row.lat is not None and row.lng is not None
    ]
    return {
        **_window(snapshot, filters),
        "limit": MAX_POINTS,
        "total": len(located),
        "truncated": len(located) > MAX_POINTS or not snapshot.complete,
        "fields": list(POINT_FIELDS),
        "points": [
            [
                _public_id(snapshot, row.code, deps.code_key),
                round(lat, 5),
                round(lng, 5),
                row.category,
                row.status.value,
            ]
            for row, lat, lng in located[:MAX_POINTS]
        ],
    }


def reports_page(filters: MapFilters, page: int, page_size: int, language: str, deps: Deps) -> dict[str, Any]:
    snapshot = _snapshot(deps)
    rows = _matching(snapshot, filters)
    chosen = rows[(page - 1) * page_size : page * page_size]
    found = deps.get_many([row.code for row in chosen])  # the level may have been raised meanwhile
    reports = [
        summary(found[row.code], language, deps, _public_id(snapshot, row.code, deps.code_key))
        for row in chosen
        if row.code in found and not found[row.code].hidden_from_public
    ]
    return {
        **_window(snapshot, filters),
        "page": page,
        "page_size": page_size,
        "total": len(rows),
        "truncated": not snapshot.complete,
        "reports": reports,
    }


def summary(case: Case, language: str, deps: Deps, public_id: str | None = None) -> dict[str, Any]:
    """One report as a list row, cut from the public view (the allow-list)."""
    public_id = public_id or request_ids.public_id(case.tracking_code, deps.code_key)
    view = public_view_json(case, language, deps.base_url, public_id=public_id, code_key=deps.code_key)
    description = view["description"]
    if len(description) > SUMMARY_CHARS:
        description = description[: SUMMARY_CHARS - 1].rstrip() + "…"
    location = view["location"]
    photos = view["photos"]
    return {
        "id": public_id,
        "url": f"{deps.base_url}/reports/{public_id}",
        "category": view["category"],
        "status": view["status"],
        "status_label": view["status_label"],
        "created_at": view["created_at"],
        "updated_at": view["updated_at"],
        "area": view["area"],
        "location": {"lat": location["lat"], "lng": location["lng"]} if location else None,
        "summary": description,
        "progress": view["progress"],
        "photo": photos[-1]["url"] if photos else None,
    }


# --- near a point ----------------------------------------------------------------------------


def nearby(lat: float, lng: float, category: str | None, language: str, deps: Deps) -> dict[str, Any]:
    """Open reports of the category within NEARBY_METRES, nearest first: "already reported? follow it"."""
    if category is None or categories.get(category) is None:
        raise InvalidInput([("category", "is required: a category of this service")])
    listed = deps.lists.nearby_open(category, lat, lng, per_cell=NEARBY_PER_CELL, list_name=LIST)
    near = sorted(
        (
            (geo.distance_m(lat, lng, row.lat, row.lng), row)
            for row in listed
            if shown(row) and is_open(row.status) and row.lat is not None and row.lng is not None
        ),
        key=lambda pair: pair[0],
    )
    near = [(metres, row) for metres, row in near if metres <= NEARBY_METRES][:NEARBY_LIMIT]
    found = deps.get_many([row.code for _, row in near])
    return {
        "radius_m": int(NEARBY_METRES),
        "category": category,
        "reports": [
            {**summary(found[row.code], language, deps), "distance_m": round(metres)}
            for metres, row in near
            if row.code in found and not found[row.code].hidden_from_public and is_open(found[row.code].status)
        ],
    }


# --- where a point is -----------------------------------------------------------------------


def area_at(lat: float, lng: float) -> dict[str, Any]:
    """The kelurahan, kecamatan and kota of a point, and whether the city serves it."""
    from chalicelib.adapters import reference_data

    index = reference_data.areas()
    path = index.locate(lat, lng)
    levels = path.as_dict().items()
    named = {level: {"code": code, "name": index.name_of(code)} if code else None for level, code in levels}
    return {"lat": lat, "lng": lng, "inside": path.kelurahan is not None, **named}


# --- one report's public page --------------------------------------------------------------


def public_case(public_id: str, cases: Any, code_key: bytes) -> Case | None:
    """The case behind a public id; None for anything else (tracking codes included: they
    are the reporter's key and never go into a public URL) and for confidential cases."""
    if not request_ids.looks_like_id(public_id):
        return None
    code = request_ids.tracking_code_of(public_id, code_key)
    case = cases.get(code) if code else None
    return None if case is None or case.hidden_from_public else case
