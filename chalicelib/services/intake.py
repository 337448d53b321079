"""Taking in a report: exactly one case per provider message, and a tracking code.

    report -> clean photos -> tracking code -> photos to S3 -> Case.open -> one PutItem

Messages from individual senders (SMS, WhatsApp, Messenger, X, e-mail) first
pass the sender's state (one UpdateItem, see adapters/sender_state.py):

* a message that is only a tracking code is a status question: answered, no case;
* a place outside DKI Jakarta (``AreaIndex.serves``): a notice, no case;
* more than MAX_REPORTS_PER_HOUR in a clock hour: a polite notice, no case;
* on messaging channels, a message within CONVERSATION_MINUTES of the sender
  opening a case adds to that case (CaseRepository.save, version-conditioned)
  instead of opening another. It first marks its own code as "added to that
  case" (CaseRepository.mark_message), so a retry of it that arrives after the
  window closed finds that case rather than opening a new one.

Every other channel refuses a place outside the service area with
``OutsideServiceArea`` (422 ``outside_service_area``; Open311 its own 400),
before anything is cleaned or written. One rule for every path: the report
form, POST /reports, partner webhooks, desk intake, Open311 and messaging.

The tracking code of a provider message is derived from its id with a server
key, so a retry (even five at once) computes the same code and its write fails
the condition: the sender gets the first case's code back and no second case
exists. Photos go to S3 before the case is written; if anything fails before
the write, nothing points at them and a retry writes the same keys again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from chalicelib import cloudwatch
from chalicelib.adapters.case_repository import Added, AddedElsewhere, AlreadyStored, CaseRepository, CodeTaken
from chalicelib.adapters.images import (
    MAX_REQUEST_PIXELS,
    CleanImage,
    ImageTooLarge,
    UnreadableImage,
    check_pixel_budget,
    clean,
)
from chalicelib.adapters.photo_store import PhotoStore
from chalicelib.adapters.sender_state import SenderRepository, SenderState, sender_key
from chalicelib.domain import tracking
from chalicelib.domain.areas import AreaIndex
from chalicelib.domain.case import Case, source_key
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import ConcurrentUpdate, InvalidReport, OutsideServiceArea
from chalicelib.domain.idempotency import IdempotencyKeyReused, content_digest, same_content
from chalicelib.domain.messages import (
    CONVERSATION_MINUTES,
    MAX_REPORTS_PER_HOUR,
    PER_SENDER_CHANNELS,
    ReplyHandle,
    tracking_code_query,
)
from chalicelib.domain.photos import REPORT, PhotoRef, Photos
from chalicelib.domain.receipts import (
    ADDED,
    ALERTS_STOPPED,
    CREATED,
    FULL,
    OUTSIDE_AREA,
    RATE_LIMITED,
    REPEATED,
    STATUS,
    UNKNOWN_CODE,
    Receipt,
)
from chalicelib.domain.report import IncomingReport
from chalicelib.logs import case_id, get_logger
from chalicelib.services.retry import retry_on_conflict

log = get_logger("intake")

# ``receipts``: (reply handle, the report's source key) -> may this new case answer it (counted).
Receipts = Callable[[ReplyHandle, str | None], bool]

# A collision needs two messages among all cases ever to share 64 random
# bits; a few attempts make a failure here a cosmic-ray event.
MAX_CODE_ATTEMPTS = 4


SAVE_ATTEMPTS = 3


def submit_report(
    report: IncomingReport,
    *,
    cases: CaseRepository,
    photos: PhotoStore,
    clock: Clock,
    code_key: bytes,
    senders: SenderRepository | None = None,
    stop_alerts: Callable[[ReplyHandle], int] | None = None,
    areas: AreaIndex | None = None,
    bind_content: bool = False,
    max_pixels: int = MAX_REQUEST_PIXELS,
    receipts: Receipts | None = None,
) -> Receipt:
    """``areas``: the service area; by default DKI Jakarta's (chalicelib/data/areas.geojson).

    ``receipts``: counts a receipt to the reply address against its daily cap
    (``receipt_allowed``; bootstrap.Services.receipt_counter); None: not capped.

    ``bind_content``: the message id is a key the client chose (the report form, POST /reports,
    a desk form): the case keeps the content's digest, and the same key with other content
    raises IdempotencyKeyReused instead of answering with the first case (domain/idempotency.py).

    ``max_pixels``: what the report's photos may decode to together (adapters/images.py)."""
    outside = report.location is not None and not _serves(report, areas)
    by_sender = senders is not None and report.reply_handle is not None and report.channel in PER_SENDER_CHANNELS
    if outside and not by_sender:
        assert report.location is not None
        log.info("location outside the service area; refused", extra={"channel": report.channel.value})
        raise OutsideServiceArea(report.location.lat, report.location.lng)
    cleaned = [] if outside else clean_photos(report.photos, max_pixels)  # every check before anything is written
    if stop_alerts is not None and _is_stop(report, cleaned):
        assert report.reply_handle is not None
        stop_alerts(report.reply_handle)
        return Receipt(None, False, None, ALERTS_STOPPED, report.language)
    if by_sender:
        assert senders is not None
        answered = _from_sender(
            report,
            cleaned,
            cases=cases,
            photos=photos,
            clock=clock,
            code_key=code_key,
            senders=senders,
            outside=outside,
            receipts=receipts,
        )
        return _withhold_notice(answered) if report.unverified_sender else answered
    digest = content_digest(report, code_key) if bind_content and report.message_id else None
    return _open_case(
        report, cleaned, cases=cases, photos=photos, now=clock(), code_key=code_key, digest=digest, receipts=receipts
    )


