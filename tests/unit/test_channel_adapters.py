"""Each provider adapter: signature, handshake, parsing of the provider's own
payload shapes, non-report deliveries, malformed input; and a hypothesis test
per parser (arbitrary bodies raise only our validation errors)."""

import json
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.channels.base import HandshakeRejected, InboundRequest, MalformedPayload, SignatureRejected
from chalicelib.channels.email import parse_email
from chalicelib.channels.governor import GovernorSocialAdapter
from chalicelib.channels.meta_page import MetaPageAdapter
from chalicelib.channels.registry import adapter_for, concrete
from chalicelib.channels.twilio_sms import TwilioAdapter
from chalicelib.channels.web_form import FormInput, read_form, report_from_form, report_from_json
from chalicelib.channels.whatsapp import WhatsAppCloudAdapter
from chalicelib.channels.x import XAdapter, crc_response
from chalicelib.config import DEV_SECRETS, Settings
from chalicelib.domain.channels import Channel
from chalicelib.domain.errors import InvalidReport
from tests.support import providers

NOW = datetime.now(UTC)
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
OUR_ERRORS = (MalformedPayload, InvalidReport)


def request(path, body, headers=None, query=None, method="POST"):
    return InboundRequest(method, path, {k.lower(): v for k, v in (headers or {}).items()}, query or {}, body, NOW)


@pytest.fixture(autouse=True)
def _no_account_filters(monkeypatch):
    for name in ("FACEBOOK_PAGE_ID", "GOVERNOR_PAGE_ID", "X_USER_ID", "GOVERNOR_X_USER_ID"):
        monkeypatch.delenv(name, raising=False)
    for name in DEV_SECRETS:
        monkeypatch.delenv(name, raising=False)


# --- Twilio ----------------------------------------------------------------------------

sms = TwilioAdapter(Channel.SMS_1708)


def twilio(params, channel="sms_1708", token=None):
    path, body, headers = providers.twilio_request(BASE, channel, params, token)
    return request(path, body, headers)


def test_twilio_signature_is_checked_with_the_public_url():
    params = providers.twilio_form()
    sms.verify(twilio(params), SETTINGS)
    with pytest.raises(SignatureRejected):
        sms.verify(twilio(params, token="someone-else"), SETTINGS)
    moved = twilio(params)
    with pytest.raises(SignatureRejected):  # signed for another URL
        sms.verify(InboundRequest("POST", "/webhooks/whatsapp", moved.headers, {}, moved.body, NOW), SETTINGS)
    tampered = twilio(params)
    body = tampered.body.replace(b"Senen", b"Baru")
    with pytest.raises(SignatureRejected):
        sms.verify(InboundRequest("POST", tampered.path, tampered.headers, {}, body, NOW), SETTINGS)
    missing = twilio(params)
    with pytest.raises(SignatureRejected):
        sms.verify(InboundRequest("POST", missing.path, {"content-type": "x"}, {}, missing.body, NOW), SETTINGS)


def test_twilio_sms_becomes_a_report_with_a_reply_handle():
    params = providers.twilio_form(
        NumMedia="1",
        MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
        MediaContentType0="image/jpeg",
    )
    (report,) = sms.parse(twilio(params))
    assert report.channel is Channel.SMS_1708
    assert report.message_id == params["MessageSid"]
    assert report.category == "garbage"
    assert report.reply_handle.kind == "twilio" and report.reply_handle.address == params["From"]
    assert report.reply_handle.via == "1708"
    assert report.reporter.phone == params["From"]
    assert [m.source for m in report.media] == ["twilio"] and report.photos == []
    assert report.conversational


