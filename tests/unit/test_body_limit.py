"""The request body cap fits what a Lambda behind API Gateway can receive."""

import base64
import json
from types import SimpleNamespace

import pytest

from chalicelib.api import http

# Everything of the API Gateway event besides the body: headers twice (headers and
# multiValueHeaders, API Gateway allows 10 KB of them), path, query, request context.
EVENT_WITHOUT_BODY = 64 * 1024


def request(body: bytes, content_type: str = "multipart/form-data; boundary=x"):
    return SimpleNamespace(raw_body=body, headers={"content-type": content_type})


def test_a_base64_encoded_body_at_the_cap_still_fits_one_lambda_event():
    encoded = len(base64.b64encode(b"\0" * http.MAX_BODY_BYTES))
    assert encoded + EVENT_WITHOUT_BODY <= http.LAMBDA_REQUEST_LIMIT == 6_291_456
    assert http.MAX_BODY_TEXT == f"{http.MAX_BODY_BYTES / 1_000_000:g} MB"


def test_a_body_at_the_cap_is_read_and_one_byte_more_is_a_413_naming_the_cap():
    at_cap = b"x" * http.MAX_BODY_BYTES
    assert http.read_body(request(at_cap), ("multipart/form-data",)) == at_cap
    with pytest.raises(http.ApiError) as raised:
        http.read_body(request(at_cap + b"x"), ("multipart/form-data",))
    error = raised.value
    assert error.status == 413 and error.code == "payload_too_large"
    assert http.MAX_BODY_TEXT in error.message and str(http.MAX_BODY_BYTES) in error.message
    body = json.loads(http.error_response(error).body)["error"]
    assert body["max_body_bytes"] == http.MAX_BODY_BYTES


def test_the_cap_is_checked_before_the_content_type():
    with pytest.raises(http.ApiError) as raised:
        http.read_body(request(b"x" * (http.MAX_BODY_BYTES + 1), "text/plain"), ("application/json",))
    assert raised.value.status == 413
