"""The Balai Warga form and its JSON API, over HTTP through `chalice local`."""

import json
import re

import requests

from tests.support.images import jpeg_with_metadata


def form_token(html):
    return re.search(r'name="submission_id" value="([^"]+)"', html).group(1)


def test_the_form_is_complete_html_with_a_strict_policy(stack):
    response = requests.get(f"{stack.api_url}/report", timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self';" in policy and "form-action 'self'" in policy
    assert "unsafe-inline" not in policy and "style-src 'self';" in policy
    html = response.text
    assert '<html lang="id">' in html and 'name="viewport"' in html
    # Scripts only enhance it (the map): from this origin, none inline; the form works without them.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="static/' in attrs or 'type="application/json"' in attrs for attrs, _ in scripts)
    assert "<style" not in html and ' style="' not in html
    assert '<form method="post" action="" enctype="multipart/form-data"' in html
    for field in ("category", "description", "address", "lat", "lng", "photo", "name", "phone", "email", "anonymous"):
        assert f'<label for="{field}"' in html or f'for="{field}"' in html, field
        assert f'id="{field}"' in html
    english = requests.get(f"{stack.api_url}/report?lang=en", timeout=10).text
    assert '<html lang="en">' in english and "Send report" in english
    assert response.headers["Cache-Control"] == "no-store"


def test_a_form_post_with_a_photo_makes_one_case_even_when_sent_twice(stack):
    token = form_token(requests.get(f"{stack.api_url}/report", timeout=10).text)
    fields = {
        "submission_id": token,
        "lang": "id",
        "category": "garbage",
        "description": "Sampah menumpuk di depan sekolah",
        "address": "Jl. Kramat Raya",
        "lat": "-6.19",
        "lng": "106.84",
        "email": "warga@example.com",
    }
    files = {"photo": ("foto.jpg", jpeg_with_metadata(), "image/jpeg")}
    first = requests.post(f"{stack.api_url}/report", data=fields, files=files, timeout=30)
    assert first.status_code == 201, first.text[:500]
    code = re.search(r'<p class="code">([^<]+)</p>', first.text).group(1)
    again = requests.post(f"{stack.api_url}/report", data=fields, files=files, timeout=30)
    assert again.status_code == 200 and code in again.text
    status = requests.get(f"{stack.api_url}/status/{code}", timeout=10).json()
    assert status["channel"] == "balai_warga" and len(status["photos"]) == 1
    assert "warga@example.com" not in json.dumps(status)


def test_form_errors_come_back_on_the_form(stack):
    token = form_token(requests.get(f"{stack.api_url}/report?lang=en", timeout=10).text)
    response = requests.post(
        f"{stack.api_url}/report",
        timeout=10,
        data={"submission_id": token, "lang": "en", "category": "volcano", "description": "", "lat": "x", "lng": "1"},
    )
    assert response.status_code == 422 and 'role="alert"' in response.text
    assert "category" in response.text and token in response.text


def test_photos_over_the_body_cap_get_the_form_again_saying_so(stack):
    from chalicelib.api.http import MAX_BODY_BYTES

    token = form_token(requests.get(f"{stack.api_url}/report?lang=en", timeout=10).text)
    files = {"photo": ("big.jpg", b"\xff\xd8" + b"\0" * MAX_BODY_BYTES, "image/jpeg")}
    response = requests.post(
        f"{stack.api_url}/report?lang=en",
        timeout=60,
        files=files,
        data={"submission_id": token, "lang": "en", "category": "garbage"},
    )
    assert response.status_code == 413 and response.headers["Content-Type"].startswith("text/html")
    assert 'role="alert"' in response.text and "at most 4 MB together" in response.text


def test_the_json_api_has_the_same_rules(stack):
    body = {
        "category": "damaged_road",
        "description": "Jalan berlubang",
        "submission_id": "json-" + "x" * 20,
        "location": {"lat": -6.2, "lng": 106.8},
        "reporter": {"anonymous": True, "email": "a@example.com"},
    }
    first = requests.post(f"{stack.api_url}/reports", json=body, timeout=10)
    again = requests.post(f"{stack.api_url}/reports", json=body, timeout=10)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["tracking_code"] == again.json()["tracking_code"]
    bad = requests.post(f"{stack.api_url}/reports", json={**body, "category": "volcano"}, timeout=10)
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "category"
    assert (
        requests.post(
            f"{stack.api_url}/reports", data=b"{", timeout=10, headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )
