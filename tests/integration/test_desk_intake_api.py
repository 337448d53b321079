"""POST /officer/intake on the moto server: walk-in reports recorded at a desk go
through the same intake as every channel, once per form however often it is sent."""

from __future__ import annotations

import secrets
import threading

import requests

from tests.support.images import jpeg_with_metadata

FORM = {
    "category": "garbage",
    "description": "Warga melapor sampah menumpuk di depan kantor kelurahan.",
    "location": {"address": "Jl. Medan Merdeka Timur", "lat": -6.1767, "lng": 106.8306},
    "anonymous": False,
    "reporter": {"name": "Pak Joko", "phone": "0812-9876-5432"},
}


def key() -> str:
    return secrets.token_hex(16)


def intake(stack, headers, body, **kwargs):
    return requests.post(f"{stack.api_url}/officer/intake", json=body, headers=headers, timeout=30, **kwargs)


def test_a_walk_in_report_gets_a_tracking_code_and_is_routed(stack, runner, officers):
    answer = intake(stack, officers["intake"], {**FORM, "idempotency_key": key()})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["created"] is True and body["channel"] == "kelurahan"
    assert body["track_url"].endswith(f"/track?code={body['tracking_code']}")
    runner.drain()
    case = requests.get(
        f"{stack.api_url}/officer/cases/{body['tracking_code']}", headers=officers["dinas_lh"], timeout=10
    ).json()
    assert case["channel"] == "kelurahan" and case["agency"]["id"] == "dinas-lh"
    assert case["reporter"] == {"name": "Pak Joko", "phone": "+6281298765432"}
    public = requests.get(body["status_url"], timeout=10).json()
    assert public["timeline"][0]["text"] == "Laporan diterima melalui Kantor Kelurahan."
    assert "Joko" not in str(public)


def test_sending_the_same_form_again_returns_the_same_case(stack, officers):
    form = {**FORM, "idempotency_key": key()}
    first = intake(stack, officers["intake"], form)
    again = intake(stack, officers["intake"], form)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["tracking_code"] == first.json()["tracking_code"] and again.json()["created"] is False


def test_a_double_click_opens_one_case(stack, officers):
    form, barrier, answers = {**FORM, "idempotency_key": key()}, threading.Barrier(4), []

    def send():
        barrier.wait()
        answers.append(intake(stack, officers["intake"], form))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201]
    assert len({a.json()["tracking_code"] for a in answers}) == 1


def test_the_idempotency_key_may_come_as_a_header(stack, officers):
    header_key = key()
    headers = {**officers["intake"], "Idempotency-Key": header_key}
    first = intake(stack, headers, FORM)
    again = intake(stack, headers, {**FORM, "idempotency_key": header_key})
    assert first.status_code == 201 and again.json()["tracking_code"] == first.json()["tracking_code"]
    clash = intake(stack, headers, {**FORM, "idempotency_key": key()})
    assert clash.status_code == 422 and clash.json()["error"]["details"][0]["field"] == "idempotency_key"


def test_an_anonymous_walk_in_keeps_no_contact(stack, runner, officers):
    body = {
        **FORM,
        "idempotency_key": key(),
        "anonymous": True,
        "reporter": {"name": "Tidak disimpan", "phone": "+6281234567890"},
    }
    code = intake(stack, officers["intake"], body).json()["tracking_code"]
    runner.drain()
    case = requests.get(f"{stack.api_url}/officer/cases/{code}", headers=officers["dinas_lh"], timeout=10).json()
    assert case["anonymous"] is True and case["reporter"] is None


def test_an_address_without_coordinates_stays_in_the_report(stack, runner, officers):
    body = {**FORM, "idempotency_key": key(), "location": {"address": "Gang Kelinci, RT 03/RW 05"}}
    code = intake(stack, officers["intake"], body).json()["tracking_code"]
    case = requests.get(f"{stack.api_url}/officer/cases/{code}", headers=officers["supervisor"], timeout=10).json()
    assert case["location"] is None and case["description"].endswith("Lokasi: Gang Kelinci, RT 03/RW 05")


