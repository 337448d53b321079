"""The officer API (CRM Officer): queue, case detail, every lifecycle action,
uploads, notifications. Cognito sign-in via the authorizer in api/auth.py.

    GET  /officer/me
    GET  /officer/queue?view=&agency_id=&status=&category=&priority=&kota=&due=&q=&limit=&cursor=
    GET  /officer/queue.csv?<the same filters>  the whole filtered queue as CSV
    GET  /officer/cases/{code}
    GET  /officer/cases/{code}/history?cursor=&limit=   older history, newest first, a page at a time
    POST /officer/cases/{code}/<operation>      (see OPERATION_PATHS)
    POST /officer/cases/bulk                   priority / assign / delegate on up to 50 cases
    GET  /officer/agencies
    GET  /officer/notifications?cursor=
    POST /officer/uploads                      presigned POST for a completion photo
    POST /officer/intake                       a walk-in report at a desk (intake officers)
    GET  /officer/templates?agency_id=         an agency's response templates
    PUT/DELETE /officer/templates/{id}         keep them (the agency's officers, admins)
    GET  /officer/cases/{code}/templates       your agency's templates, filled in for the case
"""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api import auth
from chalicelib.api.http import ApiError, handles_errors, json_response, preferred_language

bp = Blueprint(__name__)

# URL path segment -> service operation
OPERATION_PATHS = {
    "assign": "assign",
    "delegate": "delegate",
    "transfer": "transfer",
    "collaborators": "add_collaborator",
    "plan": "submit_plan",
    "plan/verify": "verify_plan",
    "plan/return": "return_plan",
    "progress": "post_progress",
    "comments": "comment",
    "resolve": "resolve",
    "reject": "reject",
    "merge": "merge",
    "privacy": "set_privacy",
    "priority": "set_priority",
}

QUEUE_VIEWS = ("agency", "family", "triage", "review", "escalated")  # CaseQueries.queue's views
MAX_PAGE = 100


def _request():
    return bp.current_request


def _body():
    import json

    from chalicelib.api.http import read_body
    from chalicelib.domain.errors import InvalidInput

    raw = read_body(_request(), ("application/json",))
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidInput([("body", "is not valid JSON")]) from None


def _case_response(case, principal):
    from chalicelib.bootstrap import services
    from chalicelib.services.views import officer_view, related_names

    app = services()
    photos = app.photos
    view = officer_view(
        case,
        principal,
        preferred_language(_request()),
        app.settings.public_base_url,
        photo_url=photos.public_url,
        original_url=getattr(photos, "original_url", None),
        open_contact=lambda sealed: app.cases.open_sealed(sealed, "reporter").reporter,
        related=related_names(principal, app.cases, app.settings.tracking_code_key, case.tracking_code),
    )
    return json_response(view, headers={"ETag": f'"v{case.version}"', "Cache-Control": "no-store"})


@bp.route("/officer/me", methods=["GET"], authorizer=auth.cognito)
@handles_errors
def me():
    from chalicelib.adapters import reference_data

    principal = auth.principal_of(_request())
    agency = reference_data.agencies().get(principal.agency_id)
    return json_response(
        {
            "user_id": principal.user_id,
            "email": principal.email,
            "roles": sorted(role.value for role in principal.roles),
            "agency": {"id": agency.id, "name": agency.name, "kind": agency.kind} if agency else None,
            "sub_agencies": [{"id": a.id, "name": a.name} for a in reference_data.agencies().children(agency.id)]
            if agency
            else [],
            "desk_channels": _desk_channels(principal, agency),
        }
    )


def _desk_channels(principal, office) -> list[dict[str, str]]:
    """The desks this officer records walk-in reports for (intake officers only)."""
    from chalicelib.domain import desks
    from chalicelib.domain.channels import DISPLAY_NAMES
    from chalicelib.domain.permissions import Role
    from chalicelib.domain.texts import pick

    if not principal.has(Role.INTAKE_OFFICER):
        return []
    language = preferred_language(_request())
    return [
        {"id": channel.value, "name": pick(DISPLAY_NAMES[channel], language)} for channel in desks.desk_channels(office)
    ]


