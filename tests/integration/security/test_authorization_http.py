"""The authorization matrix over HTTP, signed in with Cognito tokens (moto).

* Every staff route (derived from the app: a new one is included without
  adding anything) refuses whoever is not a signed-in officer: no token, a
  garbage one, an expired one, one from another user pool or for another app
  client, one signed with someone else's key (401) and one without an
  officer role (403) -- and nothing changes.
* ROLE_MATRIX (tests/support/routes.py) pins which officers pass which routes.
* The reporter's contact is opened in a case view only for those allowed.
"""

from __future__ import annotations

import time

import pytest
import requests

from tests.integration.conftest import moto_signed_token, partner_body, post_report
from tests.support.routes import (
    ADMIN,
    ALLOWED,
    CONTACT_HIDDEN_FROM,
    CONTACT_VISIBLE_TO,
    OFFICER,
    ROLE_MATRIX,
    UNAUTHENTICATED,
    routes_with,
)

STAFF_ROUTES = sorted(routes_with(OFFICER, ADMIN))
CONTACT = {"name": "Rahmat Matriks", "phone": "+6281277712345", "email": "matriks@example.com"}
OTHER_POOL = "https://cognito-idp.ap-southeast-3.amazonaws.com/ap-southeast-3_AnotherPool"

# Bodies that pass parsing and change nothing on the held case (their edge does not
# exist in its state): an allowed officer gets 409/422, a refused one 403.
HARMLESS_BODIES = {
    ("POST", "/officer/cases/{code}/assign"): {"agency_id": "dinas-lh"},
    ("POST", "/officer/cases/{code}/plan/verify"): {},
    # The priority it already has: those allowed get 422 ("already"), nothing changes.
    ("POST", "/officer/cases/{code}/priority"): {"priority": "normal", "reason": "uji hak akses"},
    ("PUT", "/admin/routing-rules"): {"category": "no-such-category", "agency_id": "dinas-lh"},
}


@pytest.fixture(scope="module")
def held(stack, officers):
    """Two cases held by dinas-lh: one with a contact, one anonymous (routed by the followups worker)."""
    import app
    from chalicelib import bootstrap
    from infra.local.event_runner import EventRunner

    with pytest.MonkeyPatch.context() as patch:  # the handlers run here, configured like the stack
        for name, value in stack.env.items():
            patch.setenv(name, value)
        bootstrap.reset()
        try:
            # Only what routing needs: earlier suites leave replies, notices and
            # metrics in the queues, and draining those here took minutes.
            runner = EventRunner(
                app,
                stack.aws_endpoint,
                stack.env["AWS_REGION"],
                run_schedules=False,
                start_streams_at="LATEST",
                only={"relay_case_events", "case_followups"},
            )
            runner.drain()
            named = post_report(stack, partner_body(reporter={**CONTACT, "anonymous": False})).json()
            anonymous = post_report(stack, partner_body(reporter={**CONTACT, "anonymous": True})).json()
            codes = {"named": named["tracking_code"], "anonymous": anonymous["tracking_code"]}
            deadline, views = time.time() + 120, []
            while time.time() < deadline:  # relay -> SNS -> followups queue -> routing: a few rounds
                runner.drain(timeout=30)
                views = [requests.get(f"{stack.api_url}/status/{code}", timeout=10).json() for code in codes.values()]
                if all((view.get("agency") or {}).get("id") == "dinas-lh" for view in views):
                    return codes
        finally:
            bootstrap.reset()
    pytest.fail(f"the cases were not routed to dinas-lh: {views}")


def tokens(stack) -> dict[str, dict[str, str]]:
    def bearer(token):
        return {"Authorization": f"Bearer {token}"}

    from joserfc import jwk, jwt

    stranger_key = jwk.RSAKey.generate_key(2048)
    now = int(time.time())
    forged = jwt.encode(
        {"kid": "dummy", "alg": "RS256"},
        {
            "iss": f"https://cognito-idp.{stack.env['AWS_REGION']}.amazonaws.com/{stack.env['COGNITO_USER_POOL_ID']}",
            "aud": stack.env["COGNITO_APP_CLIENT_ID"],
            "sub": "x",
            "token_use": "id",
            "iat": now,
            "exp": now + 600,
            "cognito:groups": ["supervisor"],
        },
        stranger_key,
    )
    return {
        "no-token": {},
        "garbage-token": bearer("not.a.token"),
        "expired-token": bearer(moto_signed_token(stack, iat=now - 7200, exp=now - 3600)),
        "token-from-another-pool": bearer(moto_signed_token(stack, iss=OTHER_POOL)),
        "token-for-another-app-client": bearer(moto_signed_token(stack, aud="another-app-client")),
        "token-signed-by-someone-else": bearer(forged),
        "token-without-an-officer-role": bearer(moto_signed_token(stack, **{"cognito:groups": ["citizens"]})),
    }


def call(stack, route, headers, code):
    method, path = route
    body = HARMLESS_BODIES.get(route, {}) if method in ("POST", "PUT") else None
    return requests.request(
        method, stack.api_url + path.replace("{code}", code), headers=headers, json=body, timeout=30
    )


def test_every_staff_route_refuses_whoever_is_not_a_signed_in_officer(stack, held):
    version = requests.get(f"{stack.api_url}/status/{held['named']}", timeout=10).json()
    made = tokens(stack)
    assert set(made) == set(UNAUTHENTICATED)
    wrong = []
    for route in STAFF_ROUTES:
        for principal, expected in UNAUTHENTICATED.items():
            answer = call(stack, route, made[principal], held["named"])
            if answer.status_code != expected:
                wrong.append((route, principal, answer.status_code, answer.text[:120]))
            elif principal != "no-token":
                assert answer.json()["error"]["code"] in ("unauthorized", "token_expired", "forbidden")
    assert wrong == []
    assert requests.get(f"{stack.api_url}/status/{held['named']}", timeout=10).json() == version  # nothing changed


ROWS = [(route, officer, expected) for route, row in sorted(ROLE_MATRIX.items()) for officer, expected in row.items()]


@pytest.mark.parametrize("route, officer, expected", ROWS, ids=[f"{r[0]} {r[1]} as {o}" for r, o, _ in ROWS])
def test_role_matrix(stack, officers, held, route, officer, expected):
    answer = call(stack, route, officers[officer], held["named"])
    if expected == ALLOWED:
        assert answer.status_code not in (401, 403), answer.text[:300]
    else:
        assert answer.status_code == expected, answer.text[:300]
        assert answer.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("officer", sorted(CONTACT_VISIBLE_TO | CONTACT_HIDDEN_FROM))
def test_the_contact_is_opened_only_for_those_who_may_see_it(stack, officers, held, officer):
    named = requests.get(f"{stack.api_url}/officer/cases/{held['named']}", headers=officers[officer], timeout=10)
    anonymous = requests.get(
        f"{stack.api_url}/officer/cases/{held['anonymous']}", headers=officers[officer], timeout=10
    )
    assert named.status_code == anonymous.status_code == 200
    assert anonymous.json()["reporter"] is None and "Rahmat" not in anonymous.text
    if officer in CONTACT_VISIBLE_TO:
        assert named.json()["reporter"] == CONTACT
    else:
        assert named.json()["reporter"] is None and "Rahmat" not in named.text
