"""A partner's signed report, over HTTP, into DynamoDB on the moto server."""

import base64
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from chalicelib.domain import tracking
from tests.integration.conftest import partner_body, post_report, signed_headers, unique
from tests.support.images import jpeg_with_metadata, metadata_leaks


def stored_item(stack, aws, code):
    response = aws("dynamodb").get_item(
        TableName=stack.env["CASES_TABLE"], Key={"PK": {"S": f"CASE#{code}"}, "SK": {"S": "CASE"}}
    )
    return response.get("Item")


def cases_for(stack, aws, source_key):
    pages = (
        aws("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=stack.env["CASES_TABLE"],
            FilterExpression="source_key = :s",
            ExpressionAttributeValues={":s": {"S": source_key}},
        )
    )
    return [item for page in pages for item in page["Items"]]


def error_of(response):
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()["error"]


def test_a_signed_report_gets_a_tracking_code(stack, aws):
    response = post_report(stack, partner_body())
    assert response.status_code == 201, response.text
    answer = response.json()
    assert tracking.is_valid(answer["tracking_code"])
    assert answer["status_url"] == f"{stack.api_url}/status/{answer['tracking_code']}"
    item = stored_item(stack, aws, answer["tracking_code"])
    assert item["status"]["S"] == "received"
    assert item["outbox"]["L"][0]["M"]["type"]["S"] == "case.received"


def test_qlue_uses_the_same_contract_with_its_own_secret(stack):
    body = partner_body(unique("QLUE"))
    assert post_report(stack, body, channel="qlue").status_code == 201
    raw = json.dumps(partner_body(unique("QLUE"))).encode()
    forged = requests.post(f"{stack.api_url}/webhooks/qlue", data=raw, headers=signed_headers(raw, "jaki"), timeout=10)
    assert forged.status_code == 401


def test_a_retry_gets_the_same_code_and_no_second_case(stack, aws):
    body = partner_body()
    first = post_report(stack, body)
    second = post_report(stack, body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["tracking_code"] == second.json()["tracking_code"]
    assert len(cases_for(stack, aws, f"jaki:{body['report_id']}")) == 1


def test_five_concurrent_deliveries_make_exactly_one_case(stack, aws):
    body = partner_body()
    with ThreadPoolExecutor(5) as pool:
        responses = list(pool.map(lambda _: post_report(stack, body), range(5)))
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    assert len({r.json()["tracking_code"] for r in responses}) == 1
    assert len(cases_for(stack, aws, f"jaki:{body['report_id']}")) == 1


@pytest.mark.parametrize("tamper", ["forged", "missing", "expired", "body"])
def test_bad_signatures_are_refused_and_nothing_is_stored(stack, aws, tamper):
    body = partner_body()
    raw = json.dumps(body).encode()
    headers = signed_headers(raw)
    if tamper == "forged":
        headers["X-CRM-Signature"] = "sha256=" + "0" * 64
    elif tamper == "missing":
        del headers["X-CRM-Signature"]
    elif tamper == "expired":
        headers = signed_headers(raw, timestamp=int(time.time()) - 301)
    else:
        raw = raw.replace(b"garbage", b"water__")
    response = requests.post(f"{stack.api_url}/webhooks/jaki", data=raw, headers=headers, timeout=10)
    assert response.status_code == 401
    assert error_of(response)["code"] in ("invalid_signature", "signature_expired")
    assert cases_for(stack, aws, f"jaki:{body['report_id']}") == []


def test_bad_json_is_400(stack):
    raw = b'{"report_id": "x", '
    response = requests.post(f"{stack.api_url}/webhooks/jaki", data=raw, headers=signed_headers(raw), timeout=10)
    assert response.status_code == 400 and error_of(response)["code"] == "malformed_payload"


def test_invalid_fields_are_422_with_field_level_details(stack):
    response = post_report(stack, partner_body(category="volcano", location={"lat": 200, "lng": 106}))
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_failed"
    fields = {detail["field"] for detail in error["details"]}
    assert {"category", "location.lat"} <= fields


def test_wrong_content_type_is_415(stack):
    raw = json.dumps(partner_body()).encode()
    headers = {**signed_headers(raw), "Content-Type": "text/plain"}
    response = requests.post(f"{stack.api_url}/webhooks/jaki", data=raw, headers=headers, timeout=10)
    assert response.status_code == 415 and error_of(response)["code"] == "unsupported_media_type"


def test_a_body_over_the_cap_is_413_naming_it_and_one_at_the_cap_is_read(stack):
    from chalicelib.api.http import MAX_BODY_BYTES

    def padded(size):
        raw = b'{"pad": "' + b"x" * (size - 11) + b'"}'
        assert len(raw) == size
        return raw

    over = padded(MAX_BODY_BYTES + 1)
    response = requests.post(f"{stack.api_url}/webhooks/jaki", data=over, headers=signed_headers(over), timeout=60)
    error = error_of(response)
    assert response.status_code == 413 and error["code"] == "payload_too_large"
    assert error["max_body_bytes"] == MAX_BODY_BYTES and "4.5 MB" in error["message"]
    at_cap = padded(MAX_BODY_BYTES)
    response = requests.post(f"{stack.api_url}/webhooks/jaki", data=at_cap, headers=signed_headers(at_cap), timeout=60)
    assert response.status_code == 422, response.text[:300]  # read, then refused for its fields


def test_an_unknown_channel_is_404(stack):
    raw = json.dumps(partner_body()).encode()
    response = requests.post(f"{stack.api_url}/webhooks/pigeon", data=raw, headers=signed_headers(raw), timeout=10)
    assert response.status_code == 404 and error_of(response)["code"] == "unknown_channel"


def test_an_anonymous_report_stores_no_identity_at_all(stack, aws):
    body = partner_body(
        reporter={"name": "Siti Rahasia", "phone": "+6281299990000", "email": "rahasia@example.com", "anonymous": True}
    )
    code = post_report(stack, body).json()["tracking_code"]
    item = stored_item(stack, aws, code)
    assert "reporter" not in item
    raw = json.dumps(item)
    for marker in ("Siti Rahasia", "6281299990000", "rahasia@example.com"):
        assert marker not in raw


def test_photos_are_stored_privately_and_served_without_metadata(stack, aws):
    photo = jpeg_with_metadata()
    body = partner_body(photos=[{"content_type": "image/jpeg", "data_base64": base64.b64encode(photo).decode()}])
    code = post_report(stack, body).json()["tracking_code"]

    item = stored_item(stack, aws, code)
    (photo_item,) = item["photos"]["L"]
    original_key = photo_item["M"]["original_key"]["S"]
    original = aws("s3").get_object(Bucket=stack.env["PHOTOS_BUCKET"], Key=original_key)["Body"].read()
    assert original == photo

    status = requests.get(f"{stack.api_url}/status/{code}", timeout=10).json()
    (public_photo,) = status["photos"]
    assert "original" not in json.dumps(status)
    redirect = requests.get(public_photo["url"], allow_redirects=False, timeout=10)
    assert redirect.status_code == 302
    served = requests.get(redirect.headers["Location"], timeout=10)
    assert served.status_code == 200
    assert served.content != photo
    assert metadata_leaks(served.content) == []


def test_an_image_that_is_not_one_is_422(stack):
    fake = base64.b64encode(b"<?php echo 'hi'; ?>").decode()
    response = post_report(stack, partner_body(photos=[{"content_type": "image/jpeg", "data_base64": fake}]))
    assert response.status_code == 422
    assert error_of(response)["details"][0]["field"] == "photos.0"
