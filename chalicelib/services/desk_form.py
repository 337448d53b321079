"""The walk-in desk form (kelurahan, kecamatan, walikota, pendopo, inspektorat,
mass_media): what an intake officer types into the officer client, as JSON.

    POST /officer/intake
    {"idempotency_key": "<16-64 of A-Z a-z 0-9 _ ->",      (or the Idempotency-Key header)
     "channel": "kelurahan",                                (optional: the office's own desk)
     "category": "garbage", "description": "...",
     "location": {"address": "...", "lat": -6.17, "lng": 106.82},   (optional; coordinates optional)
     "anonymous": false,
     "reporter": {"name": "...", "phone": "...", "email": "..."},   (optional; an e-mail gets updates)
     "upload_keys": ["uploads/<user>/<id>"],                (photos sent with POST /officer/uploads)
     "reported_at": "2026-11-23T10:00:00+07:00", "language": "id"}

A desk has no provider message id, so the client makes one up per form it
opens (a random idempotency key) and sends it again on every retry of the same
submission. It becomes the report's message id, scoped to the officer:
``<officer sub>:<key>``. A double click or a retry after a lost answer lands on
the same tracking code (intake's conditional write), never on a second case.

Parsing only: reading the uploaded photos is the service's job
(services/desk_intake.py). The form is a request body of the officer API, our
own client's, like the officer commands (services/commands.py); a desk is no
provider, so it is no channel adapter.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from chalicelib.domain.channels import Channel
from chalicelib.domain.errors import InvalidReport
from chalicelib.domain.report import MAX_PHOTOS, IncomingReport, build_report, problems_from

IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"
UPLOAD_KEY_PATTERN = r"^uploads/[A-Za-z0-9-]{1,128}/[0-9a-f]{32}$"

_Key = Annotated[str, StringConstraints(pattern=IDEMPOTENCY_KEY_PATTERN)]


class DeskLocation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    lat: float | None = None
    lng: float | None = None


class DeskReporter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    phone: str | None = None
    email: str | None = None


class DeskForm(BaseModel):
    """The wire format of the desk form; unknown fields are refused (it is our own client)."""

    model_config = ConfigDict(extra="forbid")

    idempotency_key: _Key | None = None
    channel: str | None = None
    category: str
    description: str
    location: DeskLocation | None = None
    anonymous: bool = False
    confidential: bool = False  # hidden from the public (domain/privacy.py)
    reporter: DeskReporter | None = None
    upload_keys: list[Annotated[str, StringConstraints(pattern=UPLOAD_KEY_PATTERN)]] = Field(
        default_factory=list, max_length=MAX_PHOTOS
    )
    reported_at: datetime | None = Field(
        default=None,
        description="When the reporter saw it, with its offset; from 2000-01-01T00:00:00Z to 10 minutes from now.",
    )
    language: str = "id"


def parse(payload: object, header_key: str | None = None) -> tuple[DeskForm, str]:
    """The form and its idempotency key (body field or Idempotency-Key header)."""
    if not isinstance(payload, dict):
        raise InvalidReport([("body", "must be a JSON object")])
    try:
        form = DeskForm.model_validate(payload)
    except ValidationError as error:
        raise InvalidReport(problems_from(error)) from None
    key = form.idempotency_key
    if header_key is not None:
        import re

        if not re.match(IDEMPOTENCY_KEY_PATTERN, header_key):
            raise InvalidReport([("Idempotency-Key", "must be 16-64 letters, digits, - or _")])
        if key is not None and key != header_key:
            raise InvalidReport([("idempotency_key", "differs from the Idempotency-Key header")])
        key = header_key
    if key is None:
        raise InvalidReport(
            [("idempotency_key", "is required: a random key made once per form, sent again when retrying")]
        )
    return form, key


def to_report(
    form: DeskForm, key: str, channel: Channel, officer_id: str, photos: list[dict[str, object]]
) -> IncomingReport:
    """The domain report. Without coordinates an address goes into the text, so
    the agency still reads where the problem is (routing then uses the category)."""
    description = form.description
    location = None
    if form.location is not None:
        has_point = form.location.lat is not None or form.location.lng is not None
        if has_point:
            location = form.location.model_dump(exclude_none=True)
        elif form.location.address:
            description = f"{description.rstrip()}\n\nLokasi: {form.location.address}"
    report = build_report(
        channel=channel,
        message_id=f"{officer_id}:{key}",
        category=form.category,
        description=description,
        location=location,
        reporter=form.reporter.model_dump() if form.reporter else None,
        anonymous=form.anonymous,
        privacy="confidential" if form.confidential else None,
        photos=photos,
        reported_at=form.reported_at,
        language=form.language if form.language in ("id", "en") else "id",
    )
    if report.reporter is not None and report.reporter.email:
        # Updates go to the (validated) e-mail the reporter left, as for the website's form.
        # A phone number stays a contact for the agency: no SMS sender number is configured
        # for desk reports.
        from chalicelib.domain.messages import ReplyHandle

        handle = ReplyHandle(channel=channel, kind="email", address=report.reporter.email)
        report = report.model_copy(update={"reply_handle": handle})
    return report
