"""Events as Lambda hands them to the Chalice app, for tests that call ``app.app`` directly
(often in a fresh interpreter, which gets the event as JSON)."""

from __future__ import annotations

from typing import Any


def health_event() -> dict[str, Any]:
    """An API Gateway proxy event for GET /health."""
    return {
        "resource": "/health",
        "path": "/health",
        "httpMethod": "GET",
        "headers": {},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "body": None,
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": "/health",
            "httpMethod": "GET",
            "requestId": "t",
            "path": "/health",
            "stage": "api",
            "identity": {"sourceIp": "127.0.0.1"},
        },
    }
