"""Is a new report about a problem someone already reported?

Two signals, each enough to show the officer a candidate (a person decides
and merges; nothing is merged automatically):
* nearby: an open case of the same category within 100 m;
* similar text: an open case of the same category in the last 7 days whose
  description is nearly the same (after folding case, punctuation and spaces).
"""

from __future__ import annotations

import difflib
import re

NEARBY_METRES = 100.0
SIMILAR_TEXT = 0.85
MAX_CANDIDATES = 5

_WORDS = re.compile(r"[^\w]+", re.UNICODE)


def normalise(text: str) -> str:
    return " ".join(_WORDS.sub(" ", text.lower()).split())


def text_similarity(a: str, b: str) -> float:
    left, right = normalise(a), normalise(b)
    if not left or not right:
        return 0.0
    return difflib.SequenceMatcher(None, left, right).ratio()
