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

API Gateway path parameters are whole path segments, so ``{service_code}.json``
is one parameter here ("garbage.json") split by ``open311_format.split_format``.
Every error is in the spec's format, in the format the path asked for (JSON
when it named none): 400 bad argument, 403 bad api_key, 404 unknown service,
request, token or jurisdiction; 429 over a rate limit (api/limits.py: reads
``open311_read`` by address; posts ``open311_post`` by address, by api_key and
globally); AWS trouble 503 with Retry-After.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from chalice import Blueprint, Response

from chalicelib.api import open311_format as wire
from chalicelib.api.http import preferred_language
from chalicelib.api.limits import RateLimited, check, limited

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
        keys=app.api_keys,
        photos=app.photos,
        clock=app.clock,
        reader=app.case_reader,
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


@open311_errors
@limited(bp, "open311_post")
def _post_request(fmt: str) -> Response:
    from chalicelib.api.http import read_body
    from chalicelib.channels import open311 as form
    from chalicelib.services.open311 import Open311Error, submit

    request = bp.current_request
    content_type = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise Open311Error(400, "Send the request as Content-Type: application/x-www-form-urlencoded; charset=utf-8")
    body = read_body(request, ("application/x-www-form-urlencoded",))
    query = _query()
    try:  # the partner's key, as sent, counts too (checked against the key store by submit)
        check("open311_post", contact=form.parse_form(body, query).get("api_key"))
    except form.FormRejected:
        pass  # submit answers 400 naming the problem
    extensions = (query.get("extensions") or "").lower() in ("true", "1")
    posted = submit(body, query, request.headers.get("idempotency-key"), _language(), _deps(), extensions=extensions)
    return wire.respond(
        fmt, "service_requests", posted.response, 201 if posted.created else 200, headers={"Cache-Control": "no-store"}
    )


def _both_formats(path: str, view: Callable[..., Response], methods: list[str], name: str, **options: Any) -> None:
    for fmt in wire.FORMATS:

        def bound(fmt: str = fmt) -> Response:
            return view(fmt=fmt)

        bound.__name__ = f"open311_{name}_{fmt}"
        bound.rate_limit = getattr(view, "rate_limit", None)  # type: ignore[attr-defined]
        bp.route(f"{PREFIX}/{path}.{fmt}", methods=methods, **options)(bound)


_both_formats("discovery", _discovery, ["GET"], "discovery", cors=True)
_both_formats("services", _services, ["GET"], "services", cors=True)
_both_formats("requests", _requests, ["GET"], "requests", cors=True)
_both_formats("requests", _post_request, ["POST"], "post_request", content_types=["*/*"])


@bp.route(f"{PREFIX}/services/{{service_code}}", methods=["GET"], cors=True)
@_formatted("service_code")
@limited(bp, "open311_read")
def open311_service_definition(service_code: str, fmt: str) -> Response:
    from chalicelib.services.open311 import service_definition

    _check_jurisdiction()
    return wire.respond(fmt, "service_definition", service_definition(service_code, _language()), headers=PUBLIC_CACHE)


@bp.route(f"{PREFIX}/requests/{{service_request_id}}", methods=["GET"], cors=True)
@_formatted("service_request_id")
@limited(bp, "open311_read")
def open311_request(service_request_id: str, fmt: str) -> Response:
    from chalicelib.services.open311 import get_request

    _check_jurisdiction()
    return wire.respond(
        fmt, "service_requests", get_request(service_request_id, _language(), _deps()), headers=NO_CACHE
    )


@bp.route(f"{PREFIX}/tokens/{{token}}", methods=["GET"])
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


@bp.route(f"{PREFIX}/media/{{service_request_id}}/{{photo_id}}", methods=["GET"], cors=True)
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
