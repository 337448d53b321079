"""The public map in Chromium: reporting with a pin, the public map and list,
a report's public page, and both at 360 px. No request may fail and the
console must stay free of errors (no tiles: the local stack has no tile
server, so the maps draw the kecamatan outlines from a static file)."""

from __future__ import annotations

import random
import re
import time

import pytest
import requests
from playwright.sync_api import expect

from tests.integration.browser.conftest import DESKTOP, PHONE, WAIT_MS, Watched, screenshot
from tests.integration.conftest import partner_body, post_report

PARKING_SOUTH = (-6.2100, 106.8450)  # Kelurahan Pasar Manggis, Setiabudi, Jakarta Selatan
WITHIN_A_MINUTE = 60


def _public_id(code: str) -> str:
    from chalicelib.config import settings
    from chalicelib.domain import request_ids

    return request_ids.public_id(code, settings().tracking_code_key)


def _near(point, metres=20):
    rng = random.Random(time.time_ns())
    step = metres / 111_320
    return round(point[0] + rng.uniform(-step, step), 6), round(point[1] + rng.uniform(-step, step), 6)


@pytest.fixture
def strict_page(browser):
    """strict_page(viewport, **context options) -> page; after the test: no console error,
    no failed request, no 4xx/5xx answer, no CSP or Trusted Types violation."""
    contexts, problems, watched = [], [], []

    def make(viewport=DESKTOP, **options):
        context = browser.new_context(viewport=viewport, locale="id-ID", timezone_id="Asia/Jakarta", **options)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        watched.append(Watched(page))
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} {r.failure}"))
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        return page

    yield make
    for context in contexts:
        context.close()
    problems += [problem for page in watched for problem in page.errors]
    assert not problems, "\n".join(problems)


def _no_horizontal_scroll(page):
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], widths


def test_report_with_a_pin_names_the_kelurahan_offers_a_nearby_report_and_is_routed_by_it(
    stack, runner, app_env, strict_page
):
    seed_point = _near(PARKING_SOUTH)
    seeded = post_report(
        stack,
        partner_body(
            category="illegal_parking",
            description="Parkir liar di trotoar depan kantor",
            location={"lat": seed_point[0], "lng": seed_point[1], "address": "Jl. H.R. Rasuna Said"},
        ),
    ).json()["tracking_code"]
    runner.drain()  # routed: now an open report near the point, in the geo index

    here = {"latitude": seed_point[0], "longitude": seed_point[1]}
    page = strict_page(geolocation=here, permissions=["geolocation"])
    page.goto(f"{stack.api_url}/report")
    expect(page.locator("nav.links a[aria-current=page]")).to_have_text("Laporkan")
    page.get_by_label("Kategori").select_option("illegal_parking")
    page.get_by_label("Uraian masalah").fill("Mobil parkir di trotoar, pejalan kaki turun ke jalan.")
    expect(page.locator("#report-map .leaflet-control-zoom")).to_be_visible()
    page.get_by_role("button", name="Gunakan lokasi saya").click()
    pin = page.locator(".map-pin")
    expect(pin).to_be_visible()
    expect(page.get_by_label("Lintang (latitude)")).to_have_value(str(seed_point[0]))

    # Drop the pin a little further along the street (~20 m at zoom 16).
    box = pin.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 8, box["y"] + box["height"] / 2 + 4, steps=6)
    page.mouse.up()
    expect(page.get_by_label("Lintang (latitude)")).not_to_have_value(str(seed_point[0]))
    lat = float(page.get_by_label("Lintang (latitude)").input_value())
    lng = float(page.get_by_label("Bujur (longitude)").input_value())
    assert abs(lat - seed_point[0]) < 0.0005 and abs(lng - seed_point[1]) < 0.0005
    expect(page.locator("#area-name")).to_have_text("Kelurahan Pasar Manggis, Kecamatan Setiabudi, Jakarta Selatan")

    nearby = page.locator("#nearby")
    expect(nearby).to_be_visible()
    expect(nearby.locator("h2")).to_have_text("Sudah dilaporkan?")
    offered = nearby.locator(f'a[href="reports/{_public_id(seeded)}"]')
    expect(offered).to_contain_text("Parkir liar di trotoar depan kantor")
    expect(nearby).to_contain_text("Kelurahan Pasar Manggis")  # follow the kelurahan by area alert
    screenshot(page, "report-map")

    page.get_by_role("button", name="Kirim laporan").click()
    code = page.locator("p.code")
    expect(code).to_have_text(re.compile(r"^[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{4}$"))
    runner.drain()  # case.received -> routing
    from chalicelib.bootstrap import services

    case = services().cases.get(code.inner_text())
    assert (case.location.lat, case.location.lng) == (lat, lng)
    assert services().cases.get(seeded).area.kelurahan == case.area.kelurahan  # the kelurahan the page named
    assert case.area.kota == "31.74" and case.agency_id == "sudin-perhubungan-jaksel"


