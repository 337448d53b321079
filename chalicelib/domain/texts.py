"""What citizens read: status names and timeline lines, in Bahasa Indonesia
(the default) and English. Rendered on read so stored cases stay language-free.
"""

from __future__ import annotations

from typing import Any

from . import events
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


CONFIDENTIAL_NOTICE = (
    "Laporan rahasia: isi, lokasi, foto dan riwayatnya hanya terlihat oleh petugas yang menanganinya.",
    "Confidential report: its content, place, photos and history are seen only by the officers handling it.",
)


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
        return pick(
            (
                "Rencana tindak lanjut disusun dan sedang diverifikasi.",
                "A follow-up plan was made and is being checked.",
            ),
            language,
        )
    if event_type == "plan.verified":
        date = _date(data.get("expected_completion"), language)
        return pick(
            (
                f"Rencana tindak lanjut disetujui. Perkiraan selesai: {date}.",
                f"Follow-up plan approved. Expected completion: {date}.",
            ),
            language,
        )
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
            return pick(
                ("Ditutup otomatis 7 hari setelah selesai.", "Closed automatically 7 days after resolution."), language
            )
        return pick(("Ditutup setelah dikonfirmasi pelapor.", "Closed after the reporter confirmed."), language)
    if event_type == "case.rejected":
        reason = pick(REJECTION_LABELS.get(data.get("reason", ""), ("-", "-")), language)
        return pick(
            (f"Laporan tidak dapat ditindaklanjuti: {reason}.", f"Report not taken forward: {reason}."), language
        )
    if event_type == "case.merged":
        primary = data.get("primary")
        if not primary:
            return pick(
                (
                    "Digabung dengan laporan lain tentang masalah yang sama.",
                    "Merged with another report about the same problem.",
                ),
                language,
            )
        return pick(
            (
                f"Digabung dengan laporan {primary} tentang masalah yang sama.",
                f"Merged with report {primary} about the same problem.",
            ),
            language,
        )
    if event_type == "case.reporter_added":
        return pick(
            (f"Pelapor menambahkan {_added(data, 'id')}.", f"The reporter added {_added(data, 'en')}."), language
        )
    if event_type == "case.photo_pending":
        count = int(data.get("count", 1))
        return pick(
            (
                f"{count} foto sedang diambil dari penyedia layanan.",
                f"{count} photo(s) being fetched from the provider.",
            ),
            language,
        )
    if event_type == "case.photo_added":
        count = int(data.get("count", 1))
        return pick((f"{count} foto ditambahkan.", f"{count} photo(s) added."), language)
    return pick(("Pembaruan laporan.", "Report updated."), language)


_ADDED_NAMES = {
    "text": ("keterangan", "a description"),
    "photo": ("foto", "a photo"),
    "location": ("lokasi", "a location"),
}


def _added(data: dict[str, Any], language: str) -> str:
    names = [pick(_ADDED_NAMES[item], language) for item in data.get("added", []) if item in _ADDED_NAMES]
    if not names:
        return pick(("informasi", "information"), language)
    joiner = " dan " if language == "id" else " and "
    return ", ".join(names[:-1]) + joiner + names[-1] if len(names) > 1 else names[0]


# --- replies to the reporter, on their channel -----------------------------------------
# Short enough for one or two SMS. {code} is the tracking code, {url} its status page.

