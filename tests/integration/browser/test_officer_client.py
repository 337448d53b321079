"""The officer client in Chromium: a case from the queue to its resolution, with the
reporter following every step on /track; hostile report text; agency scope."""

from __future__ import annotations

import base64
import re
import time

import requests
from playwright.sync_api import expect

from infra.local import demo
from tests.integration.browser.conftest import (
    PHONE,
    photo_file,
    screenshot,
    seeded_case,
    sign_in,
)

TANAH_ABANG = {"lat": -6.1862, "lng": 106.8133, "address": "Jl. KH. Mas Mansyur, Tanah Abang"}


def act(page, operation: str, fill) -> None:
    """Open one action's form on the case page, fill it, send it, wait for the saved case."""
    details = page.locator(f"details[data-operation={operation}]")
    details.locator("summary").click()
    fill(details)
    details.get_by_role("button", name="Kirim").click()
    expect(page.locator("#case-status .alert-ok")).to_be_visible()


def test_a_case_goes_from_the_queue_to_resolution_and_the_reporter_sees_each_step(
    stack, runner, people, open_page, tmp_path
):
    photo = {"content_type": "image/jpeg", "data_base64": base64.b64encode(demo.demo_photo()).decode()}
    code = seeded_case(
        stack,
        runner,
        description="Sampah menumpuk di trotoar depan Pasar Tanah Abang sejak tiga hari.",
        location=TANAH_ABANG,
        photos=[photo],
    )

    # The Dinas sees the routed case in its queue and delegates it to its Suku Dinas.
    dinas = sign_in(open_page(), stack, people["dinas_lh"])
    row = dinas.locator(".row", has_text=code)
    expect(row).to_be_visible()
    expect(row).to_contain_text("Sampah")
    expect(row.locator(".badge.sla-soon, .badge.sla-ok").first).to_be_visible()  # SLA badge: due in ...
    expect(dinas.locator(".counts")).to_contain_text("Laporan")
    screenshot(dinas, "queue")
    row.locator("a").click()
    expect(dinas.locator(".case-head")).to_contain_text(code)
    expect(dinas.locator(".case-head .status")).to_have_text("Didisposisikan ke instansi")
    expect(dinas.get_by_role("link", name="Buka di peta (OpenStreetMap)")).to_have_attribute(
        "href", re.compile(r"openstreetmap\.org/\?mlat=-6\.1862&mlon=106\.8133")
    )
    expect(dinas.locator("#reporter-title + dl")).to_contain_text("Siti")  # the holder may see the contact
    expect(dinas.locator(".photo-report img")).to_be_visible()
    screenshot(dinas, "case")
    act(
        dinas,
        "delegate",
        lambda form: form.get_by_label("Suku Dinas / unit di bawah instansi").select_option("sudin-lh-jakpus"),
    )
    expect(dinas.locator("dl.facts").first).to_contain_text("Suku Dinas Lingkungan Hidup Jakarta Pusat")

    # The Suku Dinas finds it in its own queue and submits the follow-up plan.
    sudin = sign_in(open_page(), stack, people["sudin_lh"])
    sudin.locator(".row", has_text=code).locator("a").click()
    act(
        sudin,
        "submit_plan",
        lambda form: form.get_by_label("Rencana (apa yang akan dilakukan, oleh siapa, kapan)").fill(
            "Truk sampah Sudin LH Jakpus mengangkut besok pukul 07.00."
        ),
    )
    expect(sudin.locator(".case-head .status")).to_have_text("Rencana tindak lanjut diajukan")

    # The Bureau sees the plan in its review list and approves it.
    bureau = sign_in(open_page(), stack, people["bureau"])
    expect(bureau.locator("h1")).to_have_text("Rencana tindak lanjut menunggu verifikasi")
    bureau.locator(".row", has_text=code).locator("a").click()
    expect(bureau.locator("#plan-title + p")).to_contain_text("Menunggu verifikasi Biro")
    act(bureau, "verify_plan", lambda form: None)
    expect(bureau.locator(".case-head .status")).to_have_text("Dalam proses")

    # Back at the Suku Dinas: progress, then resolution with a photo sent straight to S3.
    sudin.reload()
    expect(sudin.locator(".case-head .status")).to_have_text("Dalam proses")

    def progress(form):
        form.get_by_label("Progres (%)").fill("50")
        form.get_by_label("Apa yang sudah dikerjakan").fill("Separuh tumpukan sudah diangkut.")

    act(sudin, "post_progress", progress)

    def resolve(form):
        form.get_by_label("Keterangan penyelesaian (terlihat oleh pelapor)").fill("Trotoar sudah bersih.")
        form.get_by_label(re.compile("Foto penyelesaian")).set_input_files(str(photo_file(tmp_path)))

    act(sudin, "resolve", resolve)
    expect(sudin.locator(".case-head .status")).to_have_text("Selesai ditangani")
    expect(sudin.locator(".photo-completion img")).to_be_visible()

    # The reporter's page shows each step and the completion photo, then takes the rating.
    reporter = open_page().page
    reporter.goto(f"{stack.api_url}/track?code={code}")
    timeline = reporter.locator(".timeline")
    for step in (
        "Laporan diterima melalui aplikasi JAKI.",
        "Didelegasikan ke Suku Dinas Lingkungan Hidup Jakarta Pusat.",
        "Rencana tindak lanjut disusun dan sedang diverifikasi.",
        "Rencana tindak lanjut disetujui.",
        "Progres 50%: Separuh tumpukan sudah diangkut.",
        "Selesai ditangani. Trotoar sudah bersih.",
    ):
        expect(timeline).to_contain_text(step)
    expect(reporter.locator(".status-card .status")).to_have_text("Selesai ditangani")
    photo = reporter.locator(".photo-completion img")
    expect(photo).to_be_visible()
    reporter.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
    assert "Siti" not in reporter.locator("main").inner_text()  # nothing private on the public page
    screenshot(reporter, "track")
    reporter.get_by_label("5 dari 5").check()
    reporter.get_by_role("button", name="Sudah selesai, kirim penilaian").click()
    expect(reporter.locator(".status-card .status")).to_have_text("Ditutup")
    expect(timeline).to_contain_text("Pelapor memberi penilaian 5/5.")


