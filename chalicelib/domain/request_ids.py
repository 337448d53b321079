"""Public request ids: how a case is named where everyone can see it (Open311).

The tracking code is the reporter's key: whoever holds it may confirm a
resolved case with a rating or reopen it (POST /status/{code}/feedback and
/reopen). Open311 publishes every request in ``GET requests.json``, so the id
it shows cannot be the tracking code. It is the tracking code *encrypted*:

    block = 7 zero bytes || the code's 14 symbols as one number (9 bytes)
    id    = Crockford base32 of AES-128(key, block), 26 characters

* No storage and no lookup table: ``tracking_code_of(id)`` decrypts, so a GET by
  id is still one GetItem.
* Not forgeable or guessable: a made-up id decrypts to a block whose first 56
  bits are zero with probability 2**-56, and the code inside must still pass
  its check symbol.
* Reveals nothing about the code without the key, which is derived from
  TRACKING_CODE_KEY (HMAC with a purpose label), so ids are as stable as codes.

One AES block per id, so the "mode" is just the block cipher itself (ECB over
exactly one block). PyCryptodome's AES is imported on first use (cold start).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from . import tracking

LENGTH = 26
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_VALUES = {symbol: value for value, symbol in enumerate(_ALPHABET)}
_ALIASES = {"o": 0, "i": 1, "l": 1}
_MAGIC = bytes(7)
_PURPOSE = b"crm-open311-request-id/v1"


@lru_cache(maxsize=4)
def _cipher(code_key: bytes):
    from Crypto.Cipher import AES

    key = hmac.new(code_key, _PURPOSE, hashlib.sha256).digest()[:16]
    return AES.new(key, AES.MODE_ECB)  # one block: a pseudorandom permutation (ECB keeps no state)


def _code_number(code: str) -> int:
    symbols = code.replace("-", "")
    number = 0
    for symbol in reversed(symbols):
        number = number * tracking.BASE + tracking.ALPHABET.index(symbol)
    return number


def _code_from_number(number: int) -> str | None:
    symbols = []
    for _ in range(tracking.LENGTH):
        number, digit = divmod(number, tracking.BASE)
        symbols.append(tracking.ALPHABET[digit])
    if number:
        return None
    return tracking.normalize("".join(symbols))


def public_id(tracking_code: str, code_key: bytes) -> str:
    """The public id of the case with this (canonical) tracking code."""
    block = _MAGIC + _code_number(tracking_code).to_bytes(9, "big")
    number = int.from_bytes(_cipher(code_key).encrypt(block), "big")
    symbols = []
    for _ in range(LENGTH):
        number, digit = divmod(number, 32)
        symbols.append(_ALPHABET[digit])
    return "".join(reversed(symbols))


def tracking_code_of(request_id: str, code_key: bytes) -> str | None:
    """The tracking code inside a public id, or None if it is not one of ours."""
    if not isinstance(request_id, str) or len(request_id) != LENGTH:
        return None
    number = 0
    for symbol in request_id.lower():
        value = _VALUES.get(symbol, _ALIASES.get(symbol))
        if value is None:
            return None
        number = number * 32 + value
    if number >> 128:
        return None
    block = _cipher(code_key).decrypt(number.to_bytes(16, "big"))
    if not hmac.compare_digest(block[:7], _MAGIC):
        return None
    return _code_from_number(int.from_bytes(block[7:], "big"))


def looks_like_id(text: str) -> bool:
    return (
        isinstance(text, str)
        and len(text) == LENGTH
        and all(symbol in _VALUES or symbol in _ALIASES for symbol in text.lower())
    )


_UPDATE_PURPOSE = b"crm-open311-update-id/v1"


def update_id(event_id: str, code_key: bytes) -> str:
    """The public id of an update (Open311 ``update_id``): a keyed digest of the
    event or reply id it stands for, 26 symbols like a request id. Stable (a
    repeated event gets the same id, so clients drop the repeat) and telling
    nothing about the tracking code inside ``event_id``."""
    key = hmac.new(code_key, _UPDATE_PURPOSE, hashlib.sha256).digest()
    number = int.from_bytes(hmac.new(key, event_id.encode(), hashlib.sha256).digest()[:16], "big") >> 2
    symbols = []
    for _ in range(LENGTH):
        number, digit = divmod(number, 32)
        symbols.append(_ALPHABET[digit])
    return "".join(reversed(symbols))