def _serves(report: IncomingReport, areas: AreaIndex | None) -> bool:
    assert report.location is not None
    if areas is None:
        from chalicelib.adapters import reference_data

        areas = reference_data.areas()
    return areas.serves(report.location.lat, report.location.lng)


def _is_stop(report: IncomingReport, cleaned: list[CleanImage]) -> bool:
    """Only the keyword, by SMS or WhatsApp, with nothing else: not a report."""
    if not (
        report.reply_handle is not None
        and report.channel.value in ("sms_1708", "whatsapp")
        and not (report.media or cleaned)
        and report.has_text
    ):
        return False
    from chalicelib.domain.alerts import is_stop_keyword  # the alerts' rules: only for such a message

    return is_stop_keyword(report.description)


def _open_case(
    report: IncomingReport,
    cleaned: list[CleanImage],
    *,
    cases: CaseRepository,
    photos: PhotoStore,
    now,
    code_key: bytes,
    sender: str | None = None,
    digest: str | None = None,
    receipts: Receipts | None = None,
) -> Receipt:
    # Over the address's daily receipt cap: the case opens without its reply address. An
    # unverified sender gets no reply anyway (replies.deliver) and uses up no one's cap.
    message = source_key(report.channel, report.message_id)
    capped = not report.unverified_sender and not receipt_allowed(report.reply_handle, receipts, message)
    opening = report.model_copy(update={"reply_handle": None}) if capped else report
    for attempt in range(MAX_CODE_ATTEMPTS):
        if report.message_id:
            code = tracking.derive_code(code_key, report.channel.value, report.message_id, attempt)
        else:
            code = tracking.new_code()
        if digest is not None and cleaned:
            _refuse_other_content(code, report, digest, cases)  # before its photos could overwrite the case's
        stored_photos = _store_photos(code, cleaned, photos)
        case = Case.open(opening, code, now, stored_photos)
        case.content_digest = digest
        outcome = cases.add(case)
        if isinstance(outcome, Added):
            log.info("case opened", extra={"case_id": case_id(code), "channel": report.channel.value})
            cloudwatch.count("CasesOpened", channel=report.channel.value)  # the ops dashboard's intake per channel
            if capped:
                log.info("receipt withheld: the address's daily cap", extra={"case_id": case_id(code)})
                cloudwatch.count("ReceiptsWithheld", reason="daily_cap")
            return Receipt(code, True, outcome.case, CREATED, report.language)
        if isinstance(outcome, AlreadyStored):
            if not same_content(outcome.case.content_digest, digest):
                log.warning("idempotency key reused for other content", extra={"channel": report.channel.value})
                raise IdempotencyKeyReused()
            log.info(
                "repeated delivery",
                extra={"case_id": case_id(outcome.case.tracking_code), "channel": report.channel.value},
            )
            return Receipt(outcome.case.tracking_code, False, outcome.case, REPEATED, outcome.case.language)
        if isinstance(outcome, AddedElsewhere):
            # A late retry of a message that was added to a case: back to that case.
            home = cases.get(outcome.tracking_code)
            key = source_key(report.channel, report.message_id)
            if home is not None and (home.has_message(key) or home.accepts_additions()):
                log.info(
                    "repeated delivery of an added message",
                    extra={"case_id": case_id(home.tracking_code), "channel": report.channel.value},
                )
                return add_to_case(report, cleaned, home, cases=cases, photos=photos, now=now, sender=sender)
            # Its case is gone, or closed before the first delivery got in: a case of its own.
            log.warning("an added message's case cannot take it; opening one", extra={"attempt": attempt})
        else:
            assert isinstance(outcome, CodeTaken)
            log.warning("tracking code collision, trying the next", extra={"attempt": attempt})
    raise RuntimeError("no free tracking code after several attempts")


