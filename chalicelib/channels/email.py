"""E-mail to dki@jakarta.go.id: Amazon SES stores the raw MIME message in S3;
this turns it into a report. Parsed with the stdlib ``email`` package and its
default (modern) policy.

* subject + the plain-text body (HTML only when there is no text part; quoted
  earlier mail below "On ... wrote:" / "Pada ... menulis:" and "> " lines is cut,
  and so is the sender's signature: everything below the "-- " delimiter or a
  "Sent from my ..." / "Dikirim dari ..." line, and a short block (name, phone,
  e-mail) after a closing line such as "Salam," or "Terima kasih,");
* image attachments (JPEG, PNG, WebP) as photos, up to five;
* the From address as the reporter's contact and reply handle;
* the SES message id (the S3 object's name) as the idempotency key;
* the Date: header as the time of the report, when it is believable
  (common.provider_time: otherwise dropped and logged; the mail is still taken).

Not reports: auto-replies and bulk mail (Auto-Submitted, Precedence), mail
from our own address (no loops), and mail SES marked as spam. Mail SES marked
as a virus (``X-SES-Virus-Verdict: FAIL``) raises ``InfectedMail``: dropped
too, but counted and alarmed on (services/email_intake.py).

Sender authentication: our path reads the stored message (S3 event), not the
SES action's notification, so the verdicts come from the headers SES adds on
top of the stored message: ``Authentication-Results: amazonses.com; spf=...;
dkim=...; dmarc=...``. Only the topmost Authentication-Results counts, and only
if SES wrote it (authserv-id ``amazonses.com``): a sender can put any header
below it. The sender is *verified* when SPF and DKIM pass and DMARC did not
fail; anything else (a fail, softfail, none, a missing header) is unverified.
An unverified mail may open a new case, flagged ``unverified`` for officers
(``IncomingReport.provenance``), but never adds to an existing one
(services/email_intake.py) and gets no receipt (services/replies.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr, parsedate_to_datetime
from html import unescape

from chalicelib.domain.channels import Channel
from chalicelib.domain.errors import InvalidReport
from chalicelib.domain.messages import describe, guess_category, guess_language
from chalicelib.domain.report import (
    ALLOWED_PHOTO_TYPES,
    MAX_PHOTO_BYTES,
    MAX_PHOTOS,
    IncomingReport,
    Provenance,
    build_report,
)

from .base import MalformedPayload
from .common import contact_email, provider_time

_QUOTE_START = re.compile(
    r"^(On .{1,200} wrote:|Pada .{1,200} menulis:|-----\s*Original Message\s*-----|-----\s*Pesan Asli\s*-----)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
# The signature starts at its delimiter line ("-- ", RFC 3676) or at a phone/app footer.
_SIGNATURE_START = re.compile(
    r"^(--[ \t]?|(Sent from|Sent with|Get Outlook for|Dikirim dari|Dikirim dengan|Dikirim melalui) .{0,200})$",
    re.IGNORECASE | re.MULTILINE,
)
# A closing line; a short block after it is the sender's name and contact details.
_CLOSING = re.compile(
    r"^(salam( hangat| hormat)?|hormat (saya|kami)|terima ?kasih( banyak)?|wassalam\w*|regards|best regards|"
    r"kind regards|best|thanks|thank you|sincerely)[ \t]*[,.!]*[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
MAX_SIGNATURE_LINES = 6
_TAGS = re.compile(r"<[^>]{0,2000}>")


class InfectedMail(MalformedPayload):
    """SES found a virus in the message: it is dropped unread (a security signal, counted)."""

    code = "virus_found"


@dataclass(frozen=True)
class ParsedEmail:
    report: IncomingReport
    subject: str
    sender: str
    verified: bool = False  # SES found SPF and DKIM passing and DMARC not failing


_VERDICT = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*([a-z]+)", re.IGNORECASE)


def sender_verified(message: EmailMessage) -> bool:
    """SPF and DKIM pass and DMARC does not fail, in the Authentication-Results SES put on top."""
    results = message.get_all("Authentication-Results") or []
    if not results:
        return False
    top = str(results[0])
    if top.split(";", 1)[0].strip().lower() != "amazonses.com":
        return False
    verdicts: dict[str, str] = {}
    for method, result in _VERDICT.findall(top):
        verdicts.setdefault(method.lower(), result.lower())
    return verdicts.get("spf") == "pass" and verdicts.get("dkim") == "pass" and verdicts.get("dmarc") != "fail"


def parse_email(raw: bytes, message_id: str, own_address: str) -> ParsedEmail | None:
    """The report in one raw message, or None if it is not one (auto-reply, loop, spam)."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception:  # noqa: BLE001 - the stdlib parser is lenient; anything it raises is malformed input
        raise MalformedPayload("the message is not readable MIME") from None
    assert isinstance(message, EmailMessage)
    try:
        name, address = parseaddr(str(message.get("From", "")))
        auto = str(message.get("Auto-Submitted", "no")).strip().lower()
        precedence = str(message.get("Precedence", "")).strip().lower()
        virus = str(message.get("X-SES-Virus-Verdict", "")).strip().upper()
        spam = str(message.get("X-SES-Spam-Verdict", "")).strip().upper()
        subject = " ".join(str(message.get("Subject", "")).split())[:300]
        sent = str(message.get("Date", "")).strip()
        verified = sender_verified(message)
    except Exception:  # noqa: BLE001 - broken encoded words in headers
        raise MalformedPayload("the message headers are not readable") from None
    if virus == "FAIL":
        raise InfectedMail("SES found a virus in the message")
    if not address or "@" not in address:
        raise MalformedPayload("the message has no sender address")
    if auto != "no" or precedence in ("bulk", "junk", "list", "auto_reply") or spam == "FAIL":
        return None
    if address.lower() == own_address.lower():
        return None
    body = _body_text(message)
    photos = _photos(message)
    words = "\n\n".join(part for part in (subject, body) if part).strip()
    language = guess_language(words)
    contact = contact_email(address, name)
    if contact is None:
        return None  # no address we could ever answer or accept
    try:
        report = build_report(
            channel=Channel.EMAIL,
            message_id=message_id,
            category=guess_category(words),
            description=describe(words, photos=len(photos), language=language),
            has_text=bool(words),
            reporter=contact,
            photos=photos,
            reported_at=provider_time(sent, Channel.EMAIL, message_id, parsedate_to_datetime),
            language=language,
            reply_handle={"channel": Channel.EMAIL, "kind": "email", "address": contact["email"]},
            provenance=Provenance.VERIFIED if verified else Provenance.UNVERIFIED,
        )
    except InvalidReport as error:
        raise MalformedPayload("the message is not usable: " + str(error)) from None
    return ParsedEmail(report=report, subject=subject, sender=contact["email"] or address, verified=verified)


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):
        return ""
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        content = unescape(_TAGS.sub(" ", content))
    quoted = _QUOTE_START.search(content)
    if quoted:
        content = content[: quoted.start()]
    lines = [line.rstrip() for line in content.splitlines() if not line.lstrip().startswith(">")]
    return _without_signature("\n".join(lines)).strip()[:4500]


def _without_signature(body: str) -> str:
    """The body without the sender's signature block (name, phone, e-mail, device footer)."""
    start = _SIGNATURE_START.search(body)
    if start:
        body = body[: start.start()]
    closings = list(_CLOSING.finditer(body))
    if closings:
        after = closings[-1]
        rest = [line for line in body[after.end() :].splitlines() if line.strip()]
        if len(rest) <= MAX_SIGNATURE_LINES and all(len(line.strip()) <= 80 for line in rest):
            body = body[: after.end()]
    return body


def _photos(message: EmailMessage) -> list[dict[str, object]]:
    photos: list[dict[str, object]] = []
    for part in message.walk():
        if len(photos) >= MAX_PHOTOS:
            break
        if part.is_multipart() or part.get_content_type() not in ALLOWED_PHOTO_TYPES:
            continue
        try:
            data = part.get_content()
        except (LookupError, ValueError, AssertionError):
            continue
        if isinstance(data, bytes) and 0 < len(data) <= MAX_PHOTO_BYTES:
            photos.append({"content_type": part.get_content_type(), "data": data})
    return photos
