"""The public view of a case: what anyone holding the tracking code may read.
It builds its response model (services/responses.py PublicStatus), which is
what the API sends.

Built from an allow-list of fields, never by removing private ones from the
whole case: a field added to Case later stays private until it is added here.
No reporter name, phone or e-mail, and no original photo, ever. Free text a
reporter (or an officer quoting one) wrote -- the description, the address, timeline
notes -- goes out through ``redaction.mask_contacts``: phone numbers and e-mail
addresses typed into it are masked (officers' views show the whole text).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.case_repository import CaseRepository
from chalicelib.domain import categories, texts, tracking
from chalicelib.domain.case import Case, TimelineEntry
from chalicelib.domain.lifecycle import CaseStatus
from chalicelib.domain.redaction import mask_contacts
from chalicelib.domain.report import GeoPoint
from chalicelib.services import responses as r

if TYPE_CHECKING:
    from chalicelib.adapters.photo_store import PhotoStore


def find_case(code_text: str, cases: CaseRepository, code_key: bytes | None = None) -> Case | None:
    """The case for a typed tracking code -- or, when ``code_key`` is given, for an
    Open311 ``service_request_id`` (read-only views accept both). None for
    unknown and malformed ids alike, and for a confidential case asked for by
    its public id: such a case answers only to its tracking code."""
    code = tracking.normalize(code_text)
    by_public_id = code is None
    if code is None and code_key is not None:
        from chalicelib.domain import request_ids

        code = request_ids.tracking_code_of(code_text, code_key)
    if code is None:
        return None
    case = cases.get(code)
    if case is not None and by_public_id and case.hidden_from_public:
        return None
    return case


# The public timeline shows a case's newest lines up to this many: a case with
# an endless stream of public updates still answers with one bounded read.
PUBLIC_TIMELINE_LIMIT = 200


def timeline_of(case: Case, cases: CaseRepository, limit: int = PUBLIC_TIMELINE_LIMIT) -> list[TimelineEntry]:
    """The case's public timeline (its newest ``limit`` lines), oldest first.

    Read from the case alone while its public lines all sit in the item's
    window (nearly every case); a long case's older lines come from its
    history items (a bounded Query)."""
    recent = case.timeline
    if case.timeline_complete or len(recent) >= limit:
        return recent[-limit:] if limit else []
    return cases.older_timeline(case, limit - len(recent)) + recent


def public_photo_url(
    code_text: str, photo_id: str, cases: CaseRepository, photos: PhotoStore, code_key: bytes | None = None
) -> str | None:
    """A short-lived URL of a photo's metadata-free public copy; None when there is no such
    photo or the case is hidden from the public."""
    case = find_case(code_text, cases, code_key)
    photo = next((p for p in case.photos if p.id == photo_id), None) if case and not case.hidden_from_public else None
    return photos.public_url(photo) if photo else None


def named_by_public_id(code_text: str) -> bool:
    """Was the case asked for by its public (Open311) id rather than its tracking code?"""
    return tracking.normalize(code_text) is None


def expected_completion(case: Case) -> tuple[datetime | None, r.CompletionBasis | None]:
    """(when, basis): an agreed estimate, the standard deadline, or a prediction."""
    agreed = case.plan.agreed_completion() if case.plan is not None else None
    if agreed is not None:
        return agreed, "agreed"
    if case.status in (CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.MERGED, CaseStatus.RESOLVED):
        return None, None
    if case.expected_completion is not None:
        return case.expected_completion, "standard"
    if case.predicted_completion is not None:
        return case.predicted_completion, "predicted"
    if case.sla is not None:
        return case.sla.resolve_by, "standard"
    return None, None


def public_view(
    case: Case,
    language: str,
    base_url: str,
    public_id: str | None = None,
    code_key: bytes | None = None,
    timeline: list[TimelineEntry] | None = None,
) -> r.PublicStatus:
    """``public_id``: the case was asked for by its Open311 id; the view then names
    it by that id, and the tracking code (the reporter's key) stays out of it.

    ``timeline``: the case's public lines from ``timeline_of`` (default: those
    the case holds, which is all of them unless it has a long history).

    A merged case points at its primary by the primary's public id (with
    ``code_key``): its reporter follows the primary's progress, but only the
    primary's own reporter may confirm or reopen it."""
    from chalicelib.adapters import reference_data

    if case.hidden_from_public:
        return confidential_view(case, language)
    name = public_id or case.tracking_code
    status_url = f"{base_url}/status/{name}"
    agency = reference_data.agencies().get(case.agency_id)
    when, basis = expected_completion(case)
    area_index = reference_data.areas()
    return r.PublicStatus(
        tracking_code=name,
        status=case.status,
        status_label=texts.status_label(case.status, language),
        category=_category(case, language),
        channel=case.channel,
        description=mask_contacts(case.description, language),
        location=_masked_address(case.location, language) if case.location else None,
        area=r.AreaNames(**{level: area_index.name_of(code) for level, code in case.area.as_dict().items()})
        if case.area
        else None,
        agency=r.AgencyRef(id=case.agency_id, name=agency.name if agency else case.agency_id)
        if case.agency_id
        else None,
        created_at=case.created_at,
        updated_at=case.updated_at,
        expected_completion=when,
        expected_completion_basis=basis,
        progress=case.progress,
        photos=[
            r.PublicPhoto(
                id=photo.id,
                kind=r.one_of(photo.kind, r.PHOTO_KINDS),
                url=f"{status_url}/photos/{photo.id}",
                width=photo.width,
                height=photo.height,
            )
            for photo in case.photos
        ],
        # Photos the reporter sent through a provider link, not fetched yet.
        photos_pending=len(case.pending_media),
        timeline=[
            r.TimelineLine(at=entry.at, type=entry.type, text=public_line(entry.type, entry.data, language, code_key))
            for entry in (case.timeline if timeline is None else timeline)
        ],
        feedback=r.PublicFeedback(rating=case.feedback.rating) if case.feedback else None,
        # The sweep closes a resolved case when the reporter's 7 days are over; only the
        # tracking code's holder may confirm or reopen.
        can_confirm_or_reopen=case.status is CaseStatus.RESOLVED and public_id is None,
        merged_into=_public_names({"primary": case.merged_into}, code_key)["primary"],
        privacy=r.one_of(case.privacy, r.PRIVACIES),
        language=r.one_of(language, r.LANGUAGES),
    )


