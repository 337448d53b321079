"""What a citizen's message is, apart from the provider that carried it.

Messaging channels (SMS, WhatsApp, Messenger, X) deliver reports in pieces and
carry no category: these helpers guess the category and language from the
text, recognise a message that is only a tracking code (a status question),
and describe how to answer the sender (the reply handle). No I/O here.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

from . import tracking
from .channels import Channel

# Messages from one sender within this window of opening a case add to it.
CONVERSATION_MINUTES = 30
# More reports than this from one sender in one clock hour: refused politely.
MAX_REPORTS_PER_HOUR = 20
# A case takes at most this many additions from its reporter's later messages.
MAX_ADDITIONS = 20

# Channels where one person sends: rate limits, status questions and (for the
# conversational ones) assembly apply. Partners and the website are not here.
PER_SENDER_CHANNELS = frozenset(
    {Channel.SMS_1708, Channel.WHATSAPP, Channel.FACEBOOK, Channel.GOVERNOR_SOCIAL, Channel.X, Channel.EMAIL}
)

ReplyKind = Literal[
    "twilio",  # SMS or WhatsApp through Twilio's Messages API
    "whatsapp",  # WhatsApp Cloud API (Meta)
    "messenger",  # Messenger Send API, to a page-scoped id
    "meta_comment",  # a comment under a page post (feed)
    "x_dm",  # X direct message
    "email",  # e-mail through Amazon SES
    "partner",  # the partner app's callback URL (JAKI, Qlue)
]


class ReplyHandle(BaseModel):
    """How to answer the reporter on the channel they used.

    Kept even for anonymous reporters on messaging channels (it is only an
    address to reply to), stored apart from ``reporter`` and never shown in a
    public view, an event or a log.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: Channel
    kind: ReplyKind
    # The reporter's address on that channel: phone (E.164, or "whatsapp:+62..."
    # for Twilio), WhatsApp id, page-scoped id, comment id, X user id, e-mail
    # address, or the partner's report id.
    address: Annotated[str, StringConstraints(min_length=1, max_length=320)]
    # Our own account the message came to: the Twilio number, WhatsApp
    # phone_number_id, page id or X account id. Replies go out from it.
    via: Annotated[str, StringConstraints(max_length=200)] | None = None

    def sender_identity(self) -> str:
        """What identifies the sender for conversations and rate limits."""
        address = self.address.lower()
        if self.kind == "twilio":
            address = address.removeprefix("whatsapp:")
        return f"{self.channel.value}|{self.kind}|{address}"


