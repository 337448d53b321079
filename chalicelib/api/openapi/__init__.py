"""The OpenAPI 3.1 document of this API, built from the Chalice app itself.

    build(app, server_url)  the document GET /openapi.json serves
    coverage(app)           routes without a description, and descriptions of no route

Every route of the app is found by walking ``app.routes`` (what API Gateway
will serve); its description is looked up by ``(method, path)`` in the
``OPERATIONS`` of the modules of this package (one per area: ``public``,
``officer``, ``open311``...). A new module is picked up by itself. A route
nobody described makes tests/unit/test_openapi.py fail, and so does a
description whose route is gone.

To describe a new route: add an entry to the area's module (or a new module
with an ``OPERATIONS`` dict), with pydantic models for the request body
(services/commands.py) and the responses (services/responses.py). See spec.py.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import Any, Literal

from chalicelib.api.openapi.spec import JSON, Operation, Param, Reply

OPENAPI_VERSION = "3.1.0"
BEARER = "cognito"
WEBHOOK = "webhookSignature"
OPEN311_KEY = "open311ApiKey"
TWILIO = "twilioSignature"
META = "metaSignature"
X_SIGNATURE = "xSignature"
SCHEMES = {"webhook": WEBHOOK, "open311_key": OPEN311_KEY, "twilio": TWILIO, "meta": META, "x": X_SIGNATURE}

ERROR_TEXT = {
    400: "The request cannot be read (e.g. a body that is not JSON, a missing required argument).",
    401: "Missing, invalid or expired credentials.",
    403: "Signed in, but this role or agency may not do this.",
    404: "No such resource (unknown and malformed codes alike).",
    409: "The case changed meanwhile (`concurrent_update`, with `current_version`) or is in a state "
    "without this action (`illegal_transition`); or an idempotency key was sent again with other content "
    "(`idempotency_key_reused`).",
    413: "The body is larger than 4.5 MB (4,500,000 bytes; `max_body_bytes`): the most a Lambda behind "
    "API Gateway can take once binary bodies are base64-encoded. Photos in JSON are base64 too, so "
    "together at most about 3.3 MB per request.",
    415: "A Content-Type this route does not take.",
    422: "Invalid fields: one `details` entry per field.",
    429: "Too many requests (`rate_limited`): over one of this route's rate limits (by address, by contact, "
    'by channel or for everyone; docs/security.md "Rate limits"). Retry after `Retry-After` seconds '
    "(also `retry_after_seconds`).",
    503: "AWS is throttling or unavailable, or the stage is not configured yet: nothing was stored; "
    "retry after `Retry-After` seconds.",
}

TAGS = [
    {"name": "public", "description": "No sign-in: anyone holding a tracking code, and the public dashboards."},
    {"name": "webhooks", "description": "Reports from partner apps and providers, signed per channel."},
    {"name": "open311", "description": "Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2), JSON and XML."},
    {"name": "officer", "description": "The CRM Officer API: Cognito sign-in (bearer ID token)."},
    {"name": "admin", "description": "Administration: Cognito sign-in with the admin role."},
    {"name": "operations", "description": "Health and this documentation."},
    {"name": "alerts", "description": "Area alerts for citizens: daily digests of new and resolved reports."},
]

DESCRIPTION = """\
The API of CRM (*Cepat Respon Masyarakat*), a city's citizen-complaint desk.

* **Errors** are JSON: `{"error": {"code", "message", "details"?, "correlation_id"}}`; Open311 routes
  answer in Open311's own error format (`[{"code": 400, "description": "..."}]`, or its XML).
* **Officers** sign in with the city's Cognito user pool and send the ID token as
  `Authorization: Bearer <token>`.
