"""The signature of our partner contract (JAKI, Qlue), both ways:

    X-CRM-Timestamp: 1795412400
    X-CRM-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>

channels/partner.py checks a partner's report with it, adapters/partner_callback.py
signs what we send back. Pure computation, so both layers may import it.
"""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "X-CRM-Timestamp"
SIGNATURE_HEADER = "X-CRM-Signature"


def hmac_sha256(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def signed_message(timestamp: str, body: bytes) -> bytes:
    """What the partner signs: ``<timestamp>.<raw body>``."""
    return timestamp.encode() + b"." + body


def signature_headers(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    """The headers a partner sends, and our callbacks carry (also the demo loader's, load tests' and tests')."""
    digest = hmac_sha256(secret, signed_message(str(timestamp), body)).hex()
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: f"sha256={digest}"}
