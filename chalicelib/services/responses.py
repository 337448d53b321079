"""What the API answers, as pydantic models: the response schemas of the
OpenAPI document (/openapi.json) are generated from these, like the request
schemas are from services/commands.py.

The case views build these models themselves (status.public_view ->
PublicStatus, views.officer_view -> OfficerCase, views.queue_page -> QueuePage,
views.history_page_view -> HistoryPage) and the API serialises them
(api/http.py ``json_body``), so a field is written once: what the model says is
what goes out, and the document cannot fall behind. The models forbid extra
fields. Other answers are still built as dicts that these models describe
(tests/unit/test_response_models.py checks each against its model, and
schemathesis checks every answer of the running stack).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from chalicelib.domain.channels import Channel
from chalicelib.domain.clock import to_jakarta_text
from chalicelib.domain.lifecycle import CaseStatus


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# The closed sets of words the views answer with (each also a JSON schema enum).
Privacy = Literal["public", "anonymous", "confidential"]
Priority = Literal["urgent", "normal", "low"]
PhotoKind = Literal["report", "completion"]
DeadlineKind = Literal["coordination", "resolution", "escalation", "confirmation"]
CompletionBasis = Literal["agreed", "standard", "predicted"]
PlanStateName = Literal["submitted", "verified", "returned"]
QueueView = Literal["agency", "family", "triage", "review", "escalated"]
Language = Literal["id", "en"]

PRIVACIES: tuple[Privacy, ...] = get_args(Privacy)
PRIORITIES: tuple[Priority, ...] = get_args(Priority)
PHOTO_KINDS: tuple[PhotoKind, ...] = get_args(PhotoKind)
DEADLINE_KINDS: tuple[DeadlineKind, ...] = get_args(DeadlineKind)
COMPLETION_BASES: tuple[CompletionBasis, ...] = get_args(CompletionBasis)
PLAN_STATES: tuple[PlanStateName, ...] = get_args(PlanStateName)
QUEUE_VIEWS: tuple[QueueView, ...] = get_args(QueueView)
LANGUAGES: tuple[Language, ...] = get_args(Language)

_Word = TypeVar("_Word", bound=str)


def one_of(value: object, words: tuple[_Word, ...]) -> _Word:
    """``value`` (a domain word: a str or a StrEnum member) as one of ``words``; ValueError if it is none of them."""
    for word in words:
        if value == word:
            return word
    raise ValueError(f"{str(value)[:40]!r} is not one of {', '.join(words)}")


def one_of_or_none(value: object, words: tuple[_Word, ...]) -> _Word | None:
    return None if value is None else one_of(value, words)


# An instant as the views show it: ISO 8601 in Jakarta time (+07:00), to the second.
JakartaTime = Annotated[
    datetime,
    PlainSerializer(to_jakarta_text, return_type=str, when_used="json"),
    WithJsonSchema({"format": "date-time", "type": "string"}),
]


def _absent(value: Any) -> bool:
    return value is None


# A field left out of the answer when it has no value (rather than sent as null) is declared
# Field(default=None, exclude_if=_absent): spelt out at each field so that type checkers see the default.


# --- errors -----------------------------------------------------------------------------------


class ErrorDetail(Strict):
    field: str
    message: str


class Error(Strict):
    code: str = Field(description="Stable machine-readable code, e.g. validation_failed, not_found.")
    message: str
    details: list[ErrorDetail] | None = Field(default=None, description="One entry per invalid field (422).")
    correlation_id: str | None = Field(default=None, description="Quote it when asking for help.")
    current_version: int | None = Field(default=None, description="409 concurrent_update: the case's version now.")
    max_body_bytes: int | None = Field(default=None, description="413 payload_too_large: the largest body taken.")


class ErrorBody(Strict):
    """Every error of this API (Open311 routes answer in Open311's own format)."""

    error: Error


class GatewayMessage(Strict):
    """API Gateway's own answer when the Authorization header is missing (401)."""

    message: str


# --- shared pieces ------------------------------------------------------------------------------


class CategoryRef(Strict):
    id: str
    name: str


class AgencyRef(Strict):
    id: str
    name: str


class Location(Strict):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    address: str | None = None


# --- public --------------------------------------------------------------------------------------


class Health(Strict):
    status: Literal["ok", "degraded"]
    service: str
    stage: str
    version: str
    checks: dict[str, str] | None = Field(default=None, description="With ?deep=1: each dependency, ok or why not.")


class WebhookReceipt(Strict):
    """A partner webhook's answer: 201 for a new case, 200 when the report_id was taken in before."""

    tracking_code: str
    status_url: str
    status: CaseStatus
    duplicate: bool


class DeskReceipt(Strict):
    """A walk-in report's answer: 201 for a new case, 200 when this form was sent before."""

    tracking_code: str
    created: bool
    channel: Literal["kelurahan", "kecamatan", "walikota", "pendopo", "inspektorat", "mass_media"] | None
    status_url: str
    track_url: str = Field(description="The citizens' tracking page for this case.")


class AreaNames(Strict):
    kota: str | None
    kecamatan: str | None
    kelurahan: str | None


class PublicPhoto(Strict):
    id: str
    kind: PhotoKind
    url: str = Field(description="302 to a short-lived link to the metadata-free copy.")
    width: int
    height: int


class TimelineLine(Strict):
    at: JakartaTime
    type: str
    text: str


class PublicFeedback(Strict):
    rating: int = Field(ge=1, le=5)


class PublicStatus(Strict):
    """What anyone holding the tracking code may read. No reporter details, ever."""

    tracking_code: str
    status: CaseStatus
    status_label: str
    category: CategoryRef
    channel: Channel
    description: str
    location: Location | None
    area: AreaNames | None
    agency: AgencyRef | None
    created_at: JakartaTime
    updated_at: JakartaTime
    expected_completion: JakartaTime | None
    expected_completion_basis: CompletionBasis | None
    progress: int = Field(ge=0, le=100)
    photos: list[PublicPhoto]
    photos_pending: int = Field(ge=0, description="Photos the reporter sent as provider links, not fetched yet.")
    timeline: list[TimelineLine]
    feedback: PublicFeedback | None
    can_confirm_or_reopen: bool
    merged_into: str | None
    privacy: Privacy = Field(
        description="confidential: the report is hidden from the public; this minimal view answers only to "
        "its tracking code (no description, place, agency, photos or timeline)."
    )
    language: Language


# --- the public map (services/public_map.py) -----------------------------------------------------


class AreaRef(Strict):
    code: str = Field(description="Kemendagri code, e.g. 31.71.01.1001")
    name: str | None


class AreaLookup(Strict):
    """Where a point is. Pure lookup over the bundled boundaries: no database."""

    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    inside: bool = Field(
        description="In DKI Jakarta's service area (its kelurahan and 1 km around them); "
        "outside it, reports are refused with outside_service_area."
    )
    kota: AreaRef | None
    kecamatan: AreaRef | None
    kelurahan: AreaRef | None


class MapWindow(Strict):
    since: datetime = Field(description="The window's start: `days` before `until`.")
    until: datetime = Field(description="When the data was read (at most about 30 s before the answer).")
    days: int = Field(ge=1, le=7)


class MapPoints(MapWindow):
    """Recent public reports as compact rows, newest first, for clustering on the client."""

    limit: int = Field(description="At most this many points (the newest that match).")
    total: int = Field(ge=0, description="Matching reports with a location in the window.")
    truncated: bool = Field(description="More reports matched than are listed.")
    fields: list[Literal["id", "lat", "lng", "category", "status"]]
    points: list[tuple[str, float, float, str, CaseStatus]] = Field(
        description="[public id, lat, lng, category id, status] per report; the public id names its page, "
        "reports/{id}, and its Open311 service_request_id."
    )


class MapLocation(Strict):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)


