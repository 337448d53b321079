"""What the reporter is told, on the channel they used.

Two sources, one set of texts (chalicelib/domain/texts.py):

* receipts of a webhook (``domain/receipts.receipt_text``): answered inline where the provider
  allows (TwiML, the partner's JSON, the web page), otherwise as a notice
  through the replies queue when no case changed (status answers, limits);
* domain events relayed from the outbox (``event_reply``): the tracking code
  on ``case.received``, then every public status change. Generic over the
  event type: a type is mapped to a text by ``texts.reply_key``.
* the same status changes of a primary case, to the reporters of the
  duplicates merged into it (``follower_outgoing``): each is told in terms of
  their own tracking code -- the primary's code is never sent to them, since
  whoever holds it may confirm or reopen someone else's report.

Subscribers get events at least once: ``ReplyLedger`` drops repeats by event id.

Public reply surfaces (``PUBLIC_REPLY_KINDS``: a comment under a Facebook post,
which everyone reading the thread sees) never carry the tracking code -- whoever
holds it may confirm or reopen the case. There the text with the code goes out
privately (Meta's private reply to the comment), and ``Outgoing.public_text``,
a neutral acknowledgement or status line with the status link by the case's
*public* id (read-only), is what is posted in public.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol

from chalicelib import cloudwatch
from chalicelib.domain import events, texts
from chalicelib.domain.case import Case
from chalicelib.domain.events import Envelope
from chalicelib.domain.messages import Notice, ReplyHandle
from chalicelib.domain.receipts import RATE_LIMITED, UNKNOWN_CODE, notice_text, status_url
from chalicelib.logs import case_id, get_logger

log = get_logger("replies")


# Reply kinds whose answer is posted where everyone can read it.
PUBLIC_REPLY_KINDS = frozenset({"meta_comment"})


def public_status_url(base_url: str, code: str | None, code_key: bytes | None) -> str:
    """The read-only status page by the case's public (Open311) id: never the tracking code."""
    if not code or code_key is None:
        return f"{base_url}/track"
    from chalicelib.domain import request_ids

    return status_url(base_url, request_ids.public_id(code, code_key))


def public_text(
    key: str, language: str, *, code: str | None, base_url: str, code_key: bytes | None, case: Case | None = None
) -> str:
    """What may be said in public about a reply with text ``key``: no tracking code."""
    url = public_status_url(base_url, code, code_key)
    if key in ("received", "received_repeat", "added"):
        return texts.reply_text("public_received", language, url=url)
    if case is not None and key not in ("rate_limited", "unknown_code"):
        return texts.reply_text("public_update", language, url=url, status=texts.status_label(case.status, language))
    return texts.reply_text("public_notice", language)


def _event_values(event: events.DomainEvent) -> dict[str, Any]:
    """The parts of an event its reply text names."""
    match event:
        case events.ProgressPosted():
            return {"percent": event.percent}
        case events.CaseAssigned() | events.CaseDelegated() | events.CaseTransferred():
            return {"agency": event.agency_name or event.agency_id}
        case events.ReporterAdded():
            return {"added": event.added}
        case events.PlanVerified():
            return {"expected_completion": event.expected_completion}
        case events.CaseResolved():
            return {"photo_id": event.photo_id}
    return {}


def event_reply(
    message: Envelope, case: Case, base_url: str, follower: Case | None = None, code_key: bytes | None = None
) -> str | None:
    """The text for one relayed domain event on ``case``, or None if the reporter is not told.

    ``follower``: a duplicate merged into ``case``; the text is for its reporter,
    by their own code and status page, with photo links by ``case``'s public id."""
    key = texts.reply_key(message.event)
    if key is None:
        return None
    values = _event_values(message.event)
    reader = follower or case
    code = reader.tracking_code
    url = status_url(base_url, code)
    photos_url: str | None = url
    if follower is not None:  # the primary's photos, by its public id; none of a confidential one
        photos_url = None if case.hidden_from_public else public_status_url(base_url, case.tracking_code, code_key)
    photo_id = values.pop("photo_id", None)
    if not photo_id and key == "resolved":
        completion = [p for p in case.photos if p.kind == "completion"]
        photo_id = completion[-1].id if completion else None
    photo = f"{photos_url}/photos/{photo_id}" if photos_url and photo_id else None
    return texts.reply_text(
        key,
        reader.language,
        code=code,
        url=url,
        status=texts.status_label(case.status, reader.language),
        photo=photo or url,
        **values,
    )


# Their reply already went out inline in the webhook's response (TwiML, the partner's JSON).
ANSWERED_INLINE = (events.CaseReceived, events.ReporterAdded)


def skips_event(handle: ReplyHandle, event: events.DomainEvent) -> bool:
    """Events whose reply already went out inline in the webhook's response (an
    Open311 partner's too: the POST answered it, and a reporter's addition came
    from the partner itself)."""
    return handle.kind in ("twilio", "partner", "open311") and isinstance(event, ANSWERED_INLINE)


