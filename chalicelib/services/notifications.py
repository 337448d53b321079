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

from chalicelib.adapters import reference_data
from chalicelib.domain import events
from chalicelib.domain.agencies import BUREAU, INSPECTORATE
from chalicelib.domain.clock import to_utc_text
from chalicelib.domain.events import Envelope

SUPERVISORS = "supervisors"

# The inbox title per event type; the handler registry (services/handlers.py)
# sends exactly these types to the notifications queue (a test keeps them equal).
SUBJECTS: dict[type[events.DomainEvent], str] = {
    events.CaseAssigned: "Laporan baru untuk instansi Anda",
    events.CaseDelegated: "Laporan didelegasikan kepada Anda",
    events.CaseTransferred: "Laporan dialihkan kepada Anda",
    events.CollaboratorAdded: "Instansi Anda diminta berkoordinasi",
    events.CaseReopened: "Pelapor membuka kembali laporan",
    events.PlanSubmitted: "Rencana tindak lanjut menunggu verifikasi",
    events.PlanReturned: "Rencana tindak lanjut dikembalikan",
    events.PlanVerified: "Rencana tindak lanjut disetujui",
    events.SlaReminder: "Pengingat batas waktu laporan",
    events.SlaBreached: "Batas waktu laporan terlewati",
    events.CaseEscalated: "Laporan dieskalasi (30 hari belum selesai)",
    events.TriageNeeded: "Laporan menunggu triase",
    events.DuplicatesFound: "Kemungkinan laporan ganda",
}
# What of an event an inbox entry shows (never the plan's or a comment's free text).
DETAIL_FIELDS = ("agency_id", "agency_name", "milestone", "deadline", "days_open", "comment", "candidates", "reason")


def recipients(message: Envelope) -> list[str]:
    holder = message.case.agency_id
    match message.event:
        case events.CaseAssigned() | events.CaseDelegated() | events.CaseTransferred() | events.CollaboratorAdded():
            return [message.event.agency_id]
        case events.PlanSubmitted() | events.TriageNeeded():
            return [BUREAU]
        case events.CaseEscalated():
            return [inbox for inbox in (INSPECTORATE, SUPERVISORS, holder) if inbox]
        case events.SlaReminder() | events.SlaBreached():
            return [holder or BUREAU]
    if type(message.event) in SUBJECTS and holder:
        return [holder]
    return []


def notify(message: Envelope, store, mailer, now: datetime) -> list[str]:
    """Write the inbox entries (idempotent) and send e-mails; returns the inboxes."""
    title = SUBJECTS.get(type(message.event))
    if title is None:
        return []
    code = message.tracking_code
    data = message.event.data()
    entry = {
        "event_type": message.type,
        "tracking_code": code,
        "title": title,
        "category": message.case.category,
        "detail": {k: v for k, v in data.items() if k in DETAIL_FIELDS},
    }
    inboxes = recipients(message)
    directory = reference_data.agencies()
    for inbox in inboxes:
        store.add(inbox, message.id, to_utc_text(message.event.occurred_at), entry, now)
        agency = directory.get(inbox)
        if mailer is not None and agency is not None and agency.email:
            mailer.send(
                [agency.email],
                f"[CRM] {entry['title']} - {code}",
                f"{entry['title']}\nKode laporan: {code}\nKategori: {entry['category']}\n",
            )
    return inboxes
