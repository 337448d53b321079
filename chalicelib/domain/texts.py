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


REJECTION_LABELS = {
    "out_of_scope": ("bukan kewenangan Pemprov / di luar cakupan layanan", "outside the city's remit"),
    "emergency": ("keadaan darurat: hubungi 112", "an emergency: call 112"),
    "spam": ("bukan laporan yang dapat ditindaklanjuti", "not a report that can be acted on"),
}


def _date(value: str | None, language: str) -> str:
    if not value:
        return ""
    from datetime import datetime

    from .clock import JAKARTA

    moment = datetime.fromisoformat(value).astimezone(JAKARTA)
    return moment.strftime("%d-%m-%Y") if language != "en" else moment.strftime("%Y-%m-%d")


def timeline_text(event_type: str, data: dict[str, Any], language: str) -> str:
    """One public timeline line for an event type and its public data."""
    agency = data.get("agency_name") or data.get("agency_id") or ""
    if event_type == "case.received":
        channel = _channel_name(data.get("channel", ""), language)
        return pick((f"Laporan diterima melalui {channel}.", f"Report received via {channel}."), language)
    if event_type == "case.assigned":
        return pick((f"Laporan diteruskan ke {agency}.", f"Report assigned to {agency}."), language)
    if event_type == "case.delegated":
        return pick((f"Didelegasikan ke {agency}.", f"Delegated to {agency}."), language)
    if event_type == "case.transferred":
        return pick((f"Dialihkan ke {agency}.", f"Transferred to {agency}."), language)
    if event_type == "case.collaborator_added":
        return pick((f"Berkoordinasi dengan {agency}.", f"Coordinating with {agency}."), language)
    if event_type == "plan.submitted":
        return pick(("Rencana tindak lanjut disusun dan sedang diverifikasi.",
                     "A follow-up plan was made and is being checked."), language)
    if event_type == "plan.verified":
        date = _date(data.get("expected_completion"), language)
        return pick((f"Rencana tindak lanjut disetujui. Perkiraan selesai: {date}.",
                     f"Follow-up plan approved. Expected completion: {date}."), language)
    if event_type == "case.progress":
        percent, text = data.get("percent", 0), data.get("text", "")
        return pick((f"Progres {percent}%: {text}", f"Progress {percent}%: {text}"), language)
    if event_type == "case.resolved":
        note = data.get("note") or ""
        return pick((f"Selesai ditangani. {note}".strip(), f"Resolved. {note}".strip()), language)
    if event_type == "case.reopened":
        return pick(("Dibuka kembali atas permintaan pelapor.", "Reopened at the reporter's request."), language)
    if event_type == "case.feedback":
        rating = data.get("rating")
        return pick((f"Pelapor memberi penilaian {rating}/5.", f"The reporter rated the work {rating}/5."), language)
    if event_type == "case.closed":
        if data.get("how") == "no_response":
            return pick(("Ditutup otomatis 7 hari setelah selesai.", "Closed automatically 7 days after resolution."),
                        language)
        return pick(("Ditutup setelah dikonfirmasi pelapor.", "Closed after the reporter confirmed."), language)
    if event_type == "case.rejected":
        reason = pick(REJECTION_LABELS.get(data.get("reason", ""), ("-", "-")), language)
        return pick((f"Laporan tidak dapat ditindaklanjuti: {reason}.", f"Report not taken forward: {reason}."),
                    language)
    if event_type == "case.merged":
        primary = data.get("primary", "")
        return pick((f"Digabung dengan laporan {primary} tentang masalah yang sama.",
                     f"Merged with report {primary} about the same problem."), language)
    return pick(("Pembaruan laporan.", "Report updated."), language)
