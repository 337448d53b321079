"""Facebook Page webhooks (Meta Graph, ``object: page``): Messenger and the feed.

    POST /webhooks/facebook   Content-Type: application/json, X-Hub-Signature-256
    {"object": "page", "entry": [{"id": "<page id>", "time": 1795412400000,
      "messaging": [{"sender": {"id": "<PSID>"}, "recipient": {"id": "<page id>"},
                     "timestamp": 1795412400000,
                     "message": {"mid": "m_...", "text": "...",
                                 "attachments": [{"type": "image", "payload": {"url": "https://..."}}]}}],
      "changes": [{"field": "feed", "value": {"item": "comment", "verb": "add", "post_id": "...",
                   "comment_id": "...", "message": "...", "from": {"id": "...", "name": "..."}}}]}]}

Taken in: Messenger messages (text, image and location attachments) and new
posts/comments on the page's feed. Not reports: echoes of our own messages,
deliveries, reads, postbacks, edits/removals, and the page's own posts.
``governor_social`` uses this for the Governor's page (``GOVERNOR_PAGE_ID``),
``facebook`` for the city's (``FACEBOOK_PAGE_ID``); when the id is set, other
pages' entries are ignored.
"""

from __future__ import annotations

import os
from typing import Any

from chalicelib.config import Settings
from chalicelib.domain.channels import Channel
from chalicelib.domain.receipts import Receipt
from chalicelib.domain.report import MAX_PHOTOS, IncomingReport

from . import meta
from .base import InboundRequest, MalformedPayload, Reply
from .common import (
    identifier,
    json_document,
    message_report,
    number,
    object_or_empty,
    objects,
    require_object,
    text,
)

FEED_ITEMS = ("post", "status", "photo", "comment")


class MetaPageAdapter:
    content_types = ("application/json",)

    def __init__(self, channel: Channel, page_id_env: str):
        self.channel = channel
        self.page_id_env = page_id_env

    def verify(self, request: InboundRequest, settings: Settings) -> None:
        meta.verify(request, settings)

    def handshake(self, request: InboundRequest, settings: Settings) -> Reply:
        return meta.handshake(request, settings)

    def parse(self, request: InboundRequest) -> list[IncomingReport]:
        document = require_object(json_document(request.body), "the body")
        if document.get("object") != "page":
            raise MalformedPayload('object must be "page"')
        configured = os.environ.get(self.page_id_env)
        reports = []
        for entry in objects(document.get("entry"), "entry"):
            page_id = identifier(entry.get("id"), "entry.id")
            if configured and page_id != configured:
                continue  # another page's events
            for event in objects(entry.get("messaging"), "entry.messaging"):
                report = self._message(event, page_id)
                if report is not None:
                    reports.append(report)
            for change in objects(entry.get("changes"), "entry.changes"):
                if change.get("field") == "feed":
                    report = self._feed(require_object(change.get("value"), "changes.value"), page_id)
                    if report is not None:
                        reports.append(report)
        return reports

    def _message(self, event: dict[str, Any], page_id: str) -> IncomingReport | None:
        message = event.get("message")
        if not isinstance(message, dict) or message.get("is_echo"):
            return None  # delivery, read, postback, or our own message echoed
        sender = identifier(require_object(event.get("sender"), "messaging.sender").get("id"), "sender.id")
        if sender == page_id:
            return None
        mid = identifier(message.get("mid"), "message.mid")
        words = (text(message.get("text"), "message.text") or "").strip()
        media: list[dict[str, Any]] = []
        location: dict[str, Any] | None = None
        for attachment in objects(message.get("attachments"), "message.attachments"):
            payload = object_or_empty(attachment.get("payload"))
            if attachment.get("type") == "image" and isinstance(payload.get("url"), str):
                if len(media) < MAX_PHOTOS:
                    media.append({"source": "meta_url", "ref": payload["url"][:2000]})
            elif attachment.get("type") == "location" and isinstance(payload.get("coordinates"), dict):
                coordinates = payload["coordinates"]
                location = {
                    "lat": number(coordinates.get("lat"), "coordinates.lat"),
                    "lng": number(coordinates.get("long"), "coordinates.long"),
                }
        if not (words or media or location):
            return None  # stickers, audio, reactions: nothing to act on
        return self._build(
            mid,
            words,
            media,
            location,
            event.get("timestamp"),
            {"channel": self.channel, "kind": "messenger", "address": sender, "via": page_id},
            conversational=True,
        )

    def _feed(self, value: dict[str, Any], page_id: str) -> IncomingReport | None:
        if value.get("item") not in FEED_ITEMS or value.get("verb") != "add":
            return None  # edits, removals, likes, reactions
        author = object_or_empty(value.get("from"))
        if str(author.get("id") or "") == page_id:
            return None  # the page's own post or comment
        object_id = value.get("comment_id") if value.get("item") == "comment" else value.get("post_id")
        object_id = identifier(object_id, "value.comment_id" if value.get("item") == "comment" else "value.post_id")
        words = (text(value.get("message"), "value.message") or "").strip()
        media = []
        photo = value.get("photo") or value.get("link") if value.get("item") == "photo" else value.get("photo")
        if isinstance(photo, str) and photo.startswith("https://"):
            media.append({"source": "meta_url", "ref": photo[:2000]})
        if not (words or media):
            return None
        return self._build(
            object_id,
            words,
            media,
            None,
            value.get("created_time"),
            {"channel": self.channel, "kind": "meta_comment", "address": object_id, "via": page_id},
            conversational=False,
        )

    def _build(
        self,
        message_id: str,
        words: str,
        media: list,
        location: dict | None,
        timestamp: Any,
        handle: dict,
        *,
        conversational: bool,
    ) -> IncomingReport:
        return message_report(
            self.channel,
            message_id,
            words,
            media=media,
            location=location,
            sent_at=timestamp,
            reply_handle=handle,
            conversational=conversational,
        )

    def reply(self, receipts: list[Receipt], settings: Settings) -> Reply:
        return meta.received_reply(len(receipts))
