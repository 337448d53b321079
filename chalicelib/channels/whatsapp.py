"""WhatsApp Cloud API (Meta): the city's WhatsApp number 08111272206.

    POST /webhooks/whatsapp   Content-Type: application/json, X-Hub-Signature-256
    {"object": "whatsapp_business_account",
     "entry": [{"id": "<WABA id>", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "628111272206", "phone_number_id": "<id>"},
        "contacts": [{"profile": {"name": "Siti"}, "wa_id": "6281234567890"}],
        "messages": [{"from": "6281234567890", "id": "wamid.HBgM...", "timestamp": "1795412400",
                      "type": "text", "text": {"body": "Sampah menumpuk"}}]}}]}]}

Message types taken in: text, image (media id, fetched later through the Graph
API), location, document (an image document counts as a photo). ``statuses``
are delivery receipts and other types (reactions, stickers...) carry no
report: 200, nothing stored. Several messages in one delivery make several
reports. The same URL also takes SMS/WhatsApp in Twilio's form format
(``WhatsAppAdapter`` picks by Content-Type).
"""

from __future__ import annotations

from typing import Any

from chalicelib.config import Settings
from chalicelib.domain.channels import Channel
from chalicelib.domain.receipts import Receipt
from chalicelib.domain.report import ALLOWED_PHOTO_TYPES, IncomingReport

from . import meta
from .base import ChannelAdapter, InboundRequest, MalformedPayload, Reply
from .common import (
    contact_phone,
    identifier,
    json_document,
    message_report,
    number,
    object_or_empty,
    objects,
    require_object,
    text,
)
from .twilio_sms import TwilioAdapter

REPORT_TYPES = ("text", "image", "location", "document")


class WhatsAppCloudAdapter:
    channel = Channel.WHATSAPP
    content_types = ("application/json",)

    def verify(self, request: InboundRequest, settings: Settings) -> None:
        meta.verify(request, settings)

    def handshake(self, request: InboundRequest, settings: Settings) -> Reply:
        return meta.handshake(request, settings)

    def parse(self, request: InboundRequest) -> list[IncomingReport]:
        document = require_object(json_document(request.body), "the body")
        if document.get("object") != "whatsapp_business_account":
            raise MalformedPayload('object must be "whatsapp_business_account"')
        reports = []
        for entry in objects(document.get("entry"), "entry"):
            for change in objects(entry.get("changes"), "entry.changes"):
                if change.get("field") != "messages":
                    continue
                value = require_object(change.get("value"), "changes.value")
                metadata = object_or_empty(value.get("metadata"))
                via = str(metadata.get("phone_number_id") or "") or None
                names = {
                    str(contact.get("wa_id")): (contact.get("profile") or {}).get("name")
                    for contact in objects(value.get("contacts"), "contacts")
                    if isinstance(contact.get("profile") or {}, dict)
                }
                for message in objects(value.get("messages"), "messages"):
                    report = self._report(message, via, names)
                    if report is not None:
                        reports.append(report)
        return reports

    def _report(self, message: dict[str, Any], via: str | None, names: dict[str, Any]) -> IncomingReport | None:
        kind = message.get("type")
        if kind not in REPORT_TYPES:
            return None  # reactions, stickers, system messages...
        wamid = identifier(message.get("id"), "messages.id")
        sender = identifier(message.get("from"), "messages.from")
        words: str | None = None
        media: list[dict[str, Any]] = []
        location: dict[str, Any] | None = None
        if kind == "text":
            words = text(require_object(message.get("text"), "text").get("body"), "text.body")
        elif kind in ("image", "document"):
            part = require_object(message.get(kind), kind)
            words = text(part.get("caption"), f"{kind}.caption")
            mime = str(part.get("mime_type") or "").split(";")[0].strip().lower()
            if mime in ALLOWED_PHOTO_TYPES:
                media.append(
                    {"source": "whatsapp", "ref": identifier(part.get("id"), f"{kind}.id"), "content_type": mime}
                )
            elif kind == "document":
                name = text(part.get("filename"), "document.filename", 200) or "dokumen"
                words = " ".join(filter(None, [words, f"[dokumen: {name}]"]))
        else:
            place = require_object(message.get("location"), "location")
            location = {
                "lat": number(place.get("latitude"), "location.latitude"),
                "lng": number(place.get("longitude"), "location.longitude"),
            }
            address = ", ".join(str(part) for part in (place.get("name"), place.get("address")) if part)
            if address:
                location["address"] = address[:500]
        reporter = contact_phone("+" + sender.lstrip("+"))
        profile_name = names.get(sender)
        if reporter and isinstance(profile_name, str) and profile_name.strip():
            reporter["name"] = profile_name.strip()[:120]
        return message_report(
            self.channel,
            wamid,
            words or "",
            media=media,
            location=location,
            reporter=reporter,
            sent_at=message.get("timestamp"),
            conversational=True,
            reply_handle={"channel": self.channel, "kind": "whatsapp", "address": sender, "via": via},
        )

    def reply(self, receipts: list[Receipt], settings: Settings) -> Reply:
        return meta.received_reply(len(receipts))


class WhatsAppAdapter:
    """One URL, two formats: Meta's JSON (Cloud API) and Twilio's form (SMS/WhatsApp)."""

    channel = Channel.WHATSAPP
    content_types = ("application/json", "application/x-www-form-urlencoded")

    def __init__(self) -> None:
        self.cloud = WhatsAppCloudAdapter()
        self.twilio = TwilioAdapter(Channel.WHATSAPP)

    def for_request(self, request: InboundRequest) -> ChannelAdapter:
        content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
        return self.twilio if content_type == "application/x-www-form-urlencoded" else self.cloud

    def handshake(self, request: InboundRequest, settings: Settings) -> Reply:
        return self.cloud.handshake(request, settings)
