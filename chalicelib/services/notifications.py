"""Telling officers what needs them: an in-app inbox per agency, plus e-mail
where the agency has an address. Driven by the relayed domain events.

    assigned / delegated / transferred / reopened / plan returned / plan verified / SLA reminder or breach
                                           -> the agency holding the case
    collaborator added                     -> the collaborating agency
    plan submitted, triage needed          -> the Government Bureau
    escalated                              -> the Inspectorate, the supervisors' inbox and the holder
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.adapters import reference_data
from chalicelib.domain.agencies import BUREAU, INSPECTORATE

SUPERVISORS = "supervisors"

_SUBJECTS = {
    "case.assigned": "Laporan baru untuk instansi Anda",
    "case.delegated": "Laporan didelegasikan kepada Anda",
    "case.transferred": "Laporan dialihkan kepada Anda",
    "case.collaborator_added": "Instansi Anda diminta berkoordinasi",
    "case.reopened": "Pelapor membuka kembali laporan",
    "plan.submitted": "Rencana tindak lanjut menunggu verifikasi",
    "plan.returned": "Rencana tindak lanjut dikembalikan",
    "plan.verified": "Rencana tindak lanjut disetujui",
    "sla.reminder": "Pengingat batas waktu laporan",
    "sla.breached": "Batas waktu laporan terlewati",
    "case.escalated": "Laporan dieskalasi (30 hari belum selesai)",
    "case.triage_needed": "Laporan menunggu triase",
    "case.duplicates_found": "Kemungkinan laporan ganda",
}
NOTIFIED_TYPES = tuple(_SUBJECTS)


def recipients(message: dict[str, Any]) -> list[str]:
    kind = message.get("type")
    data = message.get("data") or {}
    holder = (message.get("case") or {}).get("agency_id")
    if kind in ("case.assigned", "case.delegated", "case.transferred", "case.collaborator_added"):
        return [data["agency_id"]]
    if kind in ("plan.submitted", "case.triage_needed"):
        return [BUREAU]
    if kind == "case.escalated":
        return [inbox for inbox in (INSPECTORATE, SUPERVISORS, holder) if inbox]
    if kind in ("sla.reminder", "sla.breached"):
        return [holder or BUREAU]
    if kind in _SUBJECTS and holder:
        return [holder]
    return []


def notify(message: dict[str, Any], store, mailer, now: datetime) -> list[str]:
    """Write the inbox entries (idempotent) and send e-mails; returns the inboxes."""
    kind = message.get("type")
    if kind not in _SUBJECTS:
        return []
    code = message.get("tracking_code", "")
    data = message.get("data") or {}
    entry = {
        "event_type": kind,
        "tracking_code": code,
        "title": _SUBJECTS[kind],
        "category": (message.get("case") or {}).get("category"),
        "detail": {
            k: v
            for k, v in data.items()
            if k
            in ("agency_id", "agency_name", "milestone", "deadline", "days_open", "comment", "candidates", "reason")
        },
    }
    inboxes = recipients(message)
    directory = reference_data.agencies()
    for inbox in inboxes:
        store.add(inbox, message["id"], message["occurred_at"], entry, now)
        agency = directory.get(inbox)
        if mailer is not None and agency is not None and agency.email:
            mailer.send(
                [agency.email],
                f"[CRM] {entry['title']} - {code}",
                f"{entry['title']}\nKode laporan: {code}\nKategori: {entry['category']}\n",
            )
    return inboxes
