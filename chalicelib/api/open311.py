"""Open311 GeoReport v2 under /open311/v2 (wiki.open311.org/GeoReport_v2).

    GET  /open311/v2/discovery.{json,xml}
    GET  /open311/v2/services.{json,xml}
    GET  /open311/v2/services/{service_code}.{json,xml}        questions of a service
    GET  /open311/v2/requests.{json,xml}                        ?start_date&end_date&status&service_code
                                                                &service_request_id&page&page_size
    POST /open311/v2/requests.{json,xml}                        form with api_key (Idempotency-Key optional)
    GET  /open311/v2/requests/{service_request_id}.{json,xml}
    GET  /open311/v2/tokens/{token}.{json,xml}?api_key=         what an Idempotency-Key became
    GET  /open311/v2/media/{service_request_id}/{photo_id}      302 to the metadata-free public photo
    GET  /open311/v2/servicerequestupdates.{json,xml}           ?api_key&start_date&end_date&page&page_size
    POST /open311/v2/servicerequestupdates.{json,xml}           a reporter's update (mySociety's extension)

POSTs take application/x-www-form-urlencoded or multipart/form-data (photos).

API Gateway path parameters are whole path segments, so ``{service_code}.json``
is one parameter here ("garbage.json") split by ``open311_format.split_format``.
Every error is in the spec's format, in the format the path asked for (JSON
when it named none): 400 bad argument, 403 bad api_key, 404 unknown service,
request, token or jurisdiction, 405 a method the path does not take; 429 over a
rate limit (api/limits.py: reads ``open311_read`` by address; posts
``open311_post`` by address, by api_key and globally); AWS trouble 503 with
Retry-After. That holds for every path and method under /open311: each
resource registers the methods it does not take (API Gateway would answer those
itself, in its own format), and ``/open311/{proxy+}`` (with the resources in
between) answers every unknown path with a 404.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from chalice import Blueprint, Response

from chalicelib.api import open311_format as wire
from chalicelib.api.http import preferred_language
from chalicelib.api.limits import RateLimited, check, exempt, limited

bp = Blueprint(__name__)

PREFIX = "/open311/v2"
PUBLIC_CACHE = {"Cache-Control": "public, max-age=300", "Vary": "Accept-Language"}
NO_CACHE = {"Cache-Control": "no-cache", "Vary": "Accept-Language"}
NO_FORMAT = "Not found: add .json or .xml to the path (the two formats this resource has)."


def _deps():
    from chalicelib.bootstrap import services
    from chalicelib.services.open311 import Deps

    app = services()
    return Deps(
        settings=app.settings,
        cases=app.cases,
        queries=app.queries,
        keys=app.api_key_store(),
        photos=app.photos,
        clock=app.clock,
        reader=app.case_reader,
        feed=app.feed,
    )


def _query() -> dict[str, str]:
    return dict(bp.current_request.query_params or {})


def _language() -> str:
    return preferred_language(bp.current_request)


def _check_jurisdiction() -> None:
    from chalicelib.config import settings
    from chalicelib.services.open311 import check_jurisdiction

    check_jurisdiction(settings(), _query().get("jurisdiction_id"))


def open311_errors(view: Callable[..., Response]) -> Callable[..., Response]:
    """Answer every failure in Open311's error format; ``fmt`` is the view's format."""

    @functools.wraps(view)
    def wrapper(*args: Any, fmt: str = "json", **kwargs: Any) -> Response:
        from chalicelib.api.http import to_api_error
        from chalicelib.services.open311 import Open311Error

        try:
            return view(*args, fmt=fmt, **kwargs)
        except Open311Error as error:
            return wire.error_response(fmt, error.status, error.errors)
        except Exception as error:  # noqa: BLE001 - mapped (and logged) like every other route
            api_error = to_api_error(error)
            return wire.error_response(
                fmt, api_error.status, [(api_error.status, api_error.message)], api_error.headers
            )

    return wrapper


def _formatted(path_name: str) -> Callable[..., Any]:
    """A view for a path whose last parameter carries the format: find it, then run."""

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        guarded = open311_errors(view)

        @functools.wraps(view)
        def wrapper(**kwargs: str) -> Response:
            parts = wire.split_format(kwargs[path_name])
            if parts is None:
                return wire.error_response("json", 404, [(404, NO_FORMAT)])
            kwargs[path_name] = parts[0]
            return guarded(**kwargs, fmt=parts[1])

        return wrapper

    return decorate


# --- discovery and services ---------------------------------------------------------------


@open311_errors
@limited(bp, "open311_read")
def _discovery(fmt: str) -> Response:
    from chalicelib.config import settings
    from chalicelib.services.open311 import discovery

    _check_jurisdiction()
    return wire.respond(fmt, "discovery", discovery(settings()), headers=PUBLIC_CACHE)


@open311_errors
@limited(bp, "open311_read")
def _services(fmt: str) -> Response:
    from chalicelib.services.open311 import service_list

    _check_jurisdiction()
    return wire.respond(fmt, "services", service_list(_language()), headers=PUBLIC_CACHE)


@open311_errors
@limited(bp, "open311_read")
def _requests(fmt: str) -> Response:
    from chalicelib.services.open311 import list_requests

    _check_jurisdiction()
    return wire.respond(fmt, "service_requests", list_requests(_query(), _language(), _deps()), headers=NO_CACHE)


def _form_body() -> tuple[str, bytes]:
    """(Content-Type, body) of a POST: a form, urlencoded or multipart, within the body limit."""
    from chalicelib.api.http import ApiError, read_body
    from chalicelib.channels.open311 import FORM_TYPES
    from chalicelib.services.open311 import Open311Error

    request = bp.current_request
    content_type = request.headers.get("content-type") or ""
    if content_type.split(";", 1)[0].strip().lower() not in FORM_TYPES:
        raise Open311Error(
            400,
            "Send the request as Content-Type: application/x-www-form-urlencoded; charset=utf-8 "
            "(or multipart/form-data, to upload photos)",
        )
    try:
        return content_type, read_body(request, FORM_TYPES)
    except ApiError as error:
        raise Open311Error(error.status, error.message) from None


def _count_partner(content_type: str, body: bytes, query: dict[str, str], names: Any = None) -> None:
    """The partner's key, as sent, counts against ``open311_post`` too (the service checks
    it against the key store); a body that does not parse is answered 400 by the service."""
    from chalicelib.channels import open311 as form

    try:
        api_key = form.parse_body(content_type, body, query, names).get("api_key")
    except form.FormRejected:
        return
    check("open311_post", contact=api_key)


@open311_errors
@limited(bp, "open311_post")
def _post_request(fmt: str) -> Response:
    from chalicelib.services.open311 import submit

    request = bp.current_request
    content_type, body = _form_body()
    query = _query()
    _count_partner(content_type, body, query)
    extensions = (query.get("extensions") or "").lower() in ("true", "1")
    posted = submit(
        body,
        query,
        request.headers.get("idempotency-key"),
        _language(),
        _deps(),
        extensions=extensions,
        content_type=content_type,
    )
    return wire.respond(
        fmt, "service_requests", posted.response, 201 if posted.created else 200, headers={"Cache-Control": "no-store"}
    )


@open311_errors
@limited(bp, "open311_read")
def _updates(fmt: str) -> Response:
    from chalicelib.services.open311 import list_updates

    _check_jurisdiction()
    query = _query()
    if not query.get("api_key") and bp.current_request.headers.get("x-api-key"):
        query["api_key"] = bp.current_request.headers["x-api-key"]
    return wire.respond(
        fmt, "service_request_updates", list_updates(query, _language(), _deps()), headers={"Cache-Control": "no-store"}
    )


@open311_errors
@limited(bp, "open311_post")
def _post_update(fmt: str) -> Response:
    from chalicelib.channels import open311 as form
    from chalicelib.services.open311 import post_update

    content_type, body = _form_body()
    _count_partner(content_type, body, _query(), form.UPDATE_FIELDS)
    posted = post_update(content_type, body, _query(), _language(), _deps())
    return wire.respond(
        fmt,
        "service_request_updates",
        posted.response,
        201 if posted.created else 200,
        headers={"Cache-Control": "no-store"},
    )


# Every method and path under /open311 answers in Open311's format (see the module's docstring).
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_served: dict[str, set[str]] = {}


def _route(path: str, methods: list[str], **options: Any) -> Callable[[Callable[..., Any]], Any]:
    for method in methods:
        _served.setdefault(path, set()).add(method)
    return bp.route(path, methods=methods, **options)


def _both_formats(path: str, view: Callable[..., Response], methods: list[str], name: str, **options: Any) -> None:
    for fmt in wire.FORMATS:

        def bound(fmt: str = fmt) -> Response:
            return view(fmt=fmt)

        bound.__name__ = f"open311_{name}_{fmt}"
        bound.rate_limit = getattr(view, "rate_limit", None)  # type: ignore[attr-defined]  # the view's mark, carried over
        _route(f"{PREFIX}/{path}.{fmt}", methods=methods, **options)(bound)


ANY_TYPE = ["*/*"]  # the view checks the type itself, and answers a wrong one in Open311's format

_both_formats("discovery", _discovery, ["GET"], "discovery", cors=True, content_types=ANY_TYPE)
_both_formats("services", _services, ["GET"], "services", cors=True, content_types=ANY_TYPE)
_both_formats("requests", _requests, ["GET"], "requests", cors=True, content_types=ANY_TYPE)
_both_formats("requests", _post_request, ["POST"], "post_request", content_types=ANY_TYPE)
_both_formats("servicerequestupdates", _updates, ["GET"], "updates", content_types=ANY_TYPE)
_both_formats("servicerequestupdates", _post_update, ["POST"], "post_update", content_types=ANY_TYPE)


@_route(f"{PREFIX}/services/{{service_code}}", methods=["GET"], cors=True, content_types=ANY_TYPE)
@_formatted("service_code")
@limited(bp, "open311_read")
def open311_service_definition(service_code: str, fmt: str) -> Response:
    from chalicelib.services.open311 import service_definition

    _check_jurisdiction()
    return wire.respond(fmt, "service_definition", service_definition(service_code, _language()), headers=PUBLIC_CACHE)


@_route(f"{PREFIX}/requests/{{service_request_id}}", methods=["GET"], cors=True, content_types=ANY_TYPE)
@_formatted("service_request_id")
@limited(bp, "open311_read")
def open311_request(service_request_id: str, fmt: str) -> Response:
    from chalicelib.services.open311 import get_request

    _check_jurisdiction()
    return wire.respond(
        fmt, "service_requests", get_request(service_request_id, _language(), _deps()), headers=NO_CACHE
    )


@_route(f"{PREFIX}/tokens/{{token}}", methods=["GET"], content_types=ANY_TYPE)
@_formatted("token")
@limited(bp, "open311_read", fail_closed=True)
def open311_token(token: str, fmt: str) -> Response:
    from chalicelib.services.open311 import resolve_token

    _check_jurisdiction()
    query = _query()
    api_key = query.get("api_key") or bp.current_request.headers.get("x-api-key")
    return wire.respond(
        fmt, "service_requests", resolve_token(token, api_key, _deps()), headers={"Cache-Control": "no-store"}
    )


def _too_many(error: RateLimited) -> Response:
    """A path without a format: the error in JSON."""
    return wire.error_response("json", error.status, [(error.status, error.message)], error.headers)


@_route(f"{PREFIX}/media/{{service_request_id}}/{{photo_id}}", methods=["GET"], cors=True, content_types=ANY_TYPE)
@limited(bp, "open311_read", refused=_too_many)
def open311_media(service_request_id: str, photo_id: str) -> Response:
    @open311_errors
    def redirect(fmt: str) -> Response:
        from chalicelib.services.open311 import not_found, photo_of

        deps = _deps()
        photo = photo_of(service_request_id, photo_id, deps)
        if photo is None:
            raise not_found("No such photo.")
        return Response(
            body="",
            status_code=302,
            headers={"Location": deps.photos.public_url(photo), "Cache-Control": "private, max-age=60"},
        )

    return redirect()


# --- every other method and path: Open311's errors ------------------------------------------

# Resources API Gateway creates on the way to the routes above; they take no
# method, so they answer 404 like an unknown path.
INTERMEDIATE = (
    "/open311",
    PREFIX,
    f"{PREFIX}/services",
    f"{PREFIX}/requests",
    f"{PREFIX}/tokens",
    f"{PREFIX}/media",
    f"{PREFIX}/media/{{service_request_id}}",
)
# Greedy: API Gateway sends here every path under /open311 that no resource above
# matches (infra/local/chalice_local.py teaches `chalice local` the same).
CATCH_ALL = "/open311/{proxy+}"


def request_format() -> str:
    """The format the request's path asked for: XML for a last segment ending in .xml."""
    path = (bp.current_request.context or {}).get("path") or bp.current_request.path
    return "xml" if path.lower().endswith(".xml") else "json"


