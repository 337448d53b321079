"""HTTP plumbing shared by the blueprints: one error format, body limits,
correlation ids, security headers, ETags.

Every error, from any route, is JSON: ``{"error": {"code", "message", ...}}``.
Bad input gets a 4xx naming the problem; AWS trouble gets 503 + Retry-After
(so providers retry and nothing is lost); only our own bugs are 500s.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from chalice import Response

from chalicelib import logs
from chalicelib.adapters.aws import ServiceUnavailable
from chalicelib.adapters.images import MAX_PIXELS, MAX_REQUEST_PIXELS, ImageTooLarge
from chalicelib.adapters.unreadable import UnreadableItem
from chalicelib.channels.base import Reply, WebhookRejected
from chalicelib.config import ConfigurationError
from chalicelib.domain.errors import (
    ConcurrentUpdate,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    InvalidReport,
    OutsideServiceArea,
    RuleViolation,
)
from chalicelib.domain.idempotency import IdempotencyKeyReused

log = logs.get_logger("api")

# API Gateway takes 10 MB, but it hands the request to Lambda as one JSON event,
# and a synchronous Lambda invocation takes at most 6 MiB (6,291,456 bytes).
# Binary bodies (multipart/form-data, our report form) travel base64-encoded in
# that event, 4/3 of their size: 4.5 MB of body is 6,000,000 bytes of event,
# leaving 291,456 bytes for the rest of it (headers twice, as headers and
# multiValueHeaders, at most 10 KB each by API Gateway; path, query, request
# context: a few KB). Bodies above the cap get our JSON 413 naming it; events
# over 6 MiB never reach the function (API Gateway answers with its own error).
LAMBDA_REQUEST_LIMIT = 6 * 1024 * 1024
MAX_BODY_BYTES = 4_500_000
MAX_BODY_TEXT = "4.5 MB"
RETRY_AFTER_SECONDS = "5"
_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def not_found(message: str = "Not found.") -> ApiError:
    return ApiError(404, "not_found", message)


def json_body(body: Any) -> str:
    """The JSON text of an answer: a response model (services/responses.py) as its
    own serialisation (field names, times in Jakarta), anything else as it is."""
    if hasattr(body, "model_dump"):
        body = body.model_dump(mode="json", by_alias=True)
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def json_response(body: Any, status: int = 200, headers: Mapping[str, str | list[str]] | None = None) -> Response:
    return Response(
        body=json_body(body),
        status_code=status,
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )


def error_response(error: ApiError) -> Response:
    payload: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.details:
        payload["details"] = error.details
    payload.update(error.extra)
    correlation_id = logs.current("correlation_id")
    if correlation_id:
        payload["correlation_id"] = correlation_id
    return json_response({"error": payload}, error.status, error.headers)


def reply_response(reply: Reply) -> Response:
    if isinstance(reply.body, (dict, list)):
        return json_response(reply.body, reply.status, reply.headers)
    return Response(
        body=reply.body, status_code=reply.status, headers={"Content-Type": reply.content_type, **reply.headers}
    )


def to_api_error(error: Exception) -> ApiError:
    """Map an exception from any layer to what the client is told."""
    if isinstance(error, ApiError):
        return error
    if isinstance(error, WebhookRejected):
        return ApiError(error.status, error.code, error.message)
    if isinstance(error, ImageTooLarge):
        # 413, not 422: nothing is wrong with the photo's form, there is more of it than we
        # decode in one request (counted from the headers; nothing was decoded or stored).
        return ApiError(
            413,
            "image_too_large",
            f"Photo {error.index + 1} {error}; nothing was saved. Send smaller photos (fewer pixels) or fewer.",
            details=[{"field": f"photos.{error.index}", "message": str(error)}],
            extra={"max_pixels_per_photo": MAX_PIXELS, "max_pixels_per_request": MAX_REQUEST_PIXELS},
        )
    if isinstance(error, IdempotencyKeyReused):
        return ApiError(
            409,
            "idempotency_key_reused",
            "This idempotency key (Idempotency-Key, submission_id or idempotency_key) was already used for a "
            "report with different content; nothing was saved. Use a new key for a new report; a retry must "
            "send exactly the same content.",
        )
    if isinstance(error, OutsideServiceArea):
        return ApiError(
            422,
            "outside_service_area",
            "The report's location is outside DKI Jakarta, the area this service covers; nothing was saved.",
            details=[{"field": field, "message": message} for field, message in error.problems],
        )
    if isinstance(error, InvalidReport):
        return ApiError(
            422,
            "validation_failed",
            "The report is not valid: " + "; ".join(f"{field}: {message}" for field, message in error.problems),
            details=[{"field": field, "message": message} for field, message in error.problems],
        )
    if isinstance(error, InvalidInput):
        return ApiError(
            422,
            "validation_failed",
            "The request is not valid: " + "; ".join(f"{field}: {message}" for field, message in error.problems),
            details=[{"field": field, "message": message} for field, message in error.problems],
        )
    if isinstance(error, RuleViolation):
        return ApiError(422, "rule_violation", str(error))
    if isinstance(error, Forbidden):
        return ApiError(403, "forbidden", str(error).capitalize() + ".")
    if type(error).__name__ == "CaseNotFound":
        return ApiError(404, "not_found", "No case has this tracking code.")
    if isinstance(error, ConcurrentUpdate):
        return ApiError(
            409,
            "concurrent_update",
            "The case was changed by someone else; reload it and try again.",
            extra={"current_version": error.current_version},
        )
    if isinstance(error, IllegalTransition):
        return ApiError(409, "illegal_transition", str(error))
    if isinstance(error, UnreadableItem):
        # Not 404 (the case exists: its reporter must not think it lost), not 409 (nothing the
        # client sends can fix it), not 500 (not an unexpected failure: detected, logged with its
        # key and counted, UnreadableItems alarms): unavailable until an operator repairs it.
        return ApiError(
            503,
            "record_unreadable",
            "A stored record this answer needs cannot be read right now; the operators have been alerted. "
            "Nothing was changed. Please try again later.",
        )
    if isinstance(error, ServiceUnavailable):
        log.warning("aws unavailable", extra={"service": error.service, "reason": error.reason})
        return ApiError(
            503,
            "temporarily_unavailable",
            "The report could not be stored right now; nothing was saved. Please retry.",
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )
    if isinstance(error, ConfigurationError):
        log.error("configuration error", extra={"problem": str(error)})
        return ApiError(
            503,
            "not_configured",
            "This endpoint is not configured yet; please retry later.",
            headers={"Retry-After": "60"},
        )
    log.exception("unhandled error")
    return ApiError(500, "internal_error", "Something went wrong on our side; it has been logged.")


def handles_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a view so that every exception becomes a JSON error response."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - mapped, logged, never leaked
            return error_response(to_api_error(error))

    return wrapper


def read_body(request: Any, content_types: tuple[str, ...]) -> bytes:
    """The raw body, after the size (413) and content type (415) checks."""
    raw = request.raw_body or b""
    if isinstance(raw, str):
        raw = raw.encode()
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(
            413,
            "payload_too_large",
            f"The body is larger than {MAX_BODY_TEXT} ({MAX_BODY_BYTES} bytes), the most this API takes "
            "in one request.",
            extra={"max_body_bytes": MAX_BODY_BYTES},
        )
    content_type = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if content_type not in content_types:
        raise ApiError(
            415,
            "unsupported_media_type",
            f"Content-Type must be {' or '.join(content_types)}, not {content_type or 'missing'}.",
        )
    return raw


def preferred_language(request: Any) -> str:
    """``?lang=en|id`` wins; otherwise Accept-Language; Bahasa Indonesia by default."""
    query = request.query_params or {}
    asked = (query.get("lang") or "").lower()
    if asked in ("id", "en"):
        return asked
    accept = (request.headers.get("accept-language") or "").lower()
    for part in accept.split(","):
        tag = part.split(";", 1)[0].strip()
        if tag.startswith("id") or tag.startswith("in"):
            return "id"
        if tag.startswith("en"):
            return "en"
    return "id"


def etag_for(body: str) -> str:
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    candidates = [tag.strip() for tag in if_none_match.split(",")]
    return any(tag.removeprefix("W/") == etag for tag in candidates)


# Chalice answers some requests itself, before any view runs (a method the
# route lacks: 405; a Content-Type it lacks: 415), as {"Code", "Message"}.
_FRAMEWORK_CODES = {
    "MethodNotAllowedError": "method_not_allowed",
    "UnsupportedMediaType": "unsupported_media_type",
    "BadRequestError": "bad_request",
    "NotFoundError": "not_found",
    "UnauthorizedError": "unauthorized",
    "ForbiddenError": "forbidden",
    "RequestTimeoutError": "request_timeout",
    "TooManyRequestsError": "too_many_requests",
    "ConflictError": "conflict",
    "UnprocessableEntityError": "validation_failed",
}


def _in_our_error_format(response: Response, correlation_id: str, resource: str = "", path: str = "") -> Response:
    """Chalice's own error answers, rewritten in the one JSON error format (under
    /open311, in Open311's: the format the path names). ``resource``: the route's
    path as declared; ``path``: the request's (which may start with the stage)."""
    body = response.body
    if response.status_code < 400 or not isinstance(body, dict) or set(body) != {"Code", "Message"}:
        return response
    if resource == "/open311" or resource.startswith("/open311/"):
        from chalicelib.api import open311_format

        fmt = "xml" if path.lower().endswith(".xml") else "json"
        headers = {name: value for name, value in response.headers.items() if name.lower() != "content-type"}
        return open311_format.error_response(
            fmt, response.status_code, [(response.status_code, str(body["Message"]))], headers
        )
    code = _FRAMEWORK_CODES.get(str(body["Code"]), re.sub(r"(?<!^)(?=[A-Z])", "_", str(body["Code"])).lower())
    payload = {"error": {"code": code, "message": str(body["Message"]), "correlation_id": correlation_id}}
    headers = {name: value for name, value in response.headers.items() if name.lower() != "content-type"}
    return json_response(payload, response.status_code, headers)


def correlation_middleware(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """Bind a correlation id to the logs of this request and echo it back."""
    given = event.headers.get("x-correlation-id") or ""
    if _CORRELATION_ID.match(given):
        correlation_id = given
    else:
        correlation_id = (event.context or {}).get("requestId") or secrets.token_hex(8)
    token = logs.bind(correlation_id=correlation_id)
    try:
        response = get_response(event)
    finally:
        logs.reset(token)
    resource = getattr(event, "path", "") or ""
    path = (getattr(event, "context", None) or {}).get("path") or resource
    response = _in_our_error_format(response, correlation_id, resource, path)
    response.headers["X-Correlation-Id"] = correlation_id
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