def test_report_text_that_looks_like_html_is_shown_as_text(stack, runner, people, open_page):
    hostile = "<img src=x onerror=alert(1)>"
    code = seeded_case(
        stack,
        runner,
        description=hostile,
        reporter={"name": "<img src=y onerror=alert(2)>", "phone": "+6281234567890", "anonymous": False},
    )
    officer = open_page()
    page = sign_in(officer, stack, people["dinas_lh"])
    row = page.locator(".row", has_text=code)
    expect(row.locator(".row-summary")).to_have_text(hostile)
    row.locator("a").click()
    expect(page.locator("#report-title + .description")).to_have_text(hostile)
    expect(page.locator("#reporter-title + dl")).to_contain_text("<img src=y onerror=alert(2)>")

    public = open_page()
    public.page.goto(f"{stack.api_url}/track?code={code}")
    expect(public.page.locator("#report-title + .description")).to_have_text(hostile)

    for watched in (officer, public):
        assert watched.page.locator("img[src='x'], img[src='y']").count() == 0
        watched.page.wait_for_timeout(300)  # a broken <img> would have fired onerror by now
    assert officer.dialogs == [] and public.dialogs == []


def test_an_officer_cannot_open_another_agencys_case(stack, runner, people, open_page):
    code = seeded_case(stack, runner)  # garbage -> Dinas Lingkungan Hidup
    page = sign_in(open_page(), stack, people["bina_marga"])
    expect(page.locator(".row", has_text=code)).to_have_count(0)
    page.goto(f"{stack.api_url}/officer#/case/{code}")
    expect(page.locator("main [role=alert]")).to_have_text("Anda tidak berwenang membuka atau mengubah laporan ini.")
    expect(page.locator(".case-head")).to_have_count(0)

    token = demo.sign_in(
        stack.aws_endpoint, stack.env["AWS_REGION"], stack.env["COGNITO_APP_CLIENT_ID"], people["bina_marga"]
    )
    answer = requests.get(
        f"{stack.api_url}/officer/cases/{code}", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"


def test_the_queue_fits_a_phone_and_switches_to_english(stack, runner, people, open_page):
    code = seeded_case(stack, runner)
    page = sign_in(open_page(PHONE), stack, people["dinas_lh"])
    expect(page.locator(".row", has_text=code)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "queue-phone", full_page=False)
    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_contain_text("Case queue")
    expect(page.locator("#tabs")).to_contain_text("Queue")
    page.locator(".row", has_text=code).locator("a").click()
    expect(page.locator("#actions-title")).to_have_text("Actions")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="Bahasa Indonesia").click()
    expect(page.locator("#actions-title")).to_have_text("Tindakan")


