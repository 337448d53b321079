"""An officer queue (GET /officer/queue, GET /officer/queue.csv): a page of a list of cases
as rows, the counters of the whole filtered list, a search, and the list as CSV.

Who may see which list is the API's check (api/officer.py); this asks the case
lists port for the page (``CaseQueries.queue``) and turns its cards into rows.
Counting, searching and exporting read the whole filtered list through the same
port (``CaseQueries.queue_cards``), at most SCAN_BUDGET cards: an agency's queue
is a few thousand cases at most, and past the budget the answer says
``truncated``.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.adapters import reference_data
from chalicelib.adapters.case_queries import CaseCard, CaseQueries, Scanned, case_card
from chalicelib.adapters.case_repository import CaseRepository
from chalicelib.domain import permissions, request_ids, search, texts, tracking
from chalicelib.domain.case import Case
from chalicelib.domain.clock import JAKARTA
from chalicelib.domain.permissions import Principal
from chalicelib.services import responses as r
from chalicelib.services import views

DUE_FILTERS = ("breached", "soon")
SOON = timedelta(hours=24)
# Cards read at most to count, search or export one filtered queue (~600 bytes each:
# ~3 MB, ten Queries). A queue holds a few thousand cases at most.
SCAN_BUDGET = 5_000
EXPORT_ROWS = SCAN_BUDGET
EXPORT_COLUMNS = (
    "public_id",
    "tracking_code",
    "category",
    "status",
    "priority",
    "agency",
    "kelurahan",
    "kecamatan",
    "kota",
    "received_at",
    "coordinate_due",
    "resolve_due",
    "breached",
    "last_update",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would run as a formula


@dataclass(frozen=True)
class QueueFilter:
    """Which cases of which list: the query string of the queue, the export and the client's URL."""

    view: str
    holder: str | None = None
    filters: dict[str, str] | None = None  # card field -> value: status, category, priority
    due: str | None = None  # breached (the next deadline has passed) or soon (it comes within 24 hours)
    kota: str | None = None
    q: str | None = None  # words of the description or address


def _due_span(due: str | None, now: datetime) -> tuple[datetime | None, datetime | None]:
    if due == "breached":
        return None, now
    if due == "soon":
        return now, now + SOON
    return None, None


def _overdue(card: CaseCard, now: datetime) -> bool:
    return card.next_deadline is not None and card.next_deadline <= now


def _keeps(chosen: QueueFilter):
    words = search.query_words(chosen.q or "")
    return lambda card: (not chosen.kota or card.kota == chosen.kota) and search.matches(words, card.words)


def selected(lists: CaseQueries, chosen: QueueFilter, now: datetime) -> Scanned:
    """Every card of the filtered queue (words and kota included), up to SCAN_BUDGET read."""
    due_from, due_by = _due_span(chosen.due, now)
    scanned = lists.queue_cards(
        chosen.view, chosen.holder, filters=chosen.filters, due_from=due_from, due_by=due_by, budget=SCAN_BUDGET
    )
    keep = _keeps(chosen)
    return Scanned([card for card in scanned.cards if keep(card)], scanned.truncated)


def counts(cards: list[CaseCard], now: datetime) -> r.QueueCounts:
    return r.QueueCounts(
        total=len(cards),
        by_status=dict(Counter(card.status.value for card in cards)),
        breached=sum(1 for card in cards if _overdue(card, now)),
        due_soon=sum(1 for card in cards if card.next_deadline is not None and now <= card.next_deadline <= now + SOON),
    )


def find_case(text: str, principal: Principal, cases: CaseRepository, code_key: bytes) -> Case | None:
    """The case whose tracking code or public id ``text`` is, if this officer may open it; None
    otherwise (a case they may not see is answered exactly as one that does not exist)."""
    code = tracking.normalize(text) or (
        request_ids.tracking_code_of(text, code_key) if request_ids.looks_like_id(text) else None
    )
    case = cases.get(code) if code else None
    if case is None:
        return None
    if not permissions.allowed(principal, "view", case.agency_id, case.collaborators, reference_data.agencies()):
        return None
    return case


