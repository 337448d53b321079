"""Tracking codes (kode laporan): what a reporter holds to follow a case.

A code is 13 random symbols and one check symbol, shown in three groups:
``4N50G-7M7G1-2X63``.

* Alphabet: Crockford's base-32 without ``Z`` -- 31 symbols, no I, L, O or U,
  so codes survive being read over the phone. Input is case-insensitive and
  the usual look-alikes are folded (``O`` -> 0, ``I``/``L`` -> 1).
* Randomness: 31**13 ~ 2**64.4, more than the 60 bits the city asks for.
* Check symbol: weights 1..14 modulo 31 (a prime larger than every digit
  difference), so every single wrong symbol and every swap of two neighbours
  changes the checksum. Those are the typos people make when copying a code.

Codes come from 32 bytes of entropy: ``secrets.token_bytes`` for reports with
no provider message id, or a keyed HMAC of the provider's message id (see
``derive_code``) so that a retried delivery lands on the same case with one
conditional write and no lookup.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXY"
BASE = len(ALPHABET)  # 31, prime
RANDOM_SYMBOLS = 13
LENGTH = RANDOM_SYMBOLS + 1
GROUPS = (5, 5, 4)

_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}
_ALIASES = {"O": 0, "I": 1, "L": 1}
_SEPARATORS = str.maketrans("", "", "- \t")
# Modular inverse of the check symbol's weight (LENGTH) modulo BASE.
_CHECK_WEIGHT_INVERSE = pow(LENGTH, -1, BASE)


def randomness_bits() -> float:
    """Bits of randomness in one code (for docs and tests)."""
    import math

    return RANDOM_SYMBOLS * math.log2(BASE)


def _checksum(values: list[int]) -> int:
    return sum(weight * value for weight, value in enumerate(values, start=1)) % BASE


def _check_value(data_values: list[int]) -> int:
    # Choose c so that checksum(data + [c]) == 0 (mod BASE).
    return (-_checksum(data_values) * _CHECK_WEIGHT_INVERSE) % BASE


def _format(values: list[int]) -> str:
    symbols = "".join(ALPHABET[v] for v in values)
    parts, start = [], 0
    for size in GROUPS:
        parts.append(symbols[start : start + size])
        start += size
    return "-".join(parts)


def from_entropy(entropy: bytes) -> str:
    """Build a code from at least 16 bytes of (pseudo)random input."""
    if len(entropy) < 16:
        raise ValueError("a tracking code needs at least 128 bits of input")
    number = int.from_bytes(entropy[:16], "big") % (BASE**RANDOM_SYMBOLS)
    values = []
    for _ in range(RANDOM_SYMBOLS):
        number, digit = divmod(number, BASE)
        values.append(digit)
    values.append(_check_value(values))
    return _format(values)


def new_code() -> str:
    """A fresh random code, for reports that carry no provider message id."""
    return from_entropy(secrets.token_bytes(32))


def derive_code(key: bytes, channel: str, message_id: str, attempt: int = 0) -> str:
    """The code for one provider message: stable across retries, unguessable
    without the server-side key. ``attempt`` walks to the next candidate in the
    (astronomically rare) case of a collision with another message's code."""
    material = f"crm-tracking-code/v1\x1f{channel}\x1f{message_id}\x1f{attempt}".encode()
    return from_entropy(hmac.new(key, material, hashlib.sha256).digest())


def normalize(text: str) -> str | None:
    """The canonical form of a code a person typed, or None if it is not one.

    Case, spaces, dashes and look-alike letters are forgiven; a wrong check
    symbol is not.
    """
    if not isinstance(text, str) or len(text) > 40:
        return None
    raw = text.upper().translate(_SEPARATORS)
    if len(raw) != LENGTH:
        return None
    values = []
    for symbol in raw:
        value = _VALUES.get(symbol, _ALIASES.get(symbol))
        if value is None:
            return None
        values.append(value)
    if _checksum(values) != 0:
        return None
    return _format(values)


def is_valid(text: str) -> bool:
    return normalize(text) is not None