def test_twilio_whatsapp_location_and_status_callbacks():
    params = providers.twilio_form(
        From="whatsapp:+6281234567890", To="whatsapp:+628111272206", Body="", Latitude="-6.1754", Longitude="106.8272"
    )
    (report,) = TwilioAdapter(Channel.WHATSAPP).parse(twilio(params, "whatsapp"))
    assert report.location.lat == -6.1754 and not report.has_text
    assert report.reply_handle.address == "whatsapp:+6281234567890"
    status = {"MessageSid": providers.twilio_sid(), "MessageStatus": "delivered", "AccountSid": "AC1"}
    assert sms.parse(twilio(status)) == []


@pytest.mark.parametrize(
    "change",
    [
        {"MessageSid": "nope"},
        {"From": ""},
        {"NumMedia": "x"},
        {"NumMedia": "1"},
        {"Latitude": "north", "Longitude": "1"},
    ],
)
def test_malformed_twilio_messages(change):
    with pytest.raises(MalformedPayload):
        sms.parse(twilio(providers.twilio_form(**change)))


def test_twiml_reply_carries_the_tracking_code():
    from chalicelib.domain.case import Case
    from chalicelib.domain.receipts import Receipt

    (report,) = sms.parse(twilio(providers.twilio_form()))
    case = Case.open(report, "K7QM4-XPA9R-TD2W", NOW)
    reply = sms.reply([Receipt(case.tracking_code, True, case)], SETTINGS)
    assert reply.content_type.startswith("text/xml")
    assert reply.body.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Message>')
    assert case.tracking_code in reply.body and f"{BASE}/status/{case.tracking_code}" in reply.body
    assert sms.reply([], SETTINGS).body.endswith("<Response></Response>")


# --- Meta: WhatsApp Cloud API ----------------------------------------------------------

cloud = WhatsAppCloudAdapter()


def meta_request(payload, path="/webhooks/whatsapp", secret=None):
    body = providers.dumps(payload)
    return request(path, body, providers.meta_headers(body, secret))


def test_meta_signature():
    signed = meta_request(providers.whatsapp_text())
    cloud.verify(signed, SETTINGS)
    with pytest.raises(SignatureRejected):
        cloud.verify(meta_request(providers.whatsapp_text(), secret="other"), SETTINGS)
    with pytest.raises(SignatureRejected):
        cloud.verify(request(signed.path, signed.body + b" ", dict(signed.headers)), SETTINGS)
    with pytest.raises(SignatureRejected):
        cloud.verify(request(signed.path, signed.body, {}), SETTINGS)


def test_meta_handshake_echoes_the_challenge_only_for_our_token():
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": DEV_SECRETS["META_VERIFY_TOKEN"],
        "hub.challenge": "1158201444",
    }
    reply = cloud.handshake(request("/webhooks/whatsapp", b"", query=query, method="GET"), SETTINGS)
    assert (reply.status, reply.body) == (200, "1158201444") and reply.content_type.startswith("text/plain")
    for bad in ({**query, "hub.verify_token": "guess"}, {**query, "hub.mode": "unsubscribe"}, {}):
        with pytest.raises(HandshakeRejected):
            cloud.handshake(request("/webhooks/whatsapp", b"", query=bad, method="GET"), SETTINGS)


def test_whatsapp_types():
    (text,) = cloud.parse(meta_request(providers.whatsapp_text("There is garbage on the street near the market")))
    assert text.message_id.startswith("wamid.") and text.language == "en"
    assert text.reply_handle.kind == "whatsapp" and text.reply_handle.via == "106540352242922"
    assert text.reporter.name == "Siti"
    (image,) = cloud.parse(
        meta_request(
            providers.whatsapp_message(
                {
                    "type": "image",
                    "image": {"caption": "Sampah", "mime_type": "image/jpeg", "sha256": "x", "id": "1048"},
                }
            )
        )
    )
    assert [(m.source, m.ref) for m in image.media] == [("whatsapp", "1048")]
    (place,) = cloud.parse(
        meta_request(
            providers.whatsapp_message(
                {
                    "type": "location",
                    "location": {"latitude": -6.2, "longitude": 106.8, "name": "Pasar", "address": "Jl. A"},
                }
            )
        )
    )
    assert place.location.address == "Pasar, Jl. A" and not place.has_text
    (doc,) = cloud.parse(
        meta_request(
            providers.whatsapp_message(
                {"type": "document", "document": {"filename": "surat.pdf", "mime_type": "application/pdf", "id": "9"}}
            )
        )
    )
    assert "[dokumen: surat.pdf]" in doc.description and doc.media == []


