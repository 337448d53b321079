"""What officers see: a case in full (within their rights) and queue rows.

Like the public view, each is built from an allow-list. The reporter's contact
appears only for roles that may see it (permissions "view_contact") and never
for anonymous reports; it is stored sealed and opened (one KMS Decrypt, logged
by CloudTrail with the case's code) only for those views.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.adapters import reference_data
from chalicelib.adapters.unreadable import readable
from chalicelib.domain import categories, permissions, texts
from chalicelib.domain import sla as sla_rules
from chalicelib.domain.case import Case, HistoryEntry
from chalicelib.domain.clock import parse_instant, to_jakarta_text
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.lifecycle import TRANSITIONS, Action, CaseStatus
from chalicelib.domain.permissions import Principal
from chalicelib.domain.sealed import Sealed

# Operations that are not lifecycle edges, and the state they need.
_NON_EDGE = {"add_collaborator", "comment", "set_privacy", "set_priority"}
_OPERATION_ACTION = {
    "assign": Action.ASSIGN,
    "delegate": Action.DELEGATE,
    "transfer": Action.TRANSFER,
    "submit_plan": Action.SUBMIT_PLAN,
    "verify_plan": Action.VERIFY_PLAN,
    "return_plan": Action.RETURN_PLAN,
    "post_progress": Action.POST_PROGRESS,
    "resolve": Action.RESOLVE,
    "reject": Action.REJECT,
    "merge": Action.MERGE,
}


def _when(value: datetime | None) -> str | None:
    return to_jakarta_text(value) if value else None


def _agency(agency_id: str | None) -> dict[str, Any] | None:
    if not agency_id:
        return None
    agency = reference_data.agencies().get(agency_id)
    return {"id": agency_id, "name": agency.name if agency else agency_id}


def _area(case: Case) -> dict[str, Any] | None:
    if case.area is None:
        return None
    index = reference_data.areas()
    return {
        level: ({"code": code, "name": index.name_of(code)} if code else None)
        for level, code in case.area.as_dict().items()
    }


def available_operations(case: Case, principal: Principal) -> list[str]:
    """What this officer may do to this case right now (rights and state)."""
    directory = reference_data.agencies()
    possible = []
    for operation in permissions.OPERATIONS:
        if operation in ("view", "view_contact"):
            continue
        if not permissions.allowed(principal, operation, case.agency_id, case.collaborators, directory):
            continue
        if operation in _NON_EDGE:
            if operation == "add_collaborator" and case.status not in (
                CaseStatus.ASSIGNED,
                CaseStatus.PLAN_SUBMITTED,
                CaseStatus.IN_PROGRESS,
            ):
                continue
            if operation == "set_priority" and case.status not in (
                CaseStatus.RECEIVED,
                CaseStatus.ASSIGNED,
                CaseStatus.PLAN_SUBMITTED,
                CaseStatus.IN_PROGRESS,
            ):
                continue
            possible.append(operation)
            continue
        action = _OPERATION_ACTION[operation]
        if case.status in TRANSITIONS[action].sources:
            if operation == "assign" and case.agency_id:
                continue
            possible.append(operation)
    return possible


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
                named[code] = {"public_id": public_id(code, code_key), "agency": agency["name"] if agency else None}
        return named[code]

    return name


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
) -> dict[str, Any]:
    """``open_contact(case)`` reveals the sealed reporter contact (CaseRepository.open_sealed);
    it is called only when this officer may see it. ``related`` names other cases
    (``related_names``; None: by their codes, for callers that checked already)."""
    name = related or _as_is
    directory = reference_data.agencies()
    policy = reference_data.sla_catalogue().for_category(case.category)
    category = categories.get(case.category)
    may_see_contact = permissions.allowed(principal, "view_contact", case.agency_id, case.collaborators, directory)
    pending = case.pending_milestones(policy)
    view: dict[str, Any] = {
        "tracking_code": case.tracking_code,
        "version": case.version,
        "status": case.status.value,
        "status_label": texts.status_label(case.status, language),
        "category": {"id": case.category, "name": category.name(language) if category else case.category},
        "channel": case.channel.value,
        "description": case.description,
        "location": case.location.model_dump() if case.location else None,
        "area": _area(case),
        "agency": _agency(case.agency_id),
        "collaborators": [_agency(agency) for agency in case.collaborators],
        "created_at": to_jakarta_text(case.created_at),
        "updated_at": to_jakarta_text(case.updated_at),
        "expected_completion": _when(case.expected_completion),
        "predicted_completion": _when(case.predicted_completion),
        "progress": case.progress,
        "sla": {
            "coordinate_by": _when(case.sla.coordinate_by),
            "resolve_by": _when(case.sla.resolve_by),
            "escalate_at": _when(case.sla.escalate_at),
            "breached": sorted(m.split(".")[0] for m in case.sla.marked if m.endswith(".breach")),
            "escalated": case.escalated,
            "next_milestone": pending[0][0] if pending else None,
            "next_deadline": _when(pending[0][1]) if pending else None,
            **_deadline(sla_rules.next_due(pending)),
        }
        if case.sla
        else None,
        "plan": {
            "text": case.plan.text,
            "agency": _agency(case.plan.agency_id),
            "submitted_at": _when(case.plan.submitted_at),
            "proposed_completion": _when(case.plan.proposed_completion),
            "state": case.plan.state,
            "review_comment": case.plan.review_comment,
        }
        if case.plan
        else None,
        "photos": [
            {
                "id": photo.id,
                "kind": photo.kind,
                "url": photo_url(photo),
                **({"original_url": original_url(photo)} if may_see_contact and original_url else {}),
            }
            for photo in case.photos
        ],
        "anonymous": case.anonymous,
        "privacy": case.privacy,
        "priority": case.priority,
        "reporter": _contact(case, open_contact) if may_see_contact and case.reporter and not case.anonymous else None,
        "answers": case.answers,
        # Links as the reporter's app sent them: like original photos, they may
        # reveal who took them, so only for roles that may see the reporter.
        "media_urls": case.media_urls if may_see_contact else [],
        "duplicate_candidates": [name(code) for code in case.duplicate_candidates],
        "merged_into": name(case.merged_into) if case.merged_into else None,
        "merged_cases": [name(code) for code in case.merged_cases],
        "feedback": {"rating": case.feedback.rating, "comment": case.feedback.comment, "at": _when(case.feedback.at)}
        if case.feedback
        else None,
        "rejection_reason": case.rejection_reason,
        "reopen_count": case.reopen_count,
        # The newest entries (those on the case item); older ones page through
        # GET /officer/cases/{code}/history?cursor=<history_cursor>.
        "history": [history_line(entry, language, name) for entry in case.history],
        "history_cursor": str(case.history_start) if case.history_start else None,
        "history_total": case.history_total,
        "available_operations": available_operations(case, principal),
        "public_status_url": f"{base_url}/status/{case.tracking_code}",
    }
    return view


def history_line(entry: HistoryEntry, language: str, related=None) -> dict[str, Any]:
    """One entry of the full history as officers read it (private fields included;
    other cases named by ``related``)."""
    name = related or _as_is
    public_entry = entry.public_entry()
    in_text = _text_name(name)
    text = texts.timeline_text(entry.type, _named(public_entry.data, in_text), language) if public_entry else None
    return {
        "at": to_jakarta_text(entry.at),
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


def history_page_view(case: Case, page: Any, language: str, related=None) -> dict[str, Any]:
    """One page of a case's history (case_history.HistoryPage), oldest entry first."""
    return {
        "tracking_code": case.tracking_code,
        "items": [{"seq": seq, **history_line(entry, language, related)} for seq, entry in page.entries],
        "cursor": str(page.cursor) if page.cursor else None,
        "total": page.total,
        "skipped": page.skipped,
    }


