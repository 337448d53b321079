"""The public map's JSON and pages against the moto server: the no-JavaScript
report form routed by its kelurahan, points and lists from the real day and
geo indexes, nearby reports, caching headers, bad input, and a confidential
case that no map answer ever names. (In Chromium: browser/test_public_map.py.)

The JSON routes are called through the in-process app (``client``) so each
test can start from a fresh half-minute snapshot; the pages through the stack.
"""

from __future__ import annotations

import json
import random
import re
import time

import pytest
import requests

from tests.integration.conftest import partner_body, post_report

PARKING_SOUTH = (-6.2100, 106.8450)  # Kelurahan Pasar Manggis, Setiabudi, Jakarta Selatan


def _jittered(point, metres=25):
    rng = random.Random(time.time_ns())
    step = metres / 111_320
    return round(point[0] + rng.uniform(-step, step), 6), round(point[1] + rng.uniform(-step, step), 6)


def _public_id(code: str) -> str:
    from chalicelib.config import settings
    from chalicelib.domain import request_ids

    return request_ids.public_id(code, settings().tracking_code_key)


@pytest.fixture
def fresh_map(app_env):
    from chalicelib.services import public_map

    public_map.forget_snapshots()
    yield
    public_map.forget_snapshots()


def _get(client, path, **headers):
    answer = client.http.get(path, headers=headers)
    answer.headers = {name.lower(): value for name, value in answer.headers.items()}
    return answer, (json.loads(answer.body) if answer.body else None)


@pytest.fixture
def planted(stack, runner):
    """A public case and a confidential one, side by side, both with marker reporter details."""
    stamp = time.time_ns()
    markers = {"name": f"Penanda Peta {stamp}", "phone": f"+62812{stamp % 10**8:08d}"}
    where = _jittered(PARKING_SOUTH)
    cases = {}
    for privacy in ("public", "confidential"):
        body = partner_body(
            category="illegal_parking",
            description=f"Parkir liar menutup trotoar ({privacy} {stamp})",
            location={"lat": where[0], "lng": where[1], "address": "Jl. H.R. Rasuna Said"},
            reporter={"name": markers["name"], "phone": markers["phone"], "anonymous": False},
            privacy=privacy,
        )
        created = post_report(stack, body)
        assert created.status_code == 201, created.text
        cases[privacy] = created.json()["tracking_code"]
    runner.drain()  # routed: in the geo index too
    return {"where": where, "markers": markers, **cases}


def _leaks(text, planted) -> list[str]:
    secrets = (
        *planted["markers"].values(),
        planted["markers"]["phone"][3:],
        planted["public"],
        planted["confidential"],
    )
    hidden_id = _public_id(planted["confidential"])
    return [marker for marker in (*secrets, hidden_id) if marker in text]


def test_the_map_json_names_the_public_case_by_its_public_id_and_never_the_confidential_one(client, fresh_map, planted):
    shown = _public_id(planted["public"])
    points, body = _get(client, "/map/points?category=illegal_parking&kota=31.74&status=open")
    assert points.status_code == 200 and points.headers["cache-control"] == "public, max-age=30"
    lat, lng = planted["where"]
    assert [shown, round(lat, 5), round(lng, 5), "illegal_parking", "assigned"] in body["points"]  # ~1 m
    assert _leaks(points.body.decode(), planted) == []

    listed, page = _get(client, "/map/reports?category=illegal_parking&page_size=50", **{"Accept-Language": "en"})
    mine = next(report for report in page["reports"] if report["id"] == shown)
    assert mine["area"] == {"kota": "Jakarta Selatan", "kecamatan": "Setiabudi", "kelurahan": "Pasar Manggis"}
    assert mine["url"].endswith(f"/reports/{shown}") and mine["category"]["name"] == "Illegal parking"
    assert _leaks(listed.body.decode(), planted) == []

    near, offered = _get(client, f"/map/nearby?lat={lat}&lng={lng}&category=illegal_parking")
    assert shown in [report["id"] for report in offered["reports"]] and offered["radius_m"] == 100
    assert _leaks(near.body.decode(), planted) == []


def test_map_answers_are_cacheable_and_revalidate(client, fresh_map):
    first, _ = _get(client, "/map/points")
    again, _ = _get(client, "/map/points", **{"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.body in (b"", "")
    lookup, where = _get(client, "/areas/lookup?lat=-6.2100&lng=106.8450")
    assert lookup.headers["cache-control"] == "public, max-age=86400"
    assert where["inside"] is True and where["kelurahan"]["name"] == "Pasar Manggis"
    assert where["kota"] == {"code": "31.74", "name": "Jakarta Selatan"}


@pytest.mark.parametrize(
    "path",
    [
        "/map/points?days=30",
        "/map/points?category=volcano",
        "/map/reports?page_size=500",
        "/map/reports?kota=Jakarta",
        "/map/nearby?lat=-6.2&lng=106.8",
        "/map/nearby?lat=north&lng=106.8&category=garbage",
        "/areas/lookup?lat=-6.2",
        "/areas/lookup?lat=1e999&lng=106.8",
    ],
)
def test_bad_arguments_get_422_naming_them(client, path):
    answer, body = _get(client, path)
    assert answer.status_code == 422 and body["error"]["code"] == "validation_failed" and body["error"]["details"]


def test_a_reports_public_page_is_by_public_id_only_and_never_for_a_confidential_case(stack, planted):
    api = stack.api_url
    page = requests.get(f"{api}/reports/{_public_id(planted['public'])}", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    policy = page.headers["Content-Security-Policy"]
    assert "trusted-types default" in policy and "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert 'href="../static/' in page.text and _leaks(page.text, planted) == []
    for name in (_public_id(planted["confidential"]), planted["public"], planted["confidential"], "nothing"):
        refused = requests.get(f"{api}/reports/{name}", timeout=10)
        assert refused.status_code == 404 and refused.headers["Content-Type"].startswith("text/html"), name
        assert planted["markers"]["name"] not in refused.text
    status = requests.get(f"{api}/status/{_public_id(planted['public'])}", timeout=10)
    assert status.status_code == 200 and planted["markers"]["name"] not in status.text
    assert planted["public"] not in status.text  # named by its public id, not the tracking code


def test_the_form_without_javascript_takes_typed_coordinates_and_is_routed_by_their_kelurahan(stack, runner, app_env):
    form = requests.get(f"{stack.api_url}/report", timeout=10)
    token = re.search(r'name="submission_id" value="([^"]+)"', form.text).group(1)
    lat, lng = _jittered(PARKING_SOUTH)
    fields = {
        "submission_id": token,
        "lang": "id",
        "category": "illegal_parking",
        "description": "Mobil parkir di trotoar setiap pagi",
        "lat": str(lat),
        "lng": str(lng),
        "anonymous": "on",
    }
    sent = requests.post(f"{stack.api_url}/report", data=fields, timeout=30)  # urlencoded: what a browser sends
    assert sent.status_code == 201, sent.text[:500]
    code = re.search(r'<p class="code">([^<]+)</p>', sent.text).group(1)
    assert f'href="track?code={code}"' in sent.text
    runner.drain()  # case.received -> routing
    from chalicelib.bootstrap import services

    case = services().cases.get(code)
    where = requests.get(f"{stack.api_url}/areas/lookup", params={"lat": lat, "lng": lng}, timeout=10).json()
    assert case.location.lat == lat and case.location.lng == lng
    assert case.area.kelurahan == where["kelurahan"]["code"] and where["kelurahan"]["name"] == "Pasar Manggis"
    assert case.agency_id == "sudin-perhubungan-jaksel"  # illegal parking goes to the kota's Suku Dinas
