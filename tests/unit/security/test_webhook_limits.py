"""Before anything is parsed or verified: the channel must exist (404), the
body fit (413) and its content type be the channel's (415). Signatures are
compared in constant time. Per channel (tests/support/webhooks.py)."""

import ast
import hmac
import re
from pathlib import Path

import pytest

from chalicelib.api.http import MAX_BODY_BYTES
from chalicelib.channels.registry import adapter_for, webhook_channels
from tests.support.webhooks import PROFILES, Delivery, Report, send

ROOT = Path(__file__).resolve().parents[3]


def test_every_webhook_channel_has_a_profile_for_the_suites():
    assert set(webhook_channels()) == set(PROFILES), "add a WebhookProfile in tests/support/webhooks.py"


def concrete_adapters(channel):
    """The channel's adapter, or the providers' adapters a two-format URL picks from."""
    adapter = adapter_for(channel)
    if not hasattr(adapter, "for_request"):
        return [adapter]
    return [part for part in vars(adapter).values() if hasattr(part, "verify") and hasattr(part, "parse")]


@pytest.fixture
def untouched(monkeypatch):
    """Fail the test if any channel adapter verifies or parses the request."""
    touched = []
    for channel in webhook_channels():
        for adapter in concrete_adapters(channel):
            monkeypatch.setattr(adapter, "verify", lambda *a, channel=channel, **k: touched.append((channel, "verify")))
            monkeypatch.setattr(adapter, "parse", lambda *a, channel=channel, **k: touched.append((channel, "parse")))
    return touched


@pytest.mark.parametrize("channel", list(PROFILES))
def test_an_oversized_body_is_413_before_verifying_or_parsing(app_client, untouched, channel):
    profile = PROFILES[channel]
    raw = b"{" + b" " * MAX_BODY_BYTES + b"}"
    answer = send(app_client, profile.signed(raw))
    assert answer.status == 413 and answer.json()["error"]["code"] == "payload_too_large"
    assert untouched == []


@pytest.mark.parametrize("channel", list(PROFILES))
def test_a_body_of_exactly_the_limit_gets_past_the_size_check(app_client, channel):
    profile = PROFILES[channel]
    raw = b" " * MAX_BODY_BYTES
    answer = send(app_client, Delivery(profile.path, {"Content-Type": profile.content_type}, raw))
    assert answer.status == profile.refused_status  # reached the signature check, which it fails


WRONG_TYPES = [
    "text/plain",
    "application/xml",
    "multipart/form-data; boundary=x",
    "application/x-www-form-urlencoded",
    "application/jsonx",
    "image/jpeg",
    None,
]


@pytest.mark.parametrize("channel", list(PROFILES))
@pytest.mark.parametrize("content_type", WRONG_TYPES)
def test_a_wrong_content_type_is_415_before_verifying_or_parsing(app_client, untouched, channel, content_type):
    profile = PROFILES[channel]
    if content_type is not None and content_type.split(";")[0] in adapter_for(channel).content_types:
        pytest.skip("this channel takes that type")
    delivery = profile.delivery(Report("LIMITS-1"))
    headers = {k: v for k, v in delivery.headers.items() if k != "Content-Type"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    answer = send(app_client, Delivery(delivery.path, headers, delivery.body))
    assert answer.status == 415 and answer.json()["error"]["code"] == "unsupported_media_type"
    assert untouched == []


@pytest.mark.parametrize("channel", list(PROFILES))
def test_the_content_type_check_ignores_case_and_parameters(app_client, channel):
    profile = PROFILES[channel]
    delivery = profile.delivery(Report("LIMITS-2"))
    content_type = profile.content_type.upper() + "; charset=UTF-8"
    answer = send(
        app_client, Delivery(delivery.path, {**delivery.headers, "Content-Type": content_type}, delivery.body)
    )
    assert answer.status == profile.created_status


def test_an_unknown_channel_is_404_before_anything_else(app_client, untouched):
    answer = send(app_client, Delivery("/webhooks/pigeon", {"Content-Type": "text/plain"}, b"x" * 100))
    assert answer.status == 404 and answer.json()["error"]["code"] == "unknown_channel"


@pytest.mark.parametrize("channel", list(PROFILES))
def test_a_bad_signature_is_refused_before_the_body_is_parsed(app_client, monkeypatch, channel):
    profile = PROFILES[channel]
    parsed = []
    for adapter in concrete_adapters(channel):
        monkeypatch.setattr(adapter, "parse", lambda *a, **k: parsed.append(1))
    forged = profile.tamperings[0].make(profile.signed(b"{not json"), profile)
    assert send(app_client, forged).status == profile.refused_status
    assert parsed == []


@pytest.mark.parametrize("channel", list(PROFILES))
def test_signatures_are_compared_in_constant_time(app_client, monkeypatch, channel):
    compared = []
    real = hmac.compare_digest

    def spy(a, b):
        compared.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    profile = PROFILES[channel]
    forged = next(t for t in profile.tamperings if t.name == "forged")
    assert send(app_client, forged.make(profile.delivery(Report("CT-1")), profile)).status == profile.refused_status
    assert compared, f"{channel}: the signature was not compared in constant time"
    assert send(app_client, profile.delivery(Report("CT-2"))).status == profile.created_status
    assert len(compared) >= 2


SECRET_NAME = re.compile(r"signature|digest|hmac|secret|mac\b|expected|given", re.IGNORECASE)


def _names(node):
    return [
        n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(node) if isinstance(n, (ast.Name, ast.Attribute))
    ]


def test_no_channel_code_compares_secrets_with_equality():
    offenders = []
    for path in sorted((ROOT / "chalicelib" / "channels").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare) and any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops):
                operands = [node.left, *node.comparators]
                if any(SECRET_NAME.search(name) for operand in operands for name in _names(operand)):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == [], f"use hmac.compare_digest: {offenders}"
