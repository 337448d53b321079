"""GET /status answers unknown and malformed codes alike, so it tells a
guesser nothing about which codes exist (guessing itself is limited by the
API Gateway throttling in docs/security.md)."""

import json

import pytest
import requests

from chalicelib.domain import tracking
from tests.support.webhooks import PROFILES, Report, send, unique_id

VOLATILE = {"x-correlation-id", "date", "content-length"}


def shape(response):
    """What a client can compare: status, body without the correlation id, header names."""
    body = response.json()
    body["error"].pop("correlation_id", None)
    headers = {name.lower(): value for name, value in response.headers.items() if name.lower() not in VOLATILE}
    return response.status_code, json.dumps(body, sort_keys=True), tuple(sorted(headers.items()))


def one_typo(code):
    raw = code.replace("-", "")
    swapped = tracking.ALPHABET[(tracking.ALPHABET.index(raw[3]) + 1) % tracking.BASE]
    return raw[:3] + swapped + raw[4:]


@pytest.fixture(scope="module")
def known(stack):
    from tests.support.images import jpeg_with_metadata

    answer = send(
        stack.api_url, PROFILES["jaki"].delivery(Report(unique_id("ORACLE"), photos=(jpeg_with_metadata(40, 30),)))
    )
    return answer.json()["tracking_code"]


def variants(known):
    unknown = [tracking.new_code() for _ in range(3)] + [tracking.new_code().lower().replace("-", "")]
    malformed = [
        one_typo(known),
        known[:-1],
        known + "X",
        "ZZZZZ-ZZZZZ-ZZZZ",
        "not-a-code",
        "🙂" * 14,
        "x" * 300,
        "%00",
        "..%2F..%2Fetc",
        "K7QM4 XPA9R TD2W",
        "-----",
    ]
    return unknown, malformed


def test_unknown_and_malformed_codes_get_the_same_answer(stack, known):
    unknown, malformed = variants(known)
    answers = {code: requests.get(f"{stack.api_url}/status/{code}", timeout=10) for code in unknown + malformed}
    shapes = {shape(response) for response in answers.values()}
    assert len(shapes) == 1, shapes
    ((status, _, _),) = shapes
    assert status == 404


def test_photo_links_of_unknown_malformed_and_known_codes_get_the_same_answer(stack, known):
    unknown, malformed = variants(known)
    paths = [f"/status/{code}/photos/p1" for code in unknown + malformed] + [f"/status/{known}/photos/p9"]
    shapes = {shape(requests.get(stack.api_url + path, timeout=10, allow_redirects=False)) for path in paths}
    assert len(shapes) == 1, shapes
    assert (
        requests.get(f"{stack.api_url}/status/{known}/photos/p1", timeout=10, allow_redirects=False).status_code == 302
    )
