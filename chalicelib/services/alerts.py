"""Area alerts: subscribe, confirm, unsubscribe; collect events; send daily digests.

Flow: ``POST /alerts/subscriptions`` stores a pending subscription and sends a
6-digit code (e-mail also gets a link). Confirming puts it into the
alert-index. The alerts worker gets ``case.received`` / ``case.resolved``
from the event topic, finds the matching subscriptions with Queries (the
case's kelurahan partition and its 9 geohash-5 cells), and stores one entry per
subscriber. Once a day a schedule sends each subscriber with entries one
digest (claimed per subscriber and day with a conditional write).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.adapters.alert_store import AlertStore
from chalicelib.domain import alerts as rules
from chalicelib.domain.channels import Channel
from chalicelib.domain.clock import JAKARTA
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.events import Envelope
from chalicelib.domain.messages import ReplyHandle
from chalicelib.logs import get_logger
from chalicelib.services.batch import SCHEDULED_MAX_RUNS, Batch, Quarantine

log = get_logger("alerts")

DIGEST_LOOKBACK_DAYS = 3  # due markers of the last days (a missed run catches up)
DIGEST_SOURCE = "alert_digests"


@dataclass(frozen=True)
class Context:
    """What the alert use cases need from the outside."""

    store: AlertStore
    key: bytes  # the tracking-code key: signs tokens, hashes contacts
    base_url: str
    sender_for: Any  # ReplyHandle -> sender with .send(handle, text, code=, event=, language=)
    sms_from: str = "1708"
    whatsapp_from: str = "+628111272206"
    # Country calling codes whose phones may subscribe by SMS / WhatsApp (ALERT_PHONE_COUNTRIES).
    phone_countries: frozenset[int] = frozenset({62})
    # Per destination (the contact hash, across all of its subscriptions), each raising
    # RateLimited over its limit (api/limits.py): a confirmation message about to be sent,
    # a code about to be checked. None: not counted (the workers send no codes).
    count_message: Any = None
    count_code_attempt: Any = None


def handle_for(ctx: Context, sub: rules.Subscription) -> ReplyHandle:
    if sub.channel == "email":
        return ReplyHandle(channel=Channel.EMAIL, kind="email", address=sub.address)
    if sub.channel == "whatsapp":
        return ReplyHandle(
            channel=Channel.WHATSAPP, kind="twilio", address=f"whatsapp:{sub.address}", via=ctx.whatsapp_from
        )
    return ReplyHandle(channel=Channel.SMS_1708, kind="twilio", address=sub.address, via=ctx.sms_from)


def _send(ctx: Context, sub: rules.Subscription, text: str, subject: str | None = None) -> None:
    handle = handle_for(ctx, sub)
    sender = ctx.sender_for(handle)
    if subject and handle.kind == "email":
        sender.send(handle, text, code=None, event=None, language=sub.language, subject=subject)
    else:
        sender.send(handle, text, code=None, event=None, language=sub.language)


def link(ctx: Context, purpose: str, sub_id: str) -> str:
    return f"{ctx.base_url}/alerts/{purpose}?s={sub_id}&t={rules.sign(ctx.key, purpose, sub_id)}"


# --- subscribing --------------------------------------------------------------------------


def subscribe(command: Any, ctx: Context, now: datetime, known_kelurahan: Any) -> dict[str, Any]:
    """``command``: a validated AlertSubscribeCommand. The answer names no address."""
    address = _valid(lambda: rules.normalise_address(command.channel, command.address, ctx.phone_countries))
    if command.kelurahan:
        if not known_kelurahan(command.kelurahan):
            raise InvalidInput([("kelurahan", "is not a known kelurahan code")])
        area = rules.Area(kelurahan=command.kelurahan)
    else:
        area = rules.Area(lat=command.lat, lng=command.lng, radius_m=command.radius_m)
    sub_id = rules.subscription_id(ctx.key, command.channel, address, area)
    code = rules.new_confirm_code()
    expires = now + rules.PENDING_FOR
    sub = rules.Subscription(
        id=sub_id,
        channel=command.channel,
        address=address,
        area=area,
        language=command.language,
        contact=rules.contact_hash(ctx.key, command.channel, address),
        created_at=now,
        confirm_digest=rules.code_digest(ctx.key, sub_id, code),
        expires_at=int(expires.timestamp()),
    )
    if ctx.store.put_pending(sub):
        if ctx.count_message is not None:
            try:
                ctx.count_message(sub.contact)  # over the destination's daily cap: 429, no message
            except Exception:
                ctx.store.delete(sub.id)
                raise
        confirm_link = link(ctx, "confirm", sub_id) if command.channel == "email" else None
        _send_confirmation(ctx, sub, rules.confirmation_text(command.language, code, confirm_link))
        log.info("alert subscription pending", extra={"subscription": sub_id, "channel": command.channel})
    # An already confirmed subscription answers the same (no oracle for who follows what).
    return {
        "subscription_id": sub_id,
        "status": "pending",
        "channel": command.channel,
        "area": area.as_dict(),
        "confirm_by": expires.astimezone(JAKARTA).replace(microsecond=0).isoformat(),
    }


def _send_confirmation(ctx: Context, sub: rules.Subscription, text: str) -> None:
    """A provider that refuses the address is the subscriber's problem (422); one that is
    down is ours (503). Either way the pending subscription is dropped."""
    from chalicelib.adapters.aws import ServiceUnavailable, error_code
    from chalicelib.adapters.http_client import ProviderRejected, ProviderUnavailable

    try:
        _send(ctx, sub, text)
    except (ProviderRejected, ProviderUnavailable, ServiceUnavailable) as error:
        ctx.store.delete(sub.id)
        if isinstance(error, ProviderRejected):
            raise InvalidInput([("address", "our messaging provider would not deliver to it")]) from None
        if isinstance(error, ProviderUnavailable):
            raise ServiceUnavailable(error.provider, "provider unavailable") from None
        raise
    except Exception as error:
        if error_code(error) != "MessageRejected":  # SES refusing the address
            raise
        ctx.store.delete(sub.id)
        raise InvalidInput([("address", "our e-mail service would not deliver to it")]) from None


def _valid(parse: Any) -> Any:
    try:
        return parse()
    except rules.InvalidSubscription as error:
        raise InvalidInput(error.problems) from None


class NotPending(Exception):
    """No pending subscription by that id (expired, confirmed or never made)."""


def confirm_with_code(sub_id: str, code: str, ctx: Context) -> dict[str, Any]:
    sub = ctx.store.get(sub_id)
    if sub is None:
        raise NotPending()
    if sub.confirmed:
        return _confirmed(ctx, sub)
    if sub.attempts >= rules.CONFIRM_ATTEMPTS:
        raise InvalidInput([("code", "too many wrong codes; subscribe again for a new one")])
    if ctx.count_code_attempt is not None:
        # Counted per destination before the comparison: a new subscription for the same
        # address (which starts a new per-subscription count) gets no fresh guesses, and a
        # right guess past the limit is refused like a wrong one.
        ctx.count_code_attempt(sub.contact)
    import hmac

    if not sub.confirm_digest or not hmac.compare_digest(sub.confirm_digest, rules.code_digest(ctx.key, sub_id, code)):
        ctx.store.count_attempt(sub_id)
        raise InvalidInput([("code", "is not the code we sent")])
    ctx.store.confirm(sub)
    return _confirmed(ctx, sub)


def confirm_with_token(sub_id: str, token: str, ctx: Context) -> dict[str, Any]:
    if not rules.token_valid(ctx.key, "confirm", sub_id, token):
        raise NotPending()
    sub = ctx.store.get(sub_id)
    if sub is None:
        raise NotPending()
    if not sub.confirmed:
        ctx.store.confirm(sub)
    return _confirmed(ctx, sub)


def _confirmed(ctx: Context, sub: rules.Subscription) -> dict[str, Any]:
    log.info("alert subscription confirmed", extra={"subscription": sub.id})
    return {
        "subscription_id": sub.id,
        "status": "confirmed",
        "channel": sub.channel,
        "area": sub.area.as_dict(),
        "unsubscribe_url": link(ctx, "unsubscribe", sub.id),
    }


def unsubscribe(sub_id: str, token: str, ctx: Context) -> dict[str, Any]:
    """One link: valid token -> gone (idempotent). An invalid token is refused."""
    if not rules.token_valid(ctx.key, "unsubscribe", sub_id, token):
        raise InvalidInput([("t", "is not a valid unsubscribe token for this subscription")])
    ctx.store.delete(sub_id)
    log.info("alert subscription removed", extra={"subscription": sub_id})
    return {"subscription_id": sub_id, "status": "unsubscribed"}


def unsubscribe_contact(channel: str, address: str, ctx: Context) -> int:
    """The STOP/BERHENTI keyword: every subscription of this phone number goes."""
    address = address.removeprefix("whatsapp:")
    if address.isdigit():  # WhatsApp Cloud ids are the number without "+"
        address = "+" + address
    try:
        normalised = rules.normalise_address(channel, address)
    except rules.InvalidSubscription:
        return 0
    ids = ctx.store.ids_of_contact(rules.contact_hash(ctx.key, channel, normalised))
    for sub_id in ids:
        ctx.store.delete(sub_id)
    log.info("alert subscriptions stopped by keyword", extra={"removed": len(ids)})
    return len(ids)


# --- collecting -----------------------------------------------------------------------------


def collect(message: Envelope, *, store: AlertStore, cases: Any, public_view: Any, locate: Any, now: datetime) -> int:
    """One relayed event -> an entry for each matching subscriber. Returns how many."""
    if type(message.event) not in rules.ALERT_EVENTS:
        return 0
    case = cases.get(message.tracking_code)
    if case is None or case.hidden_from_public:
        return 0
    lat = case.location.lat if case.location else None
    lng = case.location.lng if case.location else None
    kelurahan = case.area.kelurahan if case.area and case.area.kelurahan else None
    if kelurahan is None and lat is not None:
        kelurahan = locate(lat, lng).kelurahan
    cells = rules.cells_for(kelurahan, lat, lng)
    matching = sorted({sub_id for sub_id, area in store.candidates(cells) if area.contains(kelurahan, lat, lng)})
    if not matching:
        return 0
    entry = rules.entry_from_public_view(message, public_view(case))
    if entry is None:  # not an event subscribers hear of (the caller checks first)
        return 0
    day = now.astimezone(JAKARTA).date().isoformat()
    for sub_id in matching:
        store.add_entry(sub_id, entry.as_dict(), day, now)
    log.info("alert entries collected", extra={"event_type": message.type, "subscribers": len(matching)})
    return len(matching)


# --- digests --------------------------------------------------------------------------------


def send_digests(ctx: Context, now: datetime, still_public: Any, quarantine: Quarantine) -> dict[str, int]:
    """The daily run. ``still_public(public_id) -> bool`` re-checks each entry's case at send
    time (a case made confidential after collection drops out).

    Each subscriber is handled on its own (services/batch.py): a failed digest is
    released and tried again on the next run; after ``SCHEDULED_MAX_RUNS`` failed
    runs the subscription is quarantined and left out until an operator replays it.
    A provider or AWS outage is retried without counting."""
    from chalicelib.adapters.aws import ServiceUnavailable
    from chalicelib.adapters.http_client import ProviderUnavailable

    today = now.astimezone(JAKARTA).date()
    days = [(today - timedelta(days=n)).isoformat() for n in range(DIGEST_LOOKBACK_DAYS + 1)]
    due: dict[str, list[str]] = {}
    for day in days:
        for sub_id in ctx.store.due(day):
            due.setdefault(sub_id, []).append(day)

    def one(sub_id: str) -> str:
        marked = due[sub_id]
        sub = ctx.store.get(sub_id)
        if sub is None or not sub.confirmed:
            ctx.store.forget(sub_id, [], marked)  # unsubscribed meanwhile
            return "skipped"
        if not ctx.store.claim_digest(sub_id, today.isoformat()):
            return "skipped"  # already had today's digest; the markers wait for tomorrow
        entries = ctx.store.entries(sub_id)
        shown = [entry for entry in entries if still_public(entry["public_id"])]
        if not shown:
            ctx.store.release_digest(sub_id, today.isoformat(), sub.last_digest_on)
            ctx.store.forget(sub_id, entries, marked)
            return "skipped"
        digest = rules.digest_for(sub, shown, ctx.base_url, link(ctx, "unsubscribe", sub_id))
        try:
            _send(ctx, sub, digest.text, subject=digest.subject)
        except Exception:
            ctx.store.release_digest(sub_id, today.isoformat(), sub.last_digest_on)  # tried again next run
            raise
        ctx.store.forget(sub_id, entries, marked)
        return "sent"

    batch = Batch(
        source=DIGEST_SOURCE,
        store=quarantine,
        clock=lambda: now,
        bound=SCHEDULED_MAX_RUNS,
        uncounted=(ServiceUnavailable, ProviderUnavailable),
    )
    held = batch.quarantined_keys() & set(due) if due else set()
    outcome = batch.run(sorted(set(due) - held), one)
    counts = {
        "sent": outcome.results.count("sent"),
        "skipped": outcome.results.count("skipped"),
        "failed": len(outcome.failed),
        "quarantined": len(outcome.quarantined),
        "held": len(held),  # quarantined earlier: waiting for an operator
    }
    log.info("alert digests", extra=counts)
    return counts