class ReplyLedger(Protocol):
    """Remembers which replies went out, so a repeated event sends nothing."""

    def claim(self, reply_id: str) -> bool: ...

    def release(self, reply_id: str) -> None: ...

    def done(self, reply_id: str) -> None: ...


class ReplySender(Protocol):
    """``event``: the relayed event a reply is about (None for notices and alerts)."""

    def send(
        self, handle: ReplyHandle, text: str, *, code: str | None, event: Envelope | None, language: str = "id"
    ) -> None: ...


@dataclass(frozen=True)
class Outgoing:
    """A message to send: to whom, what, and the id that makes it once-only."""

    reply_id: str
    handle: ReplyHandle
    text: str
    code: str | None
    event: Envelope | None = None
    language: str = "id"
    # For PUBLIC_REPLY_KINDS: what is posted in public (``text`` goes out privately).
    public_text: str | None = None
    # To the From of an e-mail SES could not verify (it may be anyone's address): withheld.
    unverified: bool = False


# --- delivery (the reply worker) ---------------------------------------------------------

SENT, SKIPPED, DUPLICATE, REFUSED = "sent", "skipped", "duplicate", "refused"
WITHHELD = "withheld"  # to an unverified e-mail sender: neither the receipt nor any later reply


def deliver(outgoing: Outgoing | None, *, ledger: ReplyLedger, sender_for: Any) -> str:
    """Send once per reply id. A provider that is down raises (the queue retries);
    one that refuses the message (blocked user, closed window) is logged, not retried.
    One to an unverified e-mail sender is withheld: logged by public id and counted."""
    from chalicelib.adapters.http_client import ProviderRejected

    if outgoing is None:
        return SKIPPED
    if outgoing.unverified:
        log.info("reply withheld: unverified sender", extra={"case_id": case_id(outgoing.code)})
        if outgoing.event is not None and isinstance(outgoing.event.event, events.CaseReceived):
            cloudwatch.count("ReceiptsWithheld", reason="unverified_sender")
        return WITHHELD
    if not ledger.claim(outgoing.reply_id):
        return DUPLICATE
    extra = {"public_text": outgoing.public_text} if outgoing.public_text is not None else {}
    try:
        sender_for(outgoing.handle).send(
            outgoing.handle,
            outgoing.text,
            code=outgoing.code,
            event=outgoing.event,
            language=outgoing.language,
            **extra,
        )
    except ProviderRejected as error:
        log.warning(
            "reply refused by the provider",
            extra={"case_id": case_id(outgoing.code), "kind": outgoing.handle.kind, "status": error.status},
        )
        ledger.done(outgoing.reply_id)
        return REFUSED
    except Exception:
        ledger.release(outgoing.reply_id)
        raise
    ledger.done(outgoing.reply_id)
    log.info("reply sent", extra={"case_id": case_id(outgoing.code), "kind": outgoing.handle.kind})
    return SENT


def event_outgoing(
    message: Envelope, case: Case | None, base_url: str, code_key: bytes | None = None
) -> Outgoing | None:
    """The reply a relayed event calls for, if any (``code_key``: for public links by public id)."""
    handle = _handle(case)
    if case is None or handle is None:
        return None
    if skips_event(handle, message.event):
        return None
    text = event_reply(message, case, base_url)
    if text is None:
        return None
    public = None
    if handle.kind in PUBLIC_REPLY_KINDS:
        key = texts.reply_key(message.event) or "updated"
        public = public_text(
            key, case.language, code=case.tracking_code, base_url=base_url, code_key=code_key, case=case
        )
    unverified = case.unverified_sender
    return Outgoing(message.id, handle, text, case.tracking_code, message, case.language, public, unverified)


def _handle(case: Case | None) -> ReplyHandle | None:
    """The case's reply handle, opened first (``_opened``): one still sealed is a caller's bug."""
    handle = case.reply_handle if case is not None else None
    if handle is None or isinstance(handle, ReplyHandle):
        return handle
    raise TypeError("the reply handle is still sealed: open it first (CaseRepository.open_sealed)")


# Replies that concern only the primary's own reporter (their receipt, their additions).
NOT_FOR_FOLLOWERS = frozenset({"received", "added", "merged"})


def tells_followers(event: events.DomainEvent) -> bool:
    """Whether the reporters of merged duplicates hear of this event on the primary."""
    key = texts.reply_key(event)
    return key is not None and key not in NOT_FOR_FOLLOWERS


