"""Photo redaction in Chromium: an officer drags a box over part of a report photo;
the public copy changes inside that box only (within JPEG tolerance) and the
original stays untouched and private."""

from __future__ import annotations

import base64
import io

import requests
from PIL import Image
from playwright.sync_api import expect

from tests.integration.browser.conftest import screenshot, seeded_case, sign_in
from tests.support.images import striped_jpeg

TANAH_ABANG = {"lat": -6.1862, "lng": 106.8133, "address": "Jl. KH. Mas Mansyur, Tanah Abang"}
WIDTH, HEIGHT = 480, 360
MARGIN = 16  # JPEG works in 8x8 (16x16 chroma) blocks: pixels this close to the box may move a little


def public_photo(stack, code: str) -> Image.Image:
    response = requests.get(f"{stack.api_url}/status/{code}/photos/p1", timeout=10)
    response.raise_for_status()
    return Image.open(io.BytesIO(response.content)).convert("L")


def settled_box(page, selector: str, tries: int = 50) -> dict:
    """The element's box once the layout stops moving (photos above it may still be loading)."""
    box = page.locator(selector).bounding_box()
    for _ in range(tries):
        page.wait_for_timeout(100)
        again = page.locator(selector).bounding_box()
        if again == box:
            return box
        box = again
    raise AssertionError(f"{selector} kept moving: {box}")


def mean_difference(a: Image.Image, b: Image.Image, box) -> float:
    pa, pb = a.load(), b.load()
    x0, y0, x1, y1 = box
    return sum(abs(pa[x, y] - pb[x, y]) for x in range(x0, x1) for y in range(y0, y1)) / ((x1 - x0) * (y1 - y0))


def test_an_officer_blurs_a_region_and_only_that_region_of_the_public_photo_changes(
    stack, runner, people, open_page, aws
):
    original = striped_jpeg(WIDTH, HEIGHT)
    photo = {"content_type": "image/jpeg", "data_base64": base64.b64encode(original).decode()}
    code = seeded_case(
        stack,
        runner,
        description="Mobil parkir liar di trotoar, pelat nomor terlihat.",
        location=TANAH_ABANG,
        photos=[photo],
        category="garbage",
    )
    before = public_photo(stack, code)
    assert before.size == (WIDTH, HEIGHT)

    page = sign_in(open_page(), stack, people["dinas_lh"])
    page.goto(f"{stack.api_url}/officer#/case/{code}")
    expect(page.locator(".case-head")).to_contain_text(code)
    page.get_by_role("button", name="Samarkan bagian foto").click()
    image = page.locator(".redact-image")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    page.locator(".redact-layer").scroll_into_view_if_needed()  # the mouse only reaches what is on screen
    layer = settled_box(page, ".redact-layer")
    start = (layer["x"] + layer["width"] * 0.30, layer["y"] + layer["height"] * 0.25)
    end = (layer["x"] + layer["width"] * 0.60, layer["y"] + layer["height"] * 0.65)
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
    page.mouse.move(*end)
    page.mouse.up()
    expect(page.locator(".redact-count")).to_have_text("1 kotak")
    screenshot(page, "photo-redaction")
    page.get_by_role("button", name="Simpan salinan publik").click()
    expect(page.locator("#case-status .alert-ok")).to_contain_text("disamarkan")

    after = public_photo(stack, code)
    assert after.size == before.size
    scale = WIDTH / layer["width"]
    box = (
        round((start[0] - layer["x"]) * scale),
        round((start[1] - layer["y"]) * scale),
        round((end[0] - layer["x"]) * scale),
        round((end[1] - layer["y"]) * scale),
    )
    inside = (box[0] + MARGIN, box[1] + MARGIN, box[2] - MARGIN, box[3] - MARGIN)
    assert mean_difference(before, after, inside) > 25, "the box was not blurred"
    # Outside: the four bands around the box, MARGIN away from it.
    bands = [
        (0, 0, WIDTH, box[1] - MARGIN),
        (0, box[3] + MARGIN, WIDTH, HEIGHT),
        (0, 0, box[0] - MARGIN, HEIGHT),
        (box[2] + MARGIN, 0, WIDTH, HEIGHT),
    ]
    for band in bands:
        assert mean_difference(before, after, band) < 2.0, f"pixels changed outside the box in {band}"

    # The original (evidence) is untouched and still private.
    bucket = aws("s3")
    keys = [
        o["Key"]
        for o in bucket.list_objects_v2(Bucket=stack.env["PHOTOS_BUCKET"], Prefix=f"originals/{code}/")["Contents"]
    ]
    assert len(keys) == 1
    assert bucket.get_object(Bucket=stack.env["PHOTOS_BUCKET"], Key=keys[0])["Body"].read() == original
    # Audited in the case history, for officers.
    expect(page.locator(".sec-history")).to_contain_text("Foto p1 disamarkan untuk publik")