def _deadline(due: tuple[str, datetime] | None) -> dict[str, Any]:
    """The next deadline the officer is held to (reminders are not deadlines)."""
    return {"deadline_kind": due[0] if due else None, "deadline": _when(due[1]) if due else None}


def _contact(case: Case, open_contact) -> dict[str, Any] | None:
    reporter = case.reporter
    if isinstance(reporter, Sealed):
        if open_contact is None:
            raise ValueError("the reporter's contact is sealed: pass open_contact")
        reporter = open_contact(case)
    return reporter.model_dump(exclude_none=True) if reporter else None


QUEUE = "officer_queue"  # the UnreadableItems dimension of the queues


def queue_rows(items: list[dict[str, Any]], language: str, now: datetime) -> list[dict[str, Any]]:
    """The rows of a queue page; a card that cannot be read is skipped (logged with its key, counted)."""
    return readable(items, lambda item: queue_row(item, language, now), QUEUE)


def queue_row(item: dict[str, Any], language: str, now: datetime) -> dict[str, Any]:
    card = item["card"]
    category = categories.get(card["category"])
    deadline = card.get("next_deadline")
    due_in = None
    if deadline:
        due_in = int((parse_instant(deadline) - now).total_seconds() // 60)
    status = CaseStatus(card["status"])
    return {
        "tracking_code": card["code"],
        "version": card.get("version"),
        "status": status.value,
        "status_label": texts.status_label(status, language),
        "category": {"id": card["category"], "name": category.name(language) if category else card["category"]},
        "agency": _agency(card.get("agency_id")),
        "summary": card.get("summary", ""),
        "created_at": to_jakarta_text(parse_instant(card["created_at"])),
        "next_deadline": to_jakarta_text(parse_instant(deadline)) if deadline else None,
        "due_in_minutes": due_in,
        "overdue": bool(deadline and due_in is not None and due_in < 0),
        "breached": [m.split(".")[0] for m in card.get("breached", [])],
        "escalated": bool(card.get("escalated")),
        "progress": card.get("progress", 0),
        "priority": card.get("priority") or "normal",  # cards written before priorities: normal
        "area": card.get("area"),
        # The real deadline; cards written before it was projected leave these null.
        "deadline_kind": card.get("deadline_kind"),
        "deadline": to_jakarta_text(parse_instant(card["deadline"])) if card.get("deadline") else None,
        "deadline_in_minutes": int((parse_instant(card["deadline"]) - now).total_seconds() // 60)
        if card.get("deadline")
        else None,
    }
