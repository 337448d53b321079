"""Verifying Amazon Cognito ID tokens (moto's Cognito locally), with PyJWT.

Checked: the RS256 signature against the user pool's published keys (JWKS,
fetched once and cached per container), the issuer, the audience (our app
client), expiry and not-before, and that it is an ID token (the one carrying
the groups and the ``custom:agency_id`` attribute).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any


class InvalidToken(Exception):
    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class CognitoSettings:
    region: str
    user_pool_id: str
    client_id: str
    jwks_url: str | None = None  # default: the pool's public JWKS in AWS
    issuer_url: str | None = None  # default: derived from region and pool

    @property
    def issuer(self) -> str:
        return self.issuer_url or f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    @property
    def keys_url(self) -> str:
        return self.jwks_url or f"{self.issuer}/.well-known/jwks.json"


class TokenVerifier:
    def __init__(self, settings: CognitoSettings, leeway_seconds: int = 30):
        self.settings = settings
        self.leeway = leeway_seconds
        self._jwks = None
        self._lock = threading.Lock()

    def _keys(self) -> Any:
        if self._jwks is None:
            with self._lock:
                if self._jwks is None:
                    import jwt

                    self._jwks = jwt.PyJWKClient(self.settings.keys_url, cache_keys=True, lifespan=3600, timeout=5)
        return self._jwks

    def verify(self, token: str) -> dict[str, Any]:
        import jwt

        if not token:
            raise InvalidToken("missing")
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        try:
            key = self._keys().get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                audience=self.settings.client_id,
                issuer=self.settings.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("expired") from None
        except jwt.PyJWKClientConnectionError:
            raise InvalidToken("keys_unavailable") from None
        except (jwt.PyJWKClientError, jwt.InvalidTokenError, ValueError):
            raise InvalidToken("invalid") from None
        if claims.get("token_use") != "id":
            raise InvalidToken("not_an_id_token")
        return claims
