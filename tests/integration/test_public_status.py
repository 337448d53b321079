"""GET /status/{code}: the public view, over HTTP."""

import json
from datetime import datetime, timedelta

import requests

from chalicelib.domain import tracking
from tests.integration.conftest import partner_body, post_report

MARKERS = ("Siti Penanda", "+6281277770000", "penanda@example.com")


def report_with_markers(stack):
    body = partner_body(reporter={"name": MARKERS[0], "phone": MARKERS[1], "email": MARKERS[2], "anonymous": False})
    return post_report(stack, body).json()["tracking_code"]


def test_status_shows_the_public_facts(stack):
    code = report_with_markers(stack)
    response = requests.get(f"{stack.api_url}/status/{code}", timeout=10)
    assert response.status_code == 200
    view = response.json()
    assert view["tracking_code"] == code
    assert view["status"] == "received"
    assert view["category"] == {"id": "garbage", "name": "Sampah"}
    assert view["agency"] is None
    assert view["created_at"].endswith("+07:00") and view["updated_at"].endswith("+07:00")
    # Before a plan is agreed, the standard 7-day target is what the reporter can expect.
    created = datetime.fromisoformat(view["created_at"])
    assert datetime.fromisoformat(view["expected_completion"]) == created + timedelta(days=7)
    assert view["expected_completion_basis"] == "standard"
    assert [entry["type"] for entry in view["timeline"]] == ["case.received"]
    assert view["timeline"][0]["at"].endswith("+07:00")


def test_status_never_contains_the_reporter(stack):
    code = report_with_markers(stack)
    for language in ("id", "en"):
        text = requests.get(f"{stack.api_url}/status/{code}?lang={language}", timeout=10).text
        assert not any(marker in text for marker in MARKERS)
        assert "6281277770000" not in text


def test_codes_are_case_and_dash_insensitive(stack):
    code = report_with_markers(stack)
    response = requests.get(f"{stack.api_url}/status/{code.replace('-', '').lower()}", timeout=10)
    assert response.status_code == 200 and response.json()["tracking_code"] == code


def test_etag_gives_304_when_nothing_changed(stack):
    code = report_with_markers(stack)
    first = requests.get(f"{stack.api_url}/status/{code}", timeout=10)
    etag = first.headers["ETag"]
    again = requests.get(f"{stack.api_url}/status/{code}", headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag
    other = requests.get(f"{stack.api_url}/status/{code}", headers={"If-None-Match": '"stale"'}, timeout=10)
    assert other.status_code == 200


def test_language_changes_the_text_and_the_etag(stack):
    code = report_with_markers(stack)
    indonesian = requests.get(f"{stack.api_url}/status/{code}", timeout=10)
    english = requests.get(f"{stack.api_url}/status/{code}", headers={"Accept-Language": "en-US,en;q=0.9"}, timeout=10)
    assert indonesian.json()["status_label"] == "Diterima"
    assert english.json()["status_label"] == "Received"
    assert indonesian.headers["ETag"] != english.headers["ETag"]


def test_unknown_and_malformed_codes_get_the_same_404(stack):
    unknown = requests.get(f"{stack.api_url}/status/{tracking.new_code()}", timeout=10)
    malformed = requests.get(f"{stack.api_url}/status/not-a-code", timeout=10)
    assert unknown.status_code == malformed.status_code == 404

    def without_correlation(response):
        error = response.json()["error"]
        error.pop("correlation_id", None)
        return json.dumps(error)

    assert without_correlation(unknown) == without_correlation(malformed)


def test_every_response_carries_a_correlation_id_and_security_headers(stack):
    response = requests.get(f"{stack.api_url}/health", headers={"X-Correlation-Id": "abc-123"}, timeout=10)
    assert response.headers["X-Correlation-Id"] == "abc-123"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
