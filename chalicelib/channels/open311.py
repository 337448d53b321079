"""Open311 GeoReport v2 ``POST requests.{json,xml}``: the form -> an IncomingReport.

The wire format (wiki.open311.org/GeoReport_v2, "POST Service Request"):

    Content-Type: application/x-www-form-urlencoded; charset=utf-8

    api_key=...&jurisdiction_id=jakarta.go.id&service_code=damaged_road
    &lat=-6.2297&long=106.8272&address_string=Jl.+Gatot+Subroto
    &description=Jalan+berlubang&media_url=https%3A%2F%2F...
    &email=...&first_name=...&last_name=...&phone=...&device_id=...&account_id=...
    &attribute[size]=large&attribute[garbage_type][]=household&attribute[garbage_type][]=bulky

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
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl

from chalicelib.domain import service_catalogue
from chalicelib.domain.channels import Channel
from chalicelib.domain.errors import InvalidReport
from chalicelib.domain.report import IncomingReport, build_report

MAX_FIELDS = 100
MAX_DESCRIPTION = 4000  # "free form text limited to 4,000 characters"
MAX_IDEMPOTENCY_KEY = 100
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")
_IDEMPOTENCY_KEY = re.compile(rf"^[\x21-\x7e]{{1,{MAX_IDEMPOTENCY_KEY}}}$")

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
    "media_url",
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
class PostedRequest:
    """The fields of one POST, as sent (strings), with attributes grouped by code."""

    fields: dict[str, str]
    attributes: dict[str, list[str]] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        """An optional argument: empty counts as not given (the spec's rule)."""
        value = self.fields.get(name)
        return value if value not in (None, "") else None

    def content_digest(self) -> str:
        """SHA-256 of what the request says (not who sent it), in a canonical form."""
        content = {
            "fields": {name: self.fields.get(name, "").strip() for name in _CONTENT if self.get(name)},
            "attributes": {
                code: sorted(value.strip() for value in values if value.strip())
                for code, values in sorted(self.attributes.items())
            },
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def parse_form(body: bytes, query: dict[str, str] | None = None) -> PostedRequest:
    """The form body (and, for fields the body lacks, the query string)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise FormRejected([("body", "is not UTF-8")]) from None
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict")
    except UnicodeDecodeError:
        raise FormRejected([("body", "has percent-escapes that are not UTF-8")]) from None
    except ValueError:
        raise FormRejected([("body", f"has more than {MAX_FIELDS} fields")]) from None
    fields: dict[str, str] = {}
    attributes: dict[str, list[str]] = {}
    problems: list[tuple[str, str]] = []
    for name, value in pairs:
        match = _ATTRIBUTE.match(name)
        if match:
            attributes.setdefault(match.group(1), []).append(value)
        elif name in SCALARS:
            if name in fields:
                problems.append((name, "is given more than once"))
            fields[name] = value
    for name, value in (query or {}).items():
        if name in SCALARS and name not in fields:
            fields[name] = value
    if problems:
        raise FormRejected(problems)
    return PostedRequest(fields, attributes)


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


def to_report(posted: PostedRequest, channel: Channel, message: str, language: str) -> IncomingReport:
    """The report a valid POST describes. Raises FormRejected / InvalidReport."""
    problems: list[tuple[str, str]] = []
    category = posted.get("service_code") or ""
    location = _location(posted, problems)
    description = (posted.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION:
        problems.append(("description", f"is longer than {MAX_DESCRIPTION} characters"))
    media_url = posted.get("media_url")
    requested = _moment(posted, "requested_datetime", problems)
    try:
        answers = service_catalogue.check_answers(category, posted.attributes)
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
        media_urls=[media_url] if media_url else [],
        reported_at=requested,
        language=language,
    )


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
