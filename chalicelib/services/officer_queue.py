"""An officer queue (GET /officer/queue): one page of a list of cases, as rows.

Who may see which list is the API's check (api/officer.py); this asks the case
lists port for the page (``CaseQueries.queue``) and turns its cards into rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.adapters.case_queries import CaseQueries
from chalicelib.services import responses as r
from chalicelib.services import views

DUE_FILTERS = ("breached", "soon")
SOON = timedelta(hours=24)


def queue_page(
    lists: CaseQueries,
    view: str,
    holder: str | None,
    *,
    filters: dict[str, str],
    due: str | None,
    kota: str | None,
    limit: int,
    cursor: str | None,
    now: datetime,
    language: str,
) -> r.QueuePage:
    """``due``: breached (the next deadline has passed) or soon (it comes within 24 hours)."""
    due_from = due_by = None
    if due == "breached":
        due_by = now
    elif due == "soon":
        due_from, due_by = now, now + SOON
    page = lists.queue(
        view, holder, filters=filters or None, due_from=due_from, due_by=due_by, limit=limit, cursor=cursor
    )
    rows = views.queue_rows(page.items, language, now)
    if kota:
        rows = [row for row in rows if (row.area or {}).get("kota") == kota]
    return views.queue_page(view, rows, page.cursor)
