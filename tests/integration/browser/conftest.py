"""Browser tests: the officer client and the public pages in a real Chromium.

Playwright for Python drives Debian's Chromium, launched by its path
(CHROMIUM, default /usr/bin/chromium; `make test` installs it with apt-get when
missing). No browser is downloaded. The pages run against the integration
`stack` (moto + provisioning + `chalice local`); routing and the other event
handlers run when a test drains the `runner` by hand, so every step is
deterministic.

Screenshots of the main pages go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest

from infra.local import demo
from tests.integration.conftest import partner_body, post_report
from tests.support.artifacts import ARTIFACTS

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Headless, and nothing in the background that would reach the network or vary the run.
# (Playwright adds --headless and a fresh --user-data-dir of its own for each launch.)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = ARTIFACTS / "screenshots"
WAIT_MS = 15_000  # the longest any single step may take before the test fails

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="session")
def browser():
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: run `make browser` (apt-get install chromium) "
            "or set CHROMIUM to its path",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


class Watched:
    """A page whose JavaScript errors, CSP violations and dialogs are recorded."""

    def __init__(self, page):
        self.page = page
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        page.on("console", self._console)
        page.on("dialog", self._dialog)

    def _console(self, message):
        text = message.text
        if message.type == "error" and (
            "Content Security Policy" in text or "Trusted Type" in text or "Uncaught" in text
        ):
            self.errors.append(f"console: {text}")

    def _dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()


@pytest.fixture
def open_page(browser):
    """open_page(viewport=DESKTOP) -> Watched page in a fresh context (its own sessionStorage)."""
    contexts, watched = [], []

    def make(viewport=DESKTOP):
        context = browser.new_context(viewport=viewport, locale="id-ID", timezone_id="Asia/Jakarta")
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = Watched(context.new_page())
        watched.append(page)
        return page

    yield make
    for context in contexts:
        context.close()
    problems = [problem for page in watched for problem in page.errors]
    assert not problems, "JavaScript errors or CSP violations:\n" + "\n".join(problems)


@pytest.fixture(scope="session")
def people(stack):
    """Officers with known e-mails (fresh for this run) in the stack's Cognito pool."""
    suffix = str(time.time_ns())[-8:]
    roles = {
        "dinas_lh": ("agency_officer", "dinas-lh"),
        "sudin_lh": ("agency_officer", "sudin-lh-jakpus"),
        "bina_marga": ("agency_officer", "dinas-bina-marga"),
        "bureau": ("bureau_verifier", "biro-pemerintahan"),
        "supervisor": ("supervisor", "inspektorat"),
        "intake": ("intake_officer", "kel-jakpus-gambir-gambir"),
    }
    emails = {}
    for name, (role, agency) in roles.items():
        email = f"browser.{name}.{suffix}@example.com"
        demo.create_user(
            stack.aws_endpoint, stack.env["AWS_REGION"], stack.env["COGNITO_USER_POOL_ID"], email, role, agency
        )
        emails[name] = email
    return emails


def sign_in(watched, stack, email, password=demo.DEMO_PASSWORD):
    page = watched.page
    page.goto(f"{stack.api_url}/officer")
    page.get_by_label("Email dinas").fill(email)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    page.locator("#tabs a.tab").first.wait_for()
    return page


def seeded_case(stack, runner, **overrides) -> str:
    """A partner report, routed (the runner delivers case.received to the router)."""
    code = post_report(stack, partner_body(**overrides)).json()["tracking_code"]
    runner.drain()
    return code


def screenshot(page, name: str, full_page: bool = True) -> Path:
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def photo_file(tmp_path) -> Path:
    """A small JPEG that looks like a cleaned pavement, with GPS EXIF that must not reach the public."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (800, 600), (150, 150, 145))
    draw = ImageDraw.Draw(image)
    for y in range(0, 600, 60):
        draw.line([(0, y), (800, y)], fill=(120, 120, 118), width=3)
    for x in range(0, 800, 90):
        draw.line([(x, 0), (x, 600)], fill=(125, 125, 120), width=2)
    draw.rectangle([0, 420, 800, 600], fill=(70, 70, 72))
    draw.rectangle([560, 120, 700, 330], fill=(40, 110, 60))
    exif = Image.Exif()
    exif[0x8825] = {1: "S", 2: (6.0, 11.0, 10.0), 3: "E", 4: (106.0, 48.0, 48.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    path = tmp_path / "selesai.jpg"
    path.write_bytes(out.getvalue())
    return path