* **Webhooks** are signed: partner apps with
  `X-CRM-Signature: sha256=<hex HMAC-SHA256(secret, "<X-CRM-Timestamp>.<raw body>")>` (the timestamp within
  300 s of the server's clock); Twilio, Meta and X as they sign their own deliveries (see each webhook).
* **Open311** clients post with an `api_key` issued by an admin; reading needs none.
* Every response carries `X-Correlation-Id` (send your own to trace a request).
"""


@cache
def operations() -> dict[tuple[str, str], tuple[Operation, ...]]:
    """Every description, from every area module of this package."""
    found: dict[tuple[str, str], tuple[Operation, ...]] = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        if module_info.name == "spec":
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for key, described in getattr(module, "OPERATIONS", {}).items():
            if key in found:
                raise ValueError(f"{key} is described twice (in {module_info.name} and before)")
            found[key] = tuple(described) if isinstance(described, (list, tuple)) else (described,)
    return found


def routes(app: Any) -> dict[tuple[str, str], Any]:
    """Every (method, path) the Chalice app serves, with its route entry."""
    return {(method, path): entry for path, methods in app.routes.items() for method, entry in methods.items()}


def coverage(app: Any) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(routes without a description, descriptions of routes that do not exist)."""
    served, described = set(routes(app)), set(operations())
    return sorted(served - described), sorted(described - served)


# pydantic's JsonSchemaMode (pydantic is imported only when the document is built).
Mode = Literal["validation", "serialization"]


def _models(operations_by_route: dict[tuple[str, str], tuple[Operation, ...]]) -> list[tuple[Any, Mode]]:
    from chalicelib.services import responses

    pairs: dict[tuple[Any, Mode], None] = {
        (responses.ErrorBody, "serialization"): None,
        (responses.GatewayMessage, "serialization"): None,
    }
    for described in operations_by_route.values():
        for operation in described:
            if operation.body is not None and operation.body.model is not None:
                pairs[(operation.body.model, "validation")] = None
            for reply in operation.responses.values():
                if reply.model is not None:
                    pairs[(reply.model, "serialization")] = None
    return list(pairs)


def _ref(refs: dict, model: Any, mode: str) -> dict[str, Any]:
    return dict(refs[(model, mode)])


def _content(media_type: str, schema: dict[str, Any], example: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"schema": schema}
    if example is not None:
        body["example"] = example
    return {media_type: body}


def _reply(reply: Reply, refs: dict) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": reply.description}
    schema = reply.schema
    if reply.model is not None:
        schema = _ref(refs, reply.model, "serialization")
        if reply.many:
            schema = {"type": "array", "items": schema}
    if schema is not None:
        answer["content"] = _content(reply.media_type, schema, reply.example)
        for media_type, other in reply.also:
            answer["content"][media_type] = {"schema": other}
    if reply.headers:
        answer["headers"] = {
            name: {"description": text, "schema": {"type": "string"}} for name, text in reply.headers.items()
        }
    return answer


def _error(status: int, refs: dict, officer: bool) -> dict[str, Any]:
    from chalicelib.services import responses

    schema = _ref(refs, responses.ErrorBody, "serialization")
    if status == 401 and officer:
        schema = {"anyOf": [schema, _ref(refs, responses.GatewayMessage, "serialization")]}
    answer: dict[str, Any] = {"description": ERROR_TEXT.get(status, "Error."), "content": _content(JSON, schema)}
    if status in (429, 503):
        answer["headers"] = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "string"}}}
    return answer


def _too_many(operation: Operation, refs: dict, officer: bool) -> dict[str, Any]:
    """The 429 of a rate-limited route, in the media type its answers have (the form: HTML)."""
    answer = _error(429, refs, officer)
    media_types = {reply.media_type for status, reply in operation.responses.items() if status < 300}
    if media_types == {"text/html"}:
        answer["content"] = _content("text/html", {"type": "string"})
    return answer


def _param(param: Param) -> dict[str, Any]:
    described: dict[str, Any] = {
        "name": param.name,
        "in": param.where,
        "schema": param.schema,
        "required": param.required or param.where == "path",
    }
    if param.description:
        described["description"] = param.description
    if param.example is not None:
        described["example"] = param.example
    return described


def _path_params(path: str) -> list[str]:
    import re

    return re.findall(r"{([^}]+)}", path)


