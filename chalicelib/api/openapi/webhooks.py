"""Provider webhooks. The channel list comes from the adapter registry; a channel
with another wire format (Twilio form posts, Meta/X handshakes...) adds its own
entry here, e.g. ("GET", "/webhooks/{channel}") for the subscription checks."""

from __future__ import annotations

from chalicelib.api.openapi.spec import Body, Operation, Param, Reply
from chalicelib.channels.registry import webhook_channels
from chalicelib.services import responses as r

PARTNER_REPORT = {
    "type": "object",
    "required": ["report_id", "category", "description"],
    "properties": {
        "report_id": {"type": "string", "minLength": 1, "maxLength": 200,
                      "description": "The partner's id of the report: retries with the same id are one case."},
        "category": {"type": "string", "description": "A category id (see GET /open311/v2/services.json)."},
        "description": {"type": "string", "minLength": 1, "maxLength": 5000},
        "location": {"type": "object", "properties": {
            "lat": {"type": "number"}, "lng": {"type": "number"}, "address": {"type": "string"}},
            "required": ["lat", "lng"]},
        "reporter": {"type": "object", "properties": {
            "name": {"type": "string"}, "phone": {"type": "string"}, "email": {"type": "string"},
            "anonymous": {"type": "boolean"}}},
        "photos": {"type": "array", "maxItems": 5, "items": {"type": "object", "properties": {
            "content_type": {"type": "string", "enum": ["image/jpeg", "image/png", "image/webp"]},
            "data_base64": {"type": "string"}}, "required": ["content_type", "data_base64"]}},
        "created_at": {"type": "string", "format": "date-time"},
        "language": {"type": "string"},
    },
}

OPERATIONS = {
    ("POST", "/webhooks/{channel}"): Operation(
        summary="A signed report from a partner app",
        description="Checks in this order: known channel (404), size (413), content type (415), signature "
                    "(401), then the report (400 malformed JSON, 422 invalid fields). Retrying with the same "
                    "`report_id` is safe: 200 with the same tracking code.",
        tags=("webhooks",),
        security="webhook",
        params=(
            Param("channel", "path", {"type": "string", "enum": list(webhook_channels())}, example="jaki"),
            Param("X-CRM-Timestamp", "header", {"type": "string", "pattern": "^[0-9]{1,12}$"},
                  "Unix time of signing, within 300 s of the server's clock.", required=True),
        ),
        body=Body(schema=PARTNER_REPORT, example={
            "report_id": "JAKI-20261123-000123", "category": "garbage",
            "description": "Sampah menumpuk di trotoar depan pasar",
            "location": {"lat": -6.1754, "lng": 106.8272, "address": "Jl. Medan Merdeka Barat"},
            "reporter": {"name": "Siti", "phone": "+6281234567890", "anonymous": False},
        }),
        responses={
            201: Reply("A new case", r.WebhookReceipt, headers={"Location": "The public status URL"}),
            200: Reply("This report_id was taken in before: the same case", r.WebhookReceipt),
        },
        errors=(400, 401, 404, 413, 415, 422),
    ),
}