class ReportSummary(Strict):
    """A report as a list row: cut from the public view (no reporter detail, no tracking code)."""

    id: str = Field(description="The public id (Open311 service_request_id).")
    url: str = Field(description="Its public page.")
    category: CategoryRef
    status: CaseStatus
    status_label: str
    created_at: datetime
    updated_at: datetime
    area: AreaNames | None
    location: MapLocation | None
    summary: str = Field(description="The description (phone numbers and e-mail addresses masked), shortened.")
    progress: int = Field(ge=0, le=100)
    photo: str | None = Field(description="The latest public photo (302 to its metadata-free copy).")


class MapReports(MapWindow):
    page: int = Field(ge=1)
    page_size: int = Field(ge=1, le=50)
    total: int = Field(ge=0, description="Matching reports in the window (located or not).")
    truncated: bool = Field(description="The window held more reports than the map reads (20,000).")
    reports: list[ReportSummary]


class NearbyReport(ReportSummary):
    distance_m: int = Field(ge=0)


class NearbyReports(Strict):
    """Open public reports of a category near a point, nearest first (at most 5)."""

    radius_m: int
    category: str
    reports: list[NearbyReport]


# --- metrics ---------------------------------------------------------------------------------------


class Targets(Strict):
    coordination_minutes: int
    resolution_minutes: int


