"""Open311 GeoReport v2 POSTs: the form -> an IncomingReport (``requests``) or a
reporter's update (``servicerequestupdates``, mySociety's extension).

The wire format (wiki.open311.org/GeoReport_v2, "POST Service Request"):

    Content-Type: application/x-www-form-urlencoded; charset=utf-8

    api_key=...&jurisdiction_id=jakarta.go.id&service_code=damaged_road
    &lat=-6.2297&long=106.8272&address_string=Jl.+Gatot+Subroto
    &description=Jalan+berlubang&media_url=https%3A%2F%2F...
    &email=...&first_name=...&last_name=...&phone=...&device_id=...&account_id=...
    &attribute[size]=large&attribute[garbage_type][]=household&attribute[garbage_type][]=bulky

or the same fields as ``multipart/form-data`` with photo files (FixMyStreet's
``upload_files`` / ``always_upload_photos``: parts ``photo1``, ``photo2``...,
any part name will do). As FixMyStreet sends them (perllib/Open311.pm):

* ``media_url`` may repeat, one per photo (its ``multi_photos``); links and
  uploaded photos together are at most MAX_PHOTOS;
* ``attribute[...]`` a service does not ask for (cobrands add ``uprn``,
  ``easting``, ``northing``, ``fms_extra_*`` renamed...) are kept for officers
  unless the service is strict (domain/service_catalogue.py);
* other fields we do not read (``deviceid``, ``title``...) are ignored, as the
  spec lets a server ignore extensions.

Parsed once here; nothing past this module knows form field names. Problems
are collected per field so the client gets them all at once (400, one error
each). ``api_key`` and ``jurisdiction_id`` are read here but checked by the
service (403 / 404).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl

from chalicelib.domain import service_catalogue
from chalicelib.domain.channels import Channel
from chalicelib.domain.errors import InvalidReport
from chalicelib.domain.messages import MediaLink, ReplyHandle
from chalicelib.domain.report import (
    ALLOWED_PHOTO_TYPES,
    MAX_PHOTO_BYTES,
    MAX_PHOTOS,
    IncomingReport,
    build_report,
)

MAX_FIELDS = 100
MAX_PARTS = MAX_FIELDS + MAX_PHOTOS  # a multipart body: the fields and the photos
MAX_DESCRIPTION = 4000  # "free form text limited to 4,000 characters"
MAX_IDEMPOTENCY_KEY = 100
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")
_IDEMPOTENCY_KEY = re.compile(rf"^[\x21-\x7e]{{1,{MAX_IDEMPOTENCY_KEY}}}$")
# Fields that may be given more than once (every other is refused if repeated).
REPEATABLE = ("media_url",)

# Fields of the spec this server reads; any other is ignored (extensions).
SCALARS = (
    "api_key",
    "jurisdiction_id",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    # Not in the spec's POST: when the reporter saw the problem, for apps that
    # queue reports offline (a W3C date-time, checked like every outside time).
    "requested_datetime",
)
# What identifies a report for idempotency: everything but the credentials.
_CONTENT = tuple(name for name in SCALARS if name not in ("api_key", "jurisdiction_id"))


class FormRejected(Exception):
    """The form cannot be used; ``problems`` are (field, message) pairs (Open311: 400)."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems))


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart POST: a photo, as sent."""

    name: str  # the part's field name (photo1, photo2, ...)
    content_type: str
    data: bytes


@dataclass(frozen=True)
class PostedRequest:
    """The fields of one POST, as sent (strings), with attributes grouped by code,
    every ``media_url`` in order, and the uploaded photos."""

    fields: dict[str, str]
    attributes: dict[str, list[str]] = field(default_factory=dict)
    media_urls: list[str] = field(default_factory=list)
    uploads: list[Upload] = field(default_factory=list)

    def get(self, name: str) -> str | None:
        """An optional argument: empty counts as not given (the spec's rule)."""
        value = self.fields.get(name)
        return value if value not in (None, "") else None

    def links(self) -> list[str]:
        return [url.strip() for url in self.media_urls if url.strip()]

    def content_digest(self) -> str:
        """SHA-256 of what the request says (not who sent it), in a canonical form.

        (A request with one link digests as it did before links could repeat.)"""
        links = self.links()
        fields = {name: self.fields.get(name, "").strip() for name in _CONTENT if self.get(name)}
        if len(links) == 1:
            fields["media_url"] = links[0]
        content: dict = {
            "fields": fields,
            "attributes": {
                code: sorted(value.strip() for value in values if value.strip())
                for code, values in sorted(self.attributes.items())
            },
        }
        if len(links) > 1:
            content["media_urls"] = links
        if self.uploads:
            content["photos"] = [hashlib.sha256(upload.data).hexdigest() for upload in self.uploads]
        return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def parse_body(
    content_type: str, body: bytes, query: dict[str, str] | None = None, names: Iterable[str] | None = None
) -> PostedRequest:
    """A POST's body, urlencoded or multipart (and, for fields the body lacks, the
    query string). ``names``: the scalar fields read (those of a service request
    by default)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "multipart/form-data":
        pairs, uploads = _multipart(content_type, body)
    elif kind == "application/x-www-form-urlencoded":
        pairs, uploads = _urlencoded(body), []
    else:
        raise FormRejected(
            [("Content-Type", "send the form as application/x-www-form-urlencoded or multipart/form-data")]
        )
    return _collect(pairs, uploads, query, frozenset(names or SCALARS))


def parse_form(body: bytes, query: dict[str, str] | None = None) -> PostedRequest:
    """An urlencoded form body (and, for fields the body lacks, the query string)."""
    return _collect(_urlencoded(body), [], query, frozenset(SCALARS))


def _urlencoded(body: bytes) -> list[tuple[str, str]]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise FormRejected([("body", "is not UTF-8")]) from None
    try:
        return parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict")
    except UnicodeDecodeError:
        raise FormRejected([("body", "has percent-escapes that are not UTF-8")]) from None
    except ValueError:
        raise FormRejected([("body", f"has more than {MAX_FIELDS} fields")]) from None


def _multipart(content_type: str, body: bytes) -> tuple[list[tuple[str, str]], list[Upload]]:
    """Text parts as (name, value) pairs in order; file parts as uploads (photos only)."""
    from email import policy
    from email.parser import BytesParser

    if "boundary=" not in content_type.lower():
        raise FormRejected([("Content-Type", "multipart/form-data needs a boundary")])
    header = b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\nMIME-Version: 1.0\r\n\r\n"
    try:
        message = BytesParser(policy=policy.HTTP).parsebytes(header + body)
        parts = list(message.iter_parts()) if message.is_multipart() else []
    except Exception:  # noqa: BLE001 - the stdlib parser is lenient; anything it raises is malformed input
        raise FormRejected([("body", "is not a readable multipart/form-data body")]) from None
    if not parts:
        raise FormRejected([("body", "has no parts")])
    if len(parts) > MAX_PARTS:
        raise FormRejected([("body", f"has more than {MAX_PARTS} parts")])
    pairs: list[tuple[str, str]] = []
    uploads: list[Upload] = []
    problems: list[tuple[str, str]] = []
    for part in parts:
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            problems.append(("body", "has a part without a name"))
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):  # None for a part that is itself multipart
            payload = b""
        if part.get_filename() is not None:
            content = part.get_content_type()
            if not payload:
                continue  # an empty file input: nothing was chosen
            if content not in ALLOWED_PHOTO_TYPES:
                problems.append((name, f"is {content}: only JPEG, PNG or WebP photos can be uploaded"))
            elif len(payload) > MAX_PHOTO_BYTES:
                problems.append((name, f"is larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB"))
            else:
                uploads.append(Upload(name, content, payload))
            continue
        try:
            pairs.append((name, payload.decode("utf-8")))
        except UnicodeDecodeError:
            problems.append((name, "is not UTF-8 text"))
    if problems:
        raise FormRejected(problems)
    return pairs, uploads


def _collect(
    pairs: list[tuple[str, str]], uploads: list[Upload], query: dict[str, str] | None, names: frozenset[str]
) -> PostedRequest:
    fields: dict[str, str] = {}
    attributes: dict[str, list[str]] = {}
    links: list[str] = []
    problems: list[tuple[str, str]] = []
    for name, value in pairs:
        match = _ATTRIBUTE.match(name)
        if match:
            attributes.setdefault(match.group(1), []).append(value)
        elif name in REPEATABLE:
            links.append(value)
        elif name in names:
            if name in fields:
                problems.append((name, "is given more than once"))
            fields[name] = value
    for name, value in (query or {}).items():
        if name in names and name not in fields and name not in REPEATABLE:
            fields[name] = value
    if problems:
        raise FormRejected(problems)
    return PostedRequest(fields, attributes, links, uploads)


def idempotency_key(header: str | None) -> str | None:
    """The client's Idempotency-Key header, checked (printable ASCII, up to 100)."""
    if header is None or header == "":
        return None
    if not _IDEMPOTENCY_KEY.match(header):
        raise FormRejected(
            [("Idempotency-Key", f"must be 1-{MAX_IDEMPOTENCY_KEY} printable ASCII characters without spaces")]
        )
    return header


def message_id(key_id: str, posted: PostedRequest, client_key: str | None, day: str) -> str:
    """The idempotency identity of a POST, scoped to the partner's key.

    With an Idempotency-Key it is that key (any later POST with it is the same
    request). Without one it is the request's content on that Jakarta day:
    a client that retries the same POST gets the same case, while the same
    words sent again on another day are a new report.
    """
    if client_key is not None:
        return token_message_id(key_id, client_key)
    return f"open311:{key_id}:{day}:{posted.content_digest()[:40]}"


def token_message_id(key_id: str, token: str) -> str:
    return f"open311:{key_id}:key:{token}"


def to_report(
    posted: PostedRequest,
    channel: Channel,
    message: str,
    language: str,
    key_id: str | None = None,
) -> IncomingReport:
    """The report a valid POST describes. Raises FormRejected / InvalidReport.

    ``key_id``: the partner key that posted it; the case's status changes are
    then listed for that key (GET servicerequestupdates, through a reply
    handle of kind ``open311``)."""
    problems: list[tuple[str, str]] = []
    category = posted.get("service_code") or ""
    location = _location(posted, problems)
    description = (posted.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION:
        problems.append(("description", f"is longer than {MAX_DESCRIPTION} characters"))
    links = _links(posted, problems)
    requested = _moment(posted, "requested_datetime", problems)
    try:
        answers = service_catalogue.check_answers(category, posted.attributes, keep_unknown=True)
    except InvalidReport as invalid:
        problems.extend(invalid.problems)
    if problems:
        raise FormRejected(problems)
    address = (posted.get("address_string") or "").strip()
    if not description:
        description = service_catalogue.name(category, language)
    if location is None and address:
        # No coordinates: the address is all we know of the place; keep it
        # where officers (and the public status) read the report.
        description = f"{description}\n\n{'Location' if language == 'en' else 'Lokasi'}: {address}"
    first, last = (posted.get("first_name") or "").strip(), (posted.get("last_name") or "").strip()
    reporter = {
        "name": " ".join(part for part in (first, last) if part) or None,
        "phone": posted.get("phone"),
        "email": posted.get("email"),
        "device_id": posted.get("device_id"),
        "account_id": posted.get("account_id"),
    }
    return build_report(
        channel=channel,
        message_id=message,
        category=category,
        description=description,
        location=location,
        reporter=reporter,
        answers=answers,
        media_urls=links,
        media=[MediaLink(source="web", ref=url) for url in links],
        photos=[{"content_type": upload.content_type, "data": upload.data} for upload in posted.uploads],
        reply_handle=ReplyHandle(channel=channel, kind="open311", address=key_id) if key_id else None,
        reported_at=requested,
        language=language,
    )


def _links(posted: PostedRequest, problems: list[tuple[str, str]]) -> list[str]:
    """Every media_url (the service checks where each may lead, adapters/web_fetch.py)."""
    links = posted.links()
    if len(links) + len(posted.uploads) > MAX_PHOTOS:
        problems.append(("media_url", f"at most {MAX_PHOTOS} photos, links and uploaded files together"))
        return []
    return links


def _moment(posted: PostedRequest, name: str, problems: list[tuple[str, str]]) -> datetime | None:
    """A W3C date-time (the window is the report's rule, domain/clock.py)."""
    raw = posted.get(name)
    if raw is None:
        return None
    try:
        return datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        problems.append((name, "must be a W3C date-time such as 2026-11-23T10:00:00+07:00"))
        return None


def _number(posted: PostedRequest, name: str, low: float, high: float, problems: list) -> float | None:
    raw = posted.get(name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        problems.append((name, "must be a decimal number (WGS84 degrees)"))
        return None
    if not math.isfinite(value) or not low <= value <= high:
        problems.append((name, f"must be between {low:g} and {high:g}"))
        return None
    return value


def _location(posted: PostedRequest, problems: list[tuple[str, str]]) -> dict | None:
    lat = _number(posted, "lat", -90, 90, problems)
    lng = _number(posted, "long", -180, 180, problems)
    address = posted.get("address_string")
    if address is not None and len(address.strip()) > 500:
        problems.append(("address_string", "is longer than 500 characters"))
    if (posted.get("lat") is None) != (posted.get("long") is None):
        problems.append(("lat" if posted.get("lat") is None else "long", "lat and long are sent together"))
    if posted.get("lat") is None and posted.get("long") is None and not (address or "").strip():
        if posted.get("address_id"):
            problems.append(("address_id", "is not supported here; send lat and long, or address_string"))
        else:
            problems.append(("location", "send lat and long, or address_string"))
    if lat is None or lng is None:
        return None
    return {"lat": lat, "lng": lng, "address": address.strip() if address and address.strip() else None}


# --- servicerequestupdates (mySociety's extension): a reporter's update --------------------

# What a POST servicerequestupdates carries (FixMyStreet's Open311.pm,
# _populate_service_request_update_params); other fields are ignored.
UPDATE_FIELDS = (
    "api_key",
    "jurisdiction_id",
    "service_request_id",
    "update_id",
    "updated_datetime",
    "status",
    "description",
    "first_name",
    "last_name",
    "email",
    "phone",
    "account_id",
)
# open311-adapter's status_extended_upper: FixMyStreet sends OPEN / CLOSED, or
# these with its body's "extended statuses" on; compared without case.
UPDATE_STATUSES = frozenset(
    {
        "UNCHANGED",
        "OPEN",
        "CLOSED",
        "FIXED",
        "IN_PROGRESS",
        "PLANNED",
        "ACTION_SCHEDULED",
        "INVESTIGATING",
        "DUPLICATE",
        "NOT_COUNCILS_RESPONSIBILITY",
        "NO_FURTHER_ACTION",
        "INTERNAL_REFERRAL",
        "CANCELLED",
        "REOPEN",
        "FOR_TRIAGE",
    }
)
# The reporter says the problem is not (or no longer) solved.
REOPENING_STATUSES = frozenset({"OPEN", "REOPEN"})


@dataclass(frozen=True)
class PostedUpdate:
    """A reporter's update as FixMyStreet sends it, checked."""

    service_request_id: str
    update_id: str
    status: str  # one of UPDATE_STATUSES
    description: str
    links: list[str]
    uploads: list[Upload]
    updated_at: datetime | None

    @property
    def asks_to_reopen(self) -> bool:
        return self.status in REOPENING_STATUSES


def to_update(posted: PostedRequest) -> PostedUpdate:
    """Raises FormRejected naming every problem at once."""
    problems: list[tuple[str, str]] = []
    request_id = (posted.get("service_request_id") or "").strip()
    if not request_id:
        problems.append(("service_request_id", "is required"))
    update_id = (posted.get("update_id") or "").strip()
    if not update_id:
        problems.append(("update_id", "is required (your id for this update: a retry sends the same)"))
    elif not _IDEMPOTENCY_KEY.match(update_id):
        problems.append(("update_id", f"must be 1-{MAX_IDEMPOTENCY_KEY} printable ASCII characters without spaces"))
    status = (posted.get("status") or "").strip().upper()
    if not status:
        problems.append(("status", "is required (OPEN or CLOSED)"))
    elif status not in UPDATE_STATUSES:
        problems.append(("status", "must be OPEN or CLOSED (or one of open311-adapter's extended statuses)"))
    description = (posted.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION:
        problems.append(("description", f"is longer than {MAX_DESCRIPTION} characters"))
    links = _links(posted, problems)
    updated_at = _moment(posted, "updated_datetime", problems)
    if updated_at is not None:
        from chalicelib.domain.clock import from_outside, system_clock

        try:
            updated_at = from_outside(updated_at, system_clock())
        except ValueError as error:
            problems.append(("updated_datetime", str(error)))
    if not problems and not (description or links or posted.uploads or status in REOPENING_STATUSES):
        problems.append(("description", "is empty, and the update has no photo: there is nothing to add"))
    if problems:
        raise FormRejected(problems)
    return PostedUpdate(request_id, update_id, status, description, links, list(posted.uploads), updated_at)


def update_message_id(key_id: str, update_id: str) -> str:
    """The idempotency identity of an update: the partner's key and its update id."""
    return f"open311:{key_id}:update:{update_id}"


def key_id_of(source_key: str | None) -> str | None:
    """The partner key a case was posted with (from its source key), or None."""
    if not source_key:
        return None
    _channel, _, rest = source_key.partition(":")
    kind, _, rest = rest.partition(":")
    key_id, _, _ = rest.partition(":")
    return key_id if kind == "open311" and key_id else None


def update_report(update: PostedUpdate, channel: Channel, key_id: str, category: str, language: str) -> IncomingReport:
    """The update as a later message of the case's reporter (what intake adds to a case)."""
    return build_report(
        channel=channel,
        message_id=update_message_id(key_id, update.update_id),
        category=category,
        description=update.description or service_catalogue.name(category, language),
        has_text=bool(update.description),
        media_urls=update.links,
        media=[MediaLink(source="web", ref=url) for url in update.links],
        photos=[{"content_type": upload.content_type, "data": upload.data} for upload in update.uploads],
        language=language,
    )
