"""Our X-Twilio-Signature check (chalicelib/channels/twilio_signature.py), held to
Twilio's own test vectors and cross-checked against the ``twilio`` package
(a dev-only dependency: the Lambda package no longer carries it) on random requests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from chalicelib.channels import twilio_signature as ts
from chalicelib.channels.base import InboundRequest, SignatureRejected
from chalicelib.channels.twilio_sms import TwilioAdapter, TwilioSignatureRejected
from chalicelib.config import DEV_SECRETS, Settings
from chalicelib.domain.channels import Channel
from tests.support import providers

BASE = "https://crm.example/api"
SETTINGS = Settings(
    stage="local",
    region="ap-southeast-3",
    cases_table="t",
    photos_bucket="b",
    events_topic_arn=None,
    public_base_url=BASE,
    photo_url_ttl_seconds=60,
    webhook_max_skew_seconds=300,
)
NOW = datetime.now(UTC)

# --- Twilio's published vectors ---------------------------------------------------------
# Facts from twilio-python's tests/unit/test_request_validator.py (the URL, the
# parameters, the Auth Token and the signatures Twilio expects for them).
TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
    "Caller": "+14158675309",
}
EXPECTED = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
BODY = '{"property": "value", "boolean": true}'
BODY_HASH = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
BODY_SIGNATURE = "a9nBmqA0ju/hNViExpshrM61xv4="
DUPLICATES = {"Sid": "CA123", "SidAccount": "AC123", "Digits": ["5678", "1234", "1234"]}
DUPLICATES_EXPECTED = "IK+Dwps556ElfBT0I3Rgjkr1wJU="

# Twilio publishes no HMAC_SHA256 vector; these were computed once with the
# twilio package 9.13.0 (RequestValidator.compute_signature(..., "HMAC_SHA256")).
EXPECTED_SHA256 = "033hgUJA9M/hXIZsYjwkerEP/DBm35nEri5FhCYjA5s="
EXPECTED_SHA256_PORT_443 = "grxRoa/VNtXxd524NGLxIdev83nh23xhrRUVm50Umq4="
BODY_SIGNATURE_SHA256 = "+UOCWf84gdgo/5Hpg4m5/EgKnJA2/TbOw5sPNVr3bPk="


def test_twilio_vectors_signature_and_body_hash():
    assert ts.signature(TOKEN, URL, PARAMS) == EXPECTED
    assert ts.body_hash(BODY) == BODY_HASH
    assert ts.body_hash(BODY.encode()) == BODY_HASH


def test_twilio_vectors_repeated_parameters_sorted_and_deduplicated():
    assert ts.signature(TOKEN, URL, DUPLICATES) == DUPLICATES_EXPECTED
    shuffled = {"Digits": ("1234", "5678"), "SidAccount": ["AC123"], "Sid": "CA123"}
    assert ts.signature(TOKEN, URL, shuffled) == DUPLICATES_EXPECTED


def test_twilio_vectors_validation():
    assert ts.is_valid(TOKEN, URL, PARAMS, EXPECTED)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (URL.replace(".com", ".com:1234"), EXPECTED),  # https: the port removed
        (URL.replace(".com", ".com:1234").replace("https", "http"), "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),  # http :1234
        (URL, "kvajT1Ptam85bY51eRf/AJRuM3w="),  # https: :443 added
        (URL.replace("https", "http"), "0ZXoZLH/DfblKGATFgpif+LLRf4="),  # http: :80 added
    ],
    ids=["removes-port-https", "removes-port-http", "adds-port-https", "adds-port-http"],
)
def test_twilio_vectors_with_and_without_port(url, expected):
    assert ts.is_valid(TOKEN, url, PARAMS, expected)


def test_twilio_vectors_json_body_signed_through_its_hash():
    url = URL + "&bodySHA256=" + BODY_HASH
    assert ts.is_valid(TOKEN, url, BODY, BODY_SIGNATURE)
    assert ts.is_valid(TOKEN, url, BODY.encode(), BODY_SIGNATURE)
    assert not ts.is_valid(TOKEN, url, BODY.replace("value", "other"), BODY_SIGNATURE)  # hash no longer matches
    assert not ts.is_valid(TOKEN, URL, BODY, BODY_SIGNATURE)  # a raw body without bodySHA256 is never signed


def test_hmac_sha256_signatures():
    assert ts.signature(TOKEN, URL, PARAMS, ts.HMAC_SHA256) == EXPECTED_SHA256
    assert ts.is_valid(TOKEN, URL, PARAMS, EXPECTED_SHA256, "HMAC_SHA256")
    assert ts.is_valid(TOKEN, URL, PARAMS, EXPECTED_SHA256_PORT_443, "hmac_sha256")  # case as Twilio's is ignored
    assert ts.is_valid(TOKEN, URL + "&bodySHA256=" + BODY_HASH, BODY, BODY_SIGNATURE_SHA256, ts.HMAC_SHA256)
    assert not ts.is_valid(TOKEN, URL, PARAMS, EXPECTED, ts.HMAC_SHA256)  # a SHA-1 signature is not a SHA-256 one
    assert not ts.is_valid(TOKEN, URL, PARAMS, EXPECTED_SHA256)  # nor the other way round


def test_what_does_not_sign_the_request():
    assert not ts.is_valid("54321", URL, PARAMS, EXPECTED)
    assert not ts.is_valid(TOKEN, URL, {**PARAMS, "Digits": "1235"}, EXPECTED)
    assert not ts.is_valid(TOKEN, URL, {**PARAMS, "Extra": ""}, EXPECTED)
    assert not ts.is_valid(TOKEN, URL.replace("myapp", "other"), PARAMS, EXPECTED)
    assert not ts.is_valid(TOKEN, URL, PARAMS, EXPECTED[:-1])
    assert not ts.is_valid(TOKEN, URL, PARAMS, "")
    assert not ts.is_valid(TOKEN, URL, PARAMS, "ünïcode\udcff")
    assert not ts.is_valid(TOKEN, URL, PARAMS, EXPECTED, "HMAC_MD5")
    assert not ts.is_valid(TOKEN, "https://mycompany.com:99999/myapp.php", PARAMS, EXPECTED)  # no such port
    with pytest.raises(ValueError, match="unsupported"):
        ts.signature(TOKEN, URL, PARAMS, "HMAC_MD5")


def test_a_semicolon_in_the_path_is_kept():
    url = "https://crm.example/api/webhooks/sms_1708;"
    assert ts.url_variants(url) == (url, "https://crm.example:443/api/webhooks/sms_1708;")
    assert ts.is_valid(TOKEN, url, PARAMS, ts.signature(TOKEN, url, PARAMS))
    assert not ts.is_valid(TOKEN, url, PARAMS, ts.signature(TOKEN, url[:-1], PARAMS))


@pytest.mark.parametrize(
    ("header", "algorithm"),
    [
        (None, ts.HMAC_SHA1),
        ("", ts.HMAC_SHA1),
        ("key=webhooks_sharedkey_1", ts.HMAC_SHA1),
        ("key=webhooks_sharedkey_1,algorithm=HMAC_SHA256", ts.HMAC_SHA256),
        (" algorithm = HMAC_SHA256 , key=k", ts.HMAC_SHA256),
        ("algorithm=", ts.HMAC_SHA1),
        ("algorithm=HMAC_MD5", "HMAC_MD5"),
    ],
)
def test_the_algorithm_named_in_the_settings_header(header, algorithm):
    from twilio.request_validator import get_signature_algorithm

    assert ts.algorithm_named(header) == algorithm == get_signature_algorithm(header or "")


# --- the same answers as the twilio package, on random requests ----------------------------

_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
# No ";" in paths: the package re-assembles the URL with urlparse/urlunparse, which drops
# an empty ";" parameter part ("/a;" -> "/a"), so it checks a URL Twilio never requested.
# We sign the URL as given (test_a_semicolon_in_the_path_is_kept).
_safe = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="/?#@:[]%;"), min_size=1)
_urls = st.builds(
    lambda scheme, host, port, path, query: (
        f"{scheme}://{host}{'' if port is None else f':{port}'}/{'/'.join(path)}{'?' + query if query else ''}"
    ),
    st.sampled_from(["https", "http", "HTTPS"]),
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z]{2,6}){1,2}", fullmatch=True),
    st.none() | st.integers(1, 65535),
    st.lists(_safe, max_size=3),
    st.none() | st.sampled_from(["foo=1&bar=2", "a=b", "x=%20y&x=z"]),
)
_params = st.dictionaries(_text, _text, max_size=6)
_algorithms = st.sampled_from([None, "HMAC_SHA1", "HMAC_SHA256", "hmac_sha256", "HMAC_SHA512"])


class _Repeated(dict):
    """Repeated parameters as the twilio package reads them (a MultiDict's getall)."""

    def getall(self, name):
        return list(self[name])


@settings(max_examples=300, deadline=None)
@given(token=_text, url=_urls, params=_params, algorithm=_algorithms)
def test_signatures_match_the_twilio_package(token, url, params, algorithm):
    theirs = RequestValidator(token)
    if not ts.supported(algorithm):
        assert not ts.is_valid(token, url, params, "x", algorithm)
        assert not theirs.validate(url, params, "x", algorithm)
        return
    ours = ts.signature(token, url, params, algorithm)
    assert ours == theirs.compute_signature(url, params, algorithm)
    for variant in ts.url_variants(url):  # signed with the port, without it, or as given
        signed = theirs.compute_signature(variant, params, algorithm)
        assert ts.is_valid(token, url, params, signed, algorithm) is theirs.validate(url, params, signed, algorithm)
        assert ts.is_valid(token, url, params, signed, algorithm)


@settings(max_examples=200, deadline=None)
@given(
    token=_text,
    url=_urls,
    params=st.dictionaries(_text, st.lists(_text, min_size=1, max_size=3), max_size=4),
    algorithm=_algorithms.filter(ts.supported),
    other=st.text(max_size=30),
)
def test_repeated_parameters_and_wrong_signatures_match_the_twilio_package(token, url, params, algorithm, other):
    theirs = RequestValidator(token)
    signed = theirs.compute_signature(url, _Repeated(params), algorithm)
    assert ts.signature(token, url, params, algorithm) == signed
    for given_signature in (signed, other, signed[:-2] + "AA"):
        expected = theirs.validate(url, _Repeated(params), given_signature, algorithm)
        assert ts.is_valid(token, url, params, given_signature, algorithm) is expected


@settings(max_examples=200, deadline=None)
@given(token=_text, url=_urls, body=st.text(max_size=200), tampered=st.booleans(), algorithm=_algorithms)
def test_json_bodies_match_the_twilio_package(token, url, body, tampered, algorithm):
    theirs = RequestValidator(token)
    url += ("&" if "?" in url else "?") + "bodySHA256=" + ts.body_hash(body)
    sent = body + "x" if tampered else body
    requested = ts.url_variants(url)[0]  # as Twilio writes it: "HTTPS://" signs as "https://"
    signed = ts.signature(token, requested, None, algorithm) if ts.supported(algorithm) else "x"
    expected = theirs.validate(url, sent, signed, algorithm)
    assert ts.is_valid(token, url, sent, signed, algorithm) is expected
    assert expected is (ts.supported(algorithm) and not tampered)


# --- through the SMS adapter ---------------------------------------------------------------

sms = TwilioAdapter(Channel.SMS_1708)


def _delivery(algorithm=None, settings_header=None, token=None):
    params = providers.twilio_form()
    path, body, headers = providers.twilio_request(BASE, "sms_1708", params)
    secret = token or DEV_SECRETS["TWILIO_AUTH_TOKEN"]
    headers["X-Twilio-Signature"] = ts.signature(secret, BASE + path, params, algorithm)
    if settings_header:
        headers["X-Twilio-Webhooks-Signature-Settings"] = settings_header
    return InboundRequest("POST", path, {k.lower(): v for k, v in headers.items()}, {}, body, NOW)


def test_the_adapter_checks_sha256_signatures_named_in_the_settings_header():
    sms.verify(_delivery(), SETTINGS)
    sms.verify(_delivery(ts.HMAC_SHA256, "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"), SETTINGS)
    with pytest.raises(SignatureRejected):  # signed with SHA-256, but the header does not say so
        sms.verify(_delivery(ts.HMAC_SHA256), SETTINGS)
    with pytest.raises(SignatureRejected):  # signed with SHA-1, the header says SHA-256
        sms.verify(_delivery(None, "algorithm=HMAC_SHA256"), SETTINGS)


def test_the_adapter_refuses_an_algorithm_it_cannot_check_with_403():
    with pytest.raises(TwilioSignatureRejected, match="HMAC_SHA1 or HMAC_SHA256") as refused:
        sms.verify(_delivery(None, "key=k,algorithm=HMAC_MD5"), SETTINGS)
    assert refused.value.status == 403
