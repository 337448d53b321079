"""Taking in a report: exactly one case per provider message, and a tracking code.

    report -> clean photos -> tracking code -> photos to S3 -> Case.open -> one PutItem

The tracking code of a provider message is derived from its id with a server
key, so a retry (even five at once) computes the same code and its write fails
the condition: the sender gets the first case's code back and no second case
exists. Photos go to S3 before the case is written; if anything fails before
the write, nothing points at them and a retry writes the same keys again.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.adapters.case_repository import Added, AlreadyStored, CaseRepository, CodeTaken
from chalicelib.adapters.images import CleanImage, UnreadableImage, clean
from chalicelib.adapters.photo_store import PhotoStore
from chalicelib.domain import tracking
from chalicelib.domain.case import Case, PhotoRef
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import InvalidReport
from chalicelib.domain.report import IncomingReport
from chalicelib.logs import get_logger

log = get_logger("intake")

# A collision needs two messages among all cases ever to share 64 random
# bits; a few attempts make a failure here a cosmic-ray event.
MAX_CODE_ATTEMPTS = 4


@dataclass(frozen=True)
class Receipt:
    tracking_code: str
    created: bool  # False: this delivery repeats a report already taken in
    case: Case


def submit_report(
    report: IncomingReport,
    *,
    cases: CaseRepository,
    photos: PhotoStore,
    clock: Clock,
    code_key: bytes,
) -> Receipt:
    now = clock()
    cleaned = _clean_photos(report)
    for attempt in range(MAX_CODE_ATTEMPTS):
        if report.message_id:
            code = tracking.derive_code(code_key, report.channel.value, report.message_id, attempt)
        else:
            code = tracking.new_code()
        stored_photos = _store_photos(code, cleaned, photos)
        outcome = cases.add(Case.open(report, code, now, stored_photos))
        if isinstance(outcome, Added):
            log.info("case opened", extra={"tracking_code": code, "channel": report.channel.value})
            return Receipt(code, True, outcome.case)
        if isinstance(outcome, AlreadyStored):
            log.info(
                "repeated delivery",
                extra={"tracking_code": outcome.case.tracking_code, "channel": report.channel.value},
            )
            return Receipt(outcome.case.tracking_code, False, outcome.case)
        assert isinstance(outcome, CodeTaken)
        log.warning("tracking code collision, trying the next", extra={"attempt": attempt})
    raise RuntimeError("no free tracking code after several attempts")


def _clean_photos(report: IncomingReport) -> list[CleanImage]:
    """Check and clean every photo before anything is stored."""
    cleaned, problems = [], []
    for index, upload in enumerate(report.photos):
        try:
            cleaned.append(clean(upload.data))
        except UnreadableImage as error:
            problems.append((f"photos.{index}", str(error)))
    if problems:
        raise InvalidReport(problems)
    return cleaned


def _store_photos(code: str, cleaned: list[CleanImage], photos: PhotoStore) -> list[PhotoRef]:
    return [photos.store(code, f"p{index + 1}", "report", image) for index, image in enumerate(cleaned)]
