"""No route escapes the security suites: each one is classified, public
routes are probed for leaks, staff routes carry the authorizer (and so run
through the authentication matrix), role rows name real routes."""

import pytest

from tests.support.routes import (
    ADMIN,
    API_KEY,
    OFFICER,
    PARTNER,
    PUBLIC,
    ROLE_MATRIX,
    ROUTES,
    app_routes,
    routes_with,
)


def test_every_route_of_the_app_is_classified():
    unclassified = sorted(set(app_routes()) - set(ROUTES))
    assert unclassified == [], f"classify these routes in tests/support/routes.py: {unclassified}"
    gone = sorted(set(ROUTES) - set(app_routes()))
    assert gone == [], f"routes no longer in the app: {gone}"


def test_every_public_route_has_privacy_probes():
    missing = [route for route in routes_with(PUBLIC) if ROUTES[route].probes is None]
    assert missing == [], f"public routes the privacy suite cannot call: {missing}"


@pytest.mark.parametrize("route", sorted(app_routes()), ids=lambda r: f"{r[0]} {r[1]}")
def test_only_staff_routes_are_behind_the_authorizer_and_all_of_them_are(route):
    entry = app_routes()[route]
    access = ROUTES[route].access
    if access in (OFFICER, ADMIN):
        assert entry.authorizer is not None and entry.authorizer.name == "cognito", f"{route} is for staff"
    else:
        assert access in (PUBLIC, PARTNER, API_KEY)
        assert entry.authorizer is None, f"{route} is classified {access} but has an authorizer"


def test_role_rows_are_staff_routes():
    assert set(ROLE_MATRIX) <= set(routes_with(OFFICER, ADMIN))
    assert set(routes_with(ADMIN)) <= set(ROLE_MATRIX), "every admin route needs its role row"


def test_partner_routes_are_the_webhooks():
    assert sorted(routes_with(PARTNER)) == [("GET", "/webhooks/{channel}"), ("POST", "/webhooks/{channel}")]


def test_api_key_routes_are_open311_posts_and_the_updates_listing():
    for method, path in routes_with(API_KEY):
        assert (method == "POST" and path.startswith("/open311/v2/requests.")) or path.startswith(
            "/open311/v2/servicerequestupdates."
        ), (method, path)
