"""What every channel adapter is: verify, parse, reply.

    route -> adapter.verify(request) -> adapter.parse(request) -> intake service
          -> adapter.reply(receipts)

An adapter sees the raw request (bytes, headers, query) exactly once and
returns domain reports; it never touches storage. Its errors say which HTTP
status the provider should get.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from chalicelib.config import Settings
    from chalicelib.domain.channels import Channel
    from chalicelib.domain.report import IncomingReport
    from chalicelib.services.intake import Receipt


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


class ChannelAdapter(Protocol):
    channel: Channel
    content_types: tuple[str, ...]  # accepted for POST, e.g. ("application/json",)

    def verify(self, request: InboundRequest, settings: Settings) -> None:
        """Raise SignatureRejected unless the request provably comes from the provider."""

    def parse(self, request: InboundRequest) -> list[IncomingReport]:
        """The reports in a verified request (may be none: receipts, echoes)."""

    def reply(self, receipts: list[Receipt], settings: Settings) -> Reply:
        """The answer the provider expects, carrying the tracking code(s)."""