class AgencySummary(Strict):
    agency_id: str
    received: int
    resolved: int
    open: int
    overdue_open: int
    breached: int
    coordination_breached: int
    coordination_minutes_avg: int | None
    coordination_minutes_p90: int | None
    resolution_minutes_avg: int | None
    resolution_minutes_p90: int | None
    on_time_rate: float | None
    satisfaction_avg: float | None
    ratings: int
    reopen_rate: float | None
    escalated: int
    rejected: int


class AgencyRow(AgencySummary):
    name: str
    kind: str | None
    parent: str | None


class TotalRow(AgencySummary):
    name: str


class MetricsDashboard(Strict):
    from_: date = Field(alias="from")
    to: date
    targets: Targets
    agencies: list[AgencyRow]
    total: TotalRow


class AgencyInfo(Strict):
    id: str
    name: str
    kind: str
    parent: str | None


class DailyMetrics(Strict):
    day: date
    received: int
    resolved: int
    breached: int
    coordination_minutes_avg: int | None
    resolution_minutes_avg: int | None


class AgencyMetrics(Strict):
    from_: date = Field(alias="from")
    to: date
    targets: Targets
    agency: AgencyInfo
    summary: AgencySummary
    daily: list[DailyMetrics]


# --- officers ----------------------------------------------------------------------------------------


class OfficerAgency(Strict):
    id: str
    name: str
    kind: str


class DeskChannel(Strict):
    id: str
    name: str


class Me(Strict):
    user_id: str
    email: str | None
    roles: list[str]
    agency: OfficerAgency | None
    sub_agencies: list[AgencyRef]
    desk_channels: list[DeskChannel] = Field(
        default_factory=list, description="Intake officers: the desks their office records walk-in reports for."
    )


UNVERIFIED_SENDER = (
    "Opened by an e-mail whose sender SES could not verify (SPF, DKIM, DMARC): the From address may be forged. "
    'Shown as "unverified sender"; never in public views.'
)


class QueueRow(Strict):
    tracking_code: str
    version: int | None
    status: CaseStatus
    status_label: str
    category: CategoryRef
    agency: AgencyRef | None
    summary: str
    created_at: JakartaTime
    next_deadline: JakartaTime | None
    due_in_minutes: int | None
    overdue: bool
    breached: list[str]
    escalated: bool
    progress: int
    priority: Priority = Field(default="normal", description="Set by the Bureau or holder.")
    area: dict[str, str | None] | None = Field(description="kota / kecamatan / kelurahan codes")
    deadline_kind: DeadlineKind | None = Field(
        default=None, description="The next deadline the holder is held to (next_deadline may be a reminder)."
    )
    deadline: JakartaTime | None = None
    deadline_in_minutes: int | None = Field(default=None, description="Negative: overdue.")
    unverified_sender: bool = Field(default=False, description=UNVERIFIED_SENDER)
    lat: float | None = Field(default=None, description="Where the problem is (the queue's map view).")
    lng: float | None = None


class QueueCounts(Strict):
    total: int
    by_status: dict[str, int] = Field(description="status -> cases")
    breached: int = Field(description="Next deadline passed (what ?due=breached lists).")
    due_soon: int = Field(description="Next deadline within 24 hours (what ?due=soon lists).")


