"""E-mail into cases: a new report, or more for an existing case when the
subject carries its tracking code, the mail comes from the address the case
was reported from (a reply to our answer) and SES verified that sender (SPF,
DKIM, DMARC: channels/email.py). A forged From quoting a code adds nothing to
that case: it is taken as a new report. The worker parses the mail
(workers/email_intake.py); this gets the report and what the mail said of it."""

from __future__ import annotations

from chalicelib.domain.errors import InvalidReport
from chalicelib.domain.messages import tracking_code_in
from chalicelib.domain.receipts import Receipt
from chalicelib.domain.report import IncomingReport
from chalicelib.logs import case_id, get_logger

from . import intake

log = get_logger("email")


def receive_email(report: IncomingReport, *, subject: str, sender: str, verified: bool, app) -> Receipt:
    """A parsed mail (channels/email.py, read by the worker); ``app``: bootstrap.Services."""
    code = tracking_code_in(subject)
    case = app.cases.get(code) if code else None
    if case is not None and not verified:
        log.info(
            "unverified sender quoting a case; taken as a new report", extra={"case_id": case_id(case.tracking_code)}
        )
        case = None
    if case is not None and case.reply_handle is not None:
        handle = app.cases.open_sealed(case, "reply_handle").reply_handle  # stored sealed
        if handle.address.lower() == sender.lower():
            return _add_to_case(report, case, app)
    try:
        return _submit(report, app)
    except InvalidReport as error:
        bad = {int(field.split(".")[1]) for field, _ in error.problems if field.startswith("photos.")}
        if not bad:
            raise
        log.warning("unreadable attachments dropped", extra={"count": len(bad)})
        kept = [photo for index, photo in enumerate(report.photos) if index not in bad]
        return _submit(report.model_copy(update={"photos": kept}), app)


def _submit(report, app) -> Receipt:
    return intake.submit_report(
        report,
        cases=app.cases,
        photos=app.photos,
        clock=app.clock,
        code_key=app.settings.tracking_code_key,
        senders=app.senders,
        receipts=app.receipt_counter(),
    )


def _add_to_case(report, case, app) -> Receipt:
    cleaned = []
    for upload in report.photos:
        try:
            cleaned.append(intake.clean(upload.data))
        except intake.UnreadableImage:
            continue
    return intake.add_to_case(report, cleaned, case, cases=app.cases, photos=app.photos, now=app.clock(), sender=None)
