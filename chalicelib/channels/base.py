"""What every channel adapter is: verify, parse, reply (and maybe a handshake).

    POST route -> adapter.verify(request) -> adapter.parse(request) -> intake service
               -> adapter.reply(receipts)
    GET route  -> adapter.handshake(request)   (Meta hub.challenge, X CRC; optional)

A delivery that carries no report (read receipts, echoes of our own messages,
the city's own posts) parses to no reports and is answered 200, nothing stored.

An adapter sees the raw request (bytes, headers, query) exactly once and
returns domain reports; it never touches storage. Its errors say which HTTP
status the provider should get.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from chalicelib.config import Settings
    from chalicelib.domain.channels import Channel
    from chalicelib.domain.receipts import Receipt
    from chalicelib.domain.report import IncomingReport


@dataclass(frozen=True)
class InboundRequest:
    """A provider's HTTP request as it arrived, before anything trusts it."""

    method: str
    path: str
    headers: Mapping[str, str]  # names in lower case
    query: Mapping[str, str]
    body: bytes
    received_at: datetime

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Reply:
    """What to answer the provider."""

    status: int
    body: Any  # dict/list -> JSON; str -> text of content_type
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)


class WebhookRejected(Exception):
    """The request is refused; ``status`` and ``code`` go to the provider."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class SignatureRejected(WebhookRejected):
    status = 401
    code = "invalid_signature"


class SignatureExpired(SignatureRejected):
    code = "signature_expired"


class MalformedPayload(WebhookRejected):
    status = 400
    code = "malformed_payload"


class HandshakeRejected(WebhookRejected):
    """A subscription handshake with the wrong verify token (Meta answers 403)."""

    status = 403
    code = "forbidden"


class ChannelAdapter(Protocol):
    channel: Channel

    @property
    def content_types(self) -> tuple[str, ...]:
        """Accepted for POST, e.g. ("application/json",): read-only, so a class's constant tuple fits."""
        ...

    def verify(self, request: InboundRequest, settings: Settings) -> None:
        """Raise SignatureRejected unless the request provably comes from the provider."""

    def parse(self, request: InboundRequest) -> list[IncomingReport]:
        """The reports in a verified request (may be none: receipts, echoes)."""

    def reply(self, receipts: list[Receipt], settings: Settings) -> Reply:
        """The answer the provider expects, carrying the tracking code(s)."""


@runtime_checkable
class TwoFormatAdapter(Protocol):
    """One webhook URL that takes two providers' formats: it picks the adapter per request."""

    channel: Channel

    @property
    def content_types(self) -> tuple[str, ...]: ...

    def for_request(self, request: InboundRequest) -> ChannelAdapter: ...


class HandshakeAdapter(Protocol):
    """Adapters whose provider checks the endpoint with a GET first."""

    def handshake(self, request: InboundRequest, settings: Settings) -> Reply:
        """The answer to the provider's GET check; raise HandshakeRejected if it is not genuine."""


def inline_replies(adapter: object) -> bool:
    """True when the adapter's webhook response itself carries the reply to the
    reporter (TwiML, the partner's JSON, the web page); otherwise notices that
    change no case (status answers, rate limits) go out through the reply queue."""
    return bool(getattr(adapter, "inline_replies", False))