# Reply kinds whose receipts count against the address's daily cap (RATE_LIMIT_RECEIPTS):
# e-mail, where a report may name an address that is not the sender's (the website's contact
# field, a forged From). SMS, WhatsApp, X and partner receipts answer the account that wrote.
CAPPED_RECEIPT_KINDS = frozenset({"email"})


def receipt_counter(limiter: Any, limit: Any, clock: Clock) -> Receipts | None:
    """``receipts`` for ``submit_report``: one count per receipt in the rate-limit store
    (adapters/rate_limits.py), by the normalised address -- the store keeps only its keyed
    hash. A message (its channel's message id) is counted once: a retried delivery is answered
    from its case and uses up no more of the cap. ``limit``: config.Limit; None (or no
    limiter): receipts are not capped."""
    if limiter is None or limit is None:
        return None

    def count(handle: ReplyHandle, message: str | None) -> bool:
        address = handle.address.strip().lower()
        if message is None:
            decision = limiter.hit("receipts:contact", address, limit.count, limit.window_s, clock())
        else:
            decision = limiter.hit_once("receipts:contact", address, message, limit.count, limit.window_s, clock())
        return bool(decision.allowed)

    return count


def receipt_allowed(handle: ReplyHandle | None, receipts: Receipts | None, message: str | None = None) -> bool:
    """Whether a new case may answer ``handle``, counting ``message`` (a report's source key) once.
    When the counter store fails, yes: the receipt is the e-mail reporter's only copy of their
    code, and the route's own limits still bound the reports (logged, counted)."""
    from chalicelib.adapters.rate_limits import LimiterUnavailable

    if receipts is None or handle is None or handle.kind not in CAPPED_RECEIPT_KINDS:
        return True
    try:
        return receipts(handle, message)
    except LimiterUnavailable as error:
        log.error("receipt cap unavailable; receipt sent", extra={"problem": str(error)[:200]})
        cloudwatch.count("RateLimiterUnavailable", scope="receipts")
        return True


def _refuse_other_content(code: str, report: IncomingReport, digest: str, cases: CaseRepository) -> None:
    """A reused client key with other photos would write them over the first case's
    (same code, same photo ids): one GetItem first, only for bound keys with photos."""
    existing = cases.get(code)
    if (
        existing is not None
        and existing.source_key == source_key(report.channel, report.message_id)
        and not same_content(existing.content_digest, digest)
    ):
        log.warning("idempotency key reused for other content", extra={"channel": report.channel.value})
        raise IdempotencyKeyReused()


def _from_sender(
    report: IncomingReport,
    cleaned: list[CleanImage],
    *,
    cases: CaseRepository,
    photos: PhotoStore,
    clock: Clock,
    code_key: bytes,
    senders: SenderRepository,
    outside: bool = False,
    receipts: Receipts | None = None,
) -> Receipt:
    now = clock()
    handle = report.reply_handle
    assert handle is not None
    key = sender_key(code_key, handle)
    channel = report.channel.value

    asked = tracking_code_query(report.description) if report.has_text and not (report.media or cleaned) else None
    if asked:
        state = senders.count(key, now, handle)
        if state.count > MAX_REPORTS_PER_HOUR:
            return _rate_limited(report, state, key)
        case = cases.get(asked)
        log.info("status question", extra={"case_id": case_id(asked), "channel": channel, "found": case is not None})
        return Receipt(asked, False, case, STATUS if case else UNKNOWN_CODE, report.language, sender=key)

    if outside:
        # Counted like a report, so a flood of far-away places gets one notice an hour, not one each.
        state = senders.count(key, now, handle)
        if state.count > MAX_REPORTS_PER_HOUR:
            return _rate_limited(report, state, key)
        log.info("location outside the service area; no case", extra={"channel": channel, "sender": key[:12]})
        return Receipt(None, False, None, OUTSIDE_AREA, report.language, sender=key)

    if not report.conversational or not report.message_id:
        state = senders.count(key, now, handle)
        if state.count > MAX_REPORTS_PER_HOUR:
            return _rate_limited(report, state, key)
        return _open_case(report, cleaned, cases=cases, photos=photos, now=now, code_key=code_key, receipts=receipts)

    # Messaging: claim the sender's conversation for this message's case, or
    # learn which open case it belongs to (one UpdateItem either way).
    code = tracking.derive_code(code_key, channel, report.message_id)
    until = now + timedelta(minutes=CONVERSATION_MINUTES)
    claim = senders.claim(key, code, now, until, handle)
    for _ in range(SAVE_ATTEMPTS):
        if claim.claimed:
            if claim.state.count > MAX_REPORTS_PER_HOUR:
                return _rate_limited(report, claim.state, key)
            return _open_case(report, cleaned, cases=cases, photos=photos, now=now, code_key=code_key, sender=key)
        open_code = claim.state.open_at(now)
        case = cases.get(open_code) if open_code else None
        if case is None:
            # The conversation points at a case that was never stored (its
            # message failed, or a tiny race): take the window over.
            claim = senders.claim(key, code, now, until, handle, stale=claim.state.open_case)
            continue
        return add_to_case(report, cleaned, case, cases=cases, photos=photos, now=now, sender=key, message_code=code)
    raise ConcurrentUpdate(None)


