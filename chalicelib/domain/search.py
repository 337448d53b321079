"""Words an officer types to find a case (pencarian): folded the same way on both sides.

A case's searchable text (its description and address) is folded once, when its
list card is written: accents stripped (``Jalan Mérdeka`` -> ``jalan merdeka``),
case folded, everything that is not a letter or digit a space, each word kept
once, at most ``WORDS_CHARS`` characters. A query matches when every one of its
words is found inside that text (``lubang`` finds ``berlubang``).
"""

from __future__ import annotations

import re
import unicodedata

WORDS_CHARS = 400  # of a card's searchable words (the card is projected into the list indexes)
MAX_QUERY_CHARS = 100
# Letters and digits of any script, spaces and the punctuation of codes, addresses and words
# (RT 03/RW 05, no. 12-A, Jl. Merdeka, O'Neil); anything else is refused at the boundary.
_QUERY = re.compile(r"[\w\s.,/#'()&:-]*", re.UNICODE)
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def fold(text: str) -> str:
    """Lower case, no accents, letters and digits separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NOT_WORD.sub(" ", plain.casefold()).split())


def searchable(*texts: str | None) -> str:
    """The words of ``texts``, folded, each once, in order, cut at a whole word within WORDS_CHARS."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in fold(text or "").split():
            seen.setdefault(word, None)
    kept: list[str] = []
    size = -1  # the length of " ".join(kept)
    for word in seen:
        if size + 1 + len(word) > WORDS_CHARS:
            break
        kept.append(word)
        size += 1 + len(word)
    return " ".join(kept)


def valid_query(text: str) -> bool:
    """Short enough and made of the characters a code, an address or words are made of."""
    return len(text) <= MAX_QUERY_CHARS and _QUERY.fullmatch(text) is not None


def query_words(text: str) -> list[str]:
    return fold(text).split()


def matches(words: list[str], text: str) -> bool:
    """Every query word is found in the folded ``text`` (no words: everything matches)."""
    return all(word in text for word in words)
