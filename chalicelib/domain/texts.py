"""What citizens read: status names and timeline lines, in Bahasa Indonesia
(the default) and English. Rendered on read so stored cases stay language-free.
"""

from __future__ import annotations

from typing import Any

from .channels import DISPLAY_NAMES, Channel
from .lifecycle import CaseStatus

LANGUAGES = ("id", "en")

STATUS_LABELS: dict[CaseStatus, tuple[str, str]] = {
    CaseStatus.RECEIVED: ("Diterima", "Received"),
    CaseStatus.ASSIGNED: ("Didisposisikan ke instansi", "Assigned to an agency"),
    CaseStatus.PLAN_SUBMITTED: ("Rencana tindak lanjut diajukan", "Follow-up plan submitted"),
    CaseStatus.IN_PROGRESS: ("Dalam proses", "In progress"),
    CaseStatus.RESOLVED: ("Selesai ditangani", "Resolved"),
    CaseStatus.CLOSED: ("Ditutup", "Closed"),
    CaseStatus.REJECTED: ("Ditolak", "Rejected"),
    CaseStatus.MERGED: ("Digabung dengan laporan lain", "Merged with another report"),
}


def pick(pair: tuple[str, str], language: str) -> str:
    return pair[1] if language == "en" else pair[0]


def status_label(status: CaseStatus, language: str) -> str:
    return pick(STATUS_LABELS[status], language)


def _channel_name(value: str, language: str) -> str:
    try:
        return pick(DISPLAY_NAMES[Channel(value)], language)
    except ValueError:
        return value


def timeline_text(event_type: str, data: dict[str, Any], language: str) -> str:
    """One public timeline line for an event type and its public data."""
    if event_type == "case.received":
        channel = _channel_name(data.get("channel", ""), language)
        return pick((f"Laporan diterima melalui {channel}.", f"Report received via {channel}."), language)
    return pick(("Pembaruan laporan.", "Report updated."), language)
