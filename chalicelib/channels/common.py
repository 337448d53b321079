"""Small helpers the provider adapters share: reading bodies and building reports."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from pydantic import ValidationError

from chalicelib import logs
from chalicelib.domain.clock import from_outside, system_clock
from chalicelib.domain.errors import InvalidReport
from chalicelib.domain.messages import describe, guess_category, guess_language
from chalicelib.domain.report import IncomingReport, ReporterContact, build_report

from . import meta
from .base import MalformedPayload

MAX_FORM_FIELDS = 200
log = logs.get_logger("channels")


def json_document(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise MalformedPayload("the body is not valid JSON") from None


def form_fields(body: bytes) -> dict[str, str]:
    """An application/x-www-form-urlencoded body; a repeated name keeps its last value."""
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise MalformedPayload("the body is not a UTF-8 form") from None
    return dict(pairs)


def require_object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedPayload(f"{where} must be a JSON object")
    return value


def object_or_empty(value: Any) -> dict[str, Any]:
    """An optional JSON object: anything else reads as an empty one."""
    return value if isinstance(value, dict) else {}


def objects(value: Any, where: str) -> list[dict[str, Any]]:
    """A list of JSON objects (a missing list is empty)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise MalformedPayload(f"{where} must be a list of objects")
    return value


def text(value: Any, where: str, max_length: int = 5000) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedPayload(f"{where} must be a string")
    return value[:max_length]


def identifier(value: Any, where: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise MalformedPayload(f"{where} is missing or not an id")
    return value.strip()


def number(value: Any, where: str) -> float:
    if isinstance(value, bool):
        raise MalformedPayload(f"{where} must be a number")
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise MalformedPayload(f"{where} must be a number") from None
    if result != result or result in (float("inf"), float("-inf")):
        raise MalformedPayload(f"{where} must be a number")
    return result


def contact_phone(value: str | None) -> dict[str, str] | None:
    """The sender's number as reporter contact, when it is a valid phone number."""
    if not value:
        return None
    try:
        return {"phone": ReporterContact(phone=value).phone or ""} if value else None
    except ValidationError:
        return None


def contact_email(value: str | None, name: str | None = None) -> dict[str, str | None] | None:
    if not value:
        return None
    try:
        contact = ReporterContact(email=value, name=(name or None) and name[:120])
    except ValidationError:
        return None
    return contact.model_dump(exclude_none=True) or None


def provider_time(value: Any, channel: Any, message_id: str, read: Callable[[Any], datetime]) -> datetime | None:
    """A provider's own time for one message (``read`` turns its wire value into
    a datetime, raising ValueError), if believable (clock.from_outside).

    Messaging providers and mail servers cannot be answered "your date is
    wrong", and the person who wrote is not to blame: a time outside the
    window is dropped -- the case is dated when we received it -- and logged
    with the message's key, never the report refused.
    """
    if value is None or value == "":
        return None
    try:
        return from_outside(read(value), system_clock())
    except (ValueError, TypeError, OverflowError) as problem:  # unreadable, or outside the window
        log.warning(
            "provider time dropped",
            extra={"channel": getattr(channel, "value", channel), "message_key": message_id, "problem": str(problem)},
        )
        return None


def message_report(
    channel: Any,
    message_id: str,
    words: str,
    *,
    media: list[dict[str, Any]],
    location: dict[str, Any] | None,
    reply_handle: dict[str, Any],
    conversational: bool,
    reporter: dict[str, Any] | None = None,
    sent_at: Any = None,
    language: str | None = None,
) -> IncomingReport:
    """A report from a messaging channel's free text, photos and place.

    Category and language are guessed from the words; the description says
    what came (text, photos, a location). A message that cannot become a
    report is the provider's malformed payload, not a 422 to a person.
    ``sent_at``: the provider's epoch timestamp, kept only if believable.
    """
    from chalicelib.domain import privacy

    words, level = privacy.from_keywords((words or "").strip())
    language = language or guess_language(words)
    try:
        return build_report(
            channel=channel,
            message_id=message_id,
            category=guess_category(words),
            description=describe(words, photos=len(media), location=bool(location), language=language),
            has_text=bool(words),
            location=location,
            reporter=reporter,
            privacy=level,
            media=media,
            reported_at=provider_time(sent_at, channel, message_id, meta.epoch),
            language=language,
            reply_handle=reply_handle,
            conversational=conversational,
        )
    except InvalidReport as error:
        raise MalformedPayload("the message is not usable: " + str(error)) from None