def _not_allowed() -> Response:
    request = bp.current_request
    allowed = sorted(_served.get(request.path, ()))
    return wire.error_response(
        request_format(),
        405,
        [(405, f"{request.method} is not a method of this resource; it takes {', '.join(allowed)}")],
        {"Allow": ", ".join(allowed)},
    )


def _unknown() -> Response:
    return wire.error_response(
        request_format(),
        404,
        [(404, "Not found: no Open311 resource has this path (see discovery.json; paths end in .json or .xml)")],
    )


def _register_errors() -> None:
    for number, (path, methods) in enumerate(sorted(_served.items())):
        missing = [method for method in METHODS if method not in methods]
        if missing:

            def not_allowed(**_path_parameters: str) -> Response:
                return _not_allowed()

            not_allowed.__name__ = f"open311_method_not_allowed_{number}"
            bp.route(path, methods=missing, content_types=ANY_TYPE)(not_allowed)
            exempt(missing, path, "answers 405 in Open311's format; reads nothing")
    for number, path in enumerate((*INTERMEDIATE, CATCH_ALL)):

        def unknown(**_path_parameters: str) -> Response:
            return _unknown()

        unknown.__name__ = f"open311_not_found_{number}"
        bp.route(path, methods=list(METHODS), content_types=ANY_TYPE)(unknown)
        exempt(list(METHODS), path, "answers 404 in Open311's format; reads nothing")


_register_errors()
