"""Privacy levels of a case (tingkat kerahasiaan), after SP4N-LAPOR's two options.

    public        the report is public; the reporter's contact is private (always)
    anonymous     the reporter's identity is kept from everyone: no name, phone or
                  e-mail is stored, only the opaque reply handle a channel needs to
                  answer; the report itself is public
    confidential  (rahasia) the whole report is hidden from the public: only the
                  tracking code's holder sees a minimal status; it is in no public
                  list, photo, page or alert. Officers still work it as usual.

Levels are ordered. The reporter chooses at intake (partner field, form
checkbox, a keyword in a message); whistleblower categories start
confidential. Any officer who may work a case may raise its level; only the
Bureau may lower it, because a lowered level publishes what a reporter was
told would stay hidden. Every change is in the case history.
"""

from __future__ import annotations

import re
from enum import StrEnum


class PrivacyLevel(StrEnum):
    """A case's privacy level. Levels are ordered by ``rank`` (not by name)."""

    PUBLIC = "public"
    ANONYMOUS = "anonymous"  # anonim
    CONFIDENTIAL = "confidential"  # rahasia

    @property
    def rank(self) -> int:
        return _ORDER.index(self)

    @property
    def hidden(self) -> bool:
        """Kept from the public entirely (lists, pages, photos, alerts)."""
        return self is PrivacyLevel.CONFIDENTIAL

    @property
    def forgets_reporter(self) -> bool:
        """The reporter's contact is not kept at this level (only the reply handle)."""
        return self is PrivacyLevel.ANONYMOUS

    def refusal(self, wanted: PrivacyLevel, lowering_allowed: bool) -> str | None:
        """None if the case may go from this level to ``wanted``, else why not."""
        if wanted is self:
            return f"the case is already {self.value}"
        if wanted.rank < self.rank and not lowering_allowed:
            return "only the Bureau may lower a case's privacy level"
        return None


PUBLIC, ANONYMOUS, CONFIDENTIAL = PrivacyLevel.PUBLIC, PrivacyLevel.ANONYMOUS, PrivacyLevel.CONFIDENTIAL
_ORDER = (PUBLIC, ANONYMOUS, CONFIDENTIAL)
LEVELS = _ORDER

# Reports about people who can retaliate (an employer ignoring a regulation, a
# venue breaking public-health restrictions) are confidential unless the
# reporter is told otherwise by the Bureau.
CONFIDENTIAL_CATEGORIES = frozenset({"regulation_violation", "ppkm_violation"})

# Words a reporter may put in an SMS / WhatsApp / social message to choose a level.
KEYWORDS = {"RAHASIA": CONFIDENTIAL, "CONFIDENTIAL": CONFIDENTIAL, "ANONIM": ANONYMOUS, "ANONYMOUS": ANONYMOUS}
_KEYWORD = re.compile(r"(?<![\w#@])#?(" + "|".join(KEYWORDS) + r")(?![\w])[\s:,.!-]*", re.IGNORECASE)


def check(level: object) -> PrivacyLevel:
    """A level as given by a client; ValueError names the choices."""
    if not isinstance(level, str) or level not in LEVELS:
        raise ValueError(f"must be one of: {', '.join(LEVELS)}")
    return PrivacyLevel(level)


def initial(requested: str | None, anonymous: bool, category: str) -> PrivacyLevel:
    """The level a new case starts at: the highest of what the reporter asked for,
    what an anonymous report implies and what its category demands."""
    levels = [
        PrivacyLevel(requested or PUBLIC),
        ANONYMOUS if anonymous else PUBLIC,
        CONFIDENTIAL if category in CONFIDENTIAL_CATEGORIES else PUBLIC,
    ]
    return max(levels, key=lambda level: level.rank)


def from_keywords(text: str) -> tuple[str, PrivacyLevel | None]:
    """(text without the keywords, the highest level they ask for or None).

    A keyword counts as a whole word anywhere in the message ("RAHASIA parkir
    liar di ...", "... #rahasia"); it is removed so it does not end up in the
    description."""
    found = [KEYWORDS[match.group(1).upper()] for match in _KEYWORD.finditer(text)]
    if not found:
        return text, None
    cleaned = re.sub(r"\s{2,}", " ", _KEYWORD.sub(" ", text)).strip()
    return cleaned, max(found, key=lambda level: level.rank)


def is_hidden(level: str) -> bool:
    """Kept from the public entirely (lists, pages, photos, alerts): for a level
    read from an index card, where it is still a string."""
    return level == CONFIDENTIAL
