"""Every HTTP route of the app, classified by who may call it.

The security suites are driven by this table, and a test fails while the app
has a route that is not in it -- so a new route cannot slip past them:

* ``public``  anyone on the internet (some need a tracking code). The privacy
  suite calls it (``probes``) on cases carrying planted reporter details and
  searches every answer for them; a public route without probes fails.
* ``partner`` a provider's webhook: authenticated by the channel's signature
  (tests/support/webhooks.py runs forged/missing/replayed signatures per
  channel), and its subscription handshake (GET: the verify token / CRC).
* ``api_key`` a partner app posting Open311 requests and updates, or listing
  its requests' updates, with its API key (tests/unit/test_open311_service.py
  and tests/unit/test_open311_updates.py: missing, unknown and revoked keys).
* ``officer`` / ``admin`` signed-in city staff: must carry the Cognito
  authorizer. Every one of them is run against UNAUTHENTICATED (no rows to
  add: derived from the app); ROLE_MATRIX pins who may use which route.
  Which relation to a case allows which operation is walked at the service
  level by tests/unit/test_authorization_matrix.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

PUBLIC, PARTNER, API_KEY, OFFICER, ADMIN = "public", "partner", "api_key", "officer", "admin"


@dataclass(frozen=True)
class Planted:
    """A stored case whose reporter details are the markers to search for."""

    tracking_code: str
    photo_ids: tuple[str, ...]
    markers: tuple[str, ...]
    request_id: str = "unknown"  # its public Open311 id (domain/request_ids.py)


@dataclass(frozen=True)
class Probe:
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    follow_redirect: bool = False  # fetch what a redirect points at too (photos)
    method: str = "GET"
    json: object = None


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


def _reporter_action_probes(action: str, payloads: list[object]) -> Callable[[Planted], list[Probe]]:
    # Refused (invalid, or not allowed in the case's state): the answers still must not leak.
    return lambda case: [
        Probe(f"/status/{case.tracking_code}/{action}", method="POST", json=payload) for payload in payloads
    ]


def _metrics_probes(case: Planted) -> list[Probe]:
    return [Probe("/metrics/agencies"), Probe("/metrics/agencies?from=2026-01-01&to=2026-12-31")]


def _agency_metrics_probes(case: Planted) -> list[Probe]:
    return [Probe("/metrics/agencies/dinas-lh"), Probe("/metrics/agencies/no-such-agency")]


def _pages(*paths: str) -> Callable[[Planted], list[Probe]]:
    return lambda case: [Probe(path.format(code=case.tracking_code)) for path in paths]


def _static_probes(case: Planted) -> list[Probe]:
    from chalicelib.adapters import web_assets

    web = web_assets.files()
    return [Probe(f"/static/{web.version}/{name}") for name in sorted(web.static)]


def _open311_request_probes(case: Planted) -> list[Probe]:
    rid = case.request_id
    return [
        Probe(f"/open311/v2/requests/{rid}.json"),
        Probe(f"/open311/v2/requests/{rid}.xml"),
        Probe(f"/open311/v2/requests/{rid}.json?extensions=true"),
    ]


def _open311_listing_probes(fmt: str) -> Callable[[Planted], list[Probe]]:
    return lambda case: [
        Probe(f"/open311/v2/requests.{fmt}"),
        Probe(f"/open311/v2/requests.{fmt}?service_request_id={case.request_id}&extensions=true"),
        Probe(f"/open311/v2/requests.{fmt}?service_code=ppkm_violation"),
    ]


def _open311_media_probes(case: Planted) -> list[Probe]:
    return [Probe(f"/open311/v2/media/{case.request_id}/{photo}", follow_redirect=True) for photo in case.photo_ids]


def _public_map_probes(path: str, *queries: str) -> Callable[[Planted], list[Probe]]:
    return lambda case: [Probe(f"{path}?{query}" if query else path) for query in queries]


def _report_page_probes(case: Planted) -> list[Probe]:
    # By its public id (the page), by its tracking code (404: never in a public URL).
    return [Probe(f"/reports/{case.request_id}"), Probe(f"/reports/{case.tracking_code}")]


def _refused_submission(path: str) -> Callable[[Planted], list[Probe]]:
    # A citizen's form or a partner's post that is refused: the answer must not leak either.
    return lambda case: [Probe(path, method="POST", json={"description": case.tracking_code})]


OFFICER_CASE_OPERATIONS = (
    "assign",
    "collaborators",
    "comments",
    "delegate",
    "merge",
    "plan",
    "plan/return",
    "privacy",
    "plan/verify",
    "priority",
    "progress",
    "reject",
    "resolve",
    "transfer",
)

ROUTES: dict[tuple[str, str], RouteSpec] = {
    ("GET", "/health"): RouteSpec(PUBLIC, lambda case: [Probe("/health"), Probe("/health?deep=1")]),
    ("GET", "/status/{tracking_code}"): RouteSpec(PUBLIC, _status_probes),
    ("GET", "/status/{tracking_code}/photos/{photo_id}"): RouteSpec(PUBLIC, _photo_probes),
    ("POST", "/status/{tracking_code}/feedback"): RouteSpec(
        PUBLIC, _reporter_action_probes("feedback", [{"rating": 5}, {"rating": 9}, {}])
    ),
    ("POST", "/status/{tracking_code}/reopen"): RouteSpec(
        PUBLIC, _reporter_action_probes("reopen", [{"reason": "Masih kotor"}, {}])
    ),
    ("GET", "/metrics/agencies"): RouteSpec(PUBLIC, _metrics_probes),
    ("GET", "/metrics/agencies/{agency_id}"): RouteSpec(PUBLIC, _agency_metrics_probes),
    ("POST", "/webhooks/{channel}"): RouteSpec(PARTNER),
    ("GET", "/webhooks/{channel}"): RouteSpec(PARTNER),
    # The web client's pages and files (issue 6), the API document (issue 7).
    ("GET", "/"): RouteSpec(PUBLIC, _pages("/")),
    ("GET", "/officer"): RouteSpec(PUBLIC, _pages("/officer")),
    ("GET", "/track"): RouteSpec(PUBLIC, _pages("/track", "/track?code={code}")),
    ("GET", "/performance"): RouteSpec(PUBLIC, _pages("/performance")),
    ("GET", "/static/{version}/{name}"): RouteSpec(PUBLIC, _static_probes),
    ("GET", "/report"): RouteSpec(PUBLIC, _pages("/report", "/report?lang=en")),
    ("POST", "/report"): RouteSpec(PUBLIC, _refused_submission("/report")),
    ("POST", "/reports"): RouteSpec(PUBLIC, _refused_submission("/reports")),
    # The public map (issue 20): its pages and the JSON they draw from.
    ("GET", "/map"): RouteSpec(PUBLIC, _pages("/map")),
    ("GET", "/reports/{public_id}"): RouteSpec(PUBLIC, _report_page_probes),
    ("GET", "/map/points"): RouteSpec(PUBLIC, _public_map_probes("/map/points", "", "category=fallen_tree", "days=1")),
    ("GET", "/map/reports"): RouteSpec(
        PUBLIC, _public_map_probes("/map/reports", "page_size=50", "category=fallen_tree&page_size=50&lang=en")
    ),
    ("GET", "/map/nearby"): RouteSpec(
        PUBLIC, _public_map_probes("/map/nearby", "lat=-6.1754&lng=106.8272&category=fallen_tree")
    ),
    ("GET", "/areas/lookup"): RouteSpec(PUBLIC, _public_map_probes("/areas/lookup", "lat=-6.1754&lng=106.8272")),
    ("GET", "/openapi.json"): RouteSpec(PUBLIC, _pages("/openapi.json")),
    ("GET", "/docs"): RouteSpec(PUBLIC, _pages("/docs")),
    ("GET", "/docs/{asset}"): RouteSpec(PUBLIC, _pages("/docs/swagger-ui.css", "/docs/no-such-asset")),
    # Open311 GeoReport v2 (issue 7): reads are public, posting needs a partner's key.
    ("GET", "/open311/v2/discovery.json"): RouteSpec(PUBLIC, _pages("/open311/v2/discovery.json")),
    ("GET", "/open311/v2/discovery.xml"): RouteSpec(PUBLIC, _pages("/open311/v2/discovery.xml")),
    ("GET", "/open311/v2/services.json"): RouteSpec(PUBLIC, _pages("/open311/v2/services.json")),
    ("GET", "/open311/v2/services.xml"): RouteSpec(PUBLIC, _pages("/open311/v2/services.xml")),
    ("GET", "/open311/v2/services/{service_code}"): RouteSpec(
        PUBLIC, _pages("/open311/v2/services/ppkm_violation.json", "/open311/v2/services/garbage.xml")
    ),
    ("GET", "/open311/v2/requests.json"): RouteSpec(PUBLIC, _open311_listing_probes("json")),
    ("GET", "/open311/v2/requests.xml"): RouteSpec(PUBLIC, _open311_listing_probes("xml")),
    ("GET", "/open311/v2/requests/{service_request_id}"): RouteSpec(PUBLIC, _open311_request_probes),
    ("GET", "/open311/v2/tokens/{token}"): RouteSpec(PUBLIC, _pages("/open311/v2/tokens/{code}.json")),
    ("GET", "/open311/v2/media/{service_request_id}/{photo_id}"): RouteSpec(PUBLIC, _open311_media_probes),
    ("POST", "/open311/v2/requests.json"): RouteSpec(API_KEY),
    ("POST", "/open311/v2/requests.xml"): RouteSpec(API_KEY),
    ("GET", "/open311/v2/servicerequestupdates.json"): RouteSpec(API_KEY),
    ("GET", "/open311/v2/servicerequestupdates.xml"): RouteSpec(API_KEY),
    ("POST", "/open311/v2/servicerequestupdates.json"): RouteSpec(API_KEY),
    ("POST", "/open311/v2/servicerequestupdates.xml"): RouteSpec(API_KEY),
    ("POST", "/officer/intake"): RouteSpec(OFFICER),
    ("POST", "/officer/cases/{code}/photos/{photo_id}/redaction"): RouteSpec(OFFICER),
    # Area alerts (issue 11): anyone may subscribe; confirming/leaving needs the mailed token.
    ("POST", "/alerts/subscriptions"): RouteSpec(PUBLIC, _refused_submission("/alerts/subscriptions")),
    ("GET", "/alerts/confirm"): RouteSpec(PUBLIC, _pages("/alerts/confirm", "/alerts/confirm?token={code}")),
    ("POST", "/alerts/confirm"): RouteSpec(PUBLIC, _refused_submission("/alerts/confirm")),
    ("GET", "/alerts/unsubscribe"): RouteSpec(PUBLIC, _pages("/alerts/unsubscribe?token={code}")),
    ("POST", "/alerts/unsubscribe"): RouteSpec(PUBLIC, _refused_submission("/alerts/unsubscribe")),
    ("GET", "/admin/open311/keys"): RouteSpec(ADMIN),
    ("POST", "/admin/open311/keys"): RouteSpec(ADMIN),
    ("DELETE", "/admin/open311/keys/{key_id}"): RouteSpec(ADMIN),
    ("GET", "/officer/me"): RouteSpec(OFFICER),
    ("GET", "/officer/queue"): RouteSpec(OFFICER),
    ("GET", "/officer/queue.csv"): RouteSpec(OFFICER),
    ("POST", "/officer/cases/bulk"): RouteSpec(OFFICER),  # per-case rights: each result says
    ("GET", "/officer/agencies"): RouteSpec(OFFICER),
    ("GET", "/officer/notifications"): RouteSpec(OFFICER),
    ("POST", "/officer/uploads"): RouteSpec(OFFICER),
    # Response templates (issue 11): an agency's own, admins for any agency.
    ("GET", "/officer/templates"): RouteSpec(OFFICER),
    ("PUT", "/officer/templates/{template_id}"): RouteSpec(OFFICER),
    ("DELETE", "/officer/templates/{template_id}"): RouteSpec(OFFICER),
    ("GET", "/officer/cases/{code}/templates"): RouteSpec(OFFICER),
    ("GET", "/officer/cases/{code}"): RouteSpec(OFFICER),
    ("GET", "/officer/cases/{code}/history"): RouteSpec(OFFICER),
    **{("POST", f"/officer/cases/{{code}}/{operation}"): RouteSpec(OFFICER) for operation in OFFICER_CASE_OPERATIONS},
    ("GET", "/admin/routing-rules"): RouteSpec(ADMIN),
    ("PUT", "/admin/routing-rules"): RouteSpec(ADMIN),
    ("DELETE", "/admin/routing-rules"): RouteSpec(ADMIN),
}

# Everyone who is not a signed-in officer, and what every staff route answers them.
UNAUTHENTICATED: dict[str, int] = {
    "no-token": 401,  # answered by the gateway itself ({"message": "Unauthorized"})
    "garbage-token": 401,
    "expired-token": 401,
    "token-from-another-pool": 401,
    "token-for-another-app-client": 401,
    "token-signed-by-someone-else": 401,
    "token-without-an-officer-role": 403,
}

ALLOWED = "allowed"  # passes authorization (then 2xx, or 4xx about the input or the case's state)
ADMIN_ONLY = {"admin": ALLOWED, "supervisor": 403, "bureau": 403, "dinas_lh": 403, "intake": 403}
EVERY_OFFICER = {name: ALLOWED for name in ("admin", "supervisor", "bureau", "dinas_lh", "bina_marga", "intake")}

# Who may use which route, by the officers of tests/integration/conftest.py::officers;
# "{code}" is a case held by dinas-lh.
ROLE_MATRIX: dict[tuple[str, str], dict[str, object]] = {
    ("GET", "/admin/routing-rules"): ADMIN_ONLY,
    ("PUT", "/admin/routing-rules"): ADMIN_ONLY,
    ("DELETE", "/admin/routing-rules"): ADMIN_ONLY,
    ("GET", "/admin/open311/keys"): ADMIN_ONLY,
    ("POST", "/admin/open311/keys"): ADMIN_ONLY,
    ("DELETE", "/admin/open311/keys/{key_id}"): ADMIN_ONLY,
    ("POST", "/officer/intake"): {"intake": ALLOWED, "dinas_lh": 403, "bureau": 403, "supervisor": 403, "admin": 403},
    ("GET", "/officer/me"): EVERY_OFFICER,
    ("GET", "/officer/agencies"): EVERY_OFFICER,
    ("GET", "/officer/notifications"): {**EVERY_OFFICER, "admin": 403},  # no agency, no inbox
    **{
        ("GET", path): {  # the history pages have the case view's rights
            "dinas_lh": ALLOWED,
            "sudin_lh": 403,
            "bina_marga": 403,
            "sda": 403,
            "bureau": ALLOWED,
            "supervisor": ALLOWED,
            "admin": ALLOWED,
            "intake": 403,
        }
        for path in ("/officer/cases/{code}", "/officer/cases/{code}/history")
    },
    ("POST", "/officer/cases/{code}/priority"): {
        "dinas_lh": ALLOWED,
        "bureau": ALLOWED,
        "bina_marga": 403,
        "supervisor": 403,
        "admin": 403,
        "intake": 403,
    },
    ("POST", "/officer/cases/{code}/plan/verify"): {
        "bureau": ALLOWED,
        "dinas_lh": 403,
        "bina_marga": 403,
        "supervisor": 403,
        "admin": 403,
        "intake": 403,
    },
    ("POST", "/officer/cases/{code}/assign"): {
        "bureau": ALLOWED,
        "supervisor": ALLOWED,
        "dinas_lh": 403,
        "bina_marga": 403,
        "admin": 403,
        "intake": 403,
    },
}

# Who sees the reporter's contact in the case view (the case held by dinas-lh).
CONTACT_VISIBLE_TO = {"dinas_lh", "bureau", "supervisor"}
CONTACT_HIDDEN_FROM = {"admin"}  # may view the case, not the reporter


def _open311_error_routes() -> dict[tuple[str, str], RouteSpec]:
    """Open311's answers to methods and paths it does not have (chalicelib/api/open311.py):
    public, probed with a request of that method on a path of that shape."""
    from chalicelib.api import open311 as api

    def probes(method: str, path: str) -> Callable[[Planted], list[Probe]]:
        def make(case: Planted) -> list[Probe]:
            concrete = (
                path.replace("{service_code}", "garbage.json")
                .replace("{service_request_id}", case.request_id)
                .replace("{photo_id}", case.photo_ids[0] if case.photo_ids else "p1")
                .replace("{token}", "t.xml")
                .replace("{proxy+}", "v2/nothing/here.xml")
            )
            return [Probe(concrete, method=method)]

        return make

    routes = {
        (method, path): RouteSpec(PUBLIC, probes(method, path))
        for path, methods in api._served.items()
        for method in api.METHODS
        if method not in methods
    }
    for path in (*api.INTERMEDIATE, api.CATCH_ALL):
        routes.update({(method, path): RouteSpec(PUBLIC, probes(method, path)) for method in api.METHODS})
    return routes


ROUTES.update(_open311_error_routes())


def app_routes() -> dict[tuple[str, str], object]:
    """(method, path) -> Chalice RouteEntry, for every route of the real app."""
    import app

    return {(method, path): entry for path, methods in app.app.routes.items() for method, entry in methods.items()}


def routes_with(*access: str) -> list[tuple[str, str]]:
    return [route for route, spec in ROUTES.items() if spec.access in access]