class QueuePage(Strict):
    view: QueueView
    items: list[QueueRow]
    count: int
    cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last.")
    counts: QueueCounts | None = Field(
        default=None, description="Of the whole filtered queue (first page only; null on later pages)."
    )
    truncated: bool = Field(
        default=False, description="Counting or searching stopped at its budget: there are more cases than counted."
    )
    jump: str | None = Field(
        default=None, description="?q= was the tracking code or public id of a case you may open: its tracking code."
    )


class BulkResult(Strict):
    code: str
    ok: bool
    version: int | None = None
    error: str | None = Field(default=None, description="An error code (as the single-case route answers).")
    message: str | None = None


class BulkOutcome(Strict):
    action: Literal["priority", "assign", "delegate"]
    succeeded: int
    failed: int
    results: list[BulkResult]


class AreaCode(Strict):
    code: str
    name: str | None


class Sla(Strict):
    coordinate_by: JakartaTime | None
    resolve_by: JakartaTime | None
    escalate_at: JakartaTime | None
    breached: list[str]
    escalated: bool
    next_milestone: str | None
    next_deadline: JakartaTime | None
    deadline_kind: DeadlineKind | None = Field(
        default=None, description="The next real deadline (reminders skipped): what the holder is held to."
    )
    deadline: JakartaTime | None = None


class Plan(Strict):
    text: str
    agency: AgencyRef | None
    submitted_at: JakartaTime | None
    proposed_completion: JakartaTime | None
    state: PlanStateName
    review_comment: str | None


class OfficerPhoto(Strict):
    id: str
    kind: PhotoKind
    url: str
    original_url: str | None = Field(
        default=None, exclude_if=_absent, description="Only for roles that may see the reporter."
    )


class Reporter(Strict):
    """The reporter's contact: only for roles that may see it, never for anonymous reports.
    Only what the reporter gave is sent."""

    name: str | None = Field(default=None, exclude_if=_absent)
    phone: str | None = Field(default=None, exclude_if=_absent)
    email: str | None = Field(default=None, exclude_if=_absent)
    device_id: str | None = Field(default=None, exclude_if=_absent)
    account_id: str | None = Field(default=None, exclude_if=_absent)


class OtherCase(Strict):
    """Another case this officer may not open: named by its public id, never its tracking code."""

    public_id: str
    agency: str | None


class HistoryLine(Strict):
    at: JakartaTime
    type: str
    public: bool
    text: str | None
    data: dict[str, Any]


class HistoryPageLine(Strict):
    # A HistoryLine with its number first, as the page has always sent it.
    seq: int = Field(description="The entry's number: 0 for the first event of the case, then 1, 2, ...")
    at: JakartaTime
    type: str
    public: bool
    text: str | None
    data: dict[str, Any]


class HistoryPage(Strict):
    """A page of a case's history, oldest entry first; pages go from the newest back."""

    tracking_code: str
    items: list[HistoryPageLine]
    cursor: str | None = Field(description="Older entries exist: pass this as `cursor` for the page before.")
    total: int = Field(description="How many entries the whole history has.")
    skipped: int = Field(description="Stored history items that could not be read (logged); 0 normally.")


class OfficerFeedback(Strict):
    rating: int
    comment: str | None
    at: JakartaTime | None