def public_line(event_type: str, data: dict[str, Any], language: str, code_key: bytes | None) -> str:
    """One public timeline line: another case named by its public id, contacts masked."""
    return mask_contacts(texts.timeline_text(event_type, _public_names(data, code_key), language), language)


def public_view_json(case: Case, language: str, base_url: str, **options: Any) -> dict[str, Any]:
    """The public view as the API sends it (JSON types; times as Jakarta text), for
    what re-publishes it in another shape (Open311 requests, alert digests)."""
    return public_view(case, language, base_url, **options).model_dump(mode="json")


def confidential_view(case: Case, language: str) -> r.PublicStatus:
    """A confidential case, for its tracking code's holder only: where it stands and
    by when, and nothing of what it says, where, who handles it, or its photos."""
    when, basis = expected_completion(case)
    return r.PublicStatus(
        tracking_code=case.tracking_code,
        status=case.status,
        status_label=texts.status_label(case.status, language),
        category=_category(case, language),
        channel=case.channel,
        description=texts.pick(texts.CONFIDENTIAL_NOTICE, language),
        location=None,
        area=None,
        agency=None,
        created_at=case.created_at,
        updated_at=case.updated_at,
        expected_completion=when,
        expected_completion_basis=basis,
        progress=case.progress,
        photos=[],
        photos_pending=0,
        timeline=[],
        feedback=r.PublicFeedback(rating=case.feedback.rating) if case.feedback else None,
        can_confirm_or_reopen=case.status is CaseStatus.RESOLVED,
        merged_into=None,
        privacy=r.one_of(case.privacy, r.PRIVACIES),
        language=r.one_of(language, r.LANGUAGES),
    )


def _category(case: Case, language: str) -> r.CategoryRef:
    category = categories.get(case.category)
    return r.CategoryRef(id=case.category, name=category.name(language) if category else case.category)


def _masked_address(location: GeoPoint, language: str) -> r.Location:
    return r.Location(lat=location.lat, lng=location.lng, address=mask_contacts(location.address, language))


def _public_names(data: dict[str, Any], code_key: bytes | None) -> dict[str, Any]:
    """Event data with another case's tracking code replaced by its public id."""
    primary = data.get("primary")
    if not primary:
        return data
    if code_key is None:
        return {**data, "primary": None}
    from chalicelib.domain import request_ids

    return {**data, "primary": request_ids.public_id(primary, code_key)}
