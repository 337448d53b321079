"""The Balai Warga website: the public report form and its JSON twin."""

from __future__ import annotations

from chalicelib.api.openapi.spec import Body, Operation, Param, Reply
from chalicelib.services import responses as r

TAGS = ("public",)
HTML = Reply("An HTML page", schema={"type": "string"}, media_type="text/html")
REPORT_FIELDS = {
    "category": {"type": "string", "description": "A category id (GET /open311/v2/services.json)."},
    "description": {"type": "string", "maxLength": 5000},
    "lat": {"type": "string"},
    "lng": {"type": "string"},
    "address": {"type": "string", "maxLength": 500},
    "name": {"type": "string"},
    "phone": {"type": "string"},
    "email": {"type": "string"},
    "anonymous": {"type": "string", "description": "Checked: no contact is kept."},
    "confidential": {"type": "string", "description": "Checked: the report is hidden from the public."},
    "submission_id": {
        "type": "string",
        "pattern": "^[A-Za-z0-9_-]{16,64}$",
        "description": "The form's hidden token: submitting twice is one case.",
    },
    "lang": {"type": "string", "enum": ["id", "en"]},
    "reported_at": {
        "type": "string",
        "description": "When the reporter saw it, Jakarta time (an HTML datetime-local value, 2026-11-23T10:00); "
        "from 2000 to 10 minutes from now.",
    },
}
FORM = {
    "type": "object",
    "properties": {**REPORT_FIELDS, "photos": {"type": "string", "format": "binary"}},
    "required": ["category", "description"],
}
JSON_REPORT = {
    "type": "object",
    "required": ["category", "description"],
    "properties": {
        "category": {"type": "string"},
        "description": {"type": "string", "maxLength": 5000},
        "location": {
            "type": "object",
            "properties": {"lat": {"type": "number"}, "lng": {"type": "number"}, "address": {"type": "string"}},
            "required": ["lat", "lng"],
        },
        "reporter": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "phone": {"type": "string"},
                "email": {"type": "string"},
                "anonymous": {"type": "boolean"},
            },
        },
        "photos": {
            "type": "array",
            "maxItems": 5,
            "items": {
                "type": "object",
                "properties": {
                    "content_type": {"type": "string", "enum": ["image/jpeg", "image/png", "image/webp"]},
                    "data_base64": {"type": "string"},
                },
                "required": ["content_type", "data_base64"],
            },
        },
        "submission_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$"},
        "language": {"type": "string"},
        "confidential": {"type": "boolean", "description": "true: the report is hidden from the public."},
        "reported_at": {
            "type": "string",
            "format": "date-time",
            "description": "When the reporter saw it, with its offset; from 2000-01-01T00:00:00Z to 10 minutes "
            "from now (otherwise 422).",
        },
    },
}
LANG = Param("lang", "query", {"type": "string", "enum": ["id", "en"]}, "en: the English form.")

OPERATIONS = {
    ("GET", "/report"): Operation(
        summary="The public report form (HTML, works without JavaScript)",
        tags=TAGS,
        params=(LANG,),
        responses={200: HTML},
        uses_aws=False,
    ),
    ("POST", "/report"): Operation(
        summary="The form's submission: a receipt page with the tracking code",
        tags=TAGS,
        params=(LANG,),
        body=Body(
            schema=FORM,
            media_type="multipart/form-data",
            also=(("application/x-www-form-urlencoded", {"type": "object", "properties": REPORT_FIELDS}),),
        ),
        responses={
            201: Reply("The receipt page (a new case)", schema={"type": "string"}, media_type="text/html"),
            200: Reply(
                "The receipt page (this submission was taken in before)",
                schema={"type": "string"},
                media_type="text/html",
            ),
            422: Reply("The form again, with the problems", schema={"type": "string"}, media_type="text/html"),
        },
        errors=(400, 413),
    ),
    ("POST", "/reports"): Operation(
        summary="A report as JSON (the website's API)",
        description="Same rules as the form. `Idempotency-Key` (or `submission_id`) makes a retry the same case; "
        "the same key with other content is refused (409 `idempotency_key_reused`). "
        "A location outside DKI Jakarta (and 1 km around it) is refused: 422 `outside_service_area`.",
        tags=TAGS,
        params=(Param("Idempotency-Key", "header", {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$"}),),
        body=Body(
            schema=JSON_REPORT,
            example={
                "category": "garbage",
                "description": "Sampah menumpuk",
                "location": {"lat": -6.1754, "lng": 106.8272},
            },
        ),
        responses={
            201: Reply("A new case", r.WebhookReceipt, headers={"Location": "The public status URL"}),
            200: Reply("Taken in before: the same case", r.WebhookReceipt),
        },
        errors=(400, 409, 413, 415, 422, 429),
    ),
}
