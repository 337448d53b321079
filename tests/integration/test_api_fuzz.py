"""Schemathesis against the running local stack, from the /openapi.json it serves:
for every operation, generated requests (valid and invalid) must never get a
5xx, and every answer must be one the document describes (status code,
content type, body schema, headers).

Officer and admin operations get a Cognito token of a role that may reach
them; most webhook deliveries are signed as their provider signs them; a share of
generated path ids are replaced by real ones (a seeded case, its photo, an
Open311 request id, a partner key), so the fuzzer gets past 401 and 404 into
the code behind them.

Runtime: FUZZ_EXAMPLES examples per operation (about 60 operations) keeps
this file near two minutes on 2 cores; raise it locally with
CRM_FUZZ_EXAMPLES=200 for a deeper run.
"""

from __future__ import annotations

import base64
import os
import random
import time

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from chalicelib.config import DEV_SECRETS
from chalicelib.domain.signatures import signature_headers
from tests.integration.conftest import partner_body, post_report
from tests.support.images import jpeg_with_metadata

FUZZ_EXAMPLES = int(os.environ.get("CRM_FUZZ_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
REAL_ID_SHARE = 0.5


def _document():
    import app
    from chalicelib.api import openapi

    return openapi.build(app.app, "http://127.0.0.1")  # the server is the stack's, given per call


# Built in-process at collection (pytest parametrizes one test per operation from
# it); test_the_served_document_is_the_one_fuzzed checks the stack serves the same.
DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.config.generation.update(max_examples=FUZZ_EXAMPLES)
# Methods a route does not take get 405 from the app (403 from API Gateway). TRACE and
# QUERY never reach the app locally: chalice local's HTTP server answers them 501 itself.
schema.config.phases.coverage.unexpected_methods = {"get", "put", "post", "delete", "patch", "options"}
SEEDED: dict = {}  # filled by the `seeded` fixture before the first example runs
_chance = random.Random()


def _real(name, generated):
    values = SEEDED.get(name)
    return _chance.choice(values) if values and _chance.random() < REAL_ID_SHARE else generated


@schema.hook
def map_path_parameters(context, path_parameters):
    if not path_parameters:
        return path_parameters
    for name in ("tracking_code", "code"):
        if name in path_parameters:
            path_parameters[name] = _real("codes", path_parameters[name])
    for name, source in (
        ("service_request_id", "request_ids"),
        ("public_id", "request_ids"),  # a report's public page
        ("photo_id", "photo_ids"),
        ("token", "tokens"),
        ("key_id", "spare_key_ids"),
    ):  # revoke the spare key, never the one it posts with
        if name in path_parameters:
            path_parameters[name] = _real(source, path_parameters[name])
    return path_parameters


@schema.hook
def map_query(context, query):
    if query is not None and "api_key" in query:
        query["api_key"] = _real("api_keys", query["api_key"])
    return query


@schema.hook
def map_body(context, body):
    if isinstance(body, dict) and "api_key" in body:
        body["api_key"] = _real("api_keys", body["api_key"])
    return body


@pytest.fixture(scope="module")
def seeded(stack, officers):
    """Real things for the fuzzer to aim at, made through the API like any client would."""
    admin = officers["admin"]
    key = requests.post(
        f"{stack.api_url}/admin/open311/keys", json={"name": "fuzz partner"}, headers=admin, timeout=10
    ).json()
    spare = requests.post(
        f"{stack.api_url}/admin/open311/keys", json={"name": "fuzz spare"}, headers=admin, timeout=10
    ).json()
    photo = {"content_type": "image/jpeg", "data_base64": base64.b64encode(jpeg_with_metadata(64, 48)).decode()}
    codes = [
        post_report(stack, partner_body(photos=[photo] if n == 0 else [])).json()["tracking_code"] for n in range(3)
    ]
    token = f"fuzz-{time.time_ns()}"
    posted = requests.post(
        f"{stack.api_url}/open311/v2/requests.json?extensions=true",
        headers={"Idempotency-Key": token},
        data={
            "api_key": key["api_key"],
            "service_code": "garbage",
            "lat": "-6.2",
            "long": "106.8",
            "description": "fuzz seed",
        },
        timeout=10,
    ).json()[0]
    listed = requests.get(f"{stack.api_url}/open311/v2/requests.json", params={"page_size": "20"}, timeout=10).json()
    edits = requests.get(f"{stack.api_url}/admin/routing-rules", headers=admin, timeout=10).json()["rules"]
    SEEDED.update(
        {
            "codes": [*codes, posted["extended_attributes"]["tracking_code"]],
            "request_ids": [request["service_request_id"] for request in listed] or [posted["service_request_id"]],
            "photo_ids": ["p1"],
            "api_keys": [key["api_key"]],
            "spare_key_ids": [spare["key"]["id"]],
            "tokens": [token],
        }
    )
    yield SEEDED
    SEEDED.clear()
    # The fuzzer may have changed routing rules: put the admins' edits back as they were.
    now = requests.get(f"{stack.api_url}/admin/routing-rules", headers=admin, timeout=10).json()["rules"]
    before = {(rule["category"], rule["area"]): rule for rule in edits if rule["source"] == "admin"}
    for rule in now:
        if rule["source"] == "admin" and (rule["category"], rule["area"]) not in before:
            requests.delete(
                f"{stack.api_url}/admin/routing-rules",
                headers=admin,
                timeout=10,
                params={"category": rule["category"], **({"area": rule["area"]} if rule["area"] else {})},
            )
    for rule in before.values():
        requests.put(
            f"{stack.api_url}/admin/routing-rules",
            headers=admin,
            timeout=10,
            json={"category": rule["category"], "area": rule["area"], "agency_id": rule["agency_id"]},
        )


def test_the_served_document_is_the_one_fuzzed(stack):
    served = requests.get(f"{stack.api_url}/openapi.json", timeout=30).json()
    assert served["servers"] == [{"url": stack.api_url}]
    assert {**served, "servers": DOCUMENT["servers"]} == DOCUMENT


class ProviderSignature(requests.auth.AuthBase):
    """Signs the exact request sent, as each provider does (with the local stage's
    development secrets), so the fuzzer gets past the signature into the parsers."""

    def __init__(self, channel: str, public_base_url: str):
        self.channel, self.base = channel, public_base_url

    def __call__(self, request):
        import base64 as b64
        import hashlib
        import hmac
        from urllib.parse import parse_qsl, urlsplit

        body = request.body or b""
        body = body.encode() if isinstance(body, str) else body
        content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if self.channel in ("jaki", "qlue"):
            secret = DEV_SECRETS[f"{self.channel.upper()}_WEBHOOK_SECRET"]
            request.headers.update(signature_headers(secret, body, int(time.time())))
        elif content_type == "application/x-www-form-urlencoded":  # Twilio (sms_1708, whatsapp)
            from chalicelib.channels.twilio_sms import sign

            parts = urlsplit(request.url)
            url = self.base + parts.path + (f"?{parts.query}" if parts.query else "")
            params = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            request.headers["X-Twilio-Signature"] = sign(DEV_SECRETS["TWILIO_AUTH_TOKEN"], url, params)
        elif self.channel == "x" or (self.channel == "governor_social" and _chance.random() < 0.5):
            digest = hmac.new(DEV_SECRETS["X_CONSUMER_SECRET"].encode(), body, hashlib.sha256).digest()
            request.headers["x-twitter-webhooks-signature"] = "sha256=" + b64.b64encode(digest).decode()
        else:  # Meta: facebook, whatsapp (Cloud API), governor_social
            digest = hmac.new(DEV_SECRETS["META_APP_SECRET"].encode(), body, hashlib.sha256).hexdigest()
            request.headers["X-Hub-Signature-256"] = f"sha256={digest}"
        return request


def role_for(method: str, path: str) -> str:
    """A role that may reach the operation (403 is still a fine answer for the fuzzer)."""
    if path.startswith("/admin/"):
        return "admin"
    if path == "/officer/intake":
        return "intake"
    if method == "GET":
        return "supervisor"
    if path.endswith(("/assign", "/transfer", "/plan/verify", "/plan/return", "/merge", "/reject")):
        return "bureau"
    return "dinas_lh"


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=FUZZ_EXAMPLES)
def test_no_server_errors_and_every_answer_is_documented(case, stack, officers, seeded):
    headers = {}
    if case.operation.definition.raw.get("security") == [{"cognito": []}]:
        headers = dict(officers[role_for(case.method, case.operation.path)])
    extra = {}
    if case.method == "POST" and case.operation.path.startswith("/webhooks/") and _chance.random() < 0.7:
        extra["auth"] = ProviderSignature(case.operation.path.rsplit("/", 1)[1], stack.api_url)
    case.call_and_validate(base_url=stack.api_url, headers=headers, checks=CHECKS, timeout=60, **extra)
