"""Provider webhooks: one Chalice route (/webhooks/{channel}), documented once per
channel under its real URL (/webhooks/jaki, /webhooks/sms_1708, ...), because
each provider posts its own format, signs it its own way and expects its own
answer. The channels come from the adapter registry; a new adapter class needs
a template in FORMATS below (the unit tests fail until it has one).

The provider payloads are parsed by hand in chalicelib/channels/ (there is no
pydantic model of Meta's or X's events to generate from), so their schemas here
describe the fields we read and let everything else through.
"""

from __future__ import annotations

from typing import Any

from chalicelib.api.openapi.spec import Body, Operation, Param, Reply
from chalicelib.channels.partner import PartnerReport
from chalicelib.channels.registry import adapter_for, webhook_channels
from chalicelib.services import responses as r

TAGS = ("webhooks",)
FORM = "application/x-www-form-urlencoded"

TWILIO_FORM = {
    "type": "object",
    "description": "Twilio's incoming-message webhook (SMS or WhatsApp through Twilio).",
    "properties": {
        "MessageSid": {"type": "string"},
        "From": {"type": "string"},
        "To": {"type": "string"},
        "Body": {"type": "string"},
        "NumMedia": {"type": "string"},
        "MediaUrl0": {"type": "string"},
        "MediaContentType0": {"type": "string"},
        "Latitude": {"type": "string"},
        "Longitude": {"type": "string"},
        "Address": {"type": "string"},
    },
    "required": ["MessageSid", "From"],
}
META_EVENT = {
    "type": "object",
    "description": "A Meta webhook delivery: `object` is `page` (Messenger and feed) or "
    "`whatsapp_business_account` (WhatsApp Cloud API), with `entry[]`.",
    "properties": {
        "object": {"type": "string", "enum": ["page", "whatsapp_business_account"]},
        "entry": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["object", "entry"],
}
X_EVENT = {
    "type": "object",
    "description": "An X Account Activity delivery: mentions (`tweet_create_events`) and DMs "
    "(`direct_message_events`) of `for_user_id`.",
    "properties": {
        "for_user_id": {"type": "string"},
        "tweet_create_events": {"type": "array", "items": {"type": "object"}},
        "direct_message_events": {"type": "array", "items": {"type": "object"}},
    },
}
TWIML = Reply(
    "TwiML: the reply to the reporter, with the tracking code",
    schema={"type": "string"},
    media_type="text/xml",
    example="<Response><Message>Laporan diterima. Kode: 4N50G-7M7G1-2X63</Message></Response>",
)
RECEIVED = Reply(
    "Taken in (deliveries without a report, like receipts, count 0)",
    schema={"type": "object", "properties": {"received": {"type": "integer", "minimum": 0}}, "required": ["received"]},
    example={"received": 1},
)
META_HANDSHAKE = (
    Param("hub.mode", "query", {"type": "string", "enum": ["subscribe"]}),
    Param("hub.verify_token", "query", {"type": "string"}, "META_VERIFY_TOKEN"),
    Param("hub.challenge", "query", {"type": "string", "maxLength": 200}),
)
X_HANDSHAKE = (Param("crc_token", "query", {"type": "string"}),)
CHALLENGE_SCHEMA: dict[str, Any] = {"type": "string"}
CRC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"response_token": {"type": "string"}},
    "required": ["response_token"],
}
CHALLENGE = Reply("The challenge, echoed (Meta)", schema=CHALLENGE_SCHEMA, media_type="text/plain")
CRC = Reply("The CRC answer (X)", schema=CRC_SCHEMA)


def _partner(channel: str) -> dict:
    return {
        "post": Operation(
            summary=f"A signed report from the partner app ({channel})",
            description="Checks in this order: size (413), content type (415), signature (401), then the "
            "report (400 malformed JSON, 422 invalid fields; 422 `outside_service_area` for a location outside "
            "DKI Jakarta). Retrying with the same `report_id` "
            "is safe: 200 with the same tracking code.",
            tags=TAGS,
            security="webhook",
            path=f"/webhooks/{channel}",
            params=(
                Param(
                    "X-CRM-Timestamp",
                    "header",
                    {"type": "string", "pattern": "^[0-9]{1,12}$"},
                    "Unix time of signing, within 300 s of the server's clock.",
                    required=True,
                ),
            ),
            body=Body(
                PartnerReport,
                example={
                    "report_id": "JAKI-20261123-000123",
                    "category": "garbage",
                    "description": "Sampah menumpuk di trotoar depan pasar",
                    "location": {"lat": -6.1754, "lng": 106.8272, "address": "Jl. Medan Merdeka Barat"},
                    "reporter": {"name": "Siti", "phone": "+6281234567890", "anonymous": False},
                },
            ),
            responses={
                201: Reply("A new case", r.WebhookReceipt, headers={"Location": "The public status URL"}),
                200: Reply("This report_id was taken in before: the same case", r.WebhookReceipt),
            },
            errors=(400, 401, 413, 415, 422),
            operation_id=f"webhook_{channel}",
        ),
        "handshake": None,
    }


def _twilio(channel: str) -> dict:
    return {
        "post": Operation(
            summary=f"An SMS or WhatsApp message through Twilio ({channel})",
            description="Signed by Twilio (`X-Twilio-Signature` over the full URL and the form). A wrong "
            "signature is 403, as Twilio's own examples answer.",
            tags=TAGS,
            security="twilio",
            path=f"/webhooks/{channel}",
            body=Body(schema=TWILIO_FORM, media_type=FORM),
            responses={200: TWIML},
            errors=(400, 403, 413, 415, 422),
            operation_id=f"webhook_{channel}",
        ),
        "handshake": None,
    }


