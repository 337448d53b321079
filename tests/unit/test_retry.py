"""The one retry of a version-conditioned save (services/retry.py)."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import ConcurrentUpdate, InvalidInput
from chalicelib.services.retry import retry_on_conflict


class Racing:
    """A save that loses ``losses`` races, then succeeds; records what each attempt read."""

    def __init__(self, losses: int):
        self.losses = losses
        self.attempts: list[int] = []

    def __call__(self, n: int) -> str:
        self.attempts.append(n)
        if len(self.attempts) <= self.losses:
            raise ConcurrentUpdate(len(self.attempts))
        return f"saved on attempt {n}"


def test_succeeds_after_conflicts_reading_afresh_each_time():
    save = Racing(losses=2)
    assert retry_on_conflict(save, attempts=3) == "saved on attempt 2"
    assert save.attempts == [0, 1, 2]


def test_the_first_attempt_that_wins_ends_it():
    save = Racing(losses=0)
    assert retry_on_conflict(save, attempts=3) == "saved on attempt 0"
    assert save.attempts == [0]


@pytest.mark.parametrize("attempts", [1, 3, 5])
def test_gives_up_after_n_conflicts(attempts):
    save = Racing(losses=attempts)
    with pytest.raises(ConcurrentUpdate) as lost:
        retry_on_conflict(save, attempts=attempts)
    assert save.attempts == list(range(attempts))
    assert lost.value.current_version is None  # the last conflict's version is not known to the caller


def test_other_errors_are_not_retried():
    calls = []

    def refused(n: int) -> None:
        calls.append(n)
        raise InvalidInput([("field", "no")])

    with pytest.raises(InvalidInput):
        retry_on_conflict(refused, attempts=3)
    assert calls == [0]
