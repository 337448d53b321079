"""Area alerts for citizens: the rules, no I/O.

Anyone may subscribe (e-mail, SMS or WhatsApp) to new and resolved reports in
a kelurahan, or within a radius of a point. A subscription is *pending* until
its holder proves the address is theirs (a 6-digit code, or the link mailed to
them); pending subscriptions expire through the table's TTL. Matching events
are collected per subscriber and sent as at most one digest a day.

Privacy: an alert entry is built from the public view only (allow-list), and
confidential cases never become entries. The subscriber's address is private
like a reporter's: never in a response, an event or a log.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import categories, events
from .clock import to_utc_text
from .geo import distance_m, geohash, neighbourhood

CHANNELS = ("email", "sms", "whatsapp")
LANGUAGES = ("id", "en")
# Events subscribers hear about, and what a digest calls them.
ALERT_EVENTS: dict[type[events.DomainEvent], str] = {events.CaseReceived: "new", events.CaseResolved: "resolved"}
# Radius subscriptions are indexed by the geohash-5 cell of their centre
# (~4.9 x 4.9 km at Jakarta's latitude); a case looks in its cell and the 8
# around it, which covers every centre within one cell size. Hence the limit.
CELL_PRECISION = 5
KELURAHAN, CELL = "kelurahan", "cell"  # the two kinds of place a subscription is filed under
MAX_RADIUS_M = 4000
MIN_RADIUS_M = 100
PENDING_FOR = timedelta(hours=24)  # unconfirmed subscriptions expire (TTL)
RESEND_AFTER = timedelta(minutes=1)  # a new code for the same subscription, at most this often
ENTRIES_KEPT_FOR = timedelta(days=3)  # collected entries not sent by then expire
CONFIRM_ATTEMPTS = 5
MAX_DIGEST_ENTRIES = 30
STOP_KEYWORDS = ("BERHENTI", "STOP", "UNSUBSCRIBE")

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE = re.compile(r"^\+[1-9][0-9]{7,14}$")


class InvalidSubscription(ValueError):
    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{f}: {m}" for f, m in problems))
        self.problems = problems


@dataclass(frozen=True)
class Area:
    """A kelurahan (by code) or a circle (centre + radius in metres)."""

    kelurahan: str | None = None
    lat: float | None = None
    lng: float | None = None
    radius_m: int | None = None

    def home_cell(self) -> tuple[str, str]:
        """Where this subscription is filed for matching: its kelurahan, or the
        geohash-5 cell of its centre (``(KELURAHAN, code)`` / ``(CELL, geohash)``)."""
        if self.kelurahan:
            return (KELURAHAN, self.kelurahan)
        lat, lng = self._centre()
        return (CELL, geohash(lat, lng, CELL_PRECISION))

    def contains(self, kelurahan: str | None, lat: float | None, lng: float | None) -> bool:
        if self.kelurahan:
            return kelurahan == self.kelurahan
        if lat is None or lng is None:
            return False
        centre_lat, centre_lng = self._centre()
        return distance_m(centre_lat, centre_lng, lat, lng) <= (self.radius_m or 0)

    def _centre(self) -> tuple[float, float]:
        if self.lat is None or self.lng is None:
            raise ValueError("an alert area is a kelurahan or a circle with a centre")
        return self.lat, self.lng

    def as_dict(self) -> dict[str, Any]:
        if self.kelurahan:
            return {"kelurahan": self.kelurahan}
        return {"lat": self.lat, "lng": self.lng, "radius_m": self.radius_m}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Area:
        if data.get("kelurahan"):
            return cls(kelurahan=str(data["kelurahan"]))
        return cls(lat=float(data["lat"]), lng=float(data["lng"]), radius_m=int(data["radius_m"]))


def cells_for(kelurahan: str | None, lat: float | None, lng: float | None) -> list[tuple[str, str]]:
    """Every place (``Area.home_cell``) a subscription matching a case here may be filed under:
    the case's kelurahan and the 9 geohash-5 cells around it."""
    cells = [(KELURAHAN, kelurahan)] if kelurahan else []
    if lat is not None and lng is not None:
        cells += [(CELL, cell) for cell in neighbourhood(lat, lng, CELL_PRECISION)]
    return cells


def normalise_address(channel: str, address: str, phone_countries: frozenset[int] = frozenset({62})) -> str:
    """The address in one form (e-mail lower case, phones E.164). SMS and WhatsApp
    codes cost the city per message, and premium or international routes cost far
    more (SMS pumping): a phone's country calling code must be in ``phone_countries``."""
    address = address.strip()
    if channel == "email":
        if not _EMAIL.match(address) or len(address) > 254:
            raise InvalidSubscription([("address", "is not an e-mail address")])
        return address.lower()
    digits = re.sub(r"[\s().-]", "", address)
    if digits.startswith("08"):  # Indonesian national format
        digits = "+62" + digits[1:]
    if not _PHONE.match(digits):
        raise InvalidSubscription([("address", "is not a phone number (E.164, e.g. +6281234567890, or 08...)")])
    import phonenumbers  # lazy: its metadata is not needed at cold start

    try:
        number = phonenumbers.parse(digits, "ID")
    except phonenumbers.NumberParseException:
        raise InvalidSubscription([("address", "is not a phone number")]) from None
    if number.country_code not in phone_countries:
        allowed = ", ".join(f"+{code}" for code in sorted(phone_countries))
        raise InvalidSubscription([("address", f"only numbers of these country codes get alerts: {allowed}")])
    if not phonenumbers.is_valid_number(number):
        raise InvalidSubscription([("address", "is not a valid phone number")])
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def contact_hash(key: bytes, channel: str, address: str) -> str:
    """What identifies a subscriber in keys: no address ever appears in a key."""
    text = f"alert-contact|{'email' if channel == 'email' else 'phone'}|{address}"
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:40]


