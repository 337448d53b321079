"""Public case status for tracking-code holders (no sign-in).

GET /status/{tracking_code}                     the public view, with ETag
GET /status/{tracking_code}/photos/{photo_id}   302 to the metadata-free copy

Unknown and malformed codes get the same 404, so the endpoint is no oracle
for which codes exist.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.http import (
    etag_for,
    etag_matches,
    handles_errors,
    json_body,
    json_response,
    not_found,
    preferred_language,
)
from chalicelib.api.limits import limited

bp = Blueprint(__name__)

NO_SUCH_CASE = "No case has this tracking code. Check the code and try again."


@bp.route("/status/{tracking_code}", methods=["GET"])
@handles_errors
@limited(bp, "status", fail_closed=True)
def get_status(tracking_code):
    from chalicelib.bootstrap import services
    from chalicelib.services.status import find_case, named_by_public_id, public_view, timeline_of

    app = services()
    case = find_case(tracking_code, app.cases, app.settings.tracking_code_key)
    if case is None:
        raise not_found(NO_SUCH_CASE)
    request = bp.current_request
    language = preferred_language(request)
    view = public_view(
        case,
        language,
        app.settings.public_base_url,
        public_id=tracking_code if named_by_public_id(tracking_code) else None,
        code_key=app.settings.tracking_code_key,
        timeline=None if case.hidden_from_public else timeline_of(case, app.cases),
    )
    body = json_body(view)
    etag = etag_for(body)
    headers: dict[str, str | list[str]] = {"ETag": etag, "Cache-Control": "no-cache", "Vary": "Accept-Language"}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(body="", status_code=304, headers=headers)
    return Response(body=body, status_code=200, headers={"Content-Type": "application/json; charset=utf-8", **headers})


@bp.route("/status/{tracking_code}/photos/{photo_id}", methods=["GET"])
@handles_errors
@limited(bp, "status", fail_closed=True)
def get_photo(tracking_code, photo_id):
    from chalicelib.bootstrap import services
    from chalicelib.services.status import public_photo_url

    app = services()
    url = public_photo_url(tracking_code, photo_id, app.cases, app.photos, app.settings.tracking_code_key)
    if url is None:
        raise not_found("No such photo.")
    return Response(body="", status_code=302, headers={"Location": url, "Cache-Control": "private, max-age=60"})


def _reporter_action(service_name: str, tracking_code: str):
    import json as _json

    from chalicelib.api.http import read_body
    from chalicelib.bootstrap import services
    from chalicelib.domain.errors import InvalidInput
    from chalicelib.services import lifecycle
    from chalicelib.services.status import public_view, timeline_of

    request = bp.current_request
    try:
        payload = _json.loads(read_body(request, ("application/json",)) or b"{}")
    except (ValueError, RecursionError):
        raise InvalidInput([("body", "is not valid JSON")]) from None
    app = services()
    try:
        case = getattr(lifecycle, service_name)(tracking_code, payload, app.cases, app.clock)
    except lifecycle.CaseNotFound:
        raise not_found(NO_SUCH_CASE) from None
    return json_response(
        public_view(
            case,
            preferred_language(request),
            app.settings.public_base_url,
            code_key=app.settings.tracking_code_key,
            timeline=None if case.hidden_from_public else timeline_of(case, app.cases),
        )
    )


@bp.route("/status/{tracking_code}/feedback", methods=["POST"], content_types=["*/*"])
@handles_errors
@limited(bp, "reporter_actions", fail_closed=True)
def give_feedback(tracking_code):
    """The reporter confirms the work is done, with a 1-5 rating: the case closes."""
    return _reporter_action("give_feedback", tracking_code)


@bp.route("/status/{tracking_code}/reopen", methods=["POST"], content_types=["*/*"])
@handles_errors
@limited(bp, "reporter_actions", fail_closed=True)
def reopen(tracking_code):
    """The reporter says the problem is not solved (within 7 days of resolution)."""
    return _reporter_action("reopen", tracking_code)
