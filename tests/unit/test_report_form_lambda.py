"""The form upload as API Gateway delivers it to Lambda: multipart/form-data is
a binary media type (app.py), so the body arrives base64-encoded."""

import base64

import pytest

from chalicelib import bootstrap
from tests.support.fakes import FakeCaseRepository, FakePhotoStore, FakeRateLimiter
from tests.support.images import jpeg_with_metadata


@pytest.fixture
def fakes(monkeypatch):
    monkeypatch.setenv("CRM_STAGE", "local")
    cases, photos = FakeCaseRepository(), FakePhotoStore()
    bootstrap.override(cases=cases, photos=photos, limiter=FakeRateLimiter())
    return cases, photos


def api_gateway_event(body: bytes, content_type: str) -> dict:
    return {
        "resource": "/report",
        "path": "/report",
        "httpMethod": "POST",
        "headers": {"Content-Type": content_type, "Accept-Language": "id"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/report",
            "httpMethod": "POST",
            "path": "/api/report",
            "requestId": "req-1",
            "identity": {"sourceIp": "203.0.113.9"},
        },
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }


def test_a_base64_multipart_upload_becomes_a_case_with_its_photo(fakes):
    import app

    assert "multipart/form-data" in app.app.api.binary_types
    boundary = "----crmboundary"
    photo = jpeg_with_metadata()
    parts = [
        ("submission_id", "lambda-submission-0001"),
        ("category", "garbage"),
        ("description", "Sampah di trotoar"),
        ("lang", "id"),
    ]
    body = (
        b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in parts
        )
        + (
            f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="f.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + photo
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = app.app(api_gateway_event(body, f"multipart/form-data; boundary={boundary}"), None)
    assert response["statusCode"] == 201, response["body"][:300]
    cases, photos = fakes
    (item,) = cases.items.values()
    assert item["channel"] == "balai_warga" and len(item["photos"]) == 1
    assert photos.objects[item["photos"][0]["original_key"]] == photo
