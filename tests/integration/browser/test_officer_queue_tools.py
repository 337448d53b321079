"""The officer client for fifty cases a day, in Chromium (issue 20's acceptance): search by a
word of the description, counters from the server, a filter that survives a reload, bulk
priority on 3 cases, the CSV export of the filtered rows, j/k/Enter and /, the map view.
No request leaves the local stack and the console stays free of errors."""

from __future__ import annotations

import csv
import io
import re
import time
from urllib.parse import urlsplit

import requests
from playwright.sync_api import expect

from tests.integration.browser.conftest import screenshot, seeded_case, sign_in


def test_search_filters_in_the_url_bulk_priority_export_keys_and_map(stack, runner, people, officers, open_page):
    word = f"kali{time.time_ns() % 10**9}"
    codes = [seeded_case(stack, runner, description=f"Sampah {word} menumpuk nomor {n} di trotoar") for n in range(3)]
    odd = seeded_case(stack, runner, description=f"Got mampet {word} berbau busuk di gang {word}x")

    watched = open_page()
    requested: list[str] = []
    failures: list[str] = []
    watched.page.on("request", lambda r: requested.append(r.url))
    # (a reload aborts what the page was still fetching: not a failed request)
    watched.page.on(
        "requestfailed", lambda r: r.failure == "net::ERR_ABORTED" or failures.append(f"{r.url} {r.failure}")
    )
    page = sign_in(watched, stack, people["dinas_lh"])

    # Counters are the server's, for the whole queue (not the 50 rows loaded).
    server = requests.get(
        f"{stack.api_url}/officer/queue", params={"view": "family"}, headers=officers["dinas_lh"], timeout=30
    ).json()
    expect(page.locator("[data-count=total] .count-value")).to_have_text(str(server["counts"]["total"]))

    # A word of one description finds that case alone.
    page.locator("#f-q").fill(f"{word}X MAMPET")
    page.locator("#f-q").press("Enter")
    expect(page.locator("ol.rows > li.row")).to_have_count(1)
    expect(page.locator("ol.rows > li.row")).to_contain_text(odd)
    expect(page.locator("[data-count=total] .count-value")).to_have_text("1")

    # A search and a filter survive a reload (they are in the URL).
    page.locator("#f-q").fill(word)
    page.locator("#f-q").press("Enter")
    expect(page.locator("ol.rows > li.row")).to_have_count(4)
    page.locator("#f-priority").select_option("normal")
    expect(page).to_have_url(re.compile(rf"/officer\?priority=normal&q={word}#/queue$"))
    expect(page.locator("ol.rows > li.row")).to_have_count(4)
    page.reload()
    expect(page.locator("#f-q")).to_have_value(word)
    expect(page.locator("#f-priority")).to_have_value("normal")
    expect(page.locator("ol.rows > li.row")).to_have_count(4)

    # Bulk: urgent on the three cases.
    for code in codes:
        page.locator(f"li.row[data-code='{code}'] input.row-check").check()
    expect(page.locator(".bulk-count")).to_have_text("3 laporan dipilih")
    page.locator("#bulk-priority").select_option("urgent")
    page.locator("#bulk-reason").fill("Menutup saluran air")
    page.get_by_role("button", name="Ubah prioritas").click()
    expect(page.locator(".bulk-notice")).to_contain_text("3 berhasil, 0 gagal")
    expect(page.locator("ol.rows > li.row")).to_have_count(1)  # still filtered to normal: the odd one
    page.locator("#f-priority").select_option("urgent")
    expect(page.locator("ol.rows > li.row")).to_have_count(3)
    expect(page.locator("ol.rows > li.row .badge.priority-urgent")).to_have_count(3)
    screenshot(page, "officer-queue-tools")

    # The CSV export holds the filtered rows.
    with page.expect_download() as download:
        page.locator("#export-csv").click()
    text = open(download.value.path(), encoding="utf-8").read()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(row["tracking_code"] for row in rows) == sorted(codes)
    assert {row["priority"] for row in rows} == {"urgent"}
    expect(page.locator(".export-status")).to_have_text("3 baris diunduh.")

    # Keyboard: j / k move along the rows, Enter opens, / focuses the search.
    page.locator("h1").click()
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    first = page.locator("ol.rows > li.row").first
    expect(first).to_have_class("row selectable row-current")
    opened = first.get_attribute("data-code")
    page.keyboard.press("Enter")
    expect(page.locator(".case-head")).to_contain_text(opened)
    page.go_back()
    expect(page.locator("ol.rows > li.row")).to_have_count(3)
    page.locator("h1").click()
    page.keyboard.press("/")
    expect(page.locator("#f-q")).to_be_focused()
    page.locator("h1").click()
    page.keyboard.press("?")
    expect(page.locator("#shortcut-help")).to_have_attribute("open", "")

    # The map view of the loaded rows, on the offline base layer.
    page.locator("#map-toggle").click()
    expect(page.locator("#queue-map .leaflet-control-zoom")).to_be_visible()
    expect(page.locator("#queue-map .map-cluster, #queue-map path.map-point").first).to_be_visible()
    screenshot(page, "officer-queue-map")

    local = {urlsplit(stack.api_url).netloc, urlsplit(stack.aws_endpoint).netloc}
    outside = [url for url in requested if not url.startswith(("blob:", "data:")) and urlsplit(url).netloc not in local]
    assert not outside and not failures, (outside, failures)
