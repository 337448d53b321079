"""Every HTML answer of the app carries a Content-Security-Policy and the
security headers, whichever route serves it (the route table drives it, so a
new page is included). Stored-XSS payloads rendered inert in Chromium:
tests/integration/browser/test_officer_client.py (the web client's own suite)."""

import pytest

from tests.support.routes import PUBLIC, ROUTES, Planted, routes_with
from tests.support.webhooks import Delivery, send

CASE = Planted("K7QM4-XPA9R-TD2W", ("p1",), (), request_id="0" * 26)
REQUIRED = {"x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "no-referrer"}


@pytest.fixture
def html_answers(app_client, monkeypatch):
    from chalicelib.api import health

    monkeypatch.setattr(health, "_dependency_checks", lambda: {"dynamodb": "ok", "s3": "ok"})
    answers = []
    for route in routes_with(PUBLIC):
        if route[0] != "GET" or route[1].startswith("/open311/"):  # Open311 answers JSON/XML only
            continue
        for probe in ROUTES[route].probes(CASE):
            answer = send(app_client, Delivery(probe.path, probe.headers, b""), method="GET")
            if answer.headers.get("content-type", "").startswith("text/html"):
                answers.append((probe.path, answer))
    return answers


def test_every_html_answer_has_a_csp_and_the_security_headers(html_answers):
    paths = {path.split("?")[0] for path, _ in html_answers}
    assert {"/officer", "/track", "/performance", "/report", "/docs"} <= paths
    for path, answer in html_answers:
        directives = dict(
            (part.strip().split(" ", 1) + [""])[:2]
            for part in answer.headers.get("content-security-policy", "").split(";")
            if part.strip()
        )
        scripts = directives.get("script-src", directives.get("default-src"))  # default-src when unset
        assert scripts is not None and "'unsafe-inline'" not in scripts and "*" not in scripts.split(), (path, scripts)
        policy = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy or answer.headers.get("x-frame-options") == "DENY", path
        for name, value in REQUIRED.items():
            assert answer.headers.get(name) == value, (path, name)
