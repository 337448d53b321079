import base64
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.channels.base import InboundRequest, MalformedPayload, SignatureExpired, SignatureRejected
from chalicelib.channels.partner import PartnerAdapter
from chalicelib.config import Settings
from chalicelib.domain.channels import Channel
from chalicelib.domain.errors import InvalidReport
from chalicelib.domain.signatures import signature_headers

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
SECRET = "test-secret"
SETTINGS = Settings(
    stage="test",
    region="ap-southeast-3",
    cases_table="t",
    photos_bucket="b",
    events_topic_arn=None,
    public_base_url="https://crm.example",
    photo_url_ttl_seconds=60,
    webhook_max_skew_seconds=300,
)


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    monkeypatch.setenv("JAKI_WEBHOOK_SECRET", SECRET)


def body(**overrides):
    payload = {
        "report_id": "JAKI-20261123-000123",
        "category": "garbage",
        "description": "Sampah menumpuk di trotoar depan pasar",
        "location": {"lat": -6.1754, "lng": 106.8272, "address": "Jl. Medan Merdeka Barat"},
        "reporter": {"name": "Siti", "phone": "+6281234567890", "email": "siti@example.com", "anonymous": False},
        "photos": [],
        "created_at": "2026-11-23T10:00:00+07:00",
    }
    payload.update(overrides)
    return json.dumps(payload).encode()


def request(raw, headers=None, at=NOW):
    return InboundRequest("POST", "/webhooks/jaki", {k.lower(): v for k, v in (headers or {}).items()}, {}, raw, at)


def signed(raw, secret=SECRET, timestamp=None):
    return request(raw, signature_headers(secret, raw, int((timestamp or NOW).timestamp())))


adapter = PartnerAdapter(Channel.JAKI, "JAKI_WEBHOOK_SECRET")


def test_a_correctly_signed_request_is_accepted():
    adapter.verify(signed(body()), SETTINGS)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda h: {k: v for k, v in h.items() if k != "X-CRM-Signature"},
        lambda h: {k: v for k, v in h.items() if k != "X-CRM-Timestamp"},
        lambda h: {**h, "X-CRM-Signature": h["X-CRM-Signature"][:-1] + "0"},
        lambda h: {**h, "X-CRM-Signature": h["X-CRM-Signature"].replace("sha256=", "sha1=")},
        lambda h: {**h, "X-CRM-Signature": "sha256="},
        lambda h: {**h, "X-CRM-Timestamp": "yesterday"},
        lambda h: {**h, "X-CRM-Timestamp": str(int(h["X-CRM-Timestamp"]) + 1)},
    ],
)
def test_forged_or_incomplete_signatures_are_refused(mangle):
    raw = body()
    headers = mangle(signature_headers(SECRET, raw, int(NOW.timestamp())))
    with pytest.raises(SignatureRejected):
        adapter.verify(request(raw, headers), SETTINGS)


def test_a_tampered_body_is_refused():
    raw = body()
    headers = signature_headers(SECRET, raw, int(NOW.timestamp()))
    with pytest.raises(SignatureRejected):
        adapter.verify(request(body(category="water"), headers), SETTINGS)


def test_another_secret_is_refused():
    with pytest.raises(SignatureRejected):
        adapter.verify(signed(body(), secret="someone-else"), SETTINGS)


@pytest.mark.parametrize("skew", [-301, 301, 86400])
def test_timestamps_outside_five_minutes_are_refused(skew):
    raw = body()
    headers = signature_headers(SECRET, raw, int(NOW.timestamp()) + skew)
    with pytest.raises(SignatureExpired):
        adapter.verify(request(raw, headers), SETTINGS)


@pytest.mark.parametrize("skew", [-299, 0, 299])
def test_timestamps_inside_the_window_pass(skew):
    raw = body()
    adapter.verify(request(raw, signature_headers(SECRET, raw, int(NOW.timestamp()) + skew)), SETTINGS)


def test_parse_gives_one_domain_report():
    (report,) = adapter.parse(signed(body()))
    assert report.channel is Channel.JAKI
    assert report.message_id == "JAKI-20261123-000123"
    assert report.reporter.phone == "+6281234567890"
    assert report.location.lng == 106.8272


def test_anonymous_flag_drops_the_contact():
    (report,) = adapter.parse(signed(body(reporter={"name": "Siti", "phone": "+6281234567890", "anonymous": True})))
    assert report.anonymous and report.reporter is None


@pytest.mark.parametrize("raw", [b"{", b"not json", b"\xff\xfe", b"[" * 100000])
def test_bad_json_is_a_malformed_payload(raw):
    with pytest.raises(MalformedPayload):
        adapter.parse(signed(raw))


@pytest.mark.parametrize(
    "payload, field",
    [
        ([], "body"),
        ({"category": "garbage", "description": "x"}, "report_id"),
        (json.loads(body(report_id=123)), "report_id"),
        (json.loads(body(category="volcano")), "category"),
        (json.loads(body(location={"lat": "north", "lng": 1})), "location.lat"),
        (json.loads(body(photos=[{"content_type": "image/jpeg", "data_base64": "!!!"}])), "photos.0.data_base64"),
        (json.loads(body(photos=[{"content_type": "text/html", "data_base64": "AAAA"}])), "photos.0.content_type"),
        (json.loads(body(created_at="yesterday")), "created_at"),
    ],
)
def test_invalid_payloads_name_the_field(payload, field):
    with pytest.raises(InvalidReport) as error:
        adapter.parse(signed(json.dumps(payload).encode()))
    assert field in {f for f, _ in error.value.problems}


def test_photos_are_decoded_from_base64_and_data_urls():
    data = b"\xff\xd8\xff\xe0fake"
    encoded = base64.b64encode(data).decode()
    photos = [
        {"content_type": "image/jpeg", "data_base64": encoded},
        {"content_type": "IMAGE/JPEG", "data_base64": "data:image/jpeg;base64," + encoded},
    ]
    (report,) = adapter.parse(signed(body(photos=photos)))
    assert [p.data for p in report.photos] == [data, data]


def test_reply_has_the_code_and_status_url():
    from chalicelib.domain.case import Case

    (report,) = adapter.parse(signed(body()))
    case = Case.open(report, "4N50G-7M7G1-2X63", NOW)
    from chalicelib.domain.receipts import Receipt

    created = adapter.reply([Receipt(case.tracking_code, True, case)], SETTINGS)
    repeated = adapter.reply([Receipt(case.tracking_code, False, case)], SETTINGS)
    assert created.status == 201 and repeated.status == 200
    assert created.body["tracking_code"] == repeated.body["tracking_code"] == "4N50G-7M7G1-2X63"
    assert created.body["status_url"] == "https://crm.example/status/4N50G-7M7G1-2X63"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=20,
)
fields = st.fixed_dictionaries(
    {},
    optional={
        "report_id": json_values,
        "category": json_values,
        "description": json_values,
        "location": json_values,
        "reporter": json_values,
        "photos": json_values,
        "created_at": json_values,
    },
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(json_values, fields))
def test_arbitrary_bodies_raise_only_our_errors(payload):
    try:
        adapter.parse(signed(json.dumps(payload).encode()))
    except (InvalidReport, MalformedPayload):
        pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_our_errors(raw):
    try:
        adapter.parse(signed(raw))
    except (InvalidReport, MalformedPayload):
        pass
