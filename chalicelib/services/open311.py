"""Open311 GeoReport v2 use cases: our categories are the services, our cases
the service requests.

Everything a GET answers is built from ``status.public_view`` (the allow-list
of what may be public), never from the case itself: no reporter detail, no
private event data, no original photo. A request's ``service_request_id`` is
its public id (domain/request_ids.py), not its tracking code, because GET
requests.json publishes it to everyone while the tracking code lets its holder
confirm or reopen the case.

    status   open    received, assigned, plan_submitted, in_progress
             closed  resolved, closed, rejected, merged   (status_notes says which)

Listing asks the case lists for the cases reported in the window
(``CaseQueries.reported``: the day-index, a Jakarta day at a time) and reads the
page's cases with BatchGetItem; request counts are in docs/data-model.md.

mySociety's extension (what FixMyStreet drives, perllib/Open311.pm):

* ``GET servicerequestupdates``: the public status changes of the requests a
  key posted, from that key's feed (adapters/open311_feed.py, filled by the
  reply worker), oldest first; confidential cases never;
* ``POST servicerequestupdates``: a reporter's update on a request the key
  posted -- added to the case once per ``update_id``, or, when its status says
  the problem is open and the case is resolved, a reopen (the reporter's rule:
  within 7 days of the resolution).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from chalicelib.adapters.case_queries import CaseCard, CaseQueries
from chalicelib.adapters.case_repository import CaseRepository
from chalicelib.adapters.images import ImageTooLarge
from chalicelib.adapters.unreadable import readable
from chalicelib.channels import open311 as wire
from chalicelib.config import Settings
from chalicelib.domain import categories, privacy, request_ids, service_catalogue, tracking
from chalicelib.domain.case import Case, source_key
from chalicelib.domain.clock import JAKARTA, Clock
from chalicelib.domain.errors import IllegalTransition, InvalidReport, OutsideServiceArea
from chalicelib.domain.lifecycle import CaseStatus, is_open
from chalicelib.domain.receipts import Receipt
from chalicelib.domain.report import MAX_PHOTOS
from chalicelib.services import api_keys
from chalicelib.services.intake import MAX_CODE_ATTEMPTS, clean_photos, submit_report
from chalicelib.services.retry import retry_on_conflict
from chalicelib.services.status import public_line, public_view_json, timeline_of

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_WINDOW = timedelta(days=90)
DEFAULT_LIMIT = 1000  # "first 1000 requests returned"
MAX_PAGE_SIZE = 1000
MAX_DEPTH = 10_000  # page * page_size: deeper pages need a narrower date range
MAX_IDS = 100
EARLIEST_YEAR, LATEST_YEAR = 1970, 9000
STATUSES = ("open", "closed")
LISTING = "open311_requests"  # the UnreadableItems dimension of the listing


class Open311Error(Exception):
    """An error the client gets in the spec's format: HTTP ``status`` and one
    ``(code, description)`` per problem."""

    def __init__(self, status: int, *descriptions: str):
        self.status = status
        self.errors = [(status, description) for description in descriptions]
        super().__init__("; ".join(descriptions))


def not_found(what: str) -> Open311Error:
    return Open311Error(404, what)


@dataclass(frozen=True)
class Deps:
    settings: Settings
    cases: CaseRepository
    queries: CaseQueries  # the case lists port: reported (Open311 listings)
    keys: api_keys.KeyStore
    photos: Any
    clock: Clock
    reader: Any = None  # get_many(codes) -> {code: Case} (adapters/case_reader.py)
    feed: Any = None  # entries(key_id, start, end, limit) -> [FeedEntry] (adapters/open311_feed.py)

    @property
    def code_key(self) -> bytes:
        return self.settings.tracking_code_key

    @property
    def base_url(self) -> str:
        return f"{self.settings.public_base_url}/open311/v2"


def check_jurisdiction(settings: Settings, given: str | None) -> None:
    """One jurisdiction per endpoint: the parameter is optional, but must match."""
    if given and given.strip().lower() != settings.open311_jurisdiction_id.lower():
        raise not_found(
            f"jurisdiction_id {given[:100]!r} was not found; this endpoint serves {settings.open311_jurisdiction_id}"
        )


# --- discovery and services ---------------------------------------------------------------


def discovery(settings: Settings) -> dict[str, Any]:
    changeset = service_catalogue.CHANGESET
    return {
        "changeset": changeset,
        "contact": settings.open311_contact,
        "key_service": "API keys for posting requests are issued per partner app by the city's CRM "
        f"administrators; ask {settings.open311_contact}. Reading needs no key.",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{settings.public_base_url}/open311/v2",
                "changeset": changeset,
                "type": "production" if settings.stage == "prod" else "test",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def service_list(language: str) -> list[dict[str, Any]]:
    return [
        {
            "service_code": found.category,
            "service_name": service_catalogue.name(found.category, language),
            "description": service_catalogue.text(found.description, language),
            "metadata": found.has_questions,
            "type": "realtime",
            "keywords": ", ".join(found.keywords),
            "group": service_catalogue.text(found.group, language),
        }
        for found in service_catalogue.services()
    ]


def service_definition(service_code: str, language: str) -> dict[str, Any]:
    found = service_catalogue.service(service_code)
    if found is None:
        raise not_found(f"service_code {service_code[:80]!r} was not found")
    return {
        "service_code": found.category,
        "attributes": [
            {
                "variable": question.variable,
                "code": question.code,
                "datatype": question.datatype,
                "required": question.required,
                "datatype_description": service_catalogue.text(question.datatype_description, language),
                "order": order,
                "description": service_catalogue.text(question.description, language),
                "values": [
                    {"key": choice.key, "name": service_catalogue.text(choice.name, language)}
                    for choice in question.choices
                ],
            }
            for order, question in enumerate(found.questions, start=1)
        ],
    }


def service_notice(category: str, language: str) -> str:
    """What the city commits to for this kind of request (from the SLA policy)."""
    from chalicelib.adapters import reference_data

    policy = reference_data.sla_catalogue().for_category(category)
    hours = round(policy.coordinate_within.total_seconds() / 3600)
    days = policy.resolve_within.days
    working = policy.clock == "working_days"
    if language == "en":
        text = (
            f"The responsible agency makes a follow-up plan within {hours} hours and resolves the request "
            f"within {days} {'working ' if working else ''}days"
        )
        return text + (", or by a completion date it agrees with the city." if policy.estimates_allowed else ".")
    text = (
        f"Instansi yang bertanggung jawab menyusun rencana tindak lanjut dalam {hours} jam dan menyelesaikan "
        f"laporan dalam {days} hari{' kerja' if working else ''}"
    )
    return text + (", atau pada tanggal selesai yang disepakati." if policy.estimates_allowed else ".")


# --- one request, as the public sees it --------------------------------------------------


def _address(view: dict[str, Any]) -> str | None:
    """Most specific to most general: the address given, then kelurahan, kecamatan,
    kota (each left out when the text already names it)."""
    parts: list[str] = []
    location = view.get("location") or {}
    area = view.get("area") or {}
    for part in (location.get("address"), area.get("kelurahan"), area.get("kecamatan"), area.get("kota")):
        if part and part.lower() not in ", ".join(parts).lower():
            parts.append(part)
    return ", ".join(parts) or None


def _status_notes(case: Case, view: dict[str, Any], language: str, code_key: bytes) -> str:
    label = view["status_label"]
    if case.status is CaseStatus.MERGED and case.merged_into:
        primary = request_ids.public_id(case.merged_into, code_key)
        return f"{label}: follow request {primary}." if language == "en" else f"{label}: ikuti permintaan {primary}."
    timeline = view.get("timeline") or []
    last = timeline[-1]["text"] if timeline else ""
    return f"{label}. {last}".strip() if last else label


def media_url(base_url: str, request_id: str, view: dict[str, Any]) -> str | None:
    """The public copy of the completion photo once there is one, else the first report photo."""
    photos = view.get("photos") or []
    completions = [photo for photo in photos if photo["kind"] == "completion"]
    chosen = completions[-1] if completions else (photos[0] if photos else None)
    return f"{base_url}/media/{request_id}/{chosen['id']}" if chosen else None


def request_view(case: Case, language: str, deps: Deps) -> dict[str, Any]:
    # The allow-list; status_notes needs only the newest public line (no read
    # unless a long case has none left in its window).
    last_line = timeline_of(case, deps.cases, limit=1)
    view = public_view_json(case, language, deps.settings.public_base_url, code_key=deps.code_key, timeline=last_line)
    request_id = request_ids.public_id(case.tracking_code, deps.code_key)
    location = view.get("location")
    return {
        "service_request_id": request_id,
        "status": "open" if is_open(case.status) else "closed",
        "status_notes": _status_notes(case, view, language, deps.code_key),
        "service_name": view["category"]["name"],
        "service_code": view["category"]["id"],
        "description": view["description"],
        "agency_responsible": view["agency"]["name"] if view.get("agency") else None,
        "service_notice": service_notice(case.category, language),
        "requested_datetime": view["created_at"],
        "updated_datetime": view["updated_at"],
        "expected_datetime": view["expected_completion"],
        "address": _address(view),
        "address_id": None,  # no master address repository here
        "zipcode": None,
        "lat": location["lat"] if location else None,
        "long": location["lng"] if location else None,
        "media_url": media_url(deps.base_url, request_id, view),
    }


def _case_by_id(request_id: str, deps: Deps) -> Case | None:
    """By its public id -- or by its tracking code, which its holder may use too."""
    code = request_ids.tracking_code_of(request_id, deps.code_key) or tracking.normalize(request_id)
    case = deps.cases.get(code) if code else None
    return None if case is None or case.hidden_from_public else case  # confidential: as if unknown


def get_request(request_id: str, language: str, deps: Deps) -> list[dict[str, Any]]:
    case = _case_by_id(request_id, deps)
    if case is None:
        raise not_found(f"service_request_id {request_id[:40]!r} was not found")
    return [request_view(case, language, deps)]


def photo_of(request_id: str, photo_id: str, deps: Deps):
    """The public photo behind a media_url, or None."""
    case = _case_by_id(request_id, deps)
    if case is None:
        return None
    return next((photo for photo in case.photos if photo.id == photo_id), None)


# --- listing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    service_request_ids: list[str] | None
    start: datetime
    end: datetime
    statuses: frozenset[str]
    service_codes: frozenset[str]
    page: int
    page_size: int


def _instant(name: str, value: str, end_of_day: bool) -> datetime:
    text = value.strip()
    try:
        if len(text) == 10:  # a W3C date alone: that day in Jakarta
            day = datetime.fromisoformat(text).date()
            moment = datetime.combine(day, time.max if end_of_day else time.min, tzinfo=JAKARTA)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} must be a W3C date-time such as 2026-11-01T00:00:00+07:00") from None
    if moment.tzinfo is None:
        raise Open311Error(400, f"{name} must include a time zone (Z or +07:00)")
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:  # and keeps the window arithmetic in range
        raise Open311Error(400, f"{name} must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
    return moment


def _window_and_page(start: datetime, end: datetime, arg: Callable[[str], str | None]) -> tuple[int, int]:
    """The date window's and the page's bounds, shared by requests and servicerequestupdates."""
    if end < start:
        raise Open311Error(400, "end_date is before start_date")
    if end - start > MAX_WINDOW:
        raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    page = _whole("page", arg("page"), 1, 1, MAX_DEPTH)
    page_size = _whole("page_size", arg("page_size"), DEFAULT_LIMIT, 1, MAX_PAGE_SIZE)
    if page * page_size > MAX_DEPTH:
        raise Open311Error(400, f"page * page_size may be at most {MAX_DEPTH}; narrow start_date and end_date")
    return page, page_size


def _whole(name: str, value: str | None, default: int, low: int, high: int) -> int:
    if value is None or value.strip() == "":
        return default
    digits = value.strip()
    # ASCII only: "²".isdigit() is true but int() refuses it; and a short one (int() refuses 4,300+ digits)
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 9:
        raise Open311Error(400, f"{name} must be a whole number from {low} to {high}")
    number = int(digits)
    if not low <= number <= high:
        raise Open311Error(400, f"{name} must be a whole number from {low} to {high}")
    return number


def parse_listing(query: dict[str, str], now: datetime) -> Listing:
    """The GET requests.{format} arguments, checked; empty ones count as absent."""

    def arg(name: str) -> str | None:
        value = query.get(name)
        return value if value not in (None, "") else None

    problems: list[str] = []
    ids = None
    asked_ids = arg("service_request_id")
    if asked_ids:
        ids = [part.strip() for part in asked_ids.split(",") if part.strip()]
        if len(ids) > MAX_IDS:
            problems.append(f"service_request_id takes at most {MAX_IDS} ids")
    statuses = frozenset(part.strip().lower() for part in (arg("status") or "").split(",") if part.strip())
    if statuses - set(STATUSES):
        problems.append("status must be open, closed or both (comma separated)")
    codes = frozenset(part.strip() for part in (arg("service_code") or "").split(",") if part.strip())
    unknown = sorted(code for code in codes if categories.get(code) is None)
    if unknown:
        problems.append(f"service_code {unknown[0][:80]!r} was not found")
    if problems:
        raise Open311Error(400, *problems)
    start_text, end_text = arg("start_date"), arg("end_date")
    start = _instant("start_date", start_text, False) if start_text else None
    end = _instant("end_date", end_text, True) if end_text else None
    if end is None:
        end = min(now, start + MAX_WINDOW) if start else now
    if start is None:
        start = end - MAX_WINDOW
    page, page_size = _window_and_page(start, end, arg)
    return Listing(ids, start, end, statuses, codes, page, page_size)


def _days_newest_first(start: datetime, end: datetime) -> list[str]:
    first, last = start.astimezone(JAKARTA).date(), end.astimezone(JAKARTA).date()
    return [(last - timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def _matches(card: CaseCard, listing: Listing) -> bool:
    if privacy.is_hidden(card.privacy):
        return False
    if listing.service_codes and card.category not in listing.service_codes:
        return False
    if listing.statuses and len(listing.statuses) == 1:
        opened = is_open(card.status)
        return opened if "open" in listing.statuses else not opened
    return True


def _selected_codes(listing: Listing, deps: Deps, now: datetime) -> list[str]:
    """Codes of the matching cases, newest first, until the requested page is full."""
    found = deps.queries.reported(
        listing.start,
        listing.end,
        now,
        wanted=listing.page * listing.page_size,
        keep=lambda card: _matches(card, listing),
        list_name=LISTING,
        whole_cards=False,  # each listed case is read whole: a card damaged elsewhere still lists it
    )
    return [card.code for card in found.cards]


def list_requests(query: dict[str, str], language: str, deps: Deps) -> list[dict[str, Any]]:
    now = deps.clock()
    listing = parse_listing(query, now)
    if listing.service_request_ids is not None:  # "This overrides all other arguments."
        codes = [
            code
            for code in (request_ids.tracking_code_of(rid, deps.code_key) for rid in listing.service_request_ids)
            if code
        ]
    else:
        selected = _selected_codes(listing, deps, now)
        codes = selected[(listing.page - 1) * listing.page_size : listing.page * listing.page_size]
    found = deps.reader.get_many(codes, list_name=LISTING)  # the level may have been raised since the card was written
    shown = [found[code] for code in dict.fromkeys(codes) if code in found and not found[code].hidden_from_public]
    return readable(
        shown,
        lambda case: request_view(case, language, deps),
        LISTING,
        key=lambda case: {"service_request_id": request_ids.public_id(case.tracking_code, deps.code_key)},
    )


# --- posting ---------------------------------------------------------------------------------

_FIELD_NAMES = {
    "reporter.name": "first_name",
    "reporter.phone": "phone",
    "reporter.email": "email",
    "reporter.device_id": "device_id",
    "reporter.account_id": "account_id",
    "description": "description",
    "location.address": "address_string",
    "category": "service_code",
    "reported_at": "requested_datetime",
}


_LIST_FIELDS = {"media_urls": "media_url", "media": "media_url"}


def _field_name(name: str) -> str:
    """The form field a report field came from ("media_urls.1" -> "media_url")."""
    if name in _FIELD_NAMES:
        return _FIELD_NAMES[name]
    head, _, rest = name.partition(".")
    if head in _LIST_FIELDS and rest.split(".", 1)[0].isdigit():
        return _LIST_FIELDS[head]
    return name


def _problems_as_errors(problems: list[tuple[str, str]]) -> Open311Error:
    return Open311Error(400, *(f"{_field_name(name)}: {message}" for name, message in problems))


@dataclass(frozen=True)
class Posted:
    created: bool
    response: list[dict[str, Any]]
    tracking_code: str


def submit(
    body: bytes,
    query: dict[str, str],
    idempotency_header: str | None,
    language: str,
    deps: Deps,
    intake: Callable[..., Receipt] = submit_report,
    extensions: bool = False,
    content_type: str = "application/x-www-form-urlencoded",
) -> Posted:
    """POST requests.{format}: one case per request (and per retry of it)."""
    try:
        posted = wire.parse_body(content_type, body, query)
        client_key = wire.idempotency_key(idempotency_header)
    except wire.FormRejected as rejected:
        raise _problems_as_errors(rejected.problems) from None
    check_jurisdiction(deps.settings, posted.get("jurisdiction_id"))
    partner = _partner(posted.get("api_key"), deps, "cannot create a service request")
    service_code = posted.get("service_code")
    if not service_code:
        raise Open311Error(400, "service_code is required")
    if categories.get(service_code) is None:
        raise not_found(f"service_code {service_code[:80]!r} was not found")
    day = deps.clock().astimezone(JAKARTA).date().isoformat()
    message = wire.message_id(partner.key_id, posted, client_key, day)
    _check_links(posted.links(), deps)
    try:
        report = wire.to_report(posted, partner.channel, message, language, key_id=partner.key_id)
    except wire.FormRejected as rejected:
        raise _problems_as_errors(rejected.problems) from None
    except InvalidReport as invalid:
        raise _problems_as_errors(invalid.problems) from None
    try:
        receipt = intake(
            report,
            cases=deps.cases,
            photos=deps.photos,
            clock=deps.clock,
            code_key=deps.code_key,
            max_pixels=deps.settings.max_pixels_per_request,
        )
    except OutsideServiceArea as outside:
        raise Open311Error(
            400,
            f"outside_service_area: lat/long {outside.lat}, {outside.lng} is outside DKI Jakarta, "
            "the jurisdiction of this service",
        ) from None
    except InvalidReport as invalid:  # a photo that is no image
        raise _problems_as_errors(_named_uploads(invalid.problems, posted.uploads)) from None
    except ImageTooLarge as large:  # past the request's pixel budget: nothing decoded or stored
        raise _problems_as_errors(_named_uploads([(f"photos.{large.index}", str(large))], posted.uploads)) from None
    code, case = receipt.tracking_code, receipt.case
    if code is None or case is None:  # never: Open311 reports get no per-sender notices
        raise ValueError(f"an Open311 report's receipt names no case ({receipt.outcome})")
    if not receipt.created and client_key is not None and not _same_report(case, report):
        raise Open311Error(
            400,
            f"Idempotency-Key {client_key!r} was already used for another request "
            f"({request_ids.public_id(code, deps.code_key)})",
        )
    request_id = request_ids.public_id(code, deps.code_key)
    response: dict[str, Any] = {
        "service_request_id": request_id,
        "service_notice": service_notice(report.category, language),
        "account_id": posted.get("account_id"),
    }
    if extensions:
        # The GeoReport v2 "extended attributes" convention (?extensions=true): for
        # the reporter's app, the tracking code that confirms or reopens the case.
        response["extended_attributes"] = {
            "tracking_code": code,
            "status_url": deps.settings.status_url(code),
        }
    return Posted(receipt.created, [response], code)


def _partner(api_key: str | None, deps: Deps, refusal: str) -> api_keys.PartnerKey:
    try:
        return api_keys.authenticate(deps.keys, api_key, deps.settings.required_secret("OPEN311_API_KEY_SECRET"))
    except api_keys.KeyRefused as refused:
        raise Open311Error(403, f"{refused.reason}: {refusal}") from None


def _check_links(links: list[str], deps: Deps) -> None:
    """Where each media_url may lead, checked at the boundary: a scheme we fetch, a
    host, no password, port 80 or 443, no private address written as such. (The
    media worker checks again what the host resolves to, on every redirect.)"""
    from chalicelib.adapters.http_client import ProviderRejected
    from chalicelib.adapters.web_fetch import check_url

    problems = []
    for url in links:
        if len(url) > 2000:
            problems.append(f"media_url: is longer than 2000 characters: {url[:100]}")
            continue
        try:
            check_url(url, deps.settings.media_fetch_test_allow)
        except ProviderRejected as refused:
            problems.append(f"media_url: {refused.detail}: {url[:100]}")
    if problems:
        raise Open311Error(400, *problems)


def _named_uploads(problems: list[tuple[str, str]], uploads: list[wire.Upload]) -> list[tuple[str, str]]:
    """``photos.<n>`` -> the multipart part it came from (photo1, ...)."""
    named = []
    for name, message in problems:
        head, _, index = name.partition(".")
        if head == "photos" and index.isdigit() and int(index) < len(uploads):
            name = uploads[int(index)].name
        named.append((name, message))
    return named


def _same_report(case: Case, report) -> bool:
    location = case.location.model_dump() if case.location else None
    asked = report.location.model_dump() if report.location else None
    return (case.category, case.description, location, case.answers) == (
        report.category,
        report.description,
        asked,
        dict(report.answers),
    )


def resolve_token(token: str, api_key: str | None, deps: Deps) -> list[dict[str, Any]]:
    """GET tokens/{token}: the request a partner posted with ``Idempotency-Key: token``.

    POST answers with the service_request_id at once (every service is
    "realtime"), so this server never hands out tokens of its own; a partner
    whose POST timed out can ask here, with its api_key, what its
    Idempotency-Key became. A retry of the POST gives the same answer.
    """
    partner = _partner(api_key, deps, "tokens are looked up with the api_key that posted them")
    if len(token) > wire.MAX_IDEMPOTENCY_KEY:
        raise not_found("token was not found")
    message = wire.token_message_id(partner.key_id, token)
    source = f"{partner.channel.value}:{message}"
    for attempt in range(MAX_CODE_ATTEMPTS):
        code = tracking.derive_code(deps.code_key, partner.channel.value, message, attempt)
        case = deps.cases.get(code)
        if case is None:
            break
        if case.source_key == source:
            return [{"service_request_id": request_ids.public_id(case.tracking_code, deps.code_key), "token": token}]
    raise not_found("token was not found")


# --- servicerequestupdates: status changes out, reporters' updates in ------------------------

UPDATES_DEFAULT_WINDOW = timedelta(hours=24)
UPDATES = "open311_updates"  # the UnreadableItems dimension
_STATUS_VALUES = frozenset(status.value for status in CaseStatus)


def list_updates(query: dict[str, str], language: str, deps: Deps) -> list[dict[str, Any]]:
    """GET servicerequestupdates.{format}: the key's requests' public status changes in
    [start_date, end_date], oldest first (FixMyStreet applies them in that order).

    Both dates or neither (the last 24 hours); at most 90 days apart; ``page`` /
    ``page_size`` as for requests. An update of a request that is confidential
    now is left out (and so is one whose request cannot be read)."""

    def arg(name: str) -> str | None:
        value = query.get(name)
        return value if value not in (None, "") else None

    partner = _partner(arg("api_key"), deps, "updates are listed for the api_key that posted the requests")
    now = deps.clock()
    start_text, end_text = arg("start_date"), arg("end_date")
    start = _instant("start_date", start_text, False) if start_text else None
    end = _instant("end_date", end_text, True) if end_text else None
    if (start is None) != (end is None):
        raise Open311Error(400, "give start_date and end_date together (or neither: the last 24 hours)")
    if start is None or end is None:
        end, start = now, now - UPDATES_DEFAULT_WINDOW
    page, page_size = _window_and_page(start, end, arg)
    entries = deps.feed.entries(partner.key_id, start, end, page * page_size)[(page - 1) * page_size :]
    owners = {entry.code for entry in entries}
    found = deps.reader.get_many(list(owners), list_name=UPDATES)
    primaries = {case.merged_into for case in found.values() if case.merged_into and case.merged_into not in found}
    if primaries and any(entry.photo_id for entry in entries):
        found.update(deps.reader.get_many(sorted(primaries), list_name=UPDATES))
    shown = [entry for entry in entries if entry.code in found and not found[entry.code].hidden_from_public]
    return [_update_view(entry, found, language, deps) for entry in shown]


def _update_view(entry: Any, cases: dict[str, Case], language: str, deps: Deps) -> dict[str, Any]:
    from chalicelib.domain.clock import to_jakarta_text

    case = cases[entry.code]
    status = entry.status if entry.status in _STATUS_VALUES else case.status.value
    return {
        "update_id": entry.update_id,
        "service_request_id": request_ids.public_id(entry.code, deps.code_key),
        "status": "open" if is_open(CaseStatus(status)) else "closed",
        "updated_datetime": to_jakarta_text(entry.at),
        "description": public_line(entry.event_type, entry.data, language, deps.code_key),
        "media_url": _completion_photo_url(entry, case, cases, deps),
        "external_status_code": status,
    }


def _completion_photo_url(entry: Any, case: Case, cases: dict[str, Case], deps: Deps) -> str | None:
    """The public copy of the photo the update brought: on its own request, or (an
    update a merged duplicate hears of) on the request it was merged into."""
    if not entry.photo_id:
        return None
    for owner in (case, cases.get(case.merged_into or "")):
        if owner is None or owner.hidden_from_public:
            continue
        if any(photo.id == entry.photo_id for photo in owner.photos):
            return f"{deps.base_url}/media/{request_ids.public_id(owner.tracking_code, deps.code_key)}/{entry.photo_id}"
    return None


@dataclass(frozen=True)
class PostedUpdateAnswer:
    created: bool  # False: this update_id was taken before (a retry)
    response: list[dict[str, Any]]
    reopened: bool = False


def post_update(content_type: str, body: bytes, query: dict[str, str], language: str, deps: Deps) -> PostedUpdateAnswer:
    """POST servicerequestupdates.{format}: a reporter's update from the partner app.

    Added to the case once per (key, update_id) -- the update's key joins the
    case's added messages in the same version-conditioned write -- or, with
    status OPEN/REOPEN on a resolved case, a reopen within the reporter's 7
    days (the update's text is the reason; refused after, like the reporter's
    own reopen). Photos (uploaded: cleaned now; linked: fetched by the media
    worker) join the case's report photos."""
    try:
        posted = wire.parse_body(content_type, body, query, wire.UPDATE_FIELDS)
    except wire.FormRejected as rejected:
        raise _problems_as_errors(rejected.problems) from None
    check_jurisdiction(deps.settings, posted.get("jurisdiction_id"))
    partner = _partner(posted.get("api_key"), deps, "cannot post an update")
    try:
        update = wire.to_update(posted)
    except wire.FormRejected as rejected:
        raise _problems_as_errors(rejected.problems) from None
    _check_links(update.links, deps)
    case = _own_case(update.service_request_id, partner, deps)
    try:
        cleaned = clean_photos(
            [_upload_model(upload) for upload in update.uploads], deps.settings.max_pixels_per_request
        )
        report = wire.update_report(update, partner.channel, partner.key_id, case.category, language)
    except InvalidReport as invalid:
        raise _problems_as_errors(_named_uploads(invalid.problems, update.uploads)) from None
    except ImageTooLarge as large:
        raise _problems_as_errors(_named_uploads([(f"photos.{large.index}", str(large))], update.uploads)) from None
    answer = [{"update_id": request_ids.update_id(f"in:{report.message_id}", deps.code_key)}]
    key = source_key(report.channel, report.message_id)
    first = case

    def attempt(n: int) -> PostedUpdateAnswer:
        case = _own_case(update.service_request_id, partner, deps) if n else first
        if case.has_message(key):
            return PostedUpdateAnswer(False, answer)
        reopening = update.asks_to_reopen and case.status is CaseStatus.RESOLVED
        _check_room(case, len(cleaned) + len(update.links))
        if not reopening and not case.accepts_additions():
            raise Open311Error(400, _closed_refusal(case, update))
        now = deps.clock()
        if reopening:
            from chalicelib.adapters import reference_data

            reason = update.description or "The reporter says the problem is not solved (Open311 status=OPEN)."
            try:
                case.reopen(reason, reference_data.sla_catalogue().for_category(case.category), now)
            except IllegalTransition as refused:
                raise Open311Error(400, f"status=OPEN cannot reopen this request: {refused}") from None
        stored = [
            deps.photos.store(case.tracking_code, case.photos.next_id(index), "report", image)
            for index, image in enumerate(cleaned)
        ]
        case.add_from_reporter(
            report, now, stored, text=None if reopening or not report.has_text else update.description
        )
        deps.cases.save(case)
        return PostedUpdateAnswer(True, answer, reopened=reopening)

    return retry_on_conflict(attempt, 3)


