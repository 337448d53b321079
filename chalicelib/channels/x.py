"""X (Twitter) Account Activity webhook: mentions of the city account and DMs.

    GET  /webhooks/x?crc_token=<t>
         -> {"response_token": "sha256=<base64 HMAC-SHA256(X_CONSUMER_SECRET, t)>"}
    POST x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256(X_CONSUMER_SECRET, raw body)>
    {"for_user_id": "<account id>",
     "tweet_create_events": [{"id_str": "...", "text": "@DKIJakarta ...", "user": {"id_str": "..."},
                              "extended_entities": {"media": [{"type": "photo", "media_url_https": "..."}]},
                              "coordinates": {"type": "Point", "coordinates": [106.82, -6.17]}}],
     "direct_message_events": [{"type": "message_create", "id": "...",
                                "message_create": {"sender_id": "...", "target": {"recipient_id": "..."},
                                                   "message_data": {"text": "...", "attachment": {...}}}}]}

Not reports: the account's own tweets and DMs, retweets, likes, follows,
deletions. ``governor_social`` uses this for the Governor's account
(``GOVERNOR_X_USER_ID``), ``x`` for @DKIJakarta (``X_USER_ID``); when the id is
set, events for other accounts are ignored.
"""

from __future__ import annotations

import base64
import hmac
import os
from typing import Any

from chalicelib.config import Settings
from chalicelib.domain.channels import Channel
from chalicelib.domain.receipts import Receipt
from chalicelib.domain.report import MAX_PHOTOS, IncomingReport

from . import signing
from .base import InboundRequest, MalformedPayload, Reply, SignatureRejected
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

SIGNATURE_HEADER = "x-twitter-webhooks-signature"


def _digest(secret: str, message: bytes) -> str:
    return base64.b64encode(signing.hmac_sha256(secret, message)).decode()


def signature_header(consumer_secret: str, body: bytes) -> dict[str, str]:
    return {SIGNATURE_HEADER: "sha256=" + _digest(consumer_secret, body)}


def crc_response(consumer_secret: str, crc_token: str) -> dict[str, str]:
    return {"response_token": "sha256=" + _digest(consumer_secret, crc_token.encode())}


class XAdapter:
    content_types = ("application/json",)

    def __init__(self, channel: Channel, user_id_env: str):
        self.channel = channel
        self.user_id_env = user_id_env

    def verify(self, request: InboundRequest, settings: Settings) -> None:
        secret = settings.required_secret("X_CONSUMER_SECRET")
        given = request.header(SIGNATURE_HEADER)
        if not given:
            raise SignatureRejected(f"{SIGNATURE_HEADER} header is missing")
        scheme, _, value = given.strip().partition("=")
        if scheme.lower() != "sha256" or not value:
            raise SignatureRejected(f"{SIGNATURE_HEADER} must look like sha256=<base64 digest>")
        if not hmac.compare_digest(value.encode(), _digest(secret, request.body).encode()):
            raise SignatureRejected(f"{SIGNATURE_HEADER} does not match the request body")

    def handshake(self, request: InboundRequest, settings: Settings) -> Reply:
        token = request.query.get("crc_token")
        if not token or len(token) > 500:
            raise MalformedPayload("crc_token is missing")
        return Reply(status=200, body=crc_response(settings.required_secret("X_CONSUMER_SECRET"), token))

    def parse(self, request: InboundRequest) -> list[IncomingReport]:
        document = require_object(json_document(request.body), "the body")
        account = identifier(document.get("for_user_id"), "for_user_id")
        configured = os.environ.get(self.user_id_env)
        if configured and configured != account:
            return []
        reports = []
        for tweet in objects(document.get("tweet_create_events"), "tweet_create_events"):
            report = self._tweet(tweet, account)
            if report is not None:
                reports.append(report)
        for event in objects(document.get("direct_message_events"), "direct_message_events"):
            report = self._direct_message(event, account)
            if report is not None:
                reports.append(report)
        return reports

    def _tweet(self, tweet: dict[str, Any], account: str) -> IncomingReport | None:
        user = require_object(tweet.get("user"), "tweet.user")
        author = identifier(user.get("id_str") or user.get("id"), "tweet.user.id_str")
        if author == account or "retweeted_status" in tweet:
            return None  # our own tweet, or a retweet
        tweet_id = identifier(tweet.get("id_str") or tweet.get("id"), "tweet.id_str")
        extended = object_or_empty(tweet.get("extended_tweet"))
        words = text(extended.get("full_text") or tweet.get("full_text") or tweet.get("text"), "tweet.text") or ""
        entities = extended.get("extended_entities") or tweet.get("extended_entities") or tweet.get("entities")
        media = _photos(entities.get("media") if isinstance(entities, dict) else None)
        for item in media:
            words = words.replace(item.pop("short_url", "") or "\0", "")
        location = None
        coordinates = tweet.get("coordinates")
        if isinstance(coordinates, dict) and isinstance(coordinates.get("coordinates"), list):
            point = coordinates["coordinates"]
            if len(point) == 2:
                location = {"lat": number(point[1], "coordinates.lat"), "lng": number(point[0], "coordinates.lng")}
        return self._build(
            tweet_id,
            words.strip(),
            media,
            location,
            tweet.get("timestamp_ms"),
            {"channel": self.channel, "kind": "x_dm", "address": author, "via": account},
            conversational=False,
            language_hint=tweet.get("lang"),
        )

    def _direct_message(self, event: dict[str, Any], account: str) -> IncomingReport | None:
        if event.get("type") != "message_create":
            return None
        create = require_object(event.get("message_create"), "message_create")
        sender = identifier(create.get("sender_id"), "message_create.sender_id")
        if sender == account:
            return None  # our own DM, echoed
        dm_id = identifier(event.get("id"), "direct_message_events.id")
        data = require_object(create.get("message_data"), "message_data")
        words = text(data.get("text"), "message_data.text") or ""
        attachment = object_or_empty(data.get("attachment"))
        media = _photos([attachment.get("media")] if isinstance(attachment.get("media"), dict) else None)
        for item in media:
            words = words.replace(item.pop("short_url", "") or "\0", "")
        return self._build(
            dm_id,
            words.strip(),
            media,
            None,
            event.get("created_timestamp"),
            {"channel": self.channel, "kind": "x_dm", "address": sender, "via": account},
            conversational=True,
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
        language_hint: Any = None,
    ) -> IncomingReport | None:
        if not (words or media or location):
            return None
        return message_report(
            self.channel,
            message_id,
            words,
            media=media,
            location=location,
            sent_at=timestamp,
            reply_handle=handle,
            conversational=conversational,
            language="en" if language_hint == "en" else None,
        )

    def reply(self, receipts: list[Receipt], settings: Settings) -> Reply:
        return Reply(status=200, body={"received": len(receipts)})


def _photos(items: Any) -> list[dict[str, Any]]:
    photos: list[dict[str, Any]] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("type") == "photo" and isinstance(item.get("media_url_https"), str):
            if len(photos) < MAX_PHOTOS:
                short = item.get("url") if isinstance(item.get("url"), str) else None
                photos.append({"source": "x_url", "ref": item["media_url_https"][:2000], "short_url": short})
    return photos