def queue_page(
    lists: CaseQueries,
    chosen: QueueFilter,
    *,
    limit: int,
    cursor: str | None,
    now: datetime,
    language: str,
    jump: Case | None = None,
) -> r.QueuePage:
    """One page of the queue; on the first page (no cursor) the counts of the whole filtered
    queue. With words (``chosen.q``): the first ``limit`` matches, no further page. ``jump``:
    the case ``q`` named (find_case), alone."""
    if jump is not None:
        card = case_card(jump)
        page = views.queue_page(chosen.view, views.queue_rows([card], language, now), None)
        return page.model_copy(update={"counts": counts([card], now), "jump": jump.tracking_code})
    if search.query_words(chosen.q or ""):
        found = selected(lists, chosen, now)
        page = views.queue_page(chosen.view, views.queue_rows(found.cards[:limit], language, now), None)
        return page.model_copy(update={"counts": counts(found.cards, now), "truncated": found.truncated})
    due_from, due_by = _due_span(chosen.due, now)
    keep = _keeps(chosen)
    filters = chosen.filters or None
    if cursor:  # a later page: one Query, no counts
        listed = lists.queue(
            chosen.view, chosen.holder, filters=filters, due_from=due_from, due_by=due_by, limit=limit, cursor=cursor
        )
        rows = views.queue_rows([card for card in listed.items if keep(card)], language, now)
        return views.queue_page(chosen.view, rows, listed.cursor)
    first, whole = lists.queue_counted(
        chosen.view, chosen.holder, filters=filters, due_from=due_from, due_by=due_by, limit=limit, budget=SCAN_BUDGET
    )
    page = views.queue_page(
        chosen.view, views.queue_rows([card for card in first.items if keep(card)], language, now), first.cursor
    )
    kept = [card for card in whole.cards if keep(card)]
    return page.model_copy(update={"counts": counts(kept, now), "truncated": whole.truncated})


@dataclass(frozen=True)
class Export:
    text: str  # CSV, a header row then one row per case
    rows: int
    truncated: bool  # more cases than EXPORT_ROWS (or than the scan budget) are in the queue


def _cell(value: str) -> str:
    """A cell a spreadsheet shows as text, never runs (CSV injection)."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _local(instant: datetime | None) -> str:
    return instant.astimezone(JAKARTA).strftime("%Y-%m-%d %H:%M") if instant else ""


def _csv_row(card: CaseCard, now: datetime, language: str, code_key: bytes) -> list[str]:
    area = card.area or {}
    names = reference_data.areas()
    row = views.queue_row(card, language, now)
    breached = bool(card.breached) or (card.deadline is not None and card.deadline <= now)
    return [
        request_ids.public_id(card.code, code_key),
        card.code,
        row.category.name,
        row.status_label,
        card.priority,
        row.agency.name if row.agency else "",
        names.name_of(area.get("kelurahan")) or "",
        names.name_of(area.get("kecamatan")) or "",
        names.name_of(area.get("kota")) or "",
        _local(card.created_at),
        _local(card.coordinate_by),
        _local(card.resolve_by),
        texts.pick(("ya", "yes") if breached else ("tidak", "no"), language),
        _local(card.updated_at),
    ]


def export_csv(lists: CaseQueries, chosen: QueueFilter, now: datetime, language: str, code_key: bytes) -> Export:
    """The filtered queue as CSV (UTF-8, no BOM), soonest deadline first, at most EXPORT_ROWS rows."""
    found = selected(lists, chosen, now)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    cards = found.cards[:EXPORT_ROWS]
    for card in cards:
        writer.writerow([_cell(value) for value in _csv_row(card, now, language, code_key)])
    return Export(out.getvalue(), len(cards), found.truncated or len(found.cards) > EXPORT_ROWS)
