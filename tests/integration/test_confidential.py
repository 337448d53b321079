"""Confidential reports over HTTP against the local stack: planted markers in
confidential cases appear in no public response, the tracking code's holder
gets a minimal view, and officers raise (never lower, unless Bureau) the level."""

import base64
import time
import urllib.parse

import requests

from tests.integration.conftest import partner_body, post_report
from tests.support.images import jpeg_with_metadata
from tests.support.providers import twilio_form, twilio_request


def _markers(tag: str) -> dict[str, str]:
    stamp = time.time_ns()
    return {
        "text": f"Pabrik{tag}{stamp} membuang limbah",
        "address": f"Jl. Rahasia{tag} {stamp}",
        "name": f"Pelapor{tag}{stamp}",
    }


def _public_id(code: str) -> str:
    from chalicelib.config import settings
    from chalicelib.domain import request_ids

    return request_ids.public_id(code, settings().tracking_code_key)


def _public_texts(stack, code: str, public_id: str, photo_ids: list[str]) -> list[str]:
    """Every public answer that could mention the case, as text (no tracking code given)."""
    api = stack.api_url
    answers = [
        requests.get(f"{api}/status/{public_id}", timeout=10),
        requests.get(f"{api}/open311/v2/requests.json", timeout=10),
        requests.get(f"{api}/open311/v2/requests.xml", timeout=10),
        requests.get(f"{api}/open311/v2/requests.json", params={"service_request_id": public_id}, timeout=10),
        requests.get(f"{api}/open311/v2/requests/{public_id}.json", timeout=10),
        requests.get(f"{api}/open311/v2/requests/{code}.json", timeout=10),
        requests.get(f"{api}/metrics/agencies", timeout=10),
        requests.get(f"{api}/track", timeout=10),
        requests.get(f"{api}/performance", timeout=10),
    ]
    for photo_id in photo_ids:
        answers.append(
            requests.get(f"{api}/open311/v2/media/{public_id}/{photo_id}", allow_redirects=False, timeout=10)
        )
        answers.append(requests.get(f"{api}/status/{code}/photos/{photo_id}", allow_redirects=False, timeout=10))
    return [f"{response.status_code} {response.headers.get('Location', '')} {response.text}" for response in answers]


def test_a_confidential_report_leaks_into_no_public_answer(stack, app_env, runner, officers):
    marks = _markers("A")
    photo = {"content_type": "image/jpeg", "data_base64": base64.b64encode(jpeg_with_metadata()).decode()}
    body = partner_body(
        description=marks["text"],
        privacy="confidential",
        photos=[photo],
        location={"lat": -6.1754, "lng": 106.8272, "address": marks["address"]},
        reporter={"name": marks["name"], "phone": "+6281234560001", "anonymous": False},
    )
    created = post_report(stack, body)
    assert created.status_code == 201, created.text
    code = created.json()["tracking_code"]
    runner.drain()  # routing, metrics, notifications: every worker has seen it
    public_id = _public_id(code)

    officer = requests.get(f"{stack.api_url}/officer/cases/{code}", headers=officers["dinas_lh"], timeout=10)
    assert officer.status_code == 200 and officer.json()["privacy"] == "confidential"
    assert officer.json()["description"] == marks["text"]  # officers work it as usual
    photo_ids = [p["id"] for p in officer.json()["photos"]]
    assert photo_ids

    for text in _public_texts(stack, code, public_id, photo_ids):
        # A 404 may echo the id it was asked for; nothing else of the case may appear.
        markers = (*marks.values(),) if text.startswith("404") else (*marks.values(), public_id, code)
        for marker in markers:
            assert marker not in text.split(" ", 1)[1], f"{marker!r} leaked in: {text[:200]}"
    assert requests.get(f"{stack.api_url}/status/{public_id}", timeout=10).status_code == 404
    assert requests.get(f"{stack.api_url}/open311/v2/requests/{public_id}.json", timeout=10).status_code == 404
    assert (
        requests.get(
            f"{stack.api_url}/status/{code}/photos/{photo_ids[0]}", allow_redirects=False, timeout=10
        ).status_code
        == 404
    )

    # The holder of the tracking code sees where it stands, and nothing of what it says.
    holder = requests.get(f"{stack.api_url}/status/{code}", timeout=10)
    assert holder.status_code == 200
    view = holder.json()
    assert view["privacy"] == "confidential" and view["status"] and view["expected_completion"]
    assert view["location"] is None and view["photos"] == [] and view["timeline"] == [] and view["agency"] is None
    assert not any(marker in holder.text for marker in marks.values())