def test_whatsapp_statuses_and_reactions_are_not_reports():
    assert cloud.parse(meta_request(providers.fixture("whatsapp_status.json"))) == []
    reaction = providers.whatsapp_message({"type": "reaction", "reaction": {"message_id": "wamid.x", "emoji": "x"}})
    assert cloud.parse(meta_request(reaction)) == []


def test_a_whatsapp_batch_gives_one_report_per_message():
    payload = providers.whatsapp_text("Sampah satu")
    second = providers.whatsapp_text("Sampah dua")["entry"][0]["changes"][0]["value"]["messages"][0]
    payload["entry"][0]["changes"][0]["value"]["messages"].append(second)
    payload["entry"].append(providers.whatsapp_text("Sampah tiga")["entry"][0])
    reports = cloud.parse(meta_request(payload))
    assert [r.description for r in reports] == ["Sampah satu", "Sampah dua", "Sampah tiga"]
    assert len({r.message_id for r in reports}) == 3


def test_the_whatsapp_url_takes_twilio_form_posts_too():
    adapter = adapter_for("whatsapp")
    form = twilio(providers.twilio_form(From="whatsapp:+6281234567890"), "whatsapp")
    assert isinstance(concrete(adapter, form), TwilioAdapter)
    assert isinstance(concrete(adapter, meta_request(providers.whatsapp_text())), WhatsAppCloudAdapter)


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"object": "page"},
        {"object": "whatsapp_business_account", "entry": {}},
        {
            "object": "whatsapp_business_account",
            "entry": [{"changes": [{"field": "messages", "value": {"messages": [{"type": "text"}]}}]}],
        },
    ],
)
def test_malformed_whatsapp(payload):
    with pytest.raises(MalformedPayload):
        cloud.parse(meta_request(payload))


# --- Meta: Page (Messenger, feed) ------------------------------------------------------

page = MetaPageAdapter(Channel.FACEBOOK, "FACEBOOK_PAGE_ID")


def test_messenger_message_with_photo_and_location():
    payload = providers.messenger(
        "Sampah di sini",
        sender="6543210987654321",
        attachments=[
            {"type": "image", "payload": {"url": "https://scontent.xx.fbcdn.net/v/photo.jpg"}},
            {"type": "location", "payload": {"coordinates": {"lat": -6.17, "long": 106.82}}},
        ],
    )
    (report,) = page.parse(meta_request(payload, "/webhooks/facebook"))
    assert report.message_id.startswith("m_") and report.reply_handle.kind == "messenger"
    assert report.reply_handle.address == "6543210987654321" and report.reply_handle.via == "112233445566778"
    assert report.media[0].source == "meta_url" and report.location.lng == 106.82
    assert report.reporter is None  # a page-scoped id is no contact; it stays in the reply handle


def test_echoes_reads_and_deliveries_are_not_reports():
    assert page.parse(meta_request(providers.fixture("messenger_echo_and_read.json"), "/webhooks/facebook")) == []


def test_feed_comment_and_the_pages_own_posts(monkeypatch):
    (report,) = page.parse(meta_request(providers.feed_comment(), "/webhooks/facebook"))
    assert report.reply_handle.kind == "meta_comment" and report.category == "street_light"
    assert not report.conversational
    own = providers.feed_comment(author="112233445566778")
    assert page.parse(meta_request(own, "/webhooks/facebook")) == []
    monkeypatch.setenv("FACEBOOK_PAGE_ID", "999")
    assert page.parse(meta_request(providers.feed_comment(), "/webhooks/facebook")) == []