def _queue_holder(view: str, agency_id: str | None, principal) -> str | None:
    """The agency whose list this is (None: the Bureau's and supervisors' lists); 403/422 if not allowed."""
    from chalicelib.adapters import reference_data
    from chalicelib.domain.permissions import Role

    directory = reference_data.agencies()
    overseer = principal.has(Role.BUREAU_VERIFIER, Role.SUPERVISOR)
    if view in ("triage", "review", "escalated"):
        if not overseer:
            raise ApiError(403, "forbidden", f"Only the Bureau and supervisors see the {view} list.")
        return None
    target = agency_id or principal.agency_id
    if not target or directory.get(target) is None:
        raise ApiError(
            422, "validation_failed", "Choose an agency.", details=[{"field": "agency_id", "message": "unknown agency"}]
        )
    if not overseer and not directory.is_within(target, principal.agency_id):
        raise ApiError(403, "forbidden", "You may only see your own agency's queue.")
    if view == "family" and directory.root_of(target) != target:
        raise ApiError(
            422,
            "validation_failed",
            "The family view is for a top-level agency.",
            details=[{"field": "view", "message": "use view=agency for this agency"}],
        )
    return target


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "validation_failed", f"{field} {message}", details=[{"field": field, "message": message}])


def _queue_filter(principal, query):
    """The list and filters a queue request asks for (checked: 403/422)."""
    from chalicelib.adapters import reference_data
    from chalicelib.domain import search
    from chalicelib.services.officer_queue import DUE_FILTERS, QueueFilter

    directory = reference_data.agencies()
    default_view = "agency"
    if (
        principal.agency_id
        and directory.get(principal.agency_id)
        and directory.children(principal.agency_id)
        and directory.root_of(principal.agency_id) == principal.agency_id
    ):
        default_view = "family"
    view = query.get("view") or default_view
    if view not in QUEUE_VIEWS:
        raise _invalid("view", f"must be one of {', '.join(QUEUE_VIEWS)}")
    holder = _queue_holder(view, query.get("agency_id"), principal)
    filters = {name: query[name] for name in ("status", "category", "priority") if query.get(name)}
    if filters.get("priority") and filters["priority"] not in ("urgent", "normal", "low"):
        raise _invalid("priority", "must be urgent, normal or low")
    due = query.get("due")
    if due and due not in DUE_FILTERS:
        raise _invalid("due", "must be breached or soon")
    q = (query.get("q") or "").strip()
    if not search.valid_query(q):
        raise _invalid("q", f"must be at most {search.MAX_QUERY_CHARS} letters, digits, spaces or . , / # ' ( ) & : -")
    return QueueFilter(view, holder, filters, due, query.get("kota"), q or None)


@bp.route("/officer/queue", methods=["GET"], authorizer=auth.cognito)
@handles_errors
def queue():
    from chalicelib.bootstrap import services
    from chalicelib.services.officer_queue import find_case, queue_page

    principal = auth.principal_of(_request())
    query = _request().query_params or {}
    chosen = _queue_filter(principal, query)
    try:
        limit = min(MAX_PAGE, max(1, int(query.get("limit", "50"))))
    except ValueError:
        raise _invalid("limit", "must be a number") from None
    app = services()
    jump = find_case(chosen.q, principal, app.cases, app.settings.tracking_code_key) if chosen.q else None
    body = queue_page(
        app.queries,
        chosen,
        limit=limit,
        cursor=query.get("cursor"),
        now=app.clock(),
        language=preferred_language(_request()),
        jump=jump,
    )
    return json_response(body, headers={"Cache-Control": "no-store"})


@bp.route("/officer/queue.csv", methods=["GET"], authorizer=auth.cognito)
@handles_errors
def queue_csv():
    """The filtered queue as CSV for the agency's weekly meeting (docs/officer-guide.md)."""
    from chalice import Response

    from chalicelib.bootstrap import services
    from chalicelib.services.officer_queue import export_csv

    principal = auth.principal_of(_request())
    chosen = _queue_filter(principal, _request().query_params or {})
    app = services()
    now = app.clock()
    export = export_csv(app.queries, chosen, now, preferred_language(_request()), app.settings.tracking_code_key)
    name = f"queue-{chosen.holder or chosen.view}-{now.date().isoformat()}.csv"
    return Response(
        body=export.text,
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Export-Rows": str(export.rows),
            "X-Export-Truncated": "true" if export.truncated else "false",
        },
    )


