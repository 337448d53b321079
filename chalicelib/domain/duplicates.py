"""Is a new report about a problem someone already reported?

Two signals, each enough to show the officer a candidate (a person decides
and merges; nothing is merged automatically):
* nearby: an open case of the same category within 100 m;
* similar text: an open case of the same category in the last 7 days whose
  description is nearly the same (after folding case, punctuation and spaces).

Finding the similar texts must not mean reading the week: a description gets
a compact signature (MinHash over character shingles, cut into LSH bands).
Two texts share at least one band key with a probability that rises steeply
with how many shingles they share, so looking up a report's band keys finds
its near-duplicates among any number of reports; ``text_similarity`` then
confirms each one. Everything here is pure and deterministic across processes
(hashes come from hashlib, never from Python's salted ``hash()``).
"""

from __future__ import annotations

import difflib
import hashlib
import re
from datetime import timedelta

NEARBY_METRES = 100.0
SIMILAR_TEXT = 0.85
MAX_CANDIDATES = 5
SIMILAR_WINDOW = timedelta(days=7)
COMPARED_CHARS = 160  # the part of a description compared (what a queue card shows)

# The signature: character 4-grams of the normalised text, 8 bands of 3
# MinHash values. Two texts whose shingle sets have Jaccard similarity J share
# a band with probability 1 - (1 - J^3)^8: 0.73 at J = 0.5, 0.97 at J = 0.7,
# 0.9996 at J = 0.9 (docs/scaling.md has the measured recall).
SHINGLE_CHARS = 4
BANDS = 8
ROWS_PER_BAND = 3

_WORDS = re.compile(r"[^\w]+", re.UNICODE)
_PRIME = (1 << 61) - 1  # a Mersenne prime: (a*x + b) mod p is a universal hash of 61-bit values


def normalise(text: str) -> str:
    return " ".join(_WORDS.sub(" ", text.lower()).split())


def text_similarity(a: str, b: str) -> float:
    left, right = normalise(a), normalise(b)
    if not left or not right:
        return 0.0
    return difflib.SequenceMatcher(None, left, right).ratio()


def _digest(data: str, size: int = 8) -> bytes:
    return hashlib.blake2b(data.encode(), digest_size=size).digest()


def _permutation(n: int) -> tuple[int, int]:
    seed = _digest(f"crm/minhash/{n}", 16)
    return int.from_bytes(seed[:8], "big") % (_PRIME - 1) + 1, int.from_bytes(seed[8:], "big") % _PRIME


_PERMUTATIONS = tuple(_permutation(n) for n in range(BANDS * ROWS_PER_BAND))


def shingles(text: str) -> set[str]:
    """The overlapping 4-character pieces of the normalised text (spaces included)."""
    folded = normalise(text[:COMPARED_CHARS])
    if len(folded) <= SHINGLE_CHARS:
        return {folded} if folded else set()
    return {folded[i : i + SHINGLE_CHARS] for i in range(len(folded) - SHINGLE_CHARS + 1)}


def minhash(text: str) -> tuple[int, ...]:
    """For each of BANDS x ROWS_PER_BAND hash functions, the least hash over the shingles."""
    values = [int.from_bytes(_digest(piece), "big") % _PRIME for piece in shingles(text)]
    if not values:
        return ()
    return tuple(min((a * value + b) % _PRIME for value in values) for a, b in _PERMUTATIONS)


def band_keys(text: str) -> tuple[str, ...]:
    """The text's signature: one key per band (16 hex digits), position = band number.

    Empty for a text with no words: it has no near-duplicates by text.
    """
    values = minhash(text)
    if not values:
        return ()
    keys = []
    for band in range(BANDS):
        rows = values[band * ROWS_PER_BAND : (band + 1) * ROWS_PER_BAND]
        keys.append(_digest(",".join(map(str, rows))).hex())
    return tuple(keys)
