"""The one report type every channel adapter produces (laporan masuk).

Channel adapters turn a provider's wire format into an ``IncomingReport``;
nothing past them knows what JAKI, Twilio or Meta payloads look like. The
rules here hold for every channel: known category, sane text, a real place,
a reachable contact -- and no contact at all for anonymous reporters.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from . import categories
from .channels import Channel
from .clock import from_outside, system_clock
from .errors import InvalidReport
from .messages import MediaLink, ReplyHandle

MAX_PHOTOS = 5
MAX_PHOTO_BYTES = 8 * 1024 * 1024
ALLOWED_PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^[^@\s<>()\[\],;:\"]{{1,64}}@{_LABEL}(?:\.{_LABEL})+$")

Text = Annotated[str, StringConstraints(strip_whitespace=True)]
MAX_ANSWERS = 40  # the questions' answers (a service asks few) and kept extra attributes (at most 20)
MediaUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2000, pattern=r"^https?://[^\s/?#]+[^\s]*$")
]


class GeoPoint(BaseModel):
    """Where the problem is (not where the reporter is)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lng: float = Field(ge=-180, le=180, allow_inf_nan=False)
    address: Annotated[Text, StringConstraints(max_length=500)] | None = None


class ReporterContact(BaseModel):
    """How to reach the reporter. Never shown publicly; absent when anonymous."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[Text, StringConstraints(max_length=120)] | None = None
    phone: str | None = None  # E.164, e.g. +6281234567890
    email: str | None = None
    # The reporter's device and account in a partner app (Open311 device_id,
    # account_id): identify the reporter to that app, so private like the rest.
    device_id: Annotated[Text, StringConstraints(max_length=200)] | None = None
    account_id: Annotated[Text, StringConstraints(max_length=200)] | None = None

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, value: object) -> str | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str) or len(value) > 32:
            raise ValueError("must be a phone number")
        import phonenumbers  # lazy: its metadata is not needed at cold start

        try:
            number = phonenumbers.parse(value, "ID")
        except phonenumbers.NumberParseException:
            raise ValueError("is not a phone number") from None
        if not phonenumbers.is_valid_number(number):
            raise ValueError("is not a valid phone number")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: object) -> str | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str) or len(value) > 254 or not _EMAIL.match(value.strip()):
            raise ValueError("is not an e-mail address")
        local, domain = value.strip().rsplit("@", 1)
        return f"{local}@{domain.lower()}"

    def is_empty(self) -> bool:
        return not (self.name or self.phone or self.email or self.device_id or self.account_id)


class Provenance(StrEnum):
    """What the channel proved about who sent a report (asal-usul pengirim).

    Most channels prove it their own way (a signed webhook, a signed-in officer)
    or have nothing to prove: ``not_checked``. E-mail has the verdicts SES wrote
    (SPF, DKIM, DMARC; channels/email.py): a mail that fails them is
    ``unverified`` -- it may open a case, flagged for officers, but adds to no
    case and gets no receipt (its From may be someone else's address)."""

    NOT_CHECKED = "not_checked"
    VERIFIED = "verified"
    UNVERIFIED = "unverified"


class PhotoUpload(BaseModel):
    """A photo sent inline with the report, already decoded from base64."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    content_type: Literal["image/jpeg", "image/png", "image/webp"]
    data: bytes = Field(min_length=1, max_length=MAX_PHOTO_BYTES)


class IncomingReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: Channel
    # The provider's own id for this message: the idempotency key. None only
    # where a channel has no such id (a desk officer's form).
    message_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None
    category: str
    description: Annotated[Text, StringConstraints(min_length=1, max_length=5000)]
    location: GeoPoint | None = None
    reporter: ReporterContact | None = None
    anonymous: bool = False
    # The level the reporter asked for (domain/privacy.py); None: not asked.
    privacy: Literal["public", "anonymous", "confidential"] | None = None
    photos: list[PhotoUpload] = Field(default_factory=list, max_length=MAX_PHOTOS)
    reported_at: datetime | None = None
    language: Literal["id", "en"] = "id"
    # How to answer on the reporter's channel; kept for anonymous reporters too.
    reply_handle: ReplyHandle | None = None
    # Photos the provider only links to (fetched after the webhook answered).
    media: list[MediaLink] = Field(default_factory=list, max_length=MAX_PHOTOS)
    # Messaging channels: later messages from the sender may add to this case.
    conversational: bool = False
    # False when the message had no words of its own (the description is a placeholder).
    has_text: bool = True
    # Answers to the category's extra questions (service_catalogue.check_answers).
    answers: dict[str, str | list[str]] = Field(default_factory=dict, max_length=MAX_ANSWERS)
    # Links to photos kept elsewhere, stored as given and not fetched (officers
    # see them; the public never does: they are not our cleaned copies).
    media_urls: list[MediaUrl] = Field(default_factory=list, max_length=MAX_PHOTOS)
    provenance: Provenance = Provenance.NOT_CHECKED

    @property
    def unverified_sender(self) -> bool:
        return self.provenance is Provenance.UNVERIFIED

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if categories.get(value) is None:
            raise ValueError(f"unknown category; use one of: {', '.join(categories.ids())}")
        return value

    @field_validator("reported_at")
    @classmethod
    def _inside_the_window(cls, value: datetime | None) -> datetime | None:
        # The one rule for times from outside (clock.from_outside), against the system clock.
        return None if value is None else from_outside(value, system_clock())

    @model_validator(mode="before")
    @classmethod
    def _anonymous_means_no_contact(cls, data: object) -> object:
        # An anonymous reporter's identity is never stored, not even by
        # mistake, and a contact we will discard is not validated either.
        if not isinstance(data, dict):
            return data
        reporter = data.get("reporter")
        if data.get("privacy") == "anonymous":
            data = {**data, "anonymous": True}
        if data.get("anonymous") is True or _is_blank_contact(reporter):
            return {**data, "reporter": None}
        return data


def _is_blank_contact(reporter: object) -> bool:
    if isinstance(reporter, ReporterContact):
        return reporter.is_empty()
    if isinstance(reporter, dict):
        return all(value is None or (isinstance(value, str) and not value.strip()) for value in reporter.values())
    return False


def build_report(**values: object) -> IncomingReport:
    """Construct a report, turning validation failures into InvalidReport."""
    try:
        return IncomingReport.model_validate(values)  # values from outside: validated, not yet typed
    except ValidationError as error:
        raise InvalidReport(problems_from(error)) from None


def problems_from(error: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """Pydantic errors as (dotted field, message) pairs, e.g. ("photos.0", ...)."""
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        path = ".".join(str(part) for part in item["loc"])
        field = f"{prefix}{path}" if path else prefix.rstrip(".") or "body"
        message = item["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        problems.append((field, message))
    return problems
