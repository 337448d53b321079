"""The one retry of a version-conditioned write that lost a race.

A case is saved on the condition that its version did not move
(``CaseRepository.save``); when it did, ``ConcurrentUpdate`` says someone else
changed it first. Each attempt reads the case afresh and decides again on the
new version; after ``attempts`` lost races the conflict goes to the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from chalicelib.domain.errors import ConcurrentUpdate

T = TypeVar("T")


def retry_on_conflict(attempt: Callable[[int], T], attempts: int) -> T:
    """``attempt(n)`` for n = 0, 1, ... until one returns without ``ConcurrentUpdate``;
    its answer is the answer. ``n`` lets the first attempt use a case already read."""
    for n in range(attempts):
        try:
            return attempt(n)
        except ConcurrentUpdate:
            continue
    raise ConcurrentUpdate(None)
