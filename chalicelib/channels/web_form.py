"""Balai Warga, the city's own website: the HTML form at /report and its JSON
API POST /reports. One validation for both: the fields become an
``IncomingReport`` exactly like a partner's report.

Double submission: the form carries a random ``submission_id`` (the JSON API
takes one too, or an ``Idempotency-Key`` header); it is the report's message
id, so a second POST of the same form lands on the same case.

Multipart bodies are parsed with the stdlib ``email`` package (HTTP policy);
API Gateway hands them over base64-encoded because app.py lists
``multipart/form-data`` as a binary type.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.parser import BytesParser
from typing import Any

from chalicelib.domain.channels import Channel
from chalicelib.domain.clock import JAKARTA
from chalicelib.domain.errors import InvalidReport
from chalicelib.domain.messages import ReplyHandle
from chalicelib.domain.report import ALLOWED_PHOTO_TYPES, MAX_PHOTO_BYTES, MAX_PHOTOS, IncomingReport, build_report

from .base import MalformedPayload
from .common import form_fields, json_document, require_object

SUBMISSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_MAX_PARTS = 40


@dataclass
class FormInput:
    """What the browser sent: text fields and files."""

    fields: dict[str, str] = field(default_factory=dict)
    files: list[tuple[str, str, bytes]] = field(default_factory=list)  # (field, content type, bytes)


def read_form(content_type: str, body: bytes) -> FormInput:
    """An urlencoded or multipart/form-data body."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        return FormInput(fields=form_fields(body))
    if kind != "multipart/form-data" or "boundary=" not in content_type.lower():
        raise MalformedPayload("expected a form (multipart/form-data with a boundary, or urlencoded)")
    header = b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\nMIME-Version: 1.0\r\n\r\n"
    try:
        message = BytesParser(policy=policy.HTTP).parsebytes(header + body)
        parts = list(message.iter_parts()) if message.is_multipart() else []
    except Exception:  # noqa: BLE001 - the stdlib parser is lenient; anything it raises is malformed input
        raise MalformedPayload("the form body is not readable") from None
    if not parts or len(parts) > _MAX_PARTS:
        raise MalformedPayload("the form has no fields or too many")
    form = FormInput()
    for part in parts:
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):  # None for a part that is itself multipart
            payload = b""
        if part.get_filename() is not None:
            if payload:
                form.files.append((name, part.get_content_type(), payload))
            continue
        try:
            form.fields[name] = payload.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedPayload(f"field {name} is not UTF-8 text") from None
    return form


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: str, name: str, problems: list[tuple[str, str]]) -> float | None:
    try:
        return float(value.replace(",", "."))
    except ValueError:
        problems.append((name, "must be a number"))
        return None


def _local_time(value: str | None, problems: list[tuple[str, str]]) -> datetime | None:
    """The form's "when" (an HTML datetime-local field: Jakarta time, no zone)."""
    if _blank(value):
        return None
    try:
        moment = datetime.fromisoformat(str(value).strip())
    except ValueError:
        problems.append(("reported_at", "must be a date and time, e.g. 2026-11-23T10:00 (Jakarta time)"))
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=JAKARTA)


def submission_id(value: Any) -> str | None:
    if _blank(value):
        return None
    if not isinstance(value, str) or not SUBMISSION_ID.match(value.strip()):
        raise InvalidReport([("submission_id", "must be 16-64 letters, digits, - or _")])
    return value.strip()