def follower_outgoing(
    message: Envelope,
    primary: Case,
    follower: Case | None,
    base_url: str,
    code_key: bytes | None = None,
    via: str | None = None,
) -> Outgoing | None:
    """The reply an event on ``primary`` calls for to the reporter of ``follower``, a
    duplicate merged into it (its reply handle opened), if any. ``via``: the case
    ``follower`` was merged into when that case was itself merged into ``primary``."""
    handle = _handle(follower)
    if follower is None or handle is None:
        return None
    if follower.merged_into != (via or primary.tracking_code):
        return None  # merged elsewhere since, or never: not this primary's follower
    if not tells_followers(message.event):
        return None
    key = texts.reply_key(message.event) or "updated"
    text = event_reply(message, primary, base_url, follower=follower, code_key=code_key)
    if text is None:
        return None
    public = None
    if handle.kind in PUBLIC_REPLY_KINDS:
        public = public_text(
            key, follower.language, code=follower.tracking_code, base_url=base_url, code_key=code_key, case=primary
        )
    reply_id = f"{message.id}>{follower.tracking_code}"
    event = replace(message, id=reply_id, tracking_code=follower.tracking_code)  # no primary's code to a sender
    unverified = follower.unverified_sender
    return Outgoing(reply_id, handle, text, follower.tracking_code, event, follower.language, public, unverified)


def notice_outgoing(
    notice: Notice,
    handle: ReplyHandle | None,
    case: Case | None,
    base_url: str,
    code_key: bytes | None = None,
) -> Outgoing | None:
    """The reply to a queued notice; ``notice.id`` (the queue's message id) makes it once-only."""
    if handle is None:
        return None
    code = notice.tracking_code or ""
    language = notice.language
    text = notice_text(notice.outcome, language, code=code, base_url=base_url, case=case)
    public = None
    if handle.kind in PUBLIC_REPLY_KINDS:
        outcome = notice.outcome
        key = "unknown_code" if outcome == UNKNOWN_CODE else "rate_limited" if (outcome == RATE_LIMITED) else "status"
        public = public_text(
            key,
            language,
            code=code or None,
            base_url=base_url,
            code_key=code_key,
            case=case if key == "status" else None,
        )
    return Outgoing(f"notice:{notice.id}", handle, text, code or None, None, language, public)


# --- the replies queue's handlers (services/handlers.py) ---------------------------------

# How far "merged into a case that was merged into this one" is followed.
MAX_FOLLOWERS = 200


def reply_to_event(
    message: Envelope, *, cases: Any, ledger: ReplyLedger, sender_for: Any, base_url: str, code_key: bytes
) -> list[str]:
    """The replies one event calls for: to the case's reporter first, then to the
    reporter of each duplicate merged into it (and into those). A reply that fails
    fails the message after the others were tried; the ledger keeps a retry from
    sending any reply twice."""
    case = cases.get(message.tracking_code)
    if case is None:
        return [SKIPPED]
    failed: Exception | None = None
    try:
        results = [
            deliver(
                event_outgoing(message, _opened(cases, case), base_url, code_key), ledger=ledger, sender_for=sender_for
            )
        ]
    except (ValueError, TypeError, KeyError):
        raise  # the case's data is unreadable
    except Exception as error:  # noqa: BLE001 - the followers still go; the message is retried after
        results, failed = [], error
    followers = case.merged_cases if tells_followers(message.event) else []
    pending, seen = [(duplicate, message.tracking_code) for duplicate in followers], {message.tracking_code}
    while pending and len(seen) <= MAX_FOLLOWERS:
        duplicate, via = pending.pop(0)
        if duplicate in seen:
            continue
        seen.add(duplicate)
        try:
            follower = cases.get(duplicate)
            if follower is None:
                continue
            pending += [(further, duplicate) for further in follower.merged_cases]
            outgoing = follower_outgoing(message, case, _opened(cases, follower), base_url, code_key, via=via)
            results.append(deliver(outgoing, ledger=ledger, sender_for=sender_for))
        except (ValueError, TypeError, KeyError) as error:  # this reporter's data: drop theirs, not the rest
            log.error(
                "reply to a merged duplicate's reporter dropped",
                extra={"case_id": case_id(duplicate), "error": type(error).__name__},
            )
            results.append("unreadable")
        except Exception as error:  # noqa: BLE001 - the others still go; the message is retried after
            log.warning(
                "reply to a merged duplicate's reporter not sent",
                extra={"case_id": case_id(duplicate), "error": type(error).__name__},
            )
            failed = failed or error
    if failed is not None:
        raise failed
    return results


def reply_to_notice(
    notice: Notice, *, cases: Any, senders: Any, ledger: ReplyLedger, sender_for: Any, base_url: str, code_key: bytes
) -> list[str]:
    """The answer to a queued notice, on the sender's channel (their handle is in their sender item)."""
    handle = senders.reply_handle(notice.sender) if notice.sender else None
    case = cases.get(notice.tracking_code) if notice.tracking_code else None
    outgoing = notice_outgoing(notice, handle, case, base_url, code_key)
    return [deliver(outgoing, ledger=ledger, sender_for=sender_for)]


def _opened(cases: Any, case: Case) -> Case:
    """The case with its reply handle opened (stored sealed: one KMS Decrypt), if it has one."""
    return cases.open_sealed(case, "reply_handle") if case.reply_handle is not None else case
