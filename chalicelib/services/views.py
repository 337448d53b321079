"""What officers see: a case in full (within their rights), its history a
page at a time, and queue pages. Each view builds its response model
(services/responses.py), which is what the API sends.

Like the public view, each is built from an allow-list. The reporter's contact
appears only for roles that may see it (permissions "view_contact") and never
for anonymous reports; it is stored sealed and opened (one KMS Decrypt, logged
by CloudTrail with the case's code) only for those views.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.adapters import reference_data
from chalicelib.adapters.case_queries import CaseCard
from chalicelib.domain import categories, permissions, texts
from chalicelib.domain import sla as sla_rules
from chalicelib.domain.case import Case, HistoryEntry
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.permissions import Principal
from chalicelib.domain.sealed import Sealed
from chalicelib.services import responses as r


def _agency(agency_id: str | None) -> r.AgencyRef | None:
    if not agency_id:
        return None
    agency = reference_data.agencies().get(agency_id)
    return r.AgencyRef(id=agency_id, name=agency.name if agency else agency_id)


def _category(category_id: str, language: str) -> r.CategoryRef:
    category = categories.get(category_id)
    return r.CategoryRef(id=category_id, name=category.name(language) if category else category_id)


def _area(case: Case) -> dict[str, r.AreaCode | None] | None:
    if case.area is None:
        return None
    index = reference_data.areas()
    return {
        level: (r.AreaCode(code=code, name=index.name_of(code)) if code else None)
        for level, code in case.area.as_dict().items()
    }


def available_operations(case: Case, principal: Principal) -> list[str]:
    """What this officer may do to this case right now: their rights
    (domain/permissions.py) and what the case allows (Case.can)."""
    directory = reference_data.agencies()
    return [
        operation
        for operation in permissions.OPERATIONS
        if operation not in ("view", "view_contact")
        and permissions.allowed(principal, operation, case.agency_id, case.collaborators, directory)
        and case.can(operation)
    ]


def related_names(principal: Principal, cases: Any, code_key: bytes, own_code: str):
    """How a view names *other* cases (duplicate candidates, merges, codes in the
    history): by tracking code only if this officer may open that case, otherwise
    ``{"public_id", "agency"}`` -- a tracking code lets its holder confirm or
    reopen a case, and an officer of one agency must not hold another's."""
    from chalicelib.adapters.unreadable import UnreadableItem
    from chalicelib.domain.request_ids import public_id

    directory = reference_data.agencies()
    named: dict[str, Any] = {own_code: own_code}

    def name(code: str) -> Any:
        if code not in named:
            try:
                other = cases.get(code)
            except UnreadableItem:
                other = None
            if other is not None and permissions.allowed(
                principal, "view", other.agency_id, other.collaborators, directory
            ):
                named[code] = code
            else:
                agency = _agency(other.agency_id) if other is not None else None
                named[code] = {"public_id": public_id(code, code_key), "agency": agency.name if agency else None}
        return named[code]

    return name


def inbox_page(
    inbox: str, page: Any, principal: Principal, cases: Any, reader: Any, code_key: bytes
) -> r.Notifications:
    """A page of an officer inbox (NotificationStore.page) as this officer may see it: each
    entry's case, and the codes in its detail (duplicate candidates), named by
    ``related_names`` -- a case they may not open (any more) by public id and agency, also in
    the entry's event id (``<code>:<version>:<n>``). ``reader``: DynamoCaseReader, reading the
    cases in one BatchGetItem; None: one GetItem each through ``cases``."""
    codes: list[str] = []
    _named([[entry.get("tracking_code"), entry.get("detail")] for entry in page.items], codes.append)  # collects
    known = _Known(reader.get_many(codes, "notifications")) if reader is not None else cases
    name = related_names(principal, known, code_key, "")
    return r.Notifications(inbox=inbox, items=[_inbox_entry(entry, name) for entry in page.items], cursor=page.cursor)


def _inbox_entry(entry: dict[str, Any], name) -> r.Notification:
    named = _named(entry, name)
    shown = named["tracking_code"]
    if isinstance(shown, dict):
        named["event_id"] = str(entry["event_id"]).replace(entry["tracking_code"], shown["public_id"])
    return r.Notification(**named)


class _Known:
    """``get`` over cases already read together (a case not among them: not found)."""

    def __init__(self, found: dict[str, Case]):
        self.found = found

    def get(self, code: str) -> Case | None:
        return self.found.get(code)