def test_every_form_control_has_a_label_and_sign_in_works_by_keyboard(stack, people, open_page):
    page = open_page().page
    page.goto(f"{stack.api_url}/officer")
    expect(page.locator("#email")).to_be_focused()  # the sign-in form takes the focus
    page.keyboard.type(people["intake"])
    page.keyboard.press("Tab")
    page.keyboard.type(demo.DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Catat laporan tatap muka")
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('input, select, textarea')]
        .filter(c => c.type !== 'hidden' && !(c.labels && c.labels.length) && !c.getAttribute('aria-label'))
        .map(c => c.id || c.name || c.outerHTML.slice(0, 60))""")
    assert unlabelled == []


def test_the_case_and_tracking_pages_fit_a_phone(stack, runner, people, open_page):
    code = seeded_case(stack, runner, location=TANAH_ABANG)
    page = sign_in(open_page(PHONE), stack, people["dinas_lh"])
    page.goto(f"{stack.api_url}/officer#/case/{code}")
    expect(page.locator(".case-head")).to_contain_text(code)
    page.locator("details[data-operation=submit_plan] summary").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "case-phone")
    reporter = open_page(PHONE).page
    reporter.goto(f"{stack.api_url}/track?code={code}")
    expect(reporter.locator(".status-card")).to_contain_text(code)
    assert reporter.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(reporter, "track-phone")


def test_a_new_officer_chooses_a_password_and_the_session_refreshes_and_ends(stack, open_page):
    import boto3

    from infra.local.provision import LOCAL_CREDENTIALS

    email = f"new.officer.{time.time_ns()}@example.com"
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=stack.aws_endpoint,
        region_name=stack.env["AWS_REGION"],
        aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    pool = stack.env["COGNITO_USER_POOL_ID"]
    cognito.admin_create_user(
        UserPoolId=pool,
        Username=email,
        TemporaryPassword="Temporary-Pass-1!",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "custom:agency_id", "Value": "pam-jaya"}],
    )
    cognito.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName="agency_officer")

    page = open_page().page
    page.goto(f"{stack.api_url}/officer")
    page.get_by_label("Email dinas").fill(email)
    page.get_by_label("Kata sandi").fill("wrong password")
    page.get_by_role("button", name="Masuk").click()
    expect(page.locator("[role=alert]")).to_have_text("Email atau kata sandi salah.")
    page.get_by_label("Kata sandi").fill("Temporary-Pass-1!")
    page.get_by_role("button", name="Masuk").click()
    expect(page.locator("h1")).to_have_text("Buat kata sandi baru")
    page.get_by_label("Kata sandi baru").fill("A-new-Password-2026")
    page.get_by_role("button", name="Simpan dan masuk").click()
    expect(page.locator("#who")).to_contain_text("Perumda PAM Jaya")
    session = page.evaluate("JSON.parse(sessionStorage.getItem('crm.session'))")
    assert session["idToken"] and "idToken" not in page.url

    # An expiring token is refreshed with the refresh token, without asking again.
    page.evaluate("""() => { const s = JSON.parse(sessionStorage.getItem('crm.session'));
        s.expiresAt = 0; sessionStorage.setItem('crm.session', JSON.stringify(s)); }""")
    page.get_by_role("link", name="Notifikasi").click()
    expect(page.locator("main .empty, main .rows")).to_be_visible()  # the inbox answered
    assert page.evaluate("JSON.parse(sessionStorage.getItem('crm.session')).expiresAt") > time.time()

    page.get_by_role("button", name="Keluar").click()
    expect(page.locator("h1")).to_have_text("Masuk ke CRM Petugas")
    assert page.evaluate("sessionStorage.getItem('crm.session')") is None


def test_an_officer_makes_a_case_confidential_and_the_tracking_page_keeps_its_content_back(
    stack, runner, people, open_page
):
    marker = f"Gudang {time.time_ns()} menimbun barang"
    code = seeded_case(stack, runner, description=marker, location=TANAH_ABANG)
    page = sign_in(open_page(), stack, people["dinas_lh"])
    page.goto(f"{stack.api_url}/officer#/case/{code}")
    expect(page.locator(".case-head")).to_contain_text(code)

    def raise_level(form):
        form.get_by_label("Tingkat kerahasiaan").select_option("confidential")
        form.get_by_label("Alasan").fill("Pelapor khawatir diintimidasi pemilik gudang")

    act(page, "set_privacy", raise_level)
    expect(page.locator(".sec-reporter .alert-warn")).to_contain_text("Rahasia")
    expect(page.locator("main")).to_contain_text(marker)  # officers still read it

    reporter = open_page().page
    reporter.goto(f"{stack.api_url}/track?code={code}")
    expect(reporter.locator("main")).to_contain_text("Laporan rahasia")
    expect(reporter.locator("main")).not_to_contain_text(marker)
    expect(reporter.locator("main")).not_to_contain_text("Tanah Abang")


def test_an_officer_marks_a_case_urgent_and_answers_with_a_template(stack, runner, people, open_page):
    code = seeded_case(stack, runner, description=f"Sampah menyumbat got {time.time_ns()}", location=TANAH_ABANG)
    token = demo.sign_in(
        stack.aws_endpoint, stack.env["AWS_REGION"], stack.env["COGNITO_APP_CLIENT_ID"], people["dinas_lh"]
    )
    template_id = f"segera-{time.time_ns() % 10**9}"
    saved = requests.put(
        f"{stack.api_url}/officer/templates/{template_id}",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "category": "*",
            "title": "Segera ditangani",
            "text_id": "Laporan {tracking_code} ditangani {agency} paling lambat {expected_date}.",
            "text_en": "Report {tracking_code} is handled by {agency} by {expected_date}.",
        },
        timeout=10,
    )
    assert saved.status_code == 200, saved.text

    page = sign_in(open_page(), stack, people["dinas_lh"])
    page.goto(f"{stack.api_url}/officer#/case/{code}")
    expect(page.locator(".case-head")).to_contain_text(code)

    def urgent(form):
        form.get_by_label("Prioritas").select_option("urgent")
        form.get_by_label("Alasan").fill("Got tersumbat, air mulai naik")

    act(page, "set_priority", urgent)
    expect(page.locator(".case-head .priority-urgent")).to_have_text("Mendesak")

    def from_template(form):
        form.get_by_label("Templat jawaban").select_option(label="Segera ditangani")
        expect(form.get_by_label("Catatan", exact=True)).to_have_value(
            re.compile(rf"^Laporan {code} ditangani Dinas Lingkungan Hidup paling lambat \d\d/\d\d/\d{{4}}\.$")
        )

    act(page, "comment", from_template)
    expect(page.locator(".sec-history")).to_contain_text(f"Laporan {code} ditangani")

    page.goto(f"{stack.api_url}/officer#/queue")
    row = page.locator(".row", has_text=code)
    expect(row.locator(".priority-urgent")).to_have_text("Mendesak")


def test_an_officer_reads_the_whole_history_of_a_long_case_a_page_at_a_time(stack, runner, people, open_page):
    code = seeded_case(stack, runner)
    token = demo.sign_in(
        stack.aws_endpoint, stack.env["AWS_REGION"], stack.env["COGNITO_APP_CLIENT_ID"], people["dinas_lh"]
    )
    for n in range(70):
        answer = requests.post(
            f"{stack.api_url}/officer/cases/{code}/comments",
            headers={"Authorization": f"Bearer {token}"},
            json={"text": f"Catatan ke-{n}"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
    total = requests.get(
        f"{stack.api_url}/officer/cases/{code}", headers={"Authorization": f"Bearer {token}"}, timeout=10
    ).json()["history_total"]

    page = sign_in(open_page(), stack, people["dinas_lh"])
    page.goto(f"{stack.api_url}/officer#/case/{code}")
    entries = page.locator(".sec-history ol.timeline > li")
    expect(entries.first).to_contain_text("Catatan ke-69")  # newest first
    first_count = entries.count()
    assert first_count < total  # only the newest entries come with the case
    expect(page.locator(".history-count")).to_have_text(f"{first_count} dari {total} entri riwayat ditampilkan")
    older = page.get_by_role("button", name="Tampilkan riwayat lebih lama")
    clicks = 0
    while older.is_visible():
        older.click()
        clicks += 1
        expect(entries).to_have_count(min(total, first_count + 50 * clicks))
    assert clicks == 2
    expect(entries).to_have_count(total)
    expect(entries.nth(69)).to_contain_text("Catatan ke-0")
    expect(entries.last).to_contain_text("diterima")  # the report itself, oldest
    expect(page.locator(".history-count")).to_be_hidden()