def _own_case(request_id: str, partner: api_keys.PartnerKey, deps: Deps) -> Case:
    """The request by its public id (or tracking code), if this key posted it; else 404.
    (A confidential request too: the update tells the key nothing about it.)"""
    code = request_ids.tracking_code_of(request_id, deps.code_key) or tracking.normalize(request_id)
    case = deps.cases.get(code) if code else None
    if case is None or wire.key_id_of(case.source_key) != partner.key_id:
        raise not_found(f"service_request_id {request_id[:40]!r} was not found among this api_key's requests")
    return case


def _upload_model(upload: wire.Upload):
    from chalicelib.domain.report import PhotoUpload

    # The form's declared type, checked against the allowed ones here.
    return PhotoUpload.model_validate({"content_type": upload.content_type, "data": upload.data})


def _check_room(case: Case, adding: int) -> None:
    held = len(case.photos) + len(case.pending_media)
    if adding and held + adding > MAX_PHOTOS:
        raise Open311Error(
            400, f"the request holds {held} photos already; with this update's {adding} it would pass {MAX_PHOTOS}"
        )


def _closed_refusal(case: Case, update: Any) -> str:
    status = case.status.value
    if case.status is CaseStatus.RESOLVED:
        return (
            "the request is resolved: it takes no more updates; status=OPEN reopens it within 7 days of the "
            "resolution, and it closes by itself after"
        )
    if is_open(case.status):
        return "the request takes no more updates (it has had the most additions a request may take)"
    return f"the request is {status}: it takes no more updates" + (
        " (a closed request cannot be reopened; post a new request)" if update.asks_to_reopen else ""
    )
