"""Partner apps (JAKI, Qlue): our own signed JSON contract.

    POST /webhooks/jaki            Content-Type: application/json
    X-CRM-Timestamp: 1795412400
    X-CRM-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>

The secret is per partner (JAKI_WEBHOOK_SECRET, QLUE_WEBHOOK_SECRET). The
signature covers the timestamp, so a captured request cannot be replayed
after the 300 s window; within it, a replay is just a repeated delivery of the
same ``report_id`` and lands on the same case.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from chalicelib.config import Settings
from chalicelib.domain.channels import Channel
from chalicelib.domain.errors import InvalidReport
from chalicelib.domain.receipts import Receipt
from chalicelib.domain.report import (
    ALLOWED_PHOTO_TYPES,
    MAX_PHOTOS,
    IncomingReport,
    build_report,
    problems_from,
)
from chalicelib.domain.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER, signed_message

from . import signing
from .base import InboundRequest, MalformedPayload, Reply

# Our report's field -> the wire field it came from, for the partner's error details.
_WIRE_NAMES = {"reported_at": "created_at"}

# Base64 of the largest photo we accept, with room for line breaks.
_MAX_BASE64_CHARS = 11_500_000


class PartnerLocation(BaseModel):
    model_config = ConfigDict(extra="ignore")

    lat: float
    lng: float
    address: str | None = None


class PartnerReporter(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    anonymous: bool = False


class PartnerPhoto(BaseModel):
    model_config = ConfigDict(extra="ignore")

    content_type: str
    data_base64: Annotated[str, StringConstraints(min_length=1, max_length=_MAX_BASE64_CHARS)]


class PartnerReport(BaseModel):
    """The wire format; unknown fields are ignored so partners can add some."""

    model_config = ConfigDict(extra="ignore")

    report_id: Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")]
    category: str
    description: str
    location: PartnerLocation | None = None
    reporter: PartnerReporter | None = None
    photos: list[PartnerPhoto] = Field(default_factory=list, max_length=MAX_PHOTOS)
    created_at: datetime | None = None
    language: str | None = None
    # public | anonymous | confidential (domain/privacy.py); absent: public,
    # or anonymous with reporter.anonymous, or confidential for whistleblower categories.
    privacy: Literal["public", "anonymous", "confidential"] | None = None


class PartnerAdapter:
    content_types = ("application/json",)
    inline_replies = True

    def __init__(self, channel: Channel, secret_name: str):
        self.channel = channel
        self.secret_name = secret_name

    def verify(self, request: InboundRequest, settings: Settings) -> None:
        secret = settings.required_secret(self.secret_name)
        timestamp = signing.require_fresh_timestamp(
            request.header(TIMESTAMP_HEADER),
            request.received_at,
            settings.webhook_max_skew_seconds,
            TIMESTAMP_HEADER,
        )
        expected = signing.hmac_sha256(secret, signed_message(timestamp, request.body))
        signing.require_prefixed_hex(request.header(SIGNATURE_HEADER), expected, SIGNATURE_HEADER)

    def parse(self, request: InboundRequest) -> list[IncomingReport]:
        try:
            document = json.loads(request.body)
        except (ValueError, RecursionError):
            raise MalformedPayload("the body is not valid JSON") from None
        try:
            wire = PartnerReport.model_validate(document)
        except ValidationError as error:
            raise InvalidReport(problems_from(error)) from None
        reporter = wire.reporter or PartnerReporter()
        try:
            report = build_report(
                channel=self.channel,
                message_id=wire.report_id,
                category=wire.category,
                description=wire.description,
                location=wire.location.model_dump() if wire.location else None,
                reporter=None
                if reporter.anonymous
                else {"name": reporter.name, "phone": reporter.phone, "email": reporter.email},
                anonymous=reporter.anonymous,
                privacy=wire.privacy,
                photos=_decode_photos(wire.photos),
                reported_at=wire.created_at,
                language="en" if (wire.language or "").lower().startswith("en") else "id",
                # Status changes go back to the partner's callback URL, keyed by its report id.
                reply_handle={"channel": self.channel, "kind": "partner", "address": wire.report_id},
            )
        except InvalidReport as invalid:  # named as the partner sent them
            problems = [(_WIRE_NAMES.get(name, name), message) for name, message in invalid.problems]
            raise InvalidReport(problems) from None
        return [report]

    def reply(self, receipts: list[Receipt], settings: Settings) -> Reply:
        receipt = receipts[0]
        code, case = receipt.tracking_code, receipt.case
        if code is None or case is None:  # never: partners' reports get no per-sender notices
            raise ValueError(f"a {self.channel.value} report's receipt names no case ({receipt.outcome})")
        return Reply(
            status=201 if receipt.created else 200,
            body={
                "tracking_code": code,
                "status_url": settings.status_url(code),
                "status": case.status.value,
                "duplicate": not receipt.created,
            },
            headers={"Location": settings.status_url(code)},
        )


def _decode_photos(photos: list[PartnerPhoto]) -> list[dict[str, object]]:
    decoded: list[dict[str, object]] = []
    problems: list[tuple[str, str]] = []
    for index, photo in enumerate(photos):
        content_type = photo.content_type.strip().lower()
        if content_type not in ALLOWED_PHOTO_TYPES:
            problems.append((f"photos.{index}.content_type", f"must be one of {', '.join(ALLOWED_PHOTO_TYPES)}"))
            continue
        data = photo.data_base64.strip()
        if data.startswith("data:") and "," in data:
            data = data.split(",", 1)[1]  # tolerate a data: URL
        try:
            raw = base64.b64decode("".join(data.split()), validate=True)
        except (binascii.Error, ValueError):
            problems.append((f"photos.{index}.data_base64", "is not valid base64"))
            continue
        decoded.append({"content_type": content_type, "data": raw})
    if problems:
        raise InvalidReport(problems)
    return decoded
