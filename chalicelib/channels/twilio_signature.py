"""Twilio's request signature (X-Twilio-Signature), checked with the standard library.

Twilio signs every webhook it sends:

    data      = the full URL it requested
                + for each parameter name in sorted order, each of its distinct
                  values in sorted order: name + value     (form posts)
    signature = base64(HMAC(secret, data))                 SHA-1 by default

* The secret is the account's Auth Token. A webhook signed with a SharedKey
  names its algorithm in ``X-Twilio-Webhooks-Signature-Settings:
  key=<id>,algorithm=HMAC_SHA256``; a missing header means HMAC_SHA1.
* A JSON body is not signed as parameters: Twilio adds ``bodySHA256=<hex
  sha256 of the body>`` to the URL's query and signs the URL alone.
* Twilio is not consistent about the port: a signature made with the URL's
  port removed, or with the scheme's default port added (443, 80), is valid.

This is what the ``twilio`` package's RequestValidator checks; we keep our own
so the Lambda package does not carry that package's HTTP clients (35 MB). Our
tests hold it to Twilio's published test vectors and cross-check it against
the package on random requests (tests/unit/test_twilio_signature.py).
Comparisons are constant-time (hmac.compare_digest).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qs, urlsplit, urlunsplit

HMAC_SHA1 = "HMAC_SHA1"
HMAC_SHA256 = "HMAC_SHA256"
_DIGESTS = {HMAC_SHA1: hashlib.sha1, HMAC_SHA256: hashlib.sha256}
_DEFAULT_PORTS = {"https": "443", "http": "80"}

# A parameter's value, or all the values of a repeated parameter.
Params = Mapping[str, str | Sequence[str]]


def algorithm_named(settings_header: str | None) -> str:
    """The algorithm in X-Twilio-Webhooks-Signature-Settings (``key=...,algorithm=...``);
    HMAC_SHA1 when the header is missing or names none. Not checked here: see ``supported``."""
    for part in (settings_header or "").split(","):
        name, equals, value = part.partition("=")
        if equals and name.strip() == "algorithm" and value.strip():
            return value.strip()
    return HMAC_SHA1


def supported(algorithm: str | None) -> bool:
    return (algorithm or HMAC_SHA1).upper() in _DIGESTS


def signature(secret: str, url: str, params: Params | None = None, algorithm: str | None = None) -> str:
    """What Twilio puts in X-Twilio-Signature for this URL and these form parameters."""
    digest = _DIGESTS.get((algorithm or HMAC_SHA1).upper())
    if digest is None:
        raise ValueError(f"unsupported Twilio signature algorithm {algorithm!r}")
    data = [url]
    params = params or {}
    for name in sorted(params):
        values = params[name]
        for value in sorted({values} if isinstance(values, str) else set(values)):
            data += (name, value)
    mac = hmac.new(secret.encode(), "".join(data).encode(), digest)
    return base64.b64encode(mac.digest()).decode()


def body_hash(body: str | bytes) -> str:
    """The ``bodySHA256`` query value Twilio signs in place of a JSON body."""
    return hashlib.sha256(body.encode() if isinstance(body, str) else body).hexdigest()


def url_variants(url: str) -> tuple[str, ...]:
    """The URL without its port and with the scheme's default port: Twilio may have signed either."""
    parts = urlsplit(url)
    userinfo, at, host_port = parts.netloc.rpartition("@")
    if host_port.startswith("["):  # [IPv6]:port
        host, _, port = host_port.partition("]")
        host, port = host + "]", port.removeprefix(":")
    else:
        host, _, port = host_port.partition(":")
    prefix = userinfo + at + host
    without = urlunsplit(parts._replace(netloc=prefix))
    if port:
        return without, urlunsplit(parts)
    default = _DEFAULT_PORTS.get(parts.scheme.lower(), "80")
    return without, urlunsplit(parts._replace(netloc=f"{prefix}:{default}"))


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode())


def is_valid(
    secret: str, url: str, params: Params | str | bytes | None, given: str, algorithm: str | None = None
) -> bool:
    """Does ``given`` sign this request? ``params`` is the form parameters, or the raw
    body of a JSON request (whose URL then carries ``bodySHA256``)."""
    if not supported(algorithm) or not isinstance(given, str):
        return False
    body_ok = True
    if isinstance(params, str | bytes):
        claimed = parse_qs(urlsplit(url).query).get("bodySHA256")
        if not claimed:
            return False  # a raw body is signed only through its hash in the URL
        body_ok = _same(claimed[0], body_hash(params))
        params = None
    try:
        variants = url_variants(url)
    except ValueError:  # not a URL we could have been called at
        return False
    matches = [_same(given, signature(secret, variant, params, algorithm)) for variant in variants]
    return body_ok and any(matches)