class OfficerCase(Strict):
    tracking_code: str
    version: int
    status: CaseStatus
    status_label: str
    category: CategoryRef
    channel: Channel
    description: str
    location: Location | None
    area: dict[str, AreaCode | None] | None
    agency: AgencyRef | None
    collaborators: list[AgencyRef | None]
    created_at: JakartaTime
    updated_at: JakartaTime
    expected_completion: JakartaTime | None
    predicted_completion: JakartaTime | None
    progress: int
    sla: Sla | None
    plan: Plan | None
    photos: list[OfficerPhoto]
    anonymous: bool
    privacy: Privacy
    priority: Priority = Field(description="urgent shortens the SLA deadlines; low changes none (domain/sla.py).")
    reporter: Reporter | None
    answers: dict[str, str | list[str]] = Field(description="Answers to the category's questions (Open311 attributes).")
    media_urls: list[str] = Field(description="Links to photos elsewhere, as sent; not fetched, never public.")
    unverified_sender: bool = Field(default=False, description=UNVERIFIED_SENDER)
    duplicate_candidates: list[str | OtherCase]
    merged_into: str | OtherCase | None
    merged_cases: list[str | OtherCase]
    feedback: OfficerFeedback | None
    rejection_reason: str | None
    reopen_count: int
    history: list[HistoryLine] = Field(
        description="The newest history entries, oldest first: the whole history of a short case. "
        "Older entries: GET /officer/cases/{code}/history?cursor=<history_cursor>."
    )
    history_cursor: str | None = Field(
        description="Set when older history entries exist: the cursor of the page before `history`."
    )
    history_total: int = Field(description="How many entries the whole history has.")
    available_operations: list[str]
    public_status_url: str
    may_redact_photos: bool = Field(
        default=False,
        description="This officer may blur regions of the photos' "
        "public copies (POST .../photos/{photo_id}/redaction).",
    )


class AgencyEntry(Strict):
    id: str
    name: str
    kind: str
    parent: str | None
    area: str | None


class AgencyDirectory(Strict):
    agencies: list[AgencyEntry]


class Notification(Strict):
    event_id: str
    occurred_at: str
    event_type: str
    tracking_code: str | OtherCase = Field(
        description="The case's tracking code if this officer may open it now; otherwise its public id and agency "
        "(a case transferred away, another agency's duplicate). Codes in `detail` are named the same way."
    )
    title: str
    category: str | None = None
    detail: dict[str, Any]


class Notifications(Strict):
    inbox: str
    items: list[Notification]
    cursor: str | None


class UploadForm(Strict):
    """Post the file to ``url`` as multipart/form-data with ``fields`` first, then pass ``key`` as upload_key."""

    url: str
    fields: dict[str, str]
    key: str
    expires_in: int


class UploadRequest(Strict):
    content_type: Literal["image/jpeg", "image/png", "image/webp"]


# --- administration ---------------------------------------------------------------------------------


class RoutingRuleView(Strict):
    category: str
    area: str | None
    agency_id: str | None
    source: Literal["seed", "admin"]


class RoutingRules(Strict):
    rules: list[RoutingRuleView]


class ApiKeyView(Strict):
    id: str
    name: str
    channel: Channel
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    revoked_by: str | None
    status: Literal["active", "revoked"]


class ApiKeyOne(Strict):
    key: ApiKeyView


class ApiKeyIssued(Strict):
    key: ApiKeyView
    api_key: str = Field(description="The key itself: shown this once, store it safely. Only a keyed hash is kept.")


class ApiKeys(Strict):
    keys: list[ApiKeyView]


# --- Open311 GeoReport v2 (JSON; the XML has the same shape, see the spec) ----------------------------


class Open311Error(Strict):
    code: int = Field(description="The HTTP status, as in the spec's examples.")
    description: str


class Open311Service(Strict):
    service_code: str
    service_name: str
    description: str
    metadata: bool = Field(description="true: the service has questions (GET services/{service_code}).")
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str
    group: str


class Open311Value(Strict):
    key: str
    name: str


class Open311Attribute(Strict):
    variable: bool
    code: str
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
    required: bool
    datatype_description: str | None
    order: int = Field(ge=1)
    description: str
    values: list[Open311Value]


class Open311ServiceDefinition(Strict):
    service_code: str
    attributes: list[Open311Attribute]


class Open311Request(Strict):
    service_request_id: str = Field(description="The request's public id (not the reporter's tracking code).")
    status: Literal["open", "closed"]
    status_notes: str | None
    service_name: str
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: datetime
    updated_datetime: datetime
    expected_datetime: datetime | None
    address: str | None
    address_id: str | None = Field(description="Always null: no master address repository here.")
    zipcode: str | None = Field(description="Always null.")
    lat: float | None
    long: float | None
    media_url: str | None = Field(description="The metadata-free public copy of the photo (a redirect).")


