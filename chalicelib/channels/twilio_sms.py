"""SMS (LAPOR 1708) and SMS/WhatsApp through Twilio: form posts, X-Twilio-Signature.

    POST /webhooks/sms_1708    Content-Type: application/x-www-form-urlencoded
    MessageSid=SM...&AccountSid=AC...&From=%2B6281...&To=1708&Body=...&NumMedia=1
    &MediaUrl0=https://api.twilio.com/2010-04-01/Accounts/AC.../Messages/MM.../Media/ME...
    &MediaContentType0=image/jpeg
    X-Twilio-Signature: base64(HMAC-SHA1(TWILIO_AUTH_TOKEN, <public URL> + sorted name+value pairs))

The public URL Twilio signs is PUBLIC_BASE_URL + the path; twilio_signature.py
checks it (standard library only: the ``twilio`` package would add 35 MB of
HTTP clients to the Lambda package). The answer is TwiML, so the reporter gets
the tracking code in the same exchange.
"""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import escape

from chalicelib.config import Settings
from chalicelib.domain.channels import Channel
from chalicelib.domain.receipts import Receipt, receipt_text
from chalicelib.domain.report import ALLOWED_PHOTO_TYPES, MAX_PHOTOS, IncomingReport

from . import twilio_signature
from .base import InboundRequest, MalformedPayload, Reply, SignatureRejected
from .common import contact_phone, form_fields, message_report, number

SIGNATURE_HEADER = "X-Twilio-Signature"
SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"  # names HMAC_SHA256 for SharedKey signatures
_SID = re.compile(r"^(SM|MM|SS)[0-9a-fA-F]{32}$")
_MAX_MEDIA = 10


class TwilioSignatureRejected(SignatureRejected):
    """Twilio's own request-validation examples answer a bad signature with 403."""

    status = 403


def sign(auth_token: str, url: str, params: dict[str, str], algorithm: str = twilio_signature.HMAC_SHA1) -> str:
    """What Twilio puts in X-Twilio-Signature (tests, the demo loader)."""
    return twilio_signature.signature(auth_token, url, params, algorithm)


class TwilioAdapter:
    content_types = ("application/x-www-form-urlencoded",)
    inline_replies = True

    def __init__(self, channel: Channel):
        self.channel = channel

    def verify(self, request: InboundRequest, settings: Settings) -> None:
        token = settings.required_secret("TWILIO_AUTH_TOKEN")
        signature = request.header(SIGNATURE_HEADER)
        if not signature:
            raise TwilioSignatureRejected(f"{SIGNATURE_HEADER} header is missing")
        url = settings.public_base_url + request.path
        if request.query:
            from urllib.parse import urlencode

            url += "?" + urlencode(request.query)
        params = form_fields(request.body)
        algorithm = twilio_signature.algorithm_named(request.header(SETTINGS_HEADER))
        if not twilio_signature.supported(algorithm):
            raise TwilioSignatureRejected(f"{SETTINGS_HEADER} names an algorithm other than HMAC_SHA1 or HMAC_SHA256")
        if not twilio_signature.is_valid(token, url, params, signature, algorithm):
            raise TwilioSignatureRejected(f"{SIGNATURE_HEADER} does not match the request")

    def parse(self, request: InboundRequest) -> list[IncomingReport]:
        fields = form_fields(request.body)
        sid = fields.get("MessageSid") or fields.get("SmsSid") or ""
        if "MessageStatus" in fields and "Body" not in fields and "NumMedia" not in fields:
            return []  # a delivery status callback, not a message
        if not _SID.match(sid):
            raise MalformedPayload("MessageSid is missing or not a Twilio message id")
        sender = fields.get("From", "").strip()
        if not sender or len(sender) > 64:
            raise MalformedPayload("From is missing")
        try:
            count = int(fields.get("NumMedia") or 0)
        except ValueError:
            raise MalformedPayload("NumMedia must be a whole number") from None
        if not 0 <= count <= _MAX_MEDIA:
            raise MalformedPayload(f"NumMedia must be between 0 and {_MAX_MEDIA}")
        media: list[dict[str, Any]] = []
        for index in range(count):
            url = fields.get(f"MediaUrl{index}", "")
            content_type = fields.get(f"MediaContentType{index}", "").lower()
            if not url.startswith(("https://", "http://")):
                raise MalformedPayload(f"MediaUrl{index} is missing")
            if content_type in ALLOWED_PHOTO_TYPES and len(media) < MAX_PHOTOS:
                media.append({"source": "twilio", "ref": url, "content_type": content_type})
        location: dict[str, Any] | None = None
        if fields.get("Latitude") and fields.get("Longitude"):
            location = {"lat": number(fields["Latitude"], "Latitude"), "lng": number(fields["Longitude"], "Longitude")}
            if fields.get("Address"):
                location["address"] = fields["Address"][:500]
        return [
            message_report(
                self.channel,
                sid,
                fields.get("Body") or "",
                media=media,
                location=location,
                reporter=contact_phone(sender.removeprefix("whatsapp:")),
                conversational=True,
                reply_handle={
                    "channel": self.channel,
                    "kind": "twilio",
                    "address": sender,
                    "via": fields.get("To") or None,
                },
            )
        ]

    def reply(self, receipts: list[Receipt], settings: Settings) -> Reply:
        messages = [text for text in (receipt_text(r, settings.public_base_url) for r in receipts) if text]
        inner = "".join(f"<Message>{escape(text)}</Message>" for text in messages)
        twiml = f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>'
        return Reply(status=200, body=twiml, content_type="text/xml; charset=utf-8")