def _named(value: Any, name) -> Any:
    """``value`` (history data) with every tracking code in it named by ``name``."""
    from chalicelib.domain import tracking

    if isinstance(value, str):
        return name(value) if tracking.normalize(value) == value else value
    if isinstance(value, list):
        return [_named(item, name) for item in value]
    if isinstance(value, dict):
        return {key: _named(item, name) for key, item in value.items()}
    return value


def _as_is(code: str) -> str:
    return code


def _text_name(name):
    """``name`` for running text: a case the officer may not open as "<public id> (<agency>)"."""

    def in_text(code: str) -> str:
        named = name(code)
        if isinstance(named, str):
            return named
        return f"{named['public_id']} ({named['agency']})" if named["agency"] else named["public_id"]

    return in_text


def officer_view(
    case: Case,
    principal: Principal,
    language: str,
    base_url: str,
    photo_url,
    original_url=None,
    open_contact=None,
    related=None,
) -> r.OfficerCase:
    """``open_contact(case)`` reveals the sealed reporter contact (CaseRepository.open_sealed);
    it is called only when this officer may see it. ``related`` names other cases
    (``related_names``; None: by their codes, for callers that checked already)."""
    from chalicelib.services.redaction import may_redact

    name = related or _as_is
    directory = reference_data.agencies()
    may_see_contact = permissions.allowed(principal, "view_contact", case.agency_id, case.collaborators, directory)
    return r.OfficerCase(
        tracking_code=case.tracking_code,
        version=case.version,
        status=case.status,
        status_label=texts.status_label(case.status, language),
        category=_category(case.category, language),
        channel=case.channel,
        description=case.description,
        location=r.Location(**case.location.model_dump()) if case.location else None,
        area=_area(case),
        agency=_agency(case.agency_id),
        collaborators=[_agency(agency) for agency in case.collaborators],
        created_at=case.created_at,
        updated_at=case.updated_at,
        expected_completion=case.expected_completion,
        predicted_completion=case.predicted_completion,
        progress=case.progress,
        sla=_sla(case),
        plan=r.Plan(
            text=case.plan.text,
            agency=_agency(case.plan.agency_id),
            submitted_at=case.plan.submitted_at,
            proposed_completion=case.plan.proposed_completion,
            state=r.one_of(case.plan.state, r.PLAN_STATES),
            review_comment=case.plan.review_comment,
        )
        if case.plan
        else None,
        photos=[
            r.OfficerPhoto(
                id=photo.id,
                kind=r.one_of(photo.kind, r.PHOTO_KINDS),
                url=photo_url(photo),
                original_url=original_url(photo) if may_see_contact and original_url else None,
            )
            for photo in case.photos
        ],
        anonymous=case.anonymous,
        privacy=r.one_of(case.privacy, r.PRIVACIES),
        priority=r.one_of(case.priority, r.PRIORITIES),
        reporter=_contact(case, open_contact) if may_see_contact and case.reporter and not case.anonymous else None,
        answers=case.answers,
        # Links as the reporter's app sent them: like original photos, they may
        # reveal who took them, so only for roles that may see the reporter.
        media_urls=case.media_urls if may_see_contact else [],
        unverified_sender=case.unverified_sender,
        duplicate_candidates=[name(code) for code in case.duplicate_candidates],
        merged_into=name(case.merged_into) if case.merged_into else None,
        merged_cases=[name(code) for code in case.merged_cases],
        feedback=r.OfficerFeedback(rating=case.feedback.rating, comment=case.feedback.comment, at=case.feedback.at)
        if case.feedback
        else None,
        rejection_reason=case.rejection_reason,
        reopen_count=case.reopen_count,
        # The newest entries (those on the case item); older ones page through
        # GET /officer/cases/{code}/history?cursor=<history_cursor>.
        history=[history_line(entry, language, name) for entry in case.history],
        history_cursor=str(case.history_start) if case.history_start else None,
        history_total=case.history_total,
        available_operations=available_operations(case, principal),
        public_status_url=f"{base_url}/status/{case.tracking_code}",
        may_redact_photos=may_redact(principal, case),
    )


def _sla(case: Case) -> r.Sla | None:
    if case.sla is None:
        return None
    policy = reference_data.sla_catalogue().for_category(case.category)
    pending = case.pending_milestones(policy)
    due = sla_rules.next_due(pending)  # the next deadline the officer is held to (reminders are not)
    return r.Sla(
        coordinate_by=case.sla.coordinate_by,
        resolve_by=case.sla.resolve_by,
        escalate_at=case.sla.escalate_at,
        breached=[milestone.kind.value for milestone in case.sla.breaches],
        escalated=case.escalated,
        next_milestone=pending[0].milestone.value if pending else None,
        next_deadline=pending[0].at if pending else None,
        deadline_kind=r.one_of(due[0], r.DEADLINE_KINDS) if due else None,
        deadline=due[1] if due else None,
    )


