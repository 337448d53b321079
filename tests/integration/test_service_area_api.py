"""Reports from outside DKI Jakarta, over HTTP against the moto server: every channel
that can answer refuses them (422 outside_service_area; Open311 its own 400; the form
its page again) and nothing is stored; the same report from Jakarta is taken in and
routed by its kelurahan."""

from __future__ import annotations

import re
import secrets
import time

import pytest
import requests

from tests.integration.conftest import partner_body, post_report

PLACES = {
    "london": (51.5, -0.12),
    "bandung": (-6.9175, 107.6191),
    "open-sea": (-5.60, 106.95),  # the Java Sea, 30 km from the nearest island of Kepulauan Seribu
}
OUTSIDE = pytest.mark.parametrize("lat, lng", list(PLACES.values()), ids=list(PLACES))


def marker() -> str:
    return f"penanda-luar-{time.time_ns()}-{secrets.token_hex(3)}"


def stored(aws, stack, text: str) -> bool:
    """Whether any item of the cases table mentions ``text``."""
    pages = aws("dynamodb").get_paginator("scan").paginate(TableName=stack.env["CASES_TABLE"])
    return any(text in str(item) for page in pages for item in page["Items"])


def assert_outside_service_area(answer: requests.Response) -> None:
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "outside_service_area"
    assert error["details"][0]["field"] == "location"


@OUTSIDE
def test_partner_webhook(stack, aws, lat, lng):
    text = marker()
    body = partner_body(description=f"Sampah menumpuk {text}", location={"lat": lat, "lng": lng})
    assert_outside_service_area(post_report(stack, body))
    assert not stored(aws, stack, text)


@OUTSIDE
def test_post_reports(stack, aws, lat, lng):
    text = marker()
    answer = requests.post(
        f"{stack.api_url}/reports",
        json={"category": "garbage", "description": f"Sampah {text}", "location": {"lat": lat, "lng": lng}},
        timeout=30,
    )
    assert_outside_service_area(answer)
    assert not stored(aws, stack, text)


@OUTSIDE
def test_the_report_form_shows_the_form_again_saying_why(stack, aws, lat, lng):
    page = requests.get(f"{stack.api_url}/report", timeout=10).text
    token = re.search(r'name="submission_id" value="([^"]+)"', page).group(1)
    text = marker()
    answer = requests.post(
        f"{stack.api_url}/report",
        data={"submission_id": token, "category": "garbage", "description": f"Sampah {text}", "lat": lat, "lng": lng},
        timeout=30,
    )
    assert answer.status_code == 422
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "di luar wilayah DKI Jakarta" in answer.text and text in answer.text  # the fields come back
    assert not stored(aws, stack, text)


@OUTSIDE
def test_desk_intake(stack, aws, officers, lat, lng):
    text = marker()
    form = {
        "idempotency_key": secrets.token_hex(16),
        "category": "garbage",
        "description": f"Warga melapor sampah {text}",
        "location": {"address": "Jl. Entah", "lat": lat, "lng": lng},
        "anonymous": True,
    }
    answer = requests.post(f"{stack.api_url}/officer/intake", json=form, headers=officers["intake"], timeout=30)
    assert_outside_service_area(answer)
    assert not stored(aws, stack, text)


@pytest.fixture(scope="module")
def open311_key(stack, officers):
    answer = requests.post(
        f"{stack.api_url}/admin/open311/keys",
        json={"name": "Aplikasi uji wilayah"},
        headers=officers["admin"],
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["api_key"]


@OUTSIDE
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_in_its_own_error_format(stack, aws, open311_key, lat, lng, fmt):
    text = marker()
    answer = requests.post(
        f"{stack.api_url}/open311/v2/requests.{fmt}",
        data={"api_key": open311_key, "service_code": "garbage", "lat": lat, "long": lng, "description": text},
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )
    assert answer.status_code == 400, answer.text
    if fmt == "json":
        assert [e["code"] for e in answer.json()] == [400]
        assert answer.json()[0]["description"].startswith("outside_service_area: ")
    else:
        assert "<code>400</code>" in answer.text and "<description>outside_service_area: " in answer.text
    assert not stored(aws, stack, text)


def test_the_same_report_from_jakarta_is_routed_by_its_kelurahan(stack, aws, runner):
    """Kota Tua's Fatahillah square: Kelurahan Pinangsia, Kecamatan Taman Sari, Jakarta Barat;
    illegal parking there is Suku Dinas Perhubungan Jakarta Barat's, by the rule for the kota."""
    text = marker()
    body = partner_body(
        category="illegal_parking", description=f"Parkir liar {text}", location={"lat": -6.1352, "lng": 106.8133}
    )
    answer = post_report(stack, body)
    assert answer.status_code == 201, answer.text
    assert stored(aws, stack, text)  # what the refusals above are checked against
    runner.drain()
    status = requests.get(answer.json()["status_url"], timeout=10).json()
    assert status["area"] == {"kota": "Jakarta Barat", "kecamatan": "Taman Sari", "kelurahan": "Pinangsia"}
    assert status["agency"]["id"] == "sudin-perhubungan-jakbar"
