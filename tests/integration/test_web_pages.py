"""The pages as `chalice local` serves them: types, caching, and the security headers."""

from __future__ import annotations

import re

import pytest
import requests

PAGES = ("officer", "track", "performance")


@pytest.mark.parametrize("page", PAGES)
def test_every_page_is_html_with_a_strict_policy_and_the_usual_headers(stack, page):
    answer = requests.get(f"{stack.api_url}/{page}", timeout=10)
    assert answer.status_code == 200
    headers = answer.headers
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe" not in policy
    assert f"connect-src 'self' {stack.aws_endpoint};" in policy  # Cognito and the photo uploads (moto)
    assert "frame-ancestors 'none'" in policy and "require-trusted-types-for 'script'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert headers["Cache-Control"] == "no-cache"
    again = requests.get(f"{stack.api_url}/{page}", headers={"If-None-Match": headers["ETag"]}, timeout=10)
    assert again.status_code == 304 and again.text == ""


def test_the_officer_page_carries_its_sign_in_settings(stack):
    html = requests.get(f"{stack.api_url}/officer", timeout=10).text
    assert f'"client_id":"{stack.env["COGNITO_APP_CLIENT_ID"]}"' in html
    assert f'"cognito_endpoint":"{stack.aws_endpoint}/"' in html


def test_static_files_have_their_types_and_are_cached_for_a_year_under_their_version(stack):
    html = requests.get(f"{stack.api_url}/track", timeout=10).text
    version = re.search(r'src="static/([0-9a-f]{12})/track\.js"', html).group(1)
    for name, content_type in (
        ("track.js", "text/javascript; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("favicon.svg", "image/svg+xml; charset=utf-8"),
    ):
        answer = requests.get(f"{stack.api_url}/static/{version}/{name}", timeout=10)
        assert answer.status_code == 200 and answer.headers["Content-Type"] == content_type
        assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        cached = requests.get(
            f"{stack.api_url}/static/{version}/{name}", headers={"If-None-Match": answer.headers["ETag"]}, timeout=10
        )
        assert cached.status_code == 304
    old = requests.get(f"{stack.api_url}/static/000000000000/track.js", timeout=10)
    assert old.status_code == 200 and old.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("name", ["nope.js", "..%2Fofficer.html", "officer.html", "%2e%2e%2fapp.py", ".gitignore"])
def test_nothing_but_the_static_files_is_served(stack, name):
    answer = requests.get(f"{stack.api_url}/static/v/{name}", timeout=10)
    assert answer.status_code in (403, 404)


def test_the_root_sends_citizens_to_the_tracking_page(stack):
    answer = requests.get(f"{stack.api_url}/", allow_redirects=False, timeout=10)
    assert answer.status_code == 302 and answer.headers["Location"] == "track"
