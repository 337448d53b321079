"""Tracking codes are unguessable and typo-proof, checked on 100,000 codes.

Sources, both deterministic (fixed key / seed, so the statistics are the same
on every run -- no flakiness): ``derive_code`` of sequential provider message
ids (what every webhook report gets) and ``from_entropy`` of seeded random
bytes (the mapping behind ``new_code``'s ``secrets.token_bytes``).

Thresholds are chi-square critical values at p = 1e-6 (Wilson-Hilferty), so
only real bias fails them. Entropy: the per-position min-entropy estimate,
summed over the 13 random positions (independence checked on neighbours and
by birthday collisions), must reach 60 bits; 13 * log2(31) = 64.4 is the most
it can be.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from functools import cache

import pytest

from chalicelib.domain import tracking

N = 100_000
RANDOM = tracking.RANDOM_SYMBOLS
BASE = tracking.BASE
Z_1E6 = 4.753  # one-sided normal quantile for p = 1e-6


def chi2_critical(df: int, z: float = Z_1E6) -> float:
    return df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3


def chi2(counts: Counter, cells: int, n: int) -> float:
    expected = n / cells
    return sum((counts.get(cell, 0) - expected) ** 2 / expected for cell in range(cells))


def values(code: str) -> list[int]:
    return [tracking.ALPHABET.index(symbol) for symbol in code.replace("-", "")]


@cache
def sample(source: str) -> tuple[tuple[int, ...], ...]:
    if source == "derived":
        key = b"statistics-test-key-0123456789abcdef"
        codes = (tracking.derive_code(key, "jaki", f"JAKI-20261123-{n:06d}") for n in range(N))
    else:
        generator = random.Random(20261123)
        codes = (tracking.from_entropy(generator.randbytes(32)) for _ in range(N))
    return tuple(tuple(values(code)) for code in codes)


SOURCES = ["derived", "random-bytes"]


@pytest.mark.parametrize("source", SOURCES)
def test_every_position_is_uniform_over_the_alphabet(source):
    codes = sample(source)
    limit = chi2_critical(BASE - 1)
    for position in range(tracking.LENGTH):  # the check symbol too
        statistic = chi2(Counter(code[position] for code in codes), BASE, N)
        assert statistic < limit, (position, statistic, limit)


@pytest.mark.parametrize("source", SOURCES)
def test_symbols_overall_are_uniform(source):
    counts = Counter(value for code in sample(source) for value in code[:RANDOM])
    assert chi2(counts, BASE, N * RANDOM) < chi2_critical(BASE - 1)


@pytest.mark.parametrize("source", SOURCES)
def test_neighbouring_positions_are_independent(source):
    codes = sample(source)
    limit = chi2_critical(BASE * BASE - 1)
    for position in range(RANDOM - 1):
        pairs = Counter(code[position] * BASE + code[position + 1] for code in codes)
        statistic = chi2(pairs, BASE * BASE, N)
        assert statistic < limit, (position, statistic, limit)


@pytest.mark.parametrize("source", SOURCES)
def test_collisions_are_as_rare_as_for_truly_random_codes(source):
    codes = sample(source)
    assert len(set(codes)) == N  # full codes: expected collisions ~2e-10
    # Birthday test on 4-symbol windows (31**4 = 923,521 values): the number of
    # colliding pairs is ~Poisson(C(N,2) / 31**4 = 5,414); less entropy means more.
    expected = N * (N - 1) / 2 / BASE**4
    for start in (0, 4, 8):
        windows = Counter(code[start : start + 4] for code in codes)
        pairs = sum(count * (count - 1) // 2 for count in windows.values())
        assert abs(pairs - expected) < 6 * math.sqrt(expected), (start, pairs, expected)


@pytest.mark.parametrize("source", SOURCES)
def test_estimated_entropy_is_at_least_60_bits(source):
    codes = sample(source)
    min_entropy = shannon = 0.0
    for position in range(RANDOM):
        counts = Counter(code[position] for code in codes)
        min_entropy += -math.log2(max(counts.values()) / N)
        shannon += -sum(c / N * math.log2(c / N) for c in counts.values())
    assert min_entropy >= 60, min_entropy
    assert shannon >= 64, shannon
    assert tracking.randomness_bits() >= 60


# --- the check symbol, exhaustively ---------------------------------------------------------


def code_with(fixed: dict[int, int], generator: random.Random) -> list[int]:
    """A valid code's values with the given symbols at the given positions."""
    while True:
        data = [fixed.get(p, generator.randrange(BASE)) for p in range(RANDOM)]
        code = values(tracking.from_entropy(_entropy_for(data)))
        if all(code[p] == v for p, v in fixed.items()):
            return code


def _entropy_for(data: list[int]) -> bytes:
    number = sum(value * BASE**index for index, value in enumerate(data))
    return number.to_bytes(16, "big") + bytes(16)


def text_of(code: list[int]) -> str:
    return "".join(tracking.ALPHABET[v] for v in code)


def test_every_single_symbol_error_at_every_position_is_caught():
    generator = random.Random(1)
    for position in range(tracking.LENGTH):
        for right in range(BASE):
            code = code_with({position: right}, generator)
            assert tracking.normalize(text_of(code)) is not None
            for wrong in range(BASE):
                if wrong != right:
                    typo = code[:position] + [wrong] + code[position + 1 :]
                    assert tracking.normalize(text_of(typo)) is None, (position, right, wrong)


def test_every_swap_of_neighbours_is_caught():
    generator = random.Random(2)
    for position in range(tracking.LENGTH - 1):
        for a in range(BASE):
            for b in range(BASE):
                if a == b:
                    continue
                code = code_with({position: a, position + 1: b}, generator)
                swapped = code[:position] + [b, a] + code[position + 2 :]
                assert tracking.normalize(text_of(swapped)) is None, (position, a, b)


def test_reading_o_i_l_for_0_1_1_is_not_an_error():
    generator = random.Random(3)
    code = text_of(code_with({0: 0, 1: 1, 2: 1}, generator))
    canonical = tracking.normalize(code)
    assert tracking.normalize("OIL" + code[3:]) == canonical
    assert tracking.normalize(("oil" + code[3:]).lower()) == canonical
