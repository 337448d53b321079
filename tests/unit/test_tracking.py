import math
import re
import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import tracking

CODE = re.compile(r"^[0-9A-HJKMNP-TV-Y]{5}-[0-9A-HJKMNP-TV-Y]{5}-[0-9A-HJKMNP-TV-Y]{4}$")


def test_codes_have_the_documented_shape():
    for _ in range(200):
        code = tracking.new_code()
        assert CODE.match(code), code
        assert tracking.normalize(code) == code


def test_at_least_60_bits_of_randomness():
    assert tracking.randomness_bits() >= 60
    assert tracking.BASE**tracking.RANDOM_SYMBOLS >= 2**60


def test_alphabet_is_prime_sized_and_unambiguous():
    assert tracking.BASE == 31
    assert all(n % d for n in [tracking.BASE] for d in range(2, int(math.sqrt(n)) + 1))
    for confusable in "ILOUZ":
        assert confusable not in tracking.ALPHABET


@pytest.mark.parametrize(
    "variant", [str.lower, lambda c: c.replace("-", ""), lambda c: " " + c.replace("-", " ") + " "]
)
def test_case_spaces_and_dashes_are_forgiven(variant):
    code = tracking.new_code()
    assert tracking.normalize(variant(code)) == code


def test_look_alike_letters_are_folded():
    code = tracking.from_entropy(bytes(32))  # all zeros -> contains 0s
    assert "0" in code
    assert tracking.normalize(code.replace("0", "O")) == code
    code_with_one = next(c for c in (tracking.new_code() for _ in range(1000)) if "1" in c)
    assert tracking.normalize(code_with_one.replace("1", "l")) == code_with_one
    assert tracking.normalize(code_with_one.replace("1", "I")) == code_with_one


def _symbols(code):
    return code.replace("-", "")


def test_every_single_symbol_error_is_caught():
    for _ in range(50):
        raw = _symbols(tracking.new_code())
        for position in range(len(raw)):
            for symbol in tracking.ALPHABET:
                if symbol == raw[position]:
                    continue
                typo = raw[:position] + symbol + raw[position + 1 :]
                assert tracking.normalize(typo) is None, (raw, typo)


def test_every_adjacent_transposition_is_caught():
    for _ in range(300):
        raw = _symbols(tracking.new_code())
        for position in range(len(raw) - 1):
            a, b = raw[position], raw[position + 1]
            if a == b:
                continue
            swapped = raw[:position] + b + a + raw[position + 2 :]
            assert tracking.normalize(swapped) is None, (raw, swapped)


@pytest.mark.parametrize(
    "text", ["", "ABC", "K7QM4-XPA9R-TD2", "K7QM4-XPA9R-TD2WW", "ZZZZZ-ZZZZZ-ZZZZ", "🙂" * 14, "x" * 1000]
)
def test_malformed_codes_are_rejected(text):
    assert tracking.normalize(text) is None


def test_derived_codes_are_stable_per_message_and_differ_otherwise():
    key = b"k" * 32
    first = tracking.derive_code(key, "jaki", "JAKI-1")
    assert first == tracking.derive_code(key, "jaki", "JAKI-1")
    assert first != tracking.derive_code(key, "jaki", "JAKI-2")
    assert first != tracking.derive_code(key, "qlue", "JAKI-1")
    assert first != tracking.derive_code(key, "jaki", "JAKI-1", attempt=1)
    assert first != tracking.derive_code(b"other-key", "jaki", "JAKI-1")
    assert tracking.is_valid(first)


def test_sequential_message_ids_give_unrelated_codes():
    key = secrets.token_bytes(32)
    codes = [_symbols(tracking.derive_code(key, "jaki", f"JAKI-20261123-{n:06d}")) for n in range(200)]
    assert len(set(codes)) == 200
    # No shared prefix pattern: the first symbol is spread over the alphabet.
    assert len({code[0] for code in codes}) > 20


@given(st.text(max_size=60))
def test_normalize_never_raises(text):
    result = tracking.normalize(text)
    assert result is None or CODE.match(result)


def test_entropy_must_be_enough():
    with pytest.raises(ValueError):
        tracking.from_entropy(b"short")