class Open311CreatedExtensions(Strict):
    tracking_code: str = Field(description="Give it to the reporter: it confirms or reopens the case.")
    status_url: str = Field(description="The reporter's public status page.")


class Open311Created(Strict):
    service_request_id: str
    service_notice: str | None
    account_id: str | None
    extended_attributes: Open311CreatedExtensions | None = Field(
        default=None, description="Only with ?extensions=true (the GeoReport v2 extended-attributes convention)."
    )


class Open311Token(Strict):
    service_request_id: str
    token: str


class Open311Endpoint(Strict):
    specification: str
    url: str
    changeset: str
    type: Literal["production", "test"]
    formats: list[str]


class Open311Discovery(Strict):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[Open311Endpoint]


class Open311PostForm(BaseModel):
    """POST requests.{format}, as application/x-www-form-urlencoded (the spec's field names).

    Answers to a service's questions go as ``attribute[code]=value`` (and
    ``attribute[code][]=v1&attribute[code][]=v2`` for a multivaluelist).
    """

    model_config = ConfigDict(extra="allow")

    api_key: str = Field(description="Your partner key (crm311_...).")
    service_code: str
    jurisdiction_id: str | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    long: float | None = Field(default=None, ge=-180, le=180)
    address_string: str | None = Field(default=None, max_length=500)
    address_id: str | None = Field(default=None, description="Not supported: send lat/long or address_string.")
    description: str | None = Field(default=None, max_length=4000)
    media_url: str | list[str] | None = Field(
        default=None,
        description="A link to a photo; repeat the field for more (at most 5 photos with uploaded files). Kept "
        "for officers and fetched after the answer (public http(s) hosts only), cleaned of metadata, "
        "public when the request is.",
    )
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    device_id: str | None = Field(default=None, max_length=200)
    account_id: str | None = Field(default=None, max_length=200)
    requested_datetime: str | None = Field(
        default=None,
        description="Extension: when the reporter saw the problem, for reports queued offline (W3C date-time "
        "with a zone, from 2000-01-01T00:00:00Z to 10 minutes from now; otherwise 400).",
    )


class Open311Update(Strict):
    """One public status change of a request (mySociety's servicerequestupdates)."""

    update_id: str = Field(description="Stable: the same change always has the same id.")
    service_request_id: str
    status: Literal["open", "closed"]
    updated_datetime: datetime
    description: str = Field(description="The public timeline's line for the change.")
    media_url: str | None = Field(description="The completion photo's public copy, when the change brought one.")
    external_status_code: str = Field(
        description="The detailed state after the change: received, assigned, plan_submitted, in_progress, "
        "resolved, closed, rejected or merged."
    )


class Open311UpdatePosted(Strict):
    update_id: str = Field(description="Our id for your update (a retry of the same update_id gets it again).")


class Open311UpdateForm(BaseModel):
    """POST servicerequestupdates.{format}: a reporter's update, as FixMyStreet sends it."""

    model_config = ConfigDict(extra="allow")

    api_key: str = Field(description="The partner key that posted the request.")
    service_request_id: str
    update_id: str = Field(description="Your id for this update: a retry with it adds nothing twice.")
    status: str = Field(description="OPEN or CLOSED (or an extended status); OPEN on a resolved request reopens it.")
    updated_datetime: str | None = Field(default=None, description="W3C date-time with a zone.")
    description: str | None = Field(default=None, max_length=4000)
    media_url: str | list[str] | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    jurisdiction_id: str | None = None


class ResponseTemplate(Strict):
    id: str
    agency_id: str
    category: str = Field(description="A category id, or * for any")
    title: str
    text_id: str
    text_en: str


class TemplateList(Strict):
    agency_id: str
    items: list[ResponseTemplate]


class TemplateDeleted(Strict):
    deleted: str
    agency_id: str


class RenderedTemplate(Strict):
    id: str
    title: str
    category: str
    text: dict[Literal["id", "en"], str] = Field(description="Filled in for the case, per language")


class CaseTemplates(Strict):
    tracking_code: str
    language: str = Field(description="The reporter's language: the text to offer first")
    items: list[RenderedTemplate]
