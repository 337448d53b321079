"""Issue 17, over HTTP against the moto server: a date from outside is believed
only inside the window (2000-01-01T00:00Z to ten minutes from now), and one
unreadable stored item never turns a list or a page into a 500."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from chalicelib.domain.clock import JAKARTA
from tests.integration.conftest import partner_body, post_report

OLD = "0001-01-01T00:00:00+00:00"
BEFORE_THE_WINDOW = "0999-12-31T23:00:00+07:00"
JUST_BEFORE_2000 = "1999-12-31T23:59:59+00:00"
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def _soon() -> str:
    return (datetime.now(UTC) + timedelta(hours=1)).isoformat()


# --- dates from outside ----------------------------------------------------------------------


@pytest.mark.parametrize("when", [OLD, BEFORE_THE_WINDOW, JUST_BEFORE_2000, "soon"])
def test_a_partner_report_dated_outside_the_window_is_refused_naming_created_at(stack, when):
    when = _soon() if when == "soon" else when
    response = post_report(stack, partner_body(created_at=when))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert [detail["field"] for detail in error["details"]] == ["created_at"]


def test_a_partner_report_dated_inside_the_window_is_taken_and_reads_back(stack):
    for when in ("2000-01-01T00:00:00+00:00", (datetime.now(UTC) - timedelta(minutes=1)).isoformat()):
        response = post_report(stack, partner_body(created_at=when))
        assert response.status_code == 201, response.text
        status = requests.get(response.json()["status_url"], timeout=10)
        assert status.status_code == 200, status.text


@pytest.mark.parametrize("when", [BEFORE_THE_WINDOW, OLD, "soon"])
def test_the_desk_refuses_a_walk_in_report_dated_outside_the_window(stack, officers, when):
    body = {
        "idempotency_key": secrets.token_hex(16),
        "category": "garbage",
        "description": "Sampah menumpuk di depan kantor kelurahan.",
        "reported_at": _soon() if when == "soon" else when,
    }
    response = requests.post(f"{stack.api_url}/officer/intake", json=body, headers=officers["intake"], timeout=30)
    assert response.status_code == 422, response.text
    assert [detail["field"] for detail in response.json()["error"]["details"]] == ["reported_at"]


@pytest.mark.parametrize("when", [OLD, "soon"])
def test_the_websites_json_api_refuses_a_date_outside_the_window(stack, when):
    body = {
        "category": "garbage",
        "description": "Sampah di trotoar",
        "submission_id": secrets.token_hex(12),
        "reported_at": _soon() if when == "soon" else when,
    }
    response = requests.post(f"{stack.api_url}/reports", json=body, timeout=30)
    assert response.status_code == 422, response.text
    assert [detail["field"] for detail in response.json()["error"]["details"]] == ["reported_at"]


def test_the_websites_json_api_keeps_a_date_inside_the_window(stack):
    when = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    body = {"category": "garbage", "description": "Sampah di trotoar", "reported_at": when}
    response = requests.post(f"{stack.api_url}/reports", json=body, timeout=30)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("when", ["0999-12-31T23:00", "1999-12-31T23:59", "soon"])
def test_the_form_answers_a_date_outside_the_window_with_its_page_again(stack, when):
    if when == "soon":  # the form's datetime-local field is Jakarta time
        when = (datetime.now(JAKARTA) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    fields = {
        "submission_id": secrets.token_hex(12),
        "category": "garbage",
        "description": "Sampah di trotoar",
        "reported_at": when,
    }
    response = requests.post(f"{stack.api_url}/report", data=fields, headers=FORM, timeout=30)
    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"].startswith("text/html")
    assert 'role="alert"' in response.text and "reported_at" in response.text
    assert f'value="{when}"' in response.text  # what the reporter typed is kept


def test_the_form_takes_a_jakarta_time_inside_the_window(stack):
    when = (datetime.now(JAKARTA) - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    fields = {
        "submission_id": secrets.token_hex(12),
        "category": "garbage",
        "description": "Sampah",
        "reported_at": when,
    }
    response = requests.post(f"{stack.api_url}/report", data=fields, headers=FORM, timeout=30)
    assert response.status_code == 201, response.text


@pytest.fixture(scope="module")
def partner_key(stack, officers):
    response = requests.post(
        f"{stack.api_url}/admin/open311/keys", json={"name": "Aplikasi tanggal"}, headers=officers["admin"], timeout=10
    )
    assert response.status_code == 201, response.text
    return response.json()["api_key"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("when", [OLD, "1999-12-31T23:59:59Z", "soon"])
def test_open311_refuses_a_requested_datetime_outside_the_window_in_its_own_format(stack, partner_key, fmt, when):
    fields = {
        "api_key": partner_key,
        "service_code": "garbage",
        "lat": "-6.2297",
        "long": "106.8272",
        "description": f"Sampah {time.time_ns()}",
        "requested_datetime": _soon() if when == "soon" else when,
    }
    response = requests.post(f"{stack.api_url}/open311/v2/requests.{fmt}", data=fields, headers=FORM, timeout=30)
    assert response.status_code == 400, response.text
    if fmt == "json":
        (error,) = response.json()
        assert error["code"] == 400 and error["description"].startswith("requested_datetime: ")
    else:
        assert "<code>400</code>" in response.text and "requested_datetime: " in response.text


def test_open311_keeps_a_requested_datetime_inside_the_window(stack, partner_key):
    fields = {
        "api_key": partner_key,
        "service_code": "garbage",
        "lat": "-6.2297",
        "long": "106.8272",
        "description": f"Sampah {time.time_ns()}",
        "requested_datetime": "2026-11-23T10:00:00+07:00",
    }
    response = requests.post(f"{stack.api_url}/open311/v2/requests.json", data=fields, headers=FORM, timeout=30)
    assert response.status_code == 201, response.text