_REPLIES: dict[str, tuple[str, str]] = {
    "received": (
        "Terima kasih, laporan Anda sudah kami terima. Kode laporan: {code}. Pantau statusnya di {url}",
        "Thank you, we have received your report. Tracking code: {code}. Follow it at {url}",
    ),
    "received_repeat": (
        "Laporan ini sudah kami terima sebelumnya. Kode laporan: {code}. {url}",
        "We already have this report. Tracking code: {code}. {url}",
    ),
    "added": (
        "Tambahan Anda ({added}) sudah dimasukkan ke laporan {code}. {url}",
        "We added your {added} to report {code}. {url}",
    ),
    "assigned": (
        "Laporan {code} sudah diteruskan ke instansi yang berwenang{agency}. {url}",
        "Report {code} has been passed to the responsible agency{agency}. {url}",
    ),
    "transferred": (
        "Laporan {code} dialihkan ke instansi lain{agency}. {url}",
        "Report {code} was transferred to another agency{agency}. {url}",
    ),
    "progress": (
        "Laporan {code} sedang ditangani{percent}. {url}",
        "Report {code} is being worked on{percent}. {url}",
    ),
    "resolved": (
        "Laporan {code} selesai ditangani. Foto penyelesaian: {photo}",
        "Report {code} has been resolved. Completion photo: {photo}",
    ),
    "closed": ("Laporan {code} ditutup. Terima kasih atas laporan Anda.", "Report {code} is closed. Thank you."),
    "rejected": (
        "Laporan {code} tidak dapat ditindaklanjuti. Alasannya dapat dilihat di {url}",
        "Report {code} cannot be followed up. See why at {url}",
    ),
    "merged": (
        "Laporan {code} digabung dengan laporan lain tentang masalah yang sama. {url}",
        "Report {code} was merged with another report of the same problem. {url}",
    ),
    "reopened": ("Laporan {code} dibuka kembali dan ditangani lagi. {url}", "Report {code} was reopened. {url}"),
    "planned": (
        "Rencana penanganan laporan {code} disetujui; perkiraan selesai {date}. {url}",
        "The plan for report {code} was approved; expected completion {date}. {url}",
    ),
    "updated": ("Status laporan {code}: {status}. {url}", "Status of report {code}: {status}. {url}"),
    # Notices that answer a message without changing a case.
    "status": (
        "Status laporan {code}: {status} (diperbarui {updated}). {url}",
        "Status of report {code}: {status} (updated {updated}). {url}",
    ),
    "unknown_code": (
        "Kode laporan {code} tidak kami temukan. Periksa kembali kodenya.",
        "We could not find report {code}. Please check the code.",
    ),
    "rate_limited": (
        "Mohon maaf, Anda sudah mengirim lebih dari {limit} laporan dalam satu jam. "
        "Silakan kirim lagi nanti; laporan yang sudah masuk tetap kami tangani.",
        "Sorry, you have sent more than {limit} reports in one hour. Please try again later; "
        "the reports we already have are being handled.",
    ),
    "outside_area": (
        "Mohon maaf, lokasi yang Anda kirim berada di luar wilayah DKI Jakarta, jadi laporan ini tidak kami "
        "terima. Untuk masalah di luar Jakarta, silakan hubungi pemerintah daerah setempat.",
        "Sorry, the place you sent is outside DKI Jakarta, so we cannot take this report. For problems outside "
        "Jakarta, please contact the local government there.",
    ),
    "alerts_stopped": (
        "Peringatan area untuk nomor ini sudah dihentikan.",
        "Area alerts for this number are stopped.",
    ),
    "full": (
        "Laporan {code} sudah menerima banyak tambahan. Kirim laporan baru setelah 30 menit. {url}",
        "Report {code} has received many additions already. Send a new report after 30 minutes. {url}",
    ),
    # Posted in PUBLIC (a comment under a Facebook post): never the tracking code, which
    # goes privately; {url} is the read-only status page by the case's public id.
    "public_received": (
        "Terima kasih, laporan Anda sudah kami terima. Kode laporan kami kirim lewat pesan pribadi "
        "(Messenger). Pantau statusnya di {url}",
        "Thank you, we have received your report. We sent your tracking code in a private message "
        "(Messenger). Follow it at {url}",
    ),
    "public_update": ("Status laporan: {status}. {url}", "Report status: {status}. {url}"),
    "public_notice": (
        "Kami sudah membalas Anda lewat pesan pribadi (Messenger).",
        "We have answered you in a private message (Messenger).",
    ),
}

# Which reply text each event gets; events not here are not told to the reporter.
# The handler registry (services/handlers.py) sends exactly these to the replies queue.
REPLY_KEYS: dict[type[events.DomainEvent], str] = {
    events.CaseReceived: "received",
    events.ReporterAdded: "added",
    events.CaseAssigned: "assigned",
    events.CaseDelegated: "transferred",
    events.CaseTransferred: "transferred",
    events.PlanVerified: "planned",
    events.ProgressPosted: "progress",
    events.CaseResolved: "resolved",
    events.CaseReopened: "reopened",
    events.CaseClosed: "closed",
    events.CaseRejected: "rejected",
    events.CaseMerged: "merged",
}


def reply_key(event: events.DomainEvent) -> str | None:
    """Which reply text an event gets; None: the reporter is not messaged."""
    return REPLY_KEYS.get(type(event))


def reply_text(key: str, language: str, **values: Any) -> str:
    """A reply to the reporter; missing values render as nothing."""
    percent = values.get("percent")
    agency = values.get("agency")
    values = {
        "code": "",
        "url": "",
        "status": "",
        "updated": "",
        "date": _date(values.get("expected_completion"), language) if values.get("expected_completion") else "-",
        "limit": "",
        **values,
        "percent": (f" ({percent}%)" if language == "en" else f" ({percent}% selesai)") if percent else "",
        "agency": f" ({agency})" if agency else "",
        "added": _added({"added": values.get("added") or []}, language),
    }
    values.setdefault("photo", values["url"])
    if not values.get("photo"):
        values["photo"] = values["url"]
    return pick(_REPLIES[key], language).format(**values).strip()