# --- X ---------------------------------------------------------------------------------

xa = XAdapter(Channel.X, "X_USER_ID")


def x_request(payload, secret=None):
    body = providers.dumps(payload)
    return request("/webhooks/x", body, providers.x_headers(body, secret))


def test_x_crc_and_signature():
    reply = xa.handshake(request("/webhooks/x", b"", query={"crc_token": "abc"}, method="GET"), SETTINGS)
    assert reply.body == crc_response(DEV_SECRETS["X_CONSUMER_SECRET"], "abc")
    assert reply.body["response_token"].startswith("sha256=")
    with pytest.raises(MalformedPayload):
        xa.handshake(request("/webhooks/x", b"", method="GET"), SETTINGS)
    xa.verify(x_request(providers.x_mention()), SETTINGS)
    with pytest.raises(SignatureRejected):
        xa.verify(x_request(providers.x_mention(), secret="nope"), SETTINGS)


def test_mentions_and_dms_but_not_our_own_or_retweets():
    (mention,) = xa.parse(x_request(providers.x_mention()))
    assert mention.reply_handle.kind == "x_dm" and mention.reply_handle.address.isdigit()
    assert not mention.conversational
    assert xa.parse(x_request(providers.x_mention(author="1111111111"))) == []
    retweet = providers.x_mention()
    retweet["tweet_create_events"][0]["retweeted_status"] = {"id_str": "1"}
    assert xa.parse(x_request(retweet)) == []
    (dm,) = xa.parse(
        x_request(
            providers.x_dm(
                media={"type": "photo", "url": "https://t.co/abc", "media_url_https": "https://ton.twitter.com/1/x.jpg"}
            )
        )
    )
    assert dm.conversational and dm.media[0].source == "x_url" and dm.category == "illegal_parking"
    assert xa.parse(x_request(providers.x_dm(sender="1111111111"))) == []


def test_governor_social_takes_both_formats():
    governor = GovernorSocialAdapter()
    assert concrete(governor, x_request(providers.x_mention())) is governor.x
    assert concrete(governor, meta_request(providers.messenger(), "/webhooks/governor_social")) is governor.page
    crc = governor.handshake(request("/x", b"", query={"crc_token": "t"}, method="GET"), SETTINGS)
    assert "response_token" in crc.body


# --- e-mail and the web form -----------------------------------------------------------

MAIL = (
    b"From: Siti <siti@example.com>\r\nTo: dki@jakarta.go.id\r\nSubject: Sampah menumpuk\r\n"
    b"Message-ID: <1@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Sampah di Jl. Sabang belum diangkut.\r\n\r\nOn Mon, Nov 23 2026, DKI wrote:\r\n> old text\r\n"
)


def test_email_subject_and_body_sender_as_contact():
    parsed = parse_email(MAIL, "ses-message-1", "dki@jakarta.go.id")
    assert parsed.report.description == "Sampah menumpuk\n\nSampah di Jl. Sabang belum diangkut."
    assert parsed.report.reporter.email == "siti@example.com" and parsed.report.reply_handle.kind == "email"
    assert (
        parse_email(MAIL.replace(b"Subject:", b"Auto-Submitted: auto-replied\r\nSubject:"), "2", "dki@jakarta.go.id")
        is None
    )
    assert parse_email(MAIL.replace(b"siti@example.com", b"dki@jakarta.go.id"), "3", "dki@jakarta.go.id") is None


def _mail_with_body(body: str) -> bytes:
    return MAIL.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n" + body.replace("\n", "\r\n").encode()