@bp.route("/officer/cases/bulk", methods=["POST"], authorizer=auth.cognito, content_types=["*/*"])
@handles_errors
def bulk():
    from chalicelib.api.http import to_api_error
    from chalicelib.bootstrap import services
    from chalicelib.services.bulk import apply_bulk
    from chalicelib.services.lifecycle import Deps

    def describe(error: Exception) -> tuple[str, str]:
        answer = to_api_error(error)
        return answer.code, answer.message

    principal = auth.principal_of(_request())
    app = services()
    deps = Deps(cases=app.cases, photos=app.photos, clock=app.clock)
    return json_response(apply_bulk(_body(), principal, deps, describe), headers={"Cache-Control": "no-store"})


@bp.route("/officer/cases/{code}", methods=["GET"], authorizer=auth.cognito)
@handles_errors
def case_detail(code):
    from chalicelib.bootstrap import services
    from chalicelib.services.lifecycle import view_for_officer

    principal = auth.principal_of(_request())
    return _case_response(view_for_officer(code, principal, services().cases), principal)


@bp.route("/officer/cases/{code}/history", methods=["GET"], authorizer=auth.cognito)
@handles_errors
def case_history(code):
    from chalicelib.bootstrap import services
    from chalicelib.services.lifecycle import view_for_officer
    from chalicelib.services.views import history_page_view, history_request, related_names

    principal = auth.principal_of(_request())
    before, limit = history_request(_request().query_params or {})
    cases = services().cases
    case = view_for_officer(code, principal, cases)
    page = cases.history_page(case, before, limit)
    related = related_names(principal, cases, services().settings.tracking_code_key, case.tracking_code)
    return json_response(
        history_page_view(case, page, preferred_language(_request()), related), headers={"Cache-Control": "no-store"}
    )


def _action_view(operation: str):
    def act(code):
        from chalicelib.bootstrap import services
        from chalicelib.services.lifecycle import Deps, perform

        principal = auth.principal_of(_request())
        app = services()
        deps = Deps(cases=app.cases, photos=app.photos, clock=app.clock, read_upload=app.uploads.read)
        case = perform(code, operation, _body(), principal, deps)
        return _case_response(case, principal)

    act.__name__ = f"officer_{operation}"
    return handles_errors(act)


for _path, _operation in OPERATION_PATHS.items():
    bp.route(f"/officer/cases/{{code}}/{_path}", methods=["POST"], authorizer=auth.cognito, content_types=["*/*"])(
        _action_view(_operation)
    )


@bp.route(
    "/officer/cases/{code}/photos/{photo_id}/redaction",
    methods=["POST"],
    authorizer=auth.cognito,
    content_types=["*/*"],
)
@handles_errors
def redact_photo(code, photo_id):
    """Blur rectangles of a photo's public copy (re-rendered from the private original)."""
    from chalicelib.adapters.redacted_copies import RedactedCopies
    from chalicelib.bootstrap import services
    from chalicelib.services.lifecycle import Deps
    from chalicelib.services.redaction import redact_photo as redact

    principal = auth.principal_of(_request())
    app = services()
    deps = Deps(cases=app.cases, photos=app.photos, clock=app.clock)
    copies = RedactedCopies(app.settings.photos_bucket)
    return _case_response(redact(code, photo_id, _body(), principal, deps, copies), principal)


@bp.route("/officer/agencies", methods=["GET"], authorizer=auth.cognito)
@handles_errors
def agencies():
    from chalicelib.adapters import reference_data

    auth.principal_of(_request())
    return json_response(
        {
            "agencies": [
                {"id": a.id, "name": a.name, "kind": a.kind, "parent": a.parent, "area": a.area}
                for a in reference_data.agencies()
            ]
        },
        headers={"Cache-Control": "private, max-age=3600"},
    )


@bp.route("/officer/notifications", methods=["GET"], authorizer=auth.cognito)
@handles_errors
def notifications():
    from chalicelib.bootstrap import services
    from chalicelib.domain.agencies import INSPECTORATE
    from chalicelib.domain.permissions import Role
    from chalicelib.services.notifications import SUPERVISORS
    from chalicelib.services.views import inbox_page

    principal = auth.principal_of(_request())
    inbox = principal.agency_id
    if principal.has(Role.SUPERVISOR) and (not inbox or inbox == INSPECTORATE):
        inbox = inbox or SUPERVISORS
    if not inbox:
        raise ApiError(403, "forbidden", "Your account has no agency, so it has no inbox.")
    query = _request().query_params or {}
    app = services()
    page = app.notifications.page(inbox, cursor=query.get("cursor"))
    view = inbox_page(inbox, page, principal, app.cases, app.case_reader, app.settings.tracking_code_key)
    return json_response(view, headers={"Cache-Control": "no-store"})


@bp.route("/officer/uploads", methods=["POST"], authorizer=auth.cognito, content_types=["*/*"])
@handles_errors
def uploads():
    from chalicelib.bootstrap import services
    from chalicelib.domain.permissions import Role

    principal = auth.principal_of(_request())
    auth.require_role(principal, Role.AGENCY_OFFICER, Role.INTAKE_OFFICER)
    body = _body()
    content_type = body.get("content_type") if isinstance(body, dict) else None
    try:
        presigned = services().uploads.presign(principal.user_id, content_type or "")
    except ValueError as error:
        raise ApiError(
            422, "validation_failed", str(error), details=[{"field": "content_type", "message": str(error)}]
        ) from None
    return json_response(presigned, 201)


@bp.route("/officer/intake", methods=["POST"], authorizer=auth.cognito, content_types=["*/*"])
@handles_errors
def intake():
    """A walk-in report recorded at a desk: 201 with its tracking code; a resubmitted
    form (same idempotency key) gets 200 and the same code."""
    from chalicelib.adapters import reference_data
    from chalicelib.bootstrap import services
    from chalicelib.domain.permissions import Role
    from chalicelib.services.desk_intake import record_walk_in

    principal = auth.principal_of(_request())
    auth.require_role(principal, Role.INTAKE_OFFICER)
    app = services()
    receipt = record_walk_in(
        _body(),
        principal,
        reference_data.agencies().get(principal.agency_id),
        header_key=_request().headers.get("idempotency-key"),
        read_upload=app.uploads.read,
        cases=app.cases,
        photos=app.photos,
        clock=app.clock,
        code_key=app.settings.tracking_code_key,
    )
    case = receipt.case
    assert receipt.tracking_code is not None  # a desk intake always opens or finds a case
    return json_response(
        {
            "tracking_code": receipt.tracking_code,
            "created": receipt.created,
            "channel": case.channel.value if case else None,
            "status_url": app.settings.status_url(receipt.tracking_code),
            "track_url": f"{app.settings.public_base_url}/track?code={receipt.tracking_code}",
        },
        201 if receipt.created else 200,
        headers={"Cache-Control": "no-store"},
    )


@bp.route("/officer/templates", methods=["GET"], authorizer=auth.cognito)
@handles_errors
def templates_list():
    from chalicelib.bootstrap import services
    from chalicelib.services import templates

    principal = auth.principal_of(_request())
    agency_id = templates.managed_agency(principal, (_request().query_params or {}).get("agency_id"))
    found = services().templates.list(agency_id)
    return json_response(
        {"agency_id": agency_id, "items": [templates.as_json(t) for t in found]}, headers={"Cache-Control": "no-store"}
    )


@bp.route("/officer/templates/{template_id}", methods=["PUT"], authorizer=auth.cognito, content_types=["*/*"])
@handles_errors
def template_put(template_id):
    from chalicelib.bootstrap import services
    from chalicelib.domain.clock import to_utc_text
    from chalicelib.services import templates

    principal = auth.principal_of(_request())
    app = services()
    template = templates.template_from(template_id, _body(), principal)
    app.templates.put(template, principal.user_id, to_utc_text(app.clock()))
    return json_response(templates.as_json(template))


@bp.route("/officer/templates/{template_id}", methods=["DELETE"], authorizer=auth.cognito)
@handles_errors
def template_delete(template_id):
    from chalicelib.bootstrap import services
    from chalicelib.services import templates

    principal = auth.principal_of(_request())
    agency_id = templates.managed_agency(principal, (_request().query_params or {}).get("agency_id"))
    if not services().templates.delete(agency_id, templates.check_id(template_id)):
        raise ApiError(404, "not_found", "This agency has no such template.")
    return json_response({"deleted": template_id, "agency_id": agency_id})


@bp.route("/officer/cases/{code}/templates", methods=["GET"], authorizer=auth.cognito)
@handles_errors
def case_templates(code):
    from chalicelib.bootstrap import services
    from chalicelib.services import templates
    from chalicelib.services.lifecycle import view_for_officer

    principal = auth.principal_of(_request())
    app = services()
    case = view_for_officer(code, principal, app.cases)
    available = app.templates.list(principal.agency_id) if principal.agency_id else []
    return json_response(
        {
            "tracking_code": case.tracking_code,
            "language": case.language,
            "items": templates.rendered_for(case, available),
        },
        headers={"Cache-Control": "no-store"},
    )
