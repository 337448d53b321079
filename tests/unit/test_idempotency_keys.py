"""Client-chosen idempotency keys are bound to the content they were first sent with
(issue 19: a reused Idempotency-Key returned the existing case's tracking code for a
different body)."""

from __future__ import annotations

import base64
import json

import pytest

from chalicelib import bootstrap
from chalicelib.domain.channels import Channel
from chalicelib.domain.idempotency import IdempotencyKeyReused, content_digest
from chalicelib.domain.report import build_report
from chalicelib.services.intake import submit_report
from tests.support.fakes import FakeCaseRepository, FakePhotoStore, FakeRateLimiter, FixedClock
from tests.support.images import jpeg_with_metadata, png_bytes

KEY = b"k" * 32


@pytest.fixture
def app_client(monkeypatch):
    from chalice.test import Client

    import app

    monkeypatch.setenv("CRM_STAGE", "local")
    monkeypatch.delenv("TRACKING_CODE_KEY", raising=False)
    bootstrap.reset()
    cases, photos = FakeCaseRepository(), FakePhotoStore()
    bootstrap.override(cases=cases, photos=photos, limiter=FakeRateLimiter())
    with Client(app.app, stage_name="local") as client:
        yield client, cases, photos


def post(client, body: dict, key: str | None = "client-key-000000001"):
    headers = {"Content-Type": "application/json", **({"Idempotency-Key": key} if key else {})}
    return client.http.post("/reports", body=json.dumps(body), headers=headers)


BODY = {"category": "garbage", "description": "Sampah menumpuk di depan pasar", "reporter": {"phone": "081234567890"}}


def test_same_key_and_same_body_is_the_first_case_again(app_client):
    client, cases, _ = app_client
    first = post(client, BODY)
    again = post(client, dict(reversed(list(BODY.items()))))  # the same content, keys in another order
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json_body["tracking_code"] == first.json_body["tracking_code"]
    assert again.json_body["duplicate"] is True and len(cases.items) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"description": "Jalan berlubang besar"},
        {"category": "damaged_road"},
        {"reporter": {"phone": "081298765432"}},
        {"location": {"lat": -6.1754, "lng": 106.8272}},
        {"confidential": True},
    ],
    ids=["description", "category", "contact", "place", "privacy"],
)
def test_same_key_and_another_body_is_409_without_the_first_cases_code(app_client, change):
    client, cases, _ = app_client
    first = post(client, BODY)
    reused = post(client, {**BODY, **change})
    assert reused.status_code == 409
    error = reused.json_body["error"]
    assert error["code"] == "idempotency_key_reused" and "different content" in error["message"]
    assert first.json_body["tracking_code"] not in reused.body.decode()
    assert len(cases.items) == 1


def test_a_reused_key_with_another_photo_never_overwrites_the_first_cases_photos(app_client):
    client, cases, photos = app_client
    photo = {"content_type": "image/jpeg", "data_base64": base64.b64encode(jpeg_with_metadata()).decode()}
    other = {"content_type": "image/png", "data_base64": base64.b64encode(png_bytes()).decode()}
    assert post(client, {**BODY, "photos": [photo]}).status_code == 201
    stored = dict(photos.objects)
    assert post(client, {**BODY, "photos": [other]}).status_code == 409
    assert photos.objects == stored
    assert post(client, {**BODY, "photos": [photo]}).status_code == 200  # the true retry still answers


def test_a_double_submitted_form_is_one_case_and_an_edited_resubmission_is_refused_with_a_fresh_id(app_client):
    client, cases, _ = app_client
    form = "category=garbage&description=Sampah+menumpuk&submission_id=browser-form-token-01&lang=id"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    first = client.http.post("/report", body=form, headers=headers)
    double = client.http.post("/report", body=form, headers=headers)
    assert (first.status_code, double.status_code) == (201, 200) and len(cases.items) == 1
    edited = client.http.post("/report", body=form.replace("menumpuk", "berserakan"), headers=headers)
    assert edited.status_code == 409 and len(cases.items) == 1
    page = edited.body.decode()
    assert "sudah dikirim sebelumnya" in page and "berserakan" in page  # the fields come back
    assert 'name="submission_id" value="browser-form-token-01"' not in page  # with a new id


def test_provider_message_ids_are_not_bound_to_content():
    """A provider's retry is the same message by definition (and partners may re-send it
    with a field changed): it keeps answering with the first case."""
    cases = FakeCaseRepository()

    def deliver(description: str):
        report = build_report(channel=Channel.JAKI, message_id="JAKI-77", category="garbage", description=description)
        return submit_report(report, cases=cases, photos=FakePhotoStore(), clock=FixedClock(), code_key=KEY)

    assert deliver("Sampah").created and deliver("Sampah menumpuk").tracking_code == deliver("Sampah").tracking_code


def test_desk_forms_bind_their_key_too():
    def desk(description: str):
        report = build_report(
            channel=Channel.KELURAHAN,
            message_id="officer-1:desk-key-0000000001",
            category="garbage",
            description=description,
        )
        return report

    cases = FakeCaseRepository()
    kwargs = {"cases": cases, "photos": FakePhotoStore(), "clock": FixedClock(), "code_key": KEY, "bind_content": True}
    assert submit_report(desk("Sampah"), **kwargs).created
    assert not submit_report(desk("Sampah"), **kwargs).created
    with pytest.raises(IdempotencyKeyReused):
        submit_report(desk("Sampah lain"), **kwargs)


def test_the_digest_is_keyed_and_ignores_only_how_we_answer():
    base = {"channel": Channel.BALAI_WARGA, "message_id": "a" * 16, "category": "garbage", "description": "Sampah"}
    digest = content_digest(build_report(**base), KEY)
    assert digest == content_digest(build_report(**{**base, "message_id": "b" * 16, "language": "en"}), KEY)
    assert digest != content_digest(build_report(**base), b"x" * 32)
    assert digest != content_digest(build_report(**{**base, "anonymous": True}), KEY)
