"""Every HTTP route of the app, classified by who may call it.

The security suites are driven by this table, and a test fails while the app
has a route that is not in it -- so a new route cannot slip past them:

* ``public``  anyone on the internet. The privacy suite calls it (``probes``)
  on cases carrying planted reporter details and searches every answer for
  them; a public route without probes fails the suite.
* ``partner`` a provider's webhook: authenticated by the channel's signature
  (tests/support/webhooks.py runs forged/missing/replayed signatures per
  channel).
* ``officer`` / ``admin`` signed-in city staff: must carry an authorizer
  (Cognito) and have a row in AUTHORIZATION_MATRIX (issue 5 adds the routes,
  tokens and rows; the matrix test then runs them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

PUBLIC, PARTNER, OFFICER, ADMIN = "public", "partner", "officer", "admin"


@dataclass(frozen=True)
class Planted:
    """A stored case whose reporter details are the markers to search for."""

    tracking_code: str
    photo_ids: tuple[str, ...]
    markers: tuple[str, ...]


@dataclass(frozen=True)
class Probe:
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    follow_redirect: bool = False  # fetch what a redirect points at too (photos)


@dataclass(frozen=True)
class RouteSpec:
    access: str
    probes: Callable[[Planted], list[Probe]] | None = None


def _status_probes(case: Planted) -> list[Probe]:
    code = case.tracking_code
    return [
        Probe(f"/status/{code}"),
        Probe(f"/status/{code}?lang=en"),
        Probe(f"/status/{code.replace('-', '').lower()}", {"Accept-Language": "en-US,en;q=0.9"}),
        Probe(f"/status/{code}", {"If-None-Match": '"stale"'}),
    ]


def _photo_probes(case: Planted) -> list[Probe]:
    return [Probe(f"/status/{case.tracking_code}/photos/{photo}", follow_redirect=True) for photo in case.photo_ids]


ROUTES: dict[tuple[str, str], RouteSpec] = {
    ("GET", "/health"): RouteSpec(PUBLIC, lambda case: [Probe("/health"), Probe("/health?deep=1")]),
    ("GET", "/status/{tracking_code}"): RouteSpec(PUBLIC, _status_probes),
    ("GET", "/status/{tracking_code}/photos/{photo_id}"): RouteSpec(PUBLIC, _photo_probes),
    ("POST", "/webhooks/{channel}"): RouteSpec(PARTNER),
}

# Who an officer/admin route answers, per principal, once issue 5 brings the
# routes and a way to mint tokens: {(method, path): {principal: status}}.
PRINCIPALS = (
    "anonymous-no-token", "bad-token", "expired-token", "token-from-another-pool",
    "agency-officer-same-agency", "agency-officer-other-agency", "intake-officer", "bureau-verifier",
    "supervisor", "admin",
)
AUTHORIZATION_MATRIX: dict[tuple[str, str], dict[str, int]] = {}


def app_routes() -> dict[tuple[str, str], object]:
    """(method, path) -> Chalice RouteEntry, for every route of the real app."""
    import app

    return {(method, path): entry for path, methods in app.app.routes.items() for method, entry in methods.items()}


def routes_with(access: str) -> list[tuple[str, str]]:
    return [route for route, spec in ROUTES.items() if spec.access == access]
