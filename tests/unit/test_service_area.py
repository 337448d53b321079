"""The service-area rule on every path that takes a report (services/intake.py):
outside DKI Jakarta, channels that can answer refuse with 422 outside_service_area,
messaging senders get a notice and no case. Against in-memory fakes; the HTTP
answers of the partner webhook, POST /reports, desk intake and Open311 are in
tests/integration/test_service_area_api.py."""

import pytest

from chalicelib.api.http import to_api_error
from chalicelib.domain import receipts, texts
from chalicelib.domain.channels import Channel
from chalicelib.domain.errors import OutsideServiceArea
from chalicelib.domain.messages import MAX_REPORTS_PER_HOUR
from chalicelib.domain.receipts import receipt_text
from chalicelib.domain.report import build_report
from chalicelib.services.intake import submit_report
from chalicelib.services.notices import send_notices
from chalicelib.services.replies import notice_outgoing
from tests.support import providers
from tests.support.fakes import (
    FakeCaseRepository,
    FakeNoticeQueue,
    FakePhotoStore,
    FakeSenderRepository,
    FixedClock,
)
from tests.support.images import jpeg_with_metadata

KEY = b"unit-test-key"
LONDON = {"lat": 51.5, "lng": -0.12}
BANDUNG = {"lat": -6.9175, "lng": 107.6191}
OPEN_SEA = {"lat": -5.60, "lng": 106.95}
MONAS = {"lat": -6.1754, "lng": 106.8272}
counter = iter(range(10**6))


@pytest.fixture
def deps():
    return {
        "cases": FakeCaseRepository(),
        "photos": FakePhotoStore(),
        "clock": FixedClock(),
        "code_key": KEY,
        "senders": FakeSenderRepository(),
    }


def whatsapp(location=None, text="Sampah menumpuk di depan pasar", sender="+6281234567890", language="id"):
    return build_report(
        channel=Channel.WHATSAPP,
        message_id=f"wamid.{next(counter)}",
        category="garbage",
        description=text or "(lokasi)",
        has_text=bool(text),
        location=location,
        language=language,
        reply_handle={"channel": Channel.WHATSAPP, "kind": "whatsapp", "address": sender, "via": "1065"},
        conversational=True,
    )


def partner(location, photos=()):
    return build_report(
        channel=Channel.JAKI,
        message_id=f"jaki-{next(counter)}",
        category="garbage",
        description="Sampah menumpuk di pinggir jalan",
        location=location,
        photos=[{"data": data, "content_type": "image/jpeg"} for data in photos],
        reply_handle={"channel": Channel.JAKI, "kind": "partner", "address": "JAKI-1"},
    )


@pytest.mark.parametrize("place", [LONDON, BANDUNG, OPEN_SEA], ids=["london", "bandung", "open-sea"])
def test_a_messaging_sender_outside_jakarta_gets_a_notice_and_no_case(deps, place):
    receipt = submit_report(whatsapp(place), **deps)
    assert receipt.outcome == receipts.OUTSIDE_AREA
    assert receipt.tracking_code is None and receipt.case is None
    assert deps["cases"].items == {}
    assert receipt.needs_notice and receipt.sender
    queue = FakeNoticeQueue()
    assert send_notices([receipt], lambda: queue) == 1
    assert queue.sent == [{"notice": "outside_area", "sender": receipt.sender, "tracking_code": None, "language": "id"}]


def test_the_notice_is_in_the_sender_s_language_indonesian_first(deps):
    indonesian = receipt_text(submit_report(whatsapp(LONDON), **deps), "https://crm")
    english = receipt_text(submit_report(whatsapp(LONDON, language="en", sender="+6281200000001"), **deps), "x")
    assert indonesian == texts.reply_text("outside_area", "id") and "di luar wilayah DKI Jakarta" in indonesian
    assert english == texts.reply_text("outside_area", "en") and "outside DKI Jakarta" in english


