"""Verifying Amazon Cognito ID tokens (moto's Cognito locally).

Checked: the RS256 signature against the user pool's published keys (JWKS,
fetched on first use and again after an hour, or when a token names a key we
do not have, at most once a minute), the issuer, the audience (our app
client), expiry and not-before, and that it is an ID token (the one carrying
the groups and the ``custom:agency_id`` attribute).

The signature is RSASSA-PKCS1-v1_5 with SHA-256, checked with PyCryptodome
(the Lambda package carries it for AES too; the cryptography package that
PyJWT's own RS256 needs is 15 MB); the claims are checked by PyJWT.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from chalicelib.adapters import pycryptodome
from chalicelib.config import CognitoSettings


class InvalidToken(Exception):
    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


KEYS_TTL_SECONDS = 3600
UNKNOWN_KEY_REFETCH_SECONDS = 60  # a token naming an unknown key fetches the JWKS at most this often
_MAX_JWKS_BYTES = 1_000_000
_MIN_RSA_BITS = 2048


# base64url to base64; "+", "/" and "=" are not base64url, so they become "*", which b64decode refuses.
_URLSAFE = str.maketrans("-_+/=", "+/***")


def _b64url(text: str) -> bytes:
    """Strict base64url (no padding in JWTs and JWKs): other characters are an error, not skipped."""
    import base64
    import binascii

    try:
        return base64.b64decode(text.translate(_URLSAFE) + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidToken("invalid") from None


def rsa_keys(jwks: Any) -> dict[str, Any]:
    """The RS256 signing keys of a JWKS document, by ``kid`` (others are skipped)."""
    pycryptodome.prepare()
    from Crypto.PublicKey import RSA

    keys = {}
    for jwk in jwks.get("keys", []) if isinstance(jwks, dict) else []:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or jwk.get("alg", "RS256") != "RS256":
            continue
        if jwk.get("use", "sig") != "sig" or not isinstance(jwk.get("kid"), str):
            continue
        try:
            modulus = int.from_bytes(_b64url(jwk["n"]), "big")
            exponent = int.from_bytes(_b64url(jwk["e"]), "big")
            key = RSA.construct((modulus, exponent))
        except (InvalidToken, KeyError, TypeError, ValueError):
            continue
        if key.size_in_bits() >= _MIN_RSA_BITS:
            keys[jwk["kid"]] = key
    return keys


def verify_rs256(token: str, keys: dict[str, Any]) -> None:
    """Raise InvalidToken unless ``token`` is a JWS signed with RS256 by one of ``keys``."""
    import json

    pycryptodome.prepare()
    from Crypto.Hash import SHA256
    from Crypto.Signature import pkcs1_15

    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("invalid")
    try:
        header = json.loads(_b64url(parts[0]))
    except ValueError:
        raise InvalidToken("invalid") from None
    if not isinstance(header, dict) or header.get("alg") != "RS256":
        raise InvalidToken("invalid")
    kid = header.get("kid")
    if not isinstance(kid, str):  # a forged header's list or object: no key is named so
        raise InvalidToken("invalid")
    key = keys.get(kid)
    if key is None:
        raise InvalidToken("unknown_key")
    try:
        pkcs1_15.new(key).verify(SHA256.new(f"{parts[0]}.{parts[1]}".encode()), _b64url(parts[2]))
    except ValueError:
        raise InvalidToken("invalid") from None


class TokenVerifier:
    def __init__(self, settings: CognitoSettings, leeway_seconds: int = 30):
        self.settings = settings
        self.leeway = leeway_seconds
        self._keys: dict[str, Any] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def _fetch_keys(self) -> dict[str, Any]:
        import json
        import urllib.request

        try:
            with urllib.request.urlopen(self.settings.keys_url, timeout=5) as response:  # noqa: S310 - our pool's URL
                return rsa_keys(json.loads(response.read(_MAX_JWKS_BYTES)))
        except (OSError, ValueError):
            raise InvalidToken("keys_unavailable") from None

    def _signing_keys(self, refresh_for_unknown_key: bool = False) -> dict[str, Any]:
        with self._lock:
            age = None if self._fetched_at is None else time.monotonic() - self._fetched_at
            if age is None or age > KEYS_TTL_SECONDS or (refresh_for_unknown_key and age > UNKNOWN_KEY_REFETCH_SECONDS):
                self._keys = self._fetch_keys()
                self._fetched_at = time.monotonic()
            return self._keys

    def verify(self, token: str) -> dict[str, Any]:
        import jwt

        if not token:
            raise InvalidToken("missing")
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        try:
            verify_rs256(token, self._signing_keys())
        except InvalidToken as error:
            if error.reason != "unknown_key":
                raise
            try:  # the pool may have rotated its keys
                verify_rs256(token, self._signing_keys(refresh_for_unknown_key=True))
            except InvalidToken as again:
                raise InvalidToken("keys_unavailable" if again.reason == "keys_unavailable" else "invalid") from None
        try:
            claims = jwt.decode(
                token,
                algorithms=["RS256"],
                audience=self.settings.client_id,
                issuer=self.settings.issuer,
                leeway=self.leeway,
                # The signature was checked just above (verify_rs256); PyJWT checks the claims.
                options={
                    "verify_signature": False,
                    "verify_exp": True,
                    "verify_nbf": True,
                    "verify_iat": True,
                    "verify_aud": True,
                    "verify_iss": True,
                    "require": ["exp", "iat", "iss", "aud", "sub"],
                },
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("expired") from None
        except (jwt.InvalidTokenError, ValueError):
            raise InvalidToken("invalid") from None
        if claims.get("token_use") != "id":
            raise InvalidToken("not_an_id_token")
        return claims