def add_to_case(
    report: IncomingReport,
    cleaned: list[CleanImage],
    case: Case,
    *,
    cases: CaseRepository,
    photos: PhotoStore,
    now,
    sender: str | None,
    message_code: str | None = None,
) -> Receipt:
    """Add a later message to an open case (version-conditioned save, retried on a race).

    ``message_code``: the code the message would open a case under. It is
    marked for this case first (one PutItem); if an earlier delivery of the
    message went elsewhere, the message goes there instead (and adds nothing
    twice)."""
    message_key = source_key(report.channel, report.message_id)
    if message_code and message_key:
        home = cases.mark_message(message_code, message_key, case.tracking_code, now)
        if home != case.tracking_code:
            case = cases.get(home) or case
            log.info(
                "repeated delivery of an added message",
                extra={"case_id": case_id(case.tracking_code), "channel": report.channel.value},
            )
    first = case

    def attempt(n: int) -> Receipt:
        case = cases.get(first.tracking_code) if n else first
        assert case is not None
        if case.has_message(message_key):
            return Receipt(case.tracking_code, False, case, ADDED, case.language, notify=False, sender=sender)
        if not case.accepts_additions():
            log.info("case takes no more additions", extra={"case_id": case_id(case.tracking_code)})
            return Receipt(case.tracking_code, False, case, FULL, case.language, sender=sender)
        stored = [
            photos.store(case.tracking_code, photo_id, REPORT, image)
            for photo_id, image in zip(case.photos.next_ids(len(cleaned)), cleaned, strict=True)
        ]
        added = case.add_from_reporter(report, now, stored, text=report.description if report.has_text else None)
        cases.save(case)
        log.info(
            "message added to open case",
            extra={"case_id": case_id(case.tracking_code), "channel": report.channel.value, "added": added},
        )
        return Receipt(case.tracking_code, False, case, ADDED, case.language, added=added, sender=sender)

    return retry_on_conflict(attempt, SAVE_ATTEMPTS)


def _withhold_notice(receipt: Receipt) -> Receipt:
    """An unverified e-mail sender's From may be anyone's address: like receipts and replies
    (services/replies.py), no notice (the hourly limit, a status answer, outside the area)
    goes to it, so a forged From cannot point our mail at a third party."""
    if not receipt.needs_notice:
        return receipt
    log.info("notice withheld: unverified sender", extra={"outcome": receipt.outcome})
    cloudwatch.count("ReceiptsWithheld", reason="unverified_sender")
    return replace(receipt, notify=False)


def _rate_limited(report: IncomingReport, state: SenderState, key: str) -> Receipt:
    first = state.count == MAX_REPORTS_PER_HOUR + 1
    log.warning(
        "sender over the hourly limit; no case opened",
        extra={"channel": report.channel.value, "count": state.count, "sender": key[:12]},
    )
    return Receipt(None, False, None, RATE_LIMITED, report.language, notify=first, sender=key)


def clean_photos(uploads: list, max_pixels: int = MAX_REQUEST_PIXELS) -> list[CleanImage]:
    """Check and clean every photo of one request before anything is stored. Their pixels
    are counted from the headers first: more than ``max_pixels`` together, or one over
    MAX_PIXELS (ImageTooLarge, 413), and none is decoded."""
    check_pixel_budget([upload.data for upload in uploads], max_pixels)
    cleaned, problems = [], []
    for index, upload in enumerate(uploads):
        try:
            cleaned.append(clean(upload.data))
        except ImageTooLarge:
            raise
        except UnreadableImage as error:
            problems.append((f"photos.{index}", str(error)))
    if problems:
        raise InvalidReport(problems)
    return cleaned


def _store_photos(code: str, cleaned: list[CleanImage], photos: PhotoStore) -> list[PhotoRef]:
    ids = Photos().next_ids(len(cleaned))  # a new case's first photos
    return [photos.store(code, photo_id, REPORT, image) for photo_id, image in zip(ids, cleaned, strict=True)]