def _meta(channel: str, what: str) -> dict:
    return {
        "post": Operation(
            summary=f"{what} ({channel})",
            description="Signed by Meta (`X-Hub-Signature-256: sha256=<hex HMAC-SHA256(META_APP_SECRET, body)>`).",
            tags=TAGS,
            security="meta",
            path=f"/webhooks/{channel}",
            body=Body(schema=META_EVENT),
            responses={200: RECEIVED},
            errors=(400, 401, 413, 415, 422),
            operation_id=f"webhook_{channel}",
        ),
        "handshake": Operation(
            summary=f"Meta's subscription check ({channel})",
            tags=TAGS,
            path=f"/webhooks/{channel}",
            params=META_HANDSHAKE,
            responses={200: CHALLENGE},
            errors=(400, 403),
            operation_id=f"webhook_{channel}_handshake",
        ),
    }


def _x(channel: str) -> dict:
    return {
        "post": Operation(
            summary=f"Mentions and DMs of the X account ({channel})",
            description="Signed by X (`x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256(X_CONSUMER_SECRET, "
            "body)>`).",
            tags=TAGS,
            security="x",
            path=f"/webhooks/{channel}",
            body=Body(schema=X_EVENT),
            responses={200: RECEIVED},
            errors=(400, 401, 413, 415, 422),
            operation_id=f"webhook_{channel}",
        ),
        "handshake": Operation(
            summary=f"X's CRC check ({channel})",
            tags=TAGS,
            path=f"/webhooks/{channel}",
            params=X_HANDSHAKE,
            responses={200: CRC},
            errors=(400,),
            operation_id=f"webhook_{channel}_handshake",
        ),
    }


def _whatsapp(channel: str) -> dict:
    return {
        "post": Operation(
            summary=f"WhatsApp: the Cloud API's JSON, or Twilio's form ({channel})",
            description="One URL, two providers, told apart by Content-Type: Meta's JSON (signed "
            '`X-Hub-Signature-256`) answered with `{"received": n}`, or Twilio\'s form (signed '
            "`X-Twilio-Signature`) answered with TwiML.",
            tags=TAGS,
            security=("meta", "twilio"),
            path=f"/webhooks/{channel}",
            body=Body(schema=META_EVENT, also=((FORM, TWILIO_FORM),)),
            responses={
                200: Reply(
                    RECEIVED.description + "; TwiML for Twilio's form",
                    schema=RECEIVED.schema,
                    also=(("text/xml", {"type": "string"}),),
                )
            },
            errors=(400, 401, 403, 413, 415, 422),
            operation_id=f"webhook_{channel}",
        ),
        "handshake": _meta(channel, "")["handshake"],
    }


def _governor(channel: str) -> dict:
    return {
        "post": Operation(
            summary=f"The Governor's Facebook page or X account ({channel})",
            description="Meta's JSON (signed `X-Hub-Signature-256`) or X's (signed "
            "`x-twitter-webhooks-signature`), told apart by the signature header.",
            tags=TAGS,
            security=("meta", "x"),
            path=f"/webhooks/{channel}",
            body=Body(schema={"anyOf": [META_EVENT, X_EVENT]}),
            responses={200: RECEIVED},
            errors=(400, 401, 413, 415, 422),
            operation_id=f"webhook_{channel}",
        ),
        "handshake": Operation(
            summary=f"Meta's subscription check or X's CRC check ({channel})",
            tags=TAGS,
            path=f"/webhooks/{channel}",
            params=(*META_HANDSHAKE, *X_HANDSHAKE),
            responses={
                200: Reply(
                    "The challenge echoed (Meta), or the CRC answer (X, when crc_token is given)",
                    schema=CHALLENGE_SCHEMA,
                    media_type="text/plain",
                    also=(("application/json", CRC_SCHEMA),),
                )
            },
            errors=(400, 403),
            operation_id=f"webhook_{channel}_handshake",
        ),
    }


# Adapter class name -> how its channel is documented.
FORMATS = {
    "PartnerAdapter": _partner,
    "TwilioAdapter": _twilio,
    "WhatsAppAdapter": _whatsapp,
    "MetaPageAdapter": lambda channel: _meta(channel, "Messenger messages and page posts"),
    "XAdapter": _x,
    "GovernorSocialAdapter": _governor,
}


def _no_handshake(channel: str) -> Operation:
    return Operation(
        summary=f"No subscription check for {channel}",
        tags=TAGS,
        path=f"/webhooks/{channel}",
        description="This channel's webhook takes POST only.",
        responses={405: Reply("This webhook takes POST only", r.ErrorBody)},
        uses_aws=False,
        operation_id=f"webhook_{channel}_handshake",
    )


def _per_channel() -> tuple[list[Operation], list[Operation]]:
    posts, handshakes = [], []
    for channel in webhook_channels():
        described = FORMATS[type(adapter_for(channel)).__name__](channel)
        posts.append(described["post"])
        handshakes.append(described["handshake"] or _no_handshake(channel))
    return posts, handshakes


_POSTS, _HANDSHAKES = _per_channel()

OPERATIONS = {
    ("POST", "/webhooks/{channel}"): _POSTS,
    ("GET", "/webhooks/{channel}"): _HANDSHAKES,
}
