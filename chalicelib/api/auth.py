"""Officer sign-in: a Chalice authorizer that verifies Amazon Cognito ID tokens.

The authorizer runs the same way under `chalice local` and API Gateway. It
verifies the token (signature via the pool's JWKS, issuer, audience, expiry;
adapters/identity.py) and passes the verified claims on in the request
context. It always lets the request through to the view, with either the
claims or the reason the token was refused, so that the view answers in our
JSON error format: 401 for a missing, invalid or expired token, 403 for a
role or agency that may not do this. (With no Authorization header at all the
gateway itself answers 401 {"message": "Unauthorized"}, locally and in AWS.)

API Gateway caches the authorizer's answer per token for a few minutes, so the
view checks the expiry again.
"""

from __future__ import annotations

import time
from typing import Any

from chalice import AuthResponse, Blueprint

from chalicelib.api.http import ApiError
from chalicelib.domain.permissions import Principal, Role

bp = Blueprint(__name__)

CACHE_SECONDS = 300


@bp.authorizer(ttl_seconds=CACHE_SECONDS)
def cognito(auth_request):
    from chalicelib.adapters.identity import InvalidToken
    from chalicelib.bootstrap import services
    from chalicelib.config import ConfigurationError

    try:
        claims = services().token_verifier().verify(auth_request.token or "")
    except InvalidToken as refused:
        return AuthResponse(
            routes=["*"], principal_id="anonymous", context={"auth": "refused", "reason": refused.reason}
        )
    except ConfigurationError:
        return AuthResponse(routes=["*"], principal_id="anonymous", context={"auth": "unconfigured"})
    groups = claims.get("cognito:groups") or []
    return AuthResponse(
        routes=["*"],
        principal_id=claims["sub"],
        context={
            "auth": "ok",
            "sub": claims["sub"],
            "groups": ",".join(groups) if isinstance(groups, list) else str(groups),
            "agency_id": claims.get("custom:agency_id", ""),
            "email": claims.get("email", ""),
            "exp": str(claims.get("exp", 0)),
        },
    )


def principal_of(request: Any) -> Principal:
    """The signed-in officer, or ApiError 401/403."""
    context = (getattr(request, "context", None) or {}).get("authorizer") or {}
    state = context.get("auth")
    if state == "unconfigured":
        raise ApiError(503, "not_configured", "Sign-in is not configured yet.", headers={"Retry-After": "60"})
    if state != "ok":
        reason = context.get("reason", "missing")
        code = "token_expired" if reason == "expired" else "unauthorized"
        raise ApiError(
            401,
            code,
            "Sign in again: the token is missing, invalid or expired.",
            headers={"WWW-Authenticate": 'Bearer realm="crm"'},
        )
    if int(context.get("exp") or 0) < time.time() - 30:
        raise ApiError(
            401,
            "token_expired",
            "Sign in again: the token has expired.",
            headers={"WWW-Authenticate": 'Bearer realm="crm", error="invalid_token"'},
        )
    known = {role.value for role in Role}
    roles = frozenset(Role(group) for group in (context.get("groups") or "").split(",") if group in known)
    if not roles:
        raise ApiError(403, "forbidden", "Your account has no officer role.")
    return Principal(
        user_id=context["sub"],
        roles=roles,
        agency_id=context.get("agency_id") or None,
        email=context.get("email") or None,
    )


def require_role(principal: Principal, *roles: Role) -> None:
    if not principal.has(*roles):
        raise ApiError(403, "forbidden", "Your role may not do this.")
