"""Rate limits on every public door: which route counts what, and the 429.

    @bp.route("/status/{tracking_code}", methods=["GET"])
    @handles_errors
    @limited(bp, "status", fail_closed=True)
    def get_status(tracking_code): ...

``limited`` counts the request by the client's address (API Gateway's
``requestContext.identity.sourceIp``, never a header the client controls) and
then, if the address is within its limit, against the scope's global limit.
Views add what only the body tells: ``check("reports", contact=phone)`` after
parsing, ``check("webhooks", channel=...)`` after the signature is verified
(a forged flood must not use up a provider's ceiling). The limits themselves are
configuration (config.RATE_LIMIT_DEFAULTS, ``RATE_LIMIT_<SCOPE>``); the counters
are the ``RateLimiter`` port (adapters/rate_limits.py), built in bootstrap.py.

Over a limit: 429 ``rate_limited`` with ``Retry-After`` (whole seconds, >= 1),
in the route's own error format (JSON here; Open311's format on its routes; an
HTML page for the report form and the mailed links).

When the counter store fails: ``fail_closed`` routes (guessable reads and
codes) answer 503 with Retry-After; the others let the request through
(a citizen's report is never refused because the limiter is throttled), log it
and count ``RateLimiterUnavailable``.

Every route anyone can call without signing in is either ``limited`` or listed
in ``EXEMPT`` with the reason (tests/unit/test_rate_limits.py fails
otherwise).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib import logs
from chalicelib.api.http import ApiError

log = logs.get_logger("limits")

# The counter-store failure answer of fail-closed routes.
UNAVAILABLE_RETRY_AFTER = "5"
_WHO = {
    "ip": "from your network address",
    "contact": "for this phone number, e-mail address or key",
    "channel": "on this channel",
    "global": "to this service from everyone together",
}

# Routes without sign-in that are deliberately not counted, and why. The limiter
# itself costs a DynamoDB write; these answers cost less than that (nothing read,
# nothing stored), so the deployed stage's throttles and the optional WAF rule
# (infra/template.yaml) are their bound.
EXEMPT: dict[tuple[str, str], str] = {
    ("GET", "/"): "a redirect to /track; reads nothing",
    ("GET", "/health"): "liveness probe for monitors; ?deep=1 makes two free control-plane calls",
    ("GET", "/officer"): "static page from memory; every officer API call needs sign-in",
    ("GET", "/track"): "static page from memory; the status reads it makes are limited",
    ("GET", "/performance"): "static page from memory; the metrics reads it makes are limited",
    ("GET", "/map"): "static page from memory; the map reads it makes are limited",
    ("GET", "/report"): "the form, rendered from memory; its submission is limited",
    ("GET", "/static/{version}/{name}"): "static files from memory, cached for a year by browsers",
    ("GET", "/openapi.json"): "built once per process, then served from memory",
    ("GET", "/docs"): "static page",
    ("GET", "/docs/{asset}"): "static files of the API viewer",
    ("GET", "/alerts/unsubscribe"): "a page with one button; reads nothing (its POST is limited)",
    ("GET", "/webhooks/{channel}"): "a provider's subscription check: one token comparison or HMAC, reads nothing",
}


@dataclass(frozen=True)
class RouteLimit:
    """What ``limited`` put on a view (read by the route inventory test and the OpenAPI document)."""

    scope: str
    fail_closed: bool


class RateLimited(ApiError):
    def __init__(self, retry_after_s: int, dimension: str):
        seconds = max(1, int(retry_after_s))
        super().__init__(
            429,
            "rate_limited",
            f"Too many requests {_WHO.get(dimension, '')}; please try again in {seconds} seconds.",
            headers={"Retry-After": str(seconds)},
            extra={"retry_after_seconds": seconds},
        )
        self.retry_after_s = seconds
        self.dimension = dimension


def client_ip(request: Any) -> str:
    """The caller's address as API Gateway saw it (X-Forwarded-For is the client's to write)."""
    identity = (getattr(request, "context", None) or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "unknown")


def check(scope: str, *, fail_closed: bool = False, include_global: bool = False, **keys: str | None) -> None:
    """Count this request in ``scope`` by each given dimension (``ip=``, ``contact=``,
    ``channel=``; ``include_global``: the scope's global counter, last). Raises
    RateLimited at the first dimension over its limit; later ones are not counted,
    so a flood from one address never uses up everyone's global budget."""
    from chalicelib.adapters.rate_limits import LimiterUnavailable
    from chalicelib.bootstrap import services

    app = services()
    limits = app.settings.rate_limits.get(scope) or {}
    if app.limiter is None or not limits:
        return
    wanted = [(dimension, value) for dimension, value in keys.items() if value]
    if include_global:
        wanted.append(("global", "*"))
    now = app.clock()
    for dimension, value in wanted:
        limit = limits.get(dimension)
        if limit is None:
            continue
        try:
            decision = app.limiter.hit(f"{scope}:{dimension}", str(value), limit.count, limit.window_s, now)
        except LimiterUnavailable as error:
            _unavailable(scope, fail_closed, error)
            return
        if not decision.allowed:
            from chalicelib import cloudwatch

            log.info(
                "rate limited", extra={"scope": scope, "dimension": dimension, "retry_after": decision.retry_after_s}
            )
            cloudwatch.count("RateLimited", scope=scope)
            raise RateLimited(decision.retry_after_s, dimension)


def _unavailable(scope: str, fail_closed: bool, error: Exception) -> None:
    from chalicelib import cloudwatch

    log.error(
        "rate limiter unavailable", extra={"scope": scope, "fail_closed": fail_closed, "problem": str(error)[:200]}
    )
    cloudwatch.count("RateLimiterUnavailable", scope=scope)
    if fail_closed:
        raise ApiError(
            503,
            "temporarily_unavailable",
            "This request cannot be checked right now; nothing was changed. Please retry.",
            headers={"Retry-After": UNAVAILABLE_RETRY_AFTER},
        )


def limited(
    bp: Any,
    scope: str,
    *,
    fail_closed: bool = False,
    refused: Callable[[RateLimited], Any] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Count the request by address, then globally, before the view runs.

    ``refused``: how this route answers a 429 (an HTML page); without it the
    RateLimited error is raised for the route's own error handling."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                check(scope, fail_closed=fail_closed, include_global=True, ip=client_ip(bp.current_request))
            except RateLimited as error:
                if refused is None:
                    raise
                return refused(error)
            return view(*args, **kwargs)

        wrapper.rate_limit = RouteLimit(scope, fail_closed)  # type: ignore[attr-defined]  # a mark on the view, read back by getattr
        return wrapper

    return decorate


def exempt(methods: list[str], path: str, reason: str) -> None:
    """List generated routes (fallback 404/405 answers) in ``EXEMPT``."""
    for method in methods:
        EXEMPT[(method, path)] = reason


def route_limit(view: Callable[..., Any]) -> RouteLimit | None:
    return getattr(view, "rate_limit", None)
