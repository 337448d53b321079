"""Health and this documentation."""

from __future__ import annotations

from chalicelib.api.openapi.spec import Operation, Param, Reply
from chalicelib.services import responses as r

OPERATIONS = {
    ("GET", "/health"): Operation(
        summary="Is the API up",
        description="`?deep=1` also checks DynamoDB and S3 and answers 503 with the failing checks if one is down.",
        tags=("operations",),
        params=(Param("deep", "query", {"type": "string", "enum": ["1", "true"]}, "Check the storage too."),),
        responses={
            200: Reply("Up", r.Health, example={"status": "ok", "service": "crm", "stage": "prod", "version": "0.1.0"}),
            503: Reply("A dependency is down (deep check)", r.Health),
        },
        uses_aws=False,
    ),
    ("GET", "/openapi.json"): Operation(
        summary="This document (OpenAPI 3.1)",
        tags=("operations",),
        responses={200: Reply("The OpenAPI document", schema={"type": "object"})},
        uses_aws=False,
    ),
    ("GET", "/docs"): Operation(
        summary="The API documentation, rendered (HTML)",
        tags=("operations",),
        responses={
            200: Reply("An HTML page rendering /openapi.json", schema={"type": "string"}, media_type="text/html")
        },
        uses_aws=False,
    ),
    ("GET", "/docs/{asset}"): Operation(
        summary="A file of the documentation viewer (script, style sheet, licence)",
        tags=("operations",),
        params=(Param("asset", "path", {"type": "string", "pattern": r"^[A-Za-z0-9._-]{1,80}$"}, example="viewer.js"),),
        responses={
            200: Reply("The file", schema={"type": "string"}, media_type="*/*"),
            404: Reply("No such file", r.ErrorBody),
        },
        uses_aws=False,
    ),
}