def _operation(method: str, path: str, operation: Operation, entry: Any, refs: dict) -> dict[str, Any]:
    from chalicelib.services import responses

    officer = entry.authorizer is not None
    described: dict[str, Any] = {
        "operationId": operation.operation_id or f"{entry.view_name}_{method.lower()}",
        "summary": operation.summary,
        "tags": list(operation.tags),
    }
    if operation.description:
        described["description"] = operation.description
    params = [_param(param) for param in operation.params]
    named = {param.name for param in operation.params if param.where == "path"}
    for name in _path_params(operation.path or path):
        if name not in named:
            params.append({"name": name, "in": "path", "required": True, "schema": {"type": "string"}})
    if params:
        described["parameters"] = params
    if operation.body is not None:
        body = operation.body
        if body.model is not None:
            schema = _ref(refs, body.model, "validation")
        elif body.schema is not None:
            schema = body.schema
        else:
            raise ValueError(f"{operation.summary!r}: a request body names a model or a JSON Schema")
        described["requestBody"] = {
            "required": body.required,
            "content": _content(body.media_type, schema, body.example),
        }
        for media_type, other in body.also:
            described["requestBody"]["content"][media_type] = {"schema": other}
        if body.description:
            described["requestBody"]["description"] = body.description
    answers = {str(status): _reply(reply, refs) for status, reply in sorted(operation.responses.items())}
    errors = set(operation.errors)
    if officer:
        errors |= {401, 403, 503}
    if operation.uses_aws:
        errors.add(503)
    for status in sorted(errors):
        answers.setdefault(str(status), _error(status, refs, officer))
    limit = getattr(entry.view_function, "rate_limit", None)  # api/limits.py
    if limit is not None:
        answers.setdefault("429", _too_many(operation, refs, officer))
        if limit.fail_closed:  # the counters cannot be read: refused rather than unlimited
            answers.setdefault("503", _error(503, refs, officer))
    if "*/*" not in [content_type.lower() for content_type in entry.content_types]:
        answers.setdefault(
            "415",
            {
                "description": "A Content-Type this route does not take (answered by the framework, "
                "rewritten in the one error format by api/http.py).",
                "content": _content(JSON, _ref(refs, responses.ErrorBody, "serialization")),
            },
        )
    described["responses"] = answers
    if officer:
        described["security"] = [{BEARER: []}]
    else:
        chosen = operation.security
        names = (chosen,) if isinstance(chosen, str) else tuple(chosen or ())
        described["security"] = [{SCHEMES[name]: []} for name in names]
    return described


def security_schemes() -> dict[str, Any]:
    return {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An ID token of the officers' Amazon Cognito user pool (sign in with the pool's app "
            "client, e.g. USER_PASSWORD_AUTH or the hosted UI). Roles are the user's Cognito "
            "groups; the agency is the custom:agency_id attribute.",
        },
        WEBHOOK: {
            "type": "apiKey",
            "in": "header",
            "name": "X-CRM-Signature",
            "description": 'Not a static key: `sha256=<hex HMAC-SHA256(channel secret, "<X-CRM-Timestamp>.<raw '
            'body>")>`, with the unix time in `X-CRM-Timestamp` (within 300 s). The secret is '
            "shared with each partner (JAKI_WEBHOOK_SECRET, QLUE_WEBHOOK_SECRET).",
        },
        TWILIO: {
            "type": "apiKey",
            "in": "header",
            "name": "X-Twilio-Signature",
            "description": "Twilio's request signature: base64 HMAC-SHA1(TWILIO_AUTH_TOKEN, the full URL followed by "
            "the form's fields sorted by name, each name then value), as Twilio's RequestValidator "
            "computes it; PUBLIC_BASE_URL must be the URL Twilio calls.",
        },
        META: {
            "type": "apiKey",
            "in": "header",
            "name": "X-Hub-Signature-256",
            "description": "`sha256=<hex HMAC-SHA256(META_APP_SECRET, raw body)>`, as Meta signs webhook deliveries.",
        },
        X_SIGNATURE: {
            "type": "apiKey",
            "in": "header",
            "name": "x-twitter-webhooks-signature",
            "description": "`sha256=<base64 HMAC-SHA256(X_CONSUMER_SECRET, raw body)>`, as X signs Account "
            "Activity deliveries.",
        },
        OPEN311_KEY: {
            "type": "apiKey",
            "in": "query",
            "name": "api_key",
            "description": "A partner key issued by an admin (POST /admin/open311/keys). Open311 sends it as the "
            "`api_key` field of the POST form; the query string works too.",
        },
    }


def build(app: Any, server_url: str, version: str = "0.1.0") -> dict[str, Any]:
    from pydantic.json_schema import models_json_schema

    described = operations()
    served = routes(app)
    refs, definitions = models_json_schema(_models(described), ref_template="#/components/schemas/{model}")
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), entry in sorted(served.items()):
        for operation in described.get((method, path), ()):
            if not operation.listed:
                continue
            documented_path = operation.path or path
            paths.setdefault(documented_path, {})[method.lower()] = _operation(method, path, operation, entry, refs)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "CRM - Cepat Respon Masyarakat", "version": version, "description": DESCRIPTION},
        "servers": [{"url": server_url}],
        "tags": TAGS,
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": definitions.get("$defs", {}), "securitySchemes": security_schemes()},
    }
