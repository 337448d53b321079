"""What happened to one incoming message, and what its sender is told.

A ``Receipt`` is intake's answer to one message (services/intake.py); the
channels answer inline with it (TwiML, the partner's JSON) and the webhook
queues the notices of the ones that changed no case. Plain values and texts
(chalicelib/domain/texts.py), so a channel reads them without the services.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import texts
from .clock import to_jakarta_text
from .messages import MAX_REPORTS_PER_HOUR

if TYPE_CHECKING:
    from .case import Case

# What happened to a message (Receipt.outcome).
CREATED, REPEATED, ADDED, STATUS, UNKNOWN_CODE, RATE_LIMITED, FULL = (
    "created",
    "repeated",
    "added",
    "status",
    "unknown_code",
    "rate_limited",
    "full",
)
# "BERHENTI"/"STOP" by SMS or WhatsApp: the sender's area alerts are removed (services/alerts.py).
ALERTS_STOPPED = "alerts_stopped"
# A messaging sender's place is outside DKI Jakarta: told so, no case.
OUTSIDE_AREA = "outside_area"
# Outcomes that change no case: the sender is answered with a notice.
NOTICE_OUTCOMES = frozenset({STATUS, UNKNOWN_CODE, RATE_LIMITED, FULL, ALERTS_STOPPED, OUTSIDE_AREA})


@dataclass(frozen=True)
class Receipt:
    tracking_code: str | None
    created: bool  # False: this delivery repeats a report already taken in
    case: Case | None
    outcome: str = CREATED
    language: str = "id"
    added: list[str] = field(default_factory=list)  # what an ADDED message brought
    notify: bool = True  # False: a notice we already sent (repeated rate-limit hits)
    sender: str | None = None  # keyed hash of the sender, to answer notices

    @property
    def needs_notice(self) -> bool:
        return self.outcome in NOTICE_OUTCOMES and self.notify


def status_url(base_url: str, code: str) -> str:
    return f"{base_url}/status/{code}"


def receipt_text(receipt: Receipt, base_url: str) -> str | None:
    """The answer to one message, or None when nothing should be said."""
    language = receipt.language
    code = receipt.tracking_code or ""
    url = status_url(base_url, code) if code else ""
    outcome = receipt.outcome
    if outcome in (CREATED, REPEATED):
        return texts.reply_text("received", language, code=code, url=url)
    if outcome == ADDED:
        return texts.reply_text("added", language, code=code, url=url, added=receipt.added or ["text"])
    if not receipt.notify:
        return None
    return notice_text(outcome, language, code=code, base_url=base_url, case=receipt.case)


def notice_text(outcome: str, language: str, *, code: str, base_url: str, case: Case | None) -> str:
    url = status_url(base_url, code) if code else ""
    if outcome == STATUS and case is not None:
        return texts.reply_text(
            "status",
            language,
            code=code,
            url=url,
            status=texts.status_label(case.status, language),
            updated=to_jakarta_text(case.updated_at).replace("T", " ")[:16] + " WIB",
        )
    if outcome in (STATUS, UNKNOWN_CODE):
        return texts.reply_text("unknown_code", language, code=code)
    if outcome == RATE_LIMITED:
        return texts.reply_text("rate_limited", language, limit=MAX_REPORTS_PER_HOUR)
    if outcome == ALERTS_STOPPED:
        return texts.reply_text("alerts_stopped", language)
    if outcome == OUTSIDE_AREA:
        return texts.reply_text("outside_area", language)
    return texts.reply_text("full", language, code=code, url=url)
