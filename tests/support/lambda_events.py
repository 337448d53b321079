"""Events as Lambda hands them to the Chalice app, for tests and benchmarks that call
``app.app`` directly (often in a fresh interpreter, which gets the event as JSON)."""

from __future__ import annotations

import inspect
from typing import Any


class LambdaContext:
    """The context object Lambda passes with each event (what the app reads of it)."""

    aws_request_id = "fresh-process"
    function_name = "crm-fresh-process"
    memory_limit_in_mb = 256

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


# The same class as source, for a child interpreter's script: the script defines it, and imports
# nothing it would not import anyway, before calling ``app.app(event, LambdaContext())``.
CONTEXT_SOURCE = inspect.getsource(LambdaContext)


def api_gateway_event(
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
    resource: str | None = None,
) -> dict[str, Any]:
    """An API Gateway proxy event, as Lambda hands it to the Chalice app."""
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": headers or {},
        "multiValueHeaders": {k: [v] for k, v in (headers or {}).items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource or path,
            "httpMethod": method,
            "requestId": "t",
            "path": path,
            "stage": "api",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": body.decode() if body is not None else None,
        "isBase64Encoded": False,
    }


def health_event() -> dict[str, Any]:
    """An API Gateway proxy event for GET /health."""
    return api_gateway_event("GET", "/health")


def partner_webhook_event(channel: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """A signed partner's POST /webhooks/{channel}."""
    return api_gateway_event("POST", f"/webhooks/{channel}", body, headers, {"channel": channel}, "/webhooks/{channel}")
