"""How a route is described for the OpenAPI document: small frozen records.

An area module (``chalicelib/api/openapi/<area>.py``) exports ``OPERATIONS``:

    OPERATIONS = {
        ("GET", "/status/{tracking_code}"): Operation(
            summary="A case's public status",
            tags=("public",),
            params=(Param("lang", "query", {"enum": ["id", "en"]}),),
            responses={200: Reply("The public view", PublicStatus)},
            errors=(404,),
        ),
    }

keyed by the Chalice route (method and path exactly as in ``@bp.route``).
Request and response schemas are pydantic models (services/commands.py,
services/responses.py), turned into JSON Schema by the builder; plain JSON
Schema dicts are for the few things that are not JSON (XML, HTML, forms).
Security comes from the route itself (a Cognito authorizer means bearer
auth), errors in this API's JSON format are listed by status in ``errors``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = "application/json"


@dataclass(frozen=True)
class Param:
    name: str
    where: str  # "query" | "path" | "header"
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    description: str = ""
    required: bool = False
    example: Any = None


@dataclass(frozen=True)
class Body:
    model: Any = None  # a pydantic model class
    schema: dict[str, Any] | None = None  # or a JSON Schema
    media_type: str = JSON
    example: Any = None
    required: bool = True
    description: str = ""
    also: tuple[tuple[str, dict[str, Any]], ...] = ()  # other accepted (media type, JSON Schema) pairs


@dataclass(frozen=True)
class Reply:
    description: str
    model: Any = None  # a pydantic model class (or None: no body / ``schema``)
    many: bool = False  # a JSON array of ``model``
    schema: dict[str, Any] | None = None
    media_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)  # name -> description
    example: Any = None
    also: tuple[tuple[str, dict[str, Any]], ...] = ()  # other (media type, JSON Schema) answers for this status


@dataclass(frozen=True)
class Operation:
    summary: str
    tags: tuple[str, ...]
    responses: dict[int, Reply]
    description: str = ""
    params: tuple[Param, ...] = ()
    body: Body | None = None
    errors: tuple[int, ...] = ()  # statuses answered with this API's JSON error (ErrorBody)
    # None, or a scheme (or alternatives): "webhook", "twilio", "meta", "x", "open311_key". Cognito routes
    # are found from the route's authorizer.
    security: str | tuple[str, ...] | None = None
    path: str | None = None  # document under this path (e.g. with a ".json" suffix) instead of the route's
    operation_id: str | None = None
    uses_aws: bool = True  # False: never answers 503 (static answers)
    # False: served but left out of the document (Open311's error answers to the
    # methods and paths it does not have: chalicelib/api/open311.py).
    listed: bool = True