@pytest.mark.parametrize(
    "signature",
    [
        "-- \nBudi Santoso\nHP 0812-3456-7890\nbudi@gmail.com",
        "--\nBudi Santoso / HP 0812-3456-7890 / budi@gmail.com",
        "Salam,\nBudi Santoso\nHP 0812-3456-7890\nbudi@gmail.com",
        "Terima kasih.\n\nBudi Santoso / HP 0812-3456-7890 / budi@gmail.com",
        "Hormat saya,\nBudi Santoso\n0812-3456-7890",
        "Regards,\nBudi Santoso\n+62 812 3456 7890",
        "Dikirim dari iPhone saya\nBudi 0812-3456-7890",
        "Sent from my Galaxy\n\nPada Sen, 23 Nov 2026 DKI menulis:\n> old text",
    ],
)
def test_email_signature_is_cut(signature):
    body = "Sampah di Jl. Sabang belum diangkut.\n\n" + signature
    parsed = parse_email(_mail_with_body(body), "sig", "dki@jakarta.go.id")
    description = parsed.report.description
    assert description.startswith("Sampah menumpuk\n\nSampah di Jl. Sabang belum diangkut.")
    assert "Budi" not in description and "0812" not in description and "812 3456" not in description
    assert "gmail" not in description and "iPhone" not in description and "Galaxy" not in description
    assert parsed.report.reporter.email == "siti@example.com"  # the contact itself is kept, privately


def test_email_body_after_a_closing_line_is_kept_when_it_is_more_than_a_signature():
    body = "Terima kasih\n" + "\n".join(f"Lubang ke-{n} di depan rumah nomor {n} sudah dalam" for n in range(8))
    description = parse_email(_mail_with_body(body), "long", "dki@jakarta.go.id").report.description
    assert "Lubang ke-7 di depan rumah nomor 7" in description


def test_web_form_and_json_share_validation():
    report = report_from_form(
        FormInput(
            fields={
                "category": "garbage",
                "description": "Sampah",
                "lat": "-6.2",
                "lng": "106.8",
                "email": "a@example.com",
                "submission_id": "a" * 24,
            }
        ),
        "id",
    )
    assert report.channel is Channel.BALAI_WARGA and report.message_id == "a" * 24
    assert report.reply_handle.address == "a@example.com"
    anonymous = report_from_form(
        FormInput(fields={"category": "garbage", "description": "x", "anonymous": "on", "email": "a@example.com"}), "id"
    )
    assert anonymous.reporter is None and anonymous.reply_handle is None
    with pytest.raises(InvalidReport) as error:
        report_from_json(b'{"category": "volcano", "description": "", "location": {"lat": 99, "lng": 1}}', None)
    assert {"category", "description", "location.lat"} <= {field for field, _ in error.value.problems}


def test_multipart_form_with_a_photo():
    boundary = "----crm"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="category"\r\n\r\ngarbage\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="description"\r\n\r\nSampah \u00e9\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + b"\xff\xd8\xff\x00binary\r\n"
        + f"--{boundary}--\r\n".encode()
    )
    form = read_form(f"multipart/form-data; boundary={boundary}", body)
    assert form.fields == {"category": "garbage", "description": "Sampah \u00e9"}
    assert form.files == [("photo", "image/jpeg", b"\xff\xd8\xff\x00binary")]


# --- hypothesis: arbitrary bodies raise only our validation errors ----------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=25,
)


def _mutate(template):
    """Provider-shaped documents with arbitrary values swapped in."""

    def swap(document, values):
        if isinstance(document, dict):
            return {
                k: (values.pop() if values and len(values) % 3 == 0 else swap(v, values)) for k, v in document.items()
            }
        if isinstance(document, list):
            return [swap(v, values) for v in document]
        return values.pop() if values else document

    return st.lists(json_values, min_size=1, max_size=30).map(lambda values: swap(template, list(values)))


relaxed = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@relaxed
@given(
    st.one_of(
        st.binary(max_size=300),
        json_values.map(lambda v: json.dumps(v).encode()),
        _mutate(providers.fixture("whatsapp_text.json")).map(providers.dumps),
    )
)
def test_whatsapp_parser_raises_only_our_errors(body):
    try:
        cloud.parse(request("/webhooks/whatsapp", body))
    except OUR_ERRORS:
        pass