def test_the_queued_notice_becomes_that_text_for_the_reply_worker(deps):
    from chalicelib.domain.messages import Notice, ReplyHandle

    receipt = submit_report(whatsapp(BANDUNG), **deps)
    handle = ReplyHandle(channel=Channel.WHATSAPP, kind="whatsapp", address="6281234567890", via="1065")
    queue = FakeNoticeQueue()
    send_notices([receipt], lambda: queue)
    (queued,) = queue.sent  # the body on the replies queue, as the reply worker reads it
    outgoing = notice_outgoing(Notice.from_message(queued, id="r-1"), handle, None, "https://crm")
    assert outgoing.text == texts.reply_text("outside_area", "id")


def test_inside_jakarta_the_same_message_opens_a_case(deps):
    receipt = submit_report(whatsapp(MONAS), **deps)
    assert receipt.outcome == receipts.CREATED and len(deps["cases"].items) == 1


def test_a_far_away_location_is_not_added_to_an_open_conversation(deps):
    first = submit_report(whatsapp(None), **deps)
    deps["clock"].advance(minutes=3)
    later = submit_report(whatsapp(LONDON, text=None), **deps)
    assert later.outcome == receipts.OUTSIDE_AREA
    case = deps["cases"].get(first.tracking_code)
    assert case.location is None and case.version == 1


def test_far_away_messages_count_against_the_hourly_limit(deps):
    outcomes = [submit_report(whatsapp(LONDON), **deps) for _ in range(MAX_REPORTS_PER_HOUR + 3)]
    assert [r.outcome for r in outcomes[:MAX_REPORTS_PER_HOUR]] == [receipts.OUTSIDE_AREA] * MAX_REPORTS_PER_HOUR
    assert {r.outcome for r in outcomes[MAX_REPORTS_PER_HOUR:]} == {receipts.RATE_LIMITED}
    assert [r.needs_notice for r in outcomes[MAX_REPORTS_PER_HOUR:]] == [True, False, False]  # one notice an hour


@pytest.mark.parametrize("place", [LONDON, BANDUNG, OPEN_SEA], ids=["london", "bandung", "open-sea"])
def test_other_channels_refuse_before_anything_is_stored(deps, place):
    with pytest.raises(OutsideServiceArea) as refused:
        submit_report(partner(place, photos=[jpeg_with_metadata()]), **deps)
    assert deps["cases"].items == {} and deps["photos"].objects == {}
    error = to_api_error(refused.value)
    assert (error.status, error.code) == (422, "outside_service_area")
    assert error.details == [{"field": "location", "message": refused.value.problems[0][1]}]


def test_a_report_without_a_location_is_taken_as_before(deps):
    assert submit_report(partner(None), **deps).outcome == receipts.CREATED


def test_a_given_service_area_is_used_instead_of_jakarta(deps):
    from chalicelib.domain.areas import index_from_geojson

    square = [[-0.2, 51.4], [0.0, 51.4], [0.0, 51.6], [-0.2, 51.6], [-0.2, 51.4]]
    london = index_from_geojson(
        {
            "features": [
                {"properties": {"level": "kota", "code": "L", "name": "London"}},
                {"properties": {"level": "kecamatan", "code": "L.1", "name": "City", "parent": "L"}},
                {
                    "properties": {"level": "kelurahan", "code": "L.1.1", "name": "Ward", "parent": "L.1"},
                    "geometry": {"type": "Polygon", "coordinates": [square]},
                },
            ]
        }
    )
    assert submit_report(partner(LONDON), **deps, areas=london).outcome == receipts.CREATED
    with pytest.raises(OutsideServiceArea):
        submit_report(partner(MONAS), **deps, areas=london)


# --- messaging webhooks, in process on fakes ------------------------------------------------------