def test_the_map_shows_a_new_public_report_within_a_minute_and_a_confidential_one_never(
    stack, runner, app_env, strict_page
):
    stamp = time.time_ns()
    name, phone = f"Penanda Peta {stamp}", f"+62813{stamp % 10**8:08d}"
    made = {}
    for privacy in ("public", "confidential"):
        where = _near(PARKING_SOUTH, 300)
        made[privacy] = post_report(
            stack,
            partner_body(
                category="illegal_parking",
                description=f"Parkir liar {privacy} {stamp}",
                location={"lat": where[0], "lng": where[1], "address": "Jl. Setiabudi Tengah"},
                reporter={"name": name, "phone": phone, "anonymous": False},
                privacy=privacy,
            ),
        ).json()["tracking_code"]
    runner.drain()
    shown, hidden = _public_id(made["public"]), _public_id(made["confidential"])

    page = strict_page()
    points = []
    page.on("response", lambda r: points.append(r.text()) if "/map/points" in r.url and r.status == 200 else None)
    deadline = time.monotonic() + WITHIN_A_MINUTE
    page.goto(f"{stack.api_url}/map?category=illegal_parking")
    row = page.locator(f'li.row[data-id="{shown}"]')
    while True:
        page.locator("#list-count").filter(has_text=re.compile(r"\d")).wait_for()
        if row.count() or time.monotonic() > deadline:
            break
        page.wait_for_timeout(3000)
        page.reload()
    expect(row).to_be_visible()  # within a minute of being made
    assert time.monotonic() <= deadline
    assert any(shown in answer for answer in points)  # the map draws it
    assert not any(hidden in answer or made["confidential"] in answer for answer in points)
    content = page.content()
    assert hidden not in content and made["public"] not in content and name not in content
    expect(page.locator("#reports-map .map-cluster, #reports-map path.map-point").first).to_be_visible()
    screenshot(page, "public-map")

    row.locator("a").click()
    expect(page).to_have_url(re.compile(rf"/reports/{shown}$"))
    timeline = page.locator(".timeline li")
    expect(timeline).to_have_count(2)  # received, then sent to the agency
    expect(timeline.first).to_contain_text("Suku Dinas Perhubungan")
    expect(page.locator("h1")).to_have_text("Parkir liar")
    page_text = page.content()
    for secret in (name, phone, phone[3:], made["public"], made["confidential"]):
        assert secret not in page_text
    status = requests.get(f"{stack.api_url}/status/{shown}", timeout=10).text
    assert name not in status and phone[3:] not in status and made["public"] not in status
    screenshot(page, "report-page", full_page=False)
    assert requests.get(f"{stack.api_url}/reports/{hidden}", timeout=10).status_code == 404


@pytest.mark.parametrize("path", ["/report", "/map", "/report?lang=en"])
def test_no_horizontal_scroll_at_360_px(stack, strict_page, path):
    page = strict_page(PHONE)
    page.goto(f"{stack.api_url}{path}")
    expect(page.locator(".leaflet-control-zoom")).to_be_visible()  # the map is drawn
    page.wait_for_load_state("networkidle")
    _no_horizontal_scroll(page)
    assert page.locator("nav.links a").count() == 4


def test_the_form_posts_without_javascript(stack, browser):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False, locale="id-ID")
    try:
        page = context.new_page()
        page.goto(f"{stack.api_url}/report")
        assert page.locator("#map-panel").is_hidden()
        page.get_by_label("Kategori").select_option("garbage")
        page.get_by_label("Uraian masalah").fill("Sampah di depan sekolah belum diangkut.")
        page.get_by_label("Lintang (latitude)").fill("-6.1754")
        page.get_by_label("Bujur (longitude)").fill("106.8272")
        page.get_by_role("button", name="Kirim laporan").click()
        expect(page.locator("p.code")).to_have_text(re.compile(r"^[0-9A-Z]{5}-"))
        _no_horizontal_scroll(page)
    finally:
        context.close()
