"""HMAC signature checks shared by the channel adapters. Comparisons are
constant-time (hmac.compare_digest) so a forger learns nothing from timing."""

from __future__ import annotations

import hmac
from datetime import datetime

from chalicelib.domain.signatures import hmac_sha256 as hmac_sha256

from .base import SignatureExpired, SignatureRejected


def require_prefixed_hex(header_value: str | None, expected: bytes, header_name: str) -> None:
    """Check a ``sha256=<hex>`` header against the expected digest."""
    if not header_value:
        raise SignatureRejected(f"{header_name} header is missing")
    scheme, _, given = header_value.strip().partition("=")
    if scheme.lower() != "sha256" or not given:
        raise SignatureRejected(f"{header_name} must look like sha256=<hex digest>")
    if not hmac.compare_digest(given.lower().encode(), expected.hex().encode()):
        raise SignatureRejected(f"{header_name} does not match the request body")


def require_fresh_timestamp(header_value: str | None, now: datetime, max_skew_seconds: int, header_name: str) -> str:
    """A unix-seconds timestamp within the allowed window; returns it as sent."""
    if not header_value:
        raise SignatureRejected(f"{header_name} header is missing")
    value = header_value.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 12:  # "²".isdigit(), but int() refuses it
        raise SignatureRejected(f"{header_name} must be unix time in seconds")
    if abs(now.timestamp() - int(value)) > max_skew_seconds:
        raise SignatureExpired(
            f"{header_name} is more than {max_skew_seconds} s from the server's time; sign the request again"
        )
    return value