def report_from_form(form: FormInput, language: str) -> IncomingReport:
    values = form.fields
    problems: list[tuple[str, str]] = []
    location = None
    if not _blank(values.get("lat")) or not _blank(values.get("lng")):
        lat = _number(values.get("lat", ""), "location.lat", problems)
        lng = _number(values.get("lng", ""), "location.lng", problems)
        if lat is not None and lng is not None:
            location = {"lat": lat, "lng": lng, "address": values.get("address") or None}
    elif not _blank(values.get("address")):
        problems.append(("location", "give the map position (latitude and longitude) as well as the address"))
    photos = []
    for index, (_name, content_type, data) in enumerate(form.files):
        if index >= MAX_PHOTOS:
            problems.append(("photos", f"at most {MAX_PHOTOS} photos"))
            break
        if content_type not in ALLOWED_PHOTO_TYPES:
            problems.append((f"photos.{index}", "must be a JPEG, PNG or WebP photo"))
        elif len(data) > MAX_PHOTO_BYTES:
            problems.append((f"photos.{index}", "is larger than 8 MB"))
        else:
            photos.append({"content_type": content_type, "data": data})
    anonymous = values.get("anonymous") in ("on", "true", "1", "yes")
    confidential = values.get("confidential") in ("on", "true", "1", "yes")
    reported_at = _local_time(values.get("reported_at"), problems)
    token = None
    try:
        token = submission_id(values.get("submission_id"))
    except InvalidReport as error:
        problems.extend(error.problems)
    if problems:
        raise InvalidReport(problems)
    return _build(
        values.get("category", ""),
        values.get("description", ""),
        location,
        {"name": values.get("name"), "phone": values.get("phone"), "email": values.get("email")},
        anonymous,
        photos,
        token,
        language,
        confidential,
        reported_at,
    )


def report_from_json(body: bytes, idempotency_key: str | None) -> IncomingReport:
    document = require_object(json_document(body), "the body")
    problems: list[tuple[str, str]] = []
    location = document.get("location")
    if location is not None and not isinstance(location, dict):
        problems.append(("location", "must be an object with lat and lng"))
    reporter = document.get("reporter") or {}
    if not isinstance(reporter, dict):
        problems.append(("reporter", "must be an object"))
        reporter = {}
    photos = []
    raw_photos = document.get("photos") or []
    if not isinstance(raw_photos, list) or len(raw_photos) > MAX_PHOTOS:
        problems.append(("photos", f"must be a list of at most {MAX_PHOTOS} photos"))
        raw_photos = []
    for index, photo in enumerate(raw_photos):
        if not isinstance(photo, dict) or photo.get("content_type") not in ALLOWED_PHOTO_TYPES:
            problems.append((f"photos.{index}.content_type", f"must be one of {', '.join(ALLOWED_PHOTO_TYPES)}"))
            continue
        data = photo.get("data_base64")
        try:
            decoded = base64.b64decode("".join(str(data).split()), validate=True) if isinstance(data, str) else b""
        except (binascii.Error, ValueError):
            decoded = b""
        if not decoded:
            problems.append((f"photos.{index}.data_base64", "is not valid base64"))
            continue
        photos.append({"content_type": photo["content_type"], "data": decoded})
    token = None
    try:
        token = submission_id(idempotency_key or document.get("submission_id"))
    except InvalidReport as error:
        problems.extend(error.problems)
    if problems:
        raise InvalidReport(problems)
    language = "en" if str(document.get("language") or "").lower().startswith("en") else "id"
    return _build(
        document.get("category"),
        document.get("description"),
        location,
        {key: reporter.get(key) for key in ("name", "phone", "email")},
        reporter.get("anonymous") is True,
        photos,
        token,
        language,
        document.get("confidential") is True,
        document.get("reported_at"),  # ISO 8601 with its offset, checked by the report
    )


def _build(
    category: Any,
    description: Any,
    location: Any,
    contact: dict[str, Any],
    anonymous: bool,
    photos: list,
    token: str | None,
    language: str,
    confidential: bool = False,
    reported_at: Any = None,
) -> IncomingReport:
    email = None if anonymous else contact.get("email")
    replies_by_email = isinstance(email, str) and bool(email.strip())
    report = build_report(
        channel=Channel.BALAI_WARGA,
        message_id=token,
        category=category,
        description=description,
        location=location,
        reporter=None if anonymous else {k: (v or None) for k, v in contact.items()},
        anonymous=anonymous,
        privacy="confidential" if confidential else None,
        photos=photos,
        reported_at=reported_at,
        language=language,
    )
    if replies_by_email and report.reporter and report.reporter.email:
        # Replies by e-mail to the (validated) address the reporter gave.
        handle = ReplyHandle(channel=Channel.BALAI_WARGA, kind="email", address=report.reporter.email)
        report = report.model_copy(update={"reply_handle": handle})
    return report