@relaxed
@given(
    st.one_of(
        st.binary(max_size=300),
        _mutate(providers.fixture("messenger_message.json")).map(providers.dumps),
        _mutate(providers.fixture("page_feed_comment.json")).map(providers.dumps),
    )
)
def test_meta_page_parser_raises_only_our_errors(body):
    try:
        page.parse(request("/webhooks/facebook", body))
    except OUR_ERRORS:
        pass


@relaxed
@given(
    st.one_of(
        st.binary(max_size=300),
        _mutate(providers.fixture("x_tweet_create.json")).map(providers.dumps),
        _mutate(providers.fixture("x_direct_message.json")).map(providers.dumps),
    )
)
def test_x_parser_raises_only_our_errors(body):
    try:
        xa.parse(request("/webhooks/x", body))
    except OUR_ERRORS:
        pass


@relaxed
@given(
    st.one_of(
        st.binary(max_size=300),
        st.dictionaries(
            st.sampled_from(
                [
                    "MessageSid",
                    "From",
                    "To",
                    "Body",
                    "NumMedia",
                    "MediaUrl0",
                    "MediaContentType0",
                    "Latitude",
                    "Longitude",
                    "MessageStatus",
                ]
            ),
            st.text(max_size=40),
        ).map(lambda d: urlencode(d).encode()),
    )
)
def test_twilio_parser_raises_only_our_errors(body):
    try:
        sms.parse(request("/webhooks/sms_1708", body))
    except OUR_ERRORS:
        pass


@relaxed
@given(st.one_of(st.binary(max_size=400), st.text(max_size=300).map(lambda t: MAIL.replace(b"Sampah di", t.encode()))))
def test_email_parser_raises_only_our_errors(raw):
    try:
        parse_email(raw, "m1", "dki@jakarta.go.id")
    except OUR_ERRORS:
        pass


@relaxed
@given(st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode())))
def test_web_json_parser_raises_only_our_errors(body):
    try:
        report_from_json(body, None)
    except OUR_ERRORS:
        pass


@relaxed
@given(
    st.binary(max_size=400),
    st.sampled_from(["multipart/form-data; boundary=x", "multipart/form-data", "application/x-www-form-urlencoded"]),
)
def test_web_form_reader_raises_only_our_errors(body, content_type):
    try:
        report_from_form(read_form(content_type, body), "id")
    except OUR_ERRORS:
        pass


def test_only_the_topmost_authentication_results_written_by_ses_verifies_a_sender():
    from email import policy
    from email.parser import BytesParser

    from chalicelib.channels.email import sender_verified

    def verified(*headers):
        raw = "".join(f"Authentication-Results: {h}\r\n" for h in headers) + "From: a@example.com\r\n\r\nhi\r\n"
        return sender_verified(BytesParser(policy=policy.default).parsebytes(raw.encode()))

    assert verified(
        "amazonses.com; spf=pass (spfCheck: ok) smtp.mailfrom=a@example.com;"
        " dkim=pass header.i=@example.com; dmarc=pass header.from=example.com"
    )
    assert verified("amazonses.com; spf=pass; dkim=pass; dmarc=none")
    assert not verified("amazonses.com; spf=pass; dkim=fail; dmarc=pass")
    assert not verified("amazonses.com; spf=fail; dkim=pass; dmarc=pass")
    assert not verified("amazonses.com; spf=pass; dkim=pass; dmarc=fail")
    assert not verified()
    # A sender's own header below SES's does not count, nor one SES did not write.
    assert not verified("amazonses.com; spf=fail; dkim=fail; dmarc=fail", "amazonses.com; spf=pass; dkim=pass")
    assert not verified("mail.example.com; spf=pass; dkim=pass; dmarc=pass")