def history_line(entry: HistoryEntry, language: str, related=None) -> r.HistoryLine:
    """One entry of the full history as officers read it (private fields included;
    other cases named by ``related``)."""
    return r.HistoryLine(**_history_fields(entry, language, related))


def _history_fields(entry: HistoryEntry, language: str, related=None) -> dict[str, Any]:
    name = related or _as_is
    public_entry = entry.public_entry()
    in_text = _text_name(name)
    text = texts.timeline_text(entry.type, _named(public_entry.data, in_text), language) if public_entry else None
    return {
        "at": entry.at,
        "type": entry.type,
        "public": entry.public,
        "text": text,
        "data": _named(entry.data, name),
    }


HISTORY_PAGE = 50
MAX_HISTORY_PAGE = 200
_MAX_CURSOR_DIGITS = 10


def history_request(query: dict[str, str]) -> tuple[int | None, int]:
    """``cursor`` and ``limit`` of GET /officer/cases/{code}/history, checked."""
    cursor, limit = query.get("cursor"), query.get("limit")
    problems = []
    before = None
    if cursor is not None:
        if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= _MAX_CURSOR_DIGITS and int(cursor) > 0):
            problems.append(("cursor", "is not a cursor this API returned"))
        else:
            before = int(cursor)
    size = HISTORY_PAGE
    if limit is not None:
        if not (limit.isascii() and limit.isdigit() and len(limit) <= 4 and 1 <= int(limit) <= MAX_HISTORY_PAGE):
            problems.append(("limit", f"must be a number from 1 to {MAX_HISTORY_PAGE}"))
        else:
            size = int(limit)
    if problems:
        raise InvalidInput(problems)
    return before, size


def history_page_view(case: Case, page: Any, language: str, related=None) -> r.HistoryPage:
    """One page of a case's history (case_history.HistoryPage), oldest entry first."""
    return r.HistoryPage(
        tracking_code=case.tracking_code,
        items=[r.HistoryPageLine(seq=seq, **_history_fields(entry, language, related)) for seq, entry in page.entries],
        cursor=str(page.cursor) if page.cursor else None,
        total=page.total,
        skipped=page.skipped,
    )


def _contact(case: Case, open_contact) -> r.Reporter | None:
    reporter = case.reporter
    if isinstance(reporter, Sealed):
        if open_contact is None:
            raise ValueError("the reporter's contact is sealed: pass open_contact")
        reporter = open_contact(case)
    return r.Reporter(**reporter.model_dump()) if reporter else None


def queue_page(view: str, rows: list[r.QueueRow], cursor: str | None) -> r.QueuePage:
    """A page of one queue (``view``: agency, family, triage, review, escalated)."""
    return r.QueuePage(view=r.one_of(view, r.QUEUE_VIEWS), items=rows, count=len(rows), cursor=cursor)


def queue_rows(cards: list[CaseCard], language: str, now: datetime) -> list[r.QueueRow]:
    """The rows of a queue page (the case lists port has skipped the cards it could not read)."""
    return [queue_row(card, language, now) for card in cards]


def queue_row(card: CaseCard, language: str, now: datetime) -> r.QueueRow:
    due_in = _minutes_until(card.next_deadline, now)
    return r.QueueRow(
        tracking_code=card.code,
        version=card.version,
        status=card.status,
        status_label=texts.status_label(card.status, language),
        category=_category(card.category, language),
        agency=_agency(card.agency_id),
        summary=card.summary,
        created_at=card.created_at,
        next_deadline=card.next_deadline,
        due_in_minutes=due_in,
        overdue=due_in is not None and due_in < 0,
        breached=[milestone.kind.value for milestone in card.breached],
        escalated=card.escalated,
        progress=card.progress,
        priority=r.one_of(card.priority, r.PRIORITIES),
        area=card.area,
        # The real deadline; cards written before it was projected leave these null.
        deadline_kind=r.one_of_or_none(card.deadline_kind, r.DEADLINE_KINDS),
        deadline=card.deadline,
        deadline_in_minutes=_minutes_until(card.deadline, now),
        unverified_sender=card.unverified_sender,
        lat=card.lat,
        lng=card.lng,
    )


def _minutes_until(instant: datetime | None, now: datetime) -> int | None:
    return int((instant - now).total_seconds() // 60) if instant else None