@pytest.fixture
def app_client(monkeypatch):
    from chalice.test import Client

    from chalicelib import bootstrap, config
    from tests.support.fakes import (
        FakeCaseQueries,
        FakeMetricsStore,
        FakeNotificationStore,
        FakePublisher,
        FakeRateLimiter,
        FakeRoutingStore,
    )

    monkeypatch.setenv("CRM_STAGE", "local")
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://127.0.0.1:8000")
    bootstrap.reset()
    cases = FakeCaseRepository()
    services = bootstrap.override(
        cases=cases,
        photos=FakePhotoStore(),
        events=FakePublisher(),
        queries=FakeCaseQueries(cases),
        routing=FakeRoutingStore(),
        metrics=FakeMetricsStore(),
        notifications=FakeNotificationStore(),
        senders=FakeSenderRepository(),
        notices=FakeNoticeQueue(),
        limiter=FakeRateLimiter(),
    )
    import app

    with Client(app.app, stage_name="local") as client:
        yield client, services
    bootstrap.reset()
    config.reset()


def _post(client, path, body, headers):
    return client.http.post(path, body=body, headers=headers)


def whatsapp_location(lat, lng):
    return providers.whatsapp_message({"type": "location", "location": {"latitude": lat, "longitude": lng}})


def messenger_location(lat, lng):
    return providers.messenger(
        None, attachments=[{"type": "location", "payload": {"coordinates": {"lat": lat, "long": lng}}}]
    )


def x_tweet_at(lat, lng):
    payload = providers.x_mention()
    payload["tweet_create_events"][0]["coordinates"] = {"type": "Point", "coordinates": [lng, lat]}
    return payload


@pytest.mark.parametrize(
    "path, payload, headers",
    [
        ("/webhooks/whatsapp", whatsapp_location, providers.meta_headers),
        ("/webhooks/facebook", messenger_location, providers.meta_headers),
        ("/webhooks/x", x_tweet_at, providers.x_headers),
    ],
    ids=["whatsapp", "messenger", "x"],
)
@pytest.mark.parametrize("place", [LONDON, BANDUNG, OPEN_SEA], ids=["london", "bandung", "open-sea"])
def test_messaging_webhooks_queue_the_notice_and_open_no_case(app_client, path, payload, headers, place):
    client, services = app_client
    body = providers.dumps(payload(place["lat"], place["lng"]))
    answer = _post(client, path, body, headers(body))
    assert answer.status_code == 200, answer.body
    assert services.cases.items == {}
    assert [notice["notice"] for notice in services.notices.sent] == ["outside_area"]


def test_the_same_messages_inside_jakarta_open_cases(app_client):
    client, services = app_client
    for path, payload, headers in (
        ("/webhooks/whatsapp", whatsapp_location, providers.meta_headers),
        ("/webhooks/facebook", messenger_location, providers.meta_headers),
        ("/webhooks/x", x_tweet_at, providers.x_headers),
    ):
        body = providers.dumps(payload(MONAS["lat"], MONAS["lng"]))
        assert _post(client, path, body, headers(body)).status_code == 200
    assert len(services.cases.items) == 3 and services.notices.sent == []


def test_sms_and_whatsapp_through_twilio_answer_inline(app_client):
    client, services = app_client
    params = providers.twilio_form(Latitude=str(LONDON["lat"]), Longitude=str(LONDON["lng"]))
    path, body, headers = providers.twilio_request("http://127.0.0.1:8000", "sms_1708", params)
    answer = _post(client, path, body, headers)
    assert answer.status_code == 200
    assert "luar wilayah DKI Jakarta" in answer.body.decode()
    assert services.cases.items == {} and services.notices.sent == []  # answered in the TwiML, not queued


def test_the_problem_names_the_point(deps):
    with pytest.raises(OutsideServiceArea) as refused:
        submit_report(partner(LONDON), **deps)
    assert refused.value.problems == [("location", "51.5, -0.12 is outside DKI Jakarta, the area this service covers")]