def test_whistleblower_categories_and_the_sms_keyword_are_confidential(stack, app_env):
    regulation = post_report(stack, partner_body(category="ppkm_violation", description="Kerumunan di kantor"))
    assert regulation.status_code == 201
    assert (
        requests.get(f"{stack.api_url}/status/{regulation.json()['tracking_code']}", timeout=10).json()["privacy"]
        == "confidential"
    )

    stamp = time.time_ns()
    params = twilio_form(Body=f"RAHASIA sampah dibuang ke kali oleh pabrik {stamp}")
    path, raw, headers = twilio_request(stack.env["PUBLIC_BASE_URL"], "sms_1708", params)
    answer = requests.post(f"{stack.api_url}{path}", data=raw, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    from chalicelib.config import settings
    from chalicelib.domain import tracking

    code = tracking.derive_code(settings().tracking_code_key, "sms_1708", params["MessageSid"])
    assert code in answer.text  # the reporter still gets the code
    view = requests.get(f"{stack.api_url}/status/{code}", timeout=10).json()
    assert view["privacy"] == "confidential"
    listed = requests.get(f"{stack.api_url}/open311/v2/requests.json", timeout=10).text
    assert str(stamp) not in listed


def test_officers_raise_the_level_and_only_the_bureau_lowers_it(stack, app_env, runner, officers):
    marks = _markers("B")
    body = partner_body(
        description=marks["text"], reporter={"name": marks["name"], "phone": "+6281234560002", "anonymous": False}
    )
    code = post_report(stack, body).json()["tracking_code"]
    runner.drain()
    public_id = _public_id(code)
    assert requests.get(f"{stack.api_url}/status/{public_id}", timeout=10).status_code == 200
    url = f"{stack.api_url}/officer/cases/{code}/privacy"

    missing_reason = requests.post(url, json={"level": "confidential"}, headers=officers["dinas_lh"], timeout=10)
    assert missing_reason.status_code == 422
    unknown = requests.post(url, json={"level": "secret", "reason": "x"}, headers=officers["dinas_lh"], timeout=10)
    assert unknown.status_code == 422
    other_agency = requests.post(
        url, json={"level": "confidential", "reason": "x"}, headers=officers["bina_marga"], timeout=10
    )
    assert other_agency.status_code == 403

    raised = requests.post(
        url,
        json={"level": "confidential", "reason": "Pelapor takut diintimidasi"},
        headers=officers["dinas_lh"],
        timeout=10,
    )
    assert raised.status_code == 200, raised.text
    assert raised.json()["privacy"] == "confidential"
    assert requests.get(f"{stack.api_url}/status/{public_id}", timeout=10).status_code == 404
    listed = requests.get(f"{stack.api_url}/open311/v2/requests.json", timeout=10).text
    assert marks["text"] not in listed and public_id not in listed

    lowered = requests.post(
        url, json={"level": "public", "reason": "salah pilih"}, headers=officers["dinas_lh"], timeout=10
    )
    assert lowered.status_code in (409, 422) and "Bureau" in lowered.text
    assert requests.get(f"{stack.api_url}/status/{public_id}", timeout=10).status_code == 404

    by_bureau = requests.post(
        url,
        json={"level": "anonymous", "reason": "Pelapor setuju dipublikasikan tanpa nama"},
        headers=officers["bureau"],
        timeout=10,
    )
    assert by_bureau.status_code == 200, by_bureau.text
    case = by_bureau.json()
    assert case["privacy"] == "anonymous" and case["reporter"] is None  # the contact is forgotten for good
    assert requests.get(f"{stack.api_url}/status/{public_id}", timeout=10).status_code == 200

    audit = [entry for entry in case["history"] if entry["type"] == "case.privacy_changed"]
    assert [(e["data"]["previous"], e["data"]["level"], e["data"]["actor_role"]) for e in audit] == [
        ("public", "confidential", "agency_officer"),
        ("confidential", "anonymous", "bureau_verifier"),
    ]
    assert all(not e["public"] for e in audit)


def test_the_report_form_has_a_confidential_box(stack):
    page = requests.get(f"{stack.api_url}/report", timeout=10)
    assert 'name="confidential"' in page.text
    token = urllib.parse.quote(f"form{time.time_ns()}")
    sent = requests.post(
        f"{stack.api_url}/reports",
        json={
            "category": "garbage",
            "description": f"Sampah liar {token}",
            "confidential": True,
            "location": {"lat": -6.2, "lng": 106.8},
            "submission_id": token,
        },
        timeout=10,
    )
    assert sent.status_code == 201, sent.text
    code = sent.json()["tracking_code"]
    assert requests.get(f"{stack.api_url}/status/{code}", timeout=10).json()["privacy"] == "confidential"