class MediaLink(BaseModel):
    """A photo the provider only links to; fetched after the webhook answered."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: Literal["twilio", "whatsapp", "meta_url", "x_url"]
    # A URL (Twilio MediaUrl, Messenger/X attachment URL) or a WhatsApp media id.
    ref: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    content_type: Annotated[str, StringConstraints(max_length=100)] | None = None


# --- text heuristics ---------------------------------------------------------------

_WORD = re.compile(r"[a-zA-Z]+")

_ENGLISH = frozenset(
    "the a an is are was were there this that my our please help street road in on at of to "
    "and with near broken not no garbage trash water flood parking light tree since days "
    "it has have been for here front".split()
)
_INDONESIAN = frozenset(
    "yang di ke dan ini itu ada tidak sudah belum dengan untuk dari jalan depan rumah sampah "
    "air banjir parkir lampu pohon mohon tolong sejak hari kami saya kok sangat warga rusak "
    "berlubang menumpuk mati tumbang liar juga akan bisa".split()
)


def guess_language(text: str) -> Literal["id", "en"]:
    """English only when the text is clearly English; Bahasa Indonesia otherwise."""
    words = [word.lower() for word in _WORD.findall(text or "")]
    english = sum(word in _ENGLISH for word in words)
    indonesian = sum(word in _INDONESIAN for word in words)
    return "en" if english >= 2 and english > indonesian else "id"


# Keywords (Indonesian and English) per category, most specific first.
_CATEGORY_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ppkm_violation", ("ppkm", "kerumunan", "masker", "prokes", "crowd")),
    ("illegal_parking", ("parkir", "parking", "parked")),
    ("low_cable", ("kabel", "cable", "wire")),
    ("street_light", ("lampu jalan", "pju", "lampu mati", "street light", "streetlight")),
    ("fallen_tree", ("pohon", "tree")),
    ("flooding", ("banjir", "genangan", "flood")),
    ("drainage", ("selokan", "got ", "saluran", "drain", "gorong")),
    ("water", ("pdam", "air bersih", "air mati", "tidak mengalir", "water supply", "no water")),
    ("damaged_road", ("jalan rusak", "berlubang", "lubang", "aspal", "pothole", "damaged road")),
    ("sidewalk_obstruction", ("trotoar", "puing", "sidewalk", "pavement", "debris")),
    ("garbage", ("sampah", "garbage", "trash", "rubbish", "waste")),
    ("public_facility", ("fasilitas", "halte", "taman", "toilet umum", "bus stop", "park bench")),
    ("regulation_violation", ("perda", "pergub", "pkl", "bangunan liar", "illegal building")),
)


def guess_category(text: str) -> str:
    """A first guess from keywords; officers correct it at triage. ``other`` if unsure."""
    lowered = f" {(text or '').lower()} "
    for category, keywords in _CATEGORY_KEYWORDS:
        if any(keyword in lowered for keyword in keywords):
            return category
    return "other"


_CODE_QUERY = re.compile(r"^\W*(?:(?:status|cek|kode|code|laporan|report)\W+)*([0-9A-Za-z][0-9A-Za-z \-]{12,22})\W*$")


def tracking_code_query(text: str | None) -> str | None:
    """The canonical code when a message is only a tracking code (a status question)."""
    if not text or len(text) > 80:
        return None
    match = _CODE_QUERY.match(text.strip())
    return tracking.normalize(match.group(1)) if match else None


_CODE_IN_TEXT = re.compile(r"[0-9A-Za-z]{5}-[0-9A-Za-z]{5}-[0-9A-Za-z]{4}")


def tracking_code_in(text: str | None) -> str | None:
    """The first valid tracking code written anywhere in a text (e.g. a mail subject)."""
    for candidate in _CODE_IN_TEXT.findall(text or ""):
        code = tracking.normalize(candidate)
        if code:
            return code
    return None


def describe(text: str | None, *, photos: int = 0, location: bool = False, language: str = "id") -> str:
    """The report text; a placeholder when the message carried only a photo or a place."""
    text = (text or "").strip()
    if text:
        return text[:5000]
    parts = []
    if photos:
        parts.append("photo" if language == "en" else "foto")
    if location:
        parts.append("location" if language == "en" else "lokasi")
    if language == "en":
        return f"({' and '.join(parts) or 'empty message'} without a description)"
    return f"({' dan '.join(parts) or 'pesan kosong'} tanpa keterangan)"


class UnreadableNotice(ValueError):
    """A replies-queue body that is not a notice."""


@dataclasses.dataclass(frozen=True)
class Notice:
    """An answer to a message that changed no case (a status question, the hourly
    limit, a full case, a place outside Jakarta), queued by the webhook straight
    onto the replies queue. Not a domain event: it names the sender only by the
    keyed hash of their sender item, where the reply worker finds the handle.

    On the wire: ``{"notice": <outcome>, "sender", "tracking_code", "language"}``."""

    outcome: str  # an intake outcome: status, unknown_code, rate_limited, full, outside_area, ...
    sender: str | None
    tracking_code: str | None = None
    language: str = "id"
    # Not on the wire: the queue's message id, given when the notice is read off the
    # replies queue; it makes the answer once-only (a notice has no id of its own).
    id: str = ""

    def to_message(self) -> dict[str, str | None]:
        return {
            "notice": self.outcome,
            "sender": self.sender,
            "tracking_code": self.tracking_code,
            "language": self.language,
        }

    @classmethod
    def from_message(cls, message: object, id: str = "") -> Notice:
        """A queued notice, read once (``id``: the queue's message id); a language we
        have no texts for reads as Indonesian."""
        if not isinstance(message, dict) or not isinstance(message.get("notice"), str) or not message["notice"]:
            raise UnreadableNotice("a notice names its outcome")
        sender, code = message.get("sender"), message.get("tracking_code")
        if not isinstance(sender, str | None) or not isinstance(code, str | None):
            raise UnreadableNotice("a notice's sender and tracking code are text")
        language = message.get("language")
        language = language if language in ("id", "en") else "id"
        return cls(message["notice"], sender or None, code or None, language, id)
