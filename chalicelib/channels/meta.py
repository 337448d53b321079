"""What Meta's webhooks (WhatsApp Cloud API, Page webhooks) share.

GET  ?hub.mode=subscribe&hub.verify_token=<META_VERIFY_TOKEN>&hub.challenge=<n>
     -> 200 text/plain <n>   (anything else: 403)
POST X-Hub-Signature-256: sha256=<hex HMAC-SHA256(META_APP_SECRET, raw body)>
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

from chalicelib.config import Settings

from . import signing
from .base import HandshakeRejected, InboundRequest, Reply

SIGNATURE_HEADER = "X-Hub-Signature-256"


def signature_header(app_secret: str, body: bytes) -> dict[str, str]:
    """The header Meta sends (tests, demo)."""
    return {SIGNATURE_HEADER: "sha256=" + signing.hmac_sha256(app_secret, body).hex()}


def verify(request: InboundRequest, settings: Settings) -> None:
    secret = settings.required_secret("META_APP_SECRET")
    expected = signing.hmac_sha256(secret, request.body)
    signing.require_prefixed_hex(request.header(SIGNATURE_HEADER), expected, SIGNATURE_HEADER)


def handshake(request: InboundRequest, settings: Settings) -> Reply:
    token = settings.required_secret("META_VERIFY_TOKEN")
    given = request.query.get("hub.verify_token") or ""
    challenge = request.query.get("hub.challenge") or ""
    if (
        request.query.get("hub.mode") != "subscribe"
        or not challenge
        or len(challenge) > 200
        or not hmac.compare_digest(given.encode(), token.encode())
    ):
        raise HandshakeRejected("the verify token does not match")
    return Reply(status=200, body=challenge, content_type="text/plain; charset=utf-8")


def received_reply(count: int) -> Reply:
    return Reply(status=200, body={"received": count})


def epoch(value: object) -> datetime:
    """Meta and X timestamps: seconds or milliseconds since the epoch, as int or
    string. Raises ValueError for anything else (the window is checked by the
    caller: common.provider_time)."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        raise ValueError("is not a number of seconds since 1970") from None
    if number > 10**11:
        number //= 1000
    try:
        return datetime.fromtimestamp(number, UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError("is not a time a datetime can hold") from None