def test_the_desk_channel_must_be_the_officers_own(stack, officers):
    wrong = intake(stack, officers["intake"], {**FORM, "idempotency_key": key(), "channel": "walikota"})
    assert wrong.status_code == 422
    assert wrong.json()["error"]["details"] == [
        {"field": "channel", "message": "your office records reports for: kelurahan"}
    ]
    not_a_desk = intake(stack, officers["intake"], {**FORM, "idempotency_key": key(), "channel": "jaki"})
    assert not_a_desk.status_code == 422
    me = requests.get(f"{stack.api_url}/officer/me", headers=officers["intake"], timeout=10).json()
    assert me["desk_channels"] == [{"id": "kelurahan", "name": "Kantor Kelurahan"}]


def test_only_intake_officers_record_walk_ins(stack, officers):
    for who in ("dinas_lh", "bureau", "supervisor", "admin"):
        answer = intake(stack, officers[who], {**FORM, "idempotency_key": key()})
        assert answer.status_code == 403, who
    assert requests.post(f"{stack.api_url}/officer/intake", json=FORM, timeout=10).status_code == 401


def test_bad_forms_are_422_naming_the_field(stack, officers):
    cases = [
        ({**FORM}, "idempotency_key"),
        ({**FORM, "idempotency_key": "short"}, "idempotency_key"),
        ({**FORM, "idempotency_key": key(), "category": "volcano"}, "category"),
        ({**FORM, "idempotency_key": key(), "description": ""}, "description"),
        ({**FORM, "idempotency_key": key(), "reporter": {"phone": "12"}}, "reporter.phone"),
        ({**FORM, "idempotency_key": key(), "location": {"lat": -6.2}}, "location.lng"),
        ({**FORM, "idempotency_key": key(), "surprise": 1}, "surprise"),
        ({**FORM, "idempotency_key": key(), "upload_keys": ["originals/x"]}, "upload_keys.0"),
    ]
    for body, field in cases:
        answer = intake(stack, officers["intake"], body)
        assert answer.status_code == 422, (field, answer.text)
        assert field in [d["field"] for d in answer.json()["error"]["details"]], (field, answer.text)


def test_photos_come_from_the_officers_own_presigned_uploads(stack, runner, officers, aws):
    grant = requests.post(
        f"{stack.api_url}/officer/uploads", json={"content_type": "image/jpeg"}, headers=officers["intake"], timeout=10
    ).json()
    uploaded = requests.post(
        grant["url"],
        data=grant["fields"],
        files={"file": ("walk-in.jpg", jpeg_with_metadata(), "image/jpeg")},
        timeout=10,
    )
    assert uploaded.status_code in (200, 201, 204)
    body = {**FORM, "idempotency_key": key(), "upload_keys": [grant["key"]]}
    code = intake(stack, officers["intake"], body).json()["tracking_code"]
    public = requests.get(f"{stack.api_url}/status/{code}", timeout=10).json()
    assert [photo["kind"] for photo in public["photos"]] == ["report"]

    # Someone else's upload key is refused.
    other = requests.post(
        f"{stack.api_url}/officer/uploads",
        json={"content_type": "image/jpeg"},
        headers=officers["dinas_lh"],
        timeout=10,
    ).json()
    requests.post(
        other["url"], data=other["fields"], files={"file": ("x.jpg", jpeg_with_metadata(), "image/jpeg")}, timeout=10
    )
    refused = intake(stack, officers["intake"], {**FORM, "idempotency_key": key(), "upload_keys": [other["key"]]})
    assert refused.status_code == 422
    assert refused.json()["error"]["details"] == [{"field": "upload_keys.0", "message": "is not an upload of yours"}]


def test_a_walk_in_reporter_who_left_an_e_mail_gets_the_tracking_code_there(stack, runner, officers, app_env):
    from chalicelib.adapters import aws as aws_clients

    sent = []
    client = aws_clients.client("ses")
    client.meta.events.register("provide-client-params.ses.SendEmail", lambda params, **_: sent.append(params))
    address = f"warga.{secrets.token_hex(4)}@example.com"
    body = {**FORM, "idempotency_key": key(), "reporter": {"name": "Bu Rina", "email": address}}
    code = intake(stack, officers["intake"], body).json()["tracking_code"]
    runner.drain()
    mine = [p for p in sent if p["Destination"]["ToAddresses"] == [address]]
    assert mine and code in mine[0]["Message"]["Subject"]["Data"] and code in mine[0]["Message"]["Body"]["Text"]["Data"]
    anonymous = intake(stack, officers["intake"], {**body, "idempotency_key": key(), "anonymous": True})
    runner.drain()
    assert anonymous.status_code == 201
    assert all(anonymous.json()["tracking_code"] not in p["Message"]["Subject"]["Data"] for p in sent)