def subscription_id(key: bytes, channel: str, address: str, area: Area) -> str:
    """Deterministic: subscribing twice to the same area is the same subscription."""
    spec = "|".join(f"{k}={v}" for k, v in sorted(area.as_dict().items()))
    text = f"alert-sub|{channel}|{address}|{spec}"
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:24]


def sign(key: bytes, purpose: str, sub_id: str) -> str:
    """The token of an unsubscribe or confirmation link (purpose: "unsubscribe" | "confirm")."""
    return hmac.new(key, f"alert-{purpose}|{sub_id}".encode(), hashlib.sha256).hexdigest()[:32]


_SUB_ID = re.compile(r"^[0-9a-f]{24}$")
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def is_subscription_id(text: str) -> bool:
    return isinstance(text, str) and bool(_SUB_ID.match(text))


def token_valid(key: bytes, purpose: str, sub_id: str, token: str) -> bool:
    if not is_subscription_id(sub_id) or not isinstance(token, str) or not _TOKEN.match(token):
        return False
    return hmac.compare_digest(sign(key, purpose, sub_id), token)


def new_confirm_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def code_digest(key: bytes, sub_id: str, code: str) -> str:
    return hmac.new(key, f"alert-code|{sub_id}|{code}".encode(), hashlib.sha256).hexdigest()


def is_stop_keyword(text: str | None) -> bool:
    return (text or "").strip().strip(".!").upper() in STOP_KEYWORDS


@dataclass
class Subscription:
    id: str
    channel: str  # email | sms | whatsapp
    address: str  # private
    area: Area
    language: str
    contact: str  # contact_hash
    created_at: datetime
    confirmed: bool = False
    confirm_digest: str | None = None
    attempts: int = 0
    last_digest_on: str | None = None  # Jakarta date of the last digest sent
    expires_at: int | None = None  # TTL (epoch seconds) while pending


@dataclass(frozen=True)
class AlertEntry:
    """One line of a digest: public facts only (built from the public view)."""

    event_id: str
    kind: str  # new | resolved
    public_id: str
    category: str  # the category id; its name in the subscriber's language is looked up at send time
    area_name: str | None
    summary: str
    at: str

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def entry_from_public_view(message: events.Envelope, view: dict[str, Any]) -> AlertEntry | None:
    kind = ALERT_EVENTS.get(type(message.event))
    if kind is None:
        return None
    area = view.get("area") or {}
    description = " ".join(str(view.get("description") or "").split())
    return AlertEntry(
        event_id=message.id,
        kind=kind,
        public_id=str(view["tracking_code"]),
        category=str((view.get("category") or {}).get("id") or ""),
        area_name=area.get("kelurahan") or area.get("kecamatan"),
        summary=description[:120] + ("…" if len(description) > 120 else ""),
        at=to_utc_text(message.event.occurred_at),
    )


@dataclass
class Digest:
    subject: str
    text: str
    entries: list[dict[str, Any]] = field(default_factory=list)


_WORDS = {
    "id": {
        "new": "Baru",
        "resolved": "Selesai",
        "subject": "Laporan di area Anda",
        "intro": "Laporan warga di area yang Anda ikuti:",
        "more": "dan {n} lainnya",
        "stop": "Berhenti berlangganan: {url}",
        "stop_sms": "Balas BERHENTI untuk berhenti.",
    },
    "en": {
        "new": "New",
        "resolved": "Resolved",
        "subject": "Reports in your area",
        "intro": "Citizen reports in the area you follow:",
        "more": "and {n} more",
        "stop": "Unsubscribe: {url}",
        "stop_sms": "Reply STOP to unsubscribe.",
    },
}


def digest_for(sub: Subscription, entries: list[dict[str, Any]], base_url: str, unsubscribe_url: str) -> Digest:
    words = _WORDS.get(sub.language, _WORDS["id"])
    shown = sorted(entries, key=lambda e: e.get("at", ""))[:MAX_DIGEST_ENTRIES]
    short = sub.channel != "email"
    lines = [words["intro"]]
    for entry in shown:
        known = categories.get(entry.get("category", ""))
        category = known.name(sub.language) if known else entry.get("category", "")
        place = f" ({entry['area_name']})" if entry.get("area_name") else ""
        link = f"{base_url}/status/{entry['public_id']}"
        if short:
            lines.append(f"- {words[entry['kind']]}: {category}{place} {link}")
        else:
            lines.append(f"- [{words[entry['kind']]}] {category}{place}: {entry['summary']}\n  {link}")
    if len(entries) > len(shown):
        lines.append(words["more"].format(n=len(entries) - len(shown)))
    lines.append(words["stop_sms"] if short else words["stop"].format(url=unsubscribe_url))
    return Digest(subject=words["subject"], text="\n".join(lines), entries=shown)


def confirmation_text(language: str, code: str, link: str | None) -> str:
    if language == "en":
        text = f"Your CRM area-alert code: {code}. It expires in 24 hours."
        return text + (f" Or confirm with this link: {link}" if link else "")
    text = f"Kode konfirmasi peringatan area CRM: {code}. Berlaku 24 jam."
    return text + (f" Atau konfirmasi lewat tautan ini: {link}" if link else "")
