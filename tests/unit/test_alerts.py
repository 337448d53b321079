"""Area alerts: subscribing and confirming, matching without Scan, privacy, daily digests."""

from datetime import timedelta

import pytest
from pydantic import ValidationError

from chalicelib.adapters import reference_data
from chalicelib.domain import alerts as rules
from chalicelib.domain import receipts, tracking
from chalicelib.domain.case import Case
from chalicelib.domain.channels import Channel
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.events import CaseAssigned, CaseReceived, CaseResolved
from chalicelib.domain.geo import distance_m
from chalicelib.domain.privacy import PrivacyLevel
from chalicelib.domain.report import build_report
from chalicelib.domain.request_ids import public_id, tracking_code_of
from chalicelib.services import alerts, intake
from chalicelib.services.alert_models import AlertSubscribeCommand
from chalicelib.services.status import public_view_json
from tests.support.alert_fakes import FakeAlertStore, RecordingSender
from tests.support.event_messages import envelope, example
from tests.support.fakes import FakeCaseRepository, FakePhotoStore, FakeQuarantine, FixedClock

KEY = b"unit-test-key"
BASE = "https://crm.example"
GAMBIR = "31.71.01.1001"
MONAS = (-6.1754, 106.8272)  # in kelurahan Gambir


@pytest.fixture
def world():
    store, sender, cases, clock = FakeAlertStore(), RecordingSender(), FakeCaseRepository(), FixedClock()
    ctx = alerts.Context(store=store, key=KEY, base_url=BASE, sender_for=sender)
    return store, sender, cases, clock, ctx


def known(code):
    area = reference_data.areas().get(code)
    return area is not None and area.level == "kelurahan"


def subscribe(ctx, clock, sender, **body):
    body = {"channel": "email", "address": "Warga@Example.com", **body}
    answer = alerts.subscribe(AlertSubscribeCommand(**body), ctx, clock(), known)
    code = sender.sent[-1][1].split(": ")[1][:6]
    return answer, code


def confirmed(ctx, clock, sender, **body):
    answer, code = subscribe(ctx, clock, sender, **body)
    return alerts.confirm_with_code(answer["subscription_id"], code, ctx)


def open_case(cases, clock, _name, lat, lng, *, privacy=None, text="Sampah menumpuk di trotoar"):
    code = tracking.new_code()
    report = build_report(
        channel=Channel.JAKI,
        message_id=code,
        category="garbage",
        description=text,
        location={"lat": lat, "lng": lng},
        reporter={"name": "Budi Rahasia", "phone": "+6281299998888"},
    )
    case = Case.open(report, code, clock())
    if privacy:
        case.privacy = PrivacyLevel(privacy)  # absent means public
    cases.add(case)
    return case


def collect(store, cases, clock, case, kind=CaseReceived, privacy_override=None):
    message = envelope(example(kind), case.tracking_code, version=1)
    loaded = cases.get

    def get(code):
        found = loaded(code)
        if found is not None and privacy_override:
            found.privacy = PrivacyLevel(privacy_override)
        return found

    view = lambda c: public_view_json(c, "id", BASE, public_id=public_id(c.tracking_code, KEY), code_key=KEY)  # noqa: E731
    return alerts.collect(
        message,
        store=store,
        cases=type("R", (), {"get": staticmethod(get)}),
        public_view=view,
        locate=reference_data.areas().locate,
        now=clock(),
    )


def still_public_in(cases, confidential=()):
    def check(pid):
        code = tracking_code_of(pid, KEY)
        return code is not None and cases.get(code) is not None and code not in confidential

    return check


def test_subscribing_sends_a_code_and_answers_without_the_address(world):
    store, sender, _, clock, ctx = world
    answer, code = subscribe(ctx, clock, sender, kelurahan=GAMBIR)
    assert answer["status"] == "pending" and "warga" not in str(answer).lower()
    handle, text, _ = sender.sent[0]
    assert handle.address == "warga@example.com" and code.isdigit() and len(code) == 6
    assert f"/alerts/confirm?s={answer['subscription_id']}&t=" in text  # e-mail also gets the link
    sub = store.subs[answer["subscription_id"]]
    assert not sub.confirmed and sub.expires_at == int((clock() + rules.PENDING_FOR).timestamp())
    assert code not in str(vars(sub))  # only a keyed digest of the code is stored


def test_sms_gets_a_code_only_and_08_numbers_become_e164(world):
    _, sender, _, clock, ctx = world
    subscribe(ctx, clock, sender, channel="sms", address="0812-3456-7890", kelurahan=GAMBIR)
    handle, text, _ = sender.sent[0]
    assert handle.address == "+6281234567890" and handle.kind == "twilio" and "http" not in text


def test_confirming_needs_the_right_code_and_stops_after_five_wrong_ones(world):
    store, sender, _, clock, ctx = world
    answer, code = subscribe(ctx, clock, sender, kelurahan=GAMBIR)
    sub_id = answer["subscription_id"]
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(InvalidInput):
        alerts.confirm_with_code(sub_id, wrong, ctx)
    for _ in range(4):
        with pytest.raises(InvalidInput):
            alerts.confirm_with_code(sub_id, wrong, ctx)
    with pytest.raises(InvalidInput, match="too many"):
        alerts.confirm_with_code(sub_id, code, ctx)
    # Subscribing again within a minute sends nothing (no SMS bombing); later, a fresh code and attempts.
    sent = len(sender.sent)
    alerts.subscribe(
        AlertSubscribeCommand(channel="email", address="warga@example.com", kelurahan=GAMBIR), ctx, clock(), known
    )
    assert len(sender.sent) == sent
    clock.advance(minutes=2)
    answer, code = subscribe(ctx, clock, sender, kelurahan=GAMBIR)
    assert answer["subscription_id"] == sub_id
    done = alerts.confirm_with_code(sub_id, code, ctx)
    assert done["status"] == "confirmed" and store.subs[sub_id].expires_at is None
    assert done["unsubscribe_url"].startswith(f"{BASE}/alerts/unsubscribe?s={sub_id}&t=")


def test_the_mailed_link_confirms_and_a_forged_one_does_not(world):
    store, sender, _, clock, ctx = world
    answer, _ = subscribe(ctx, clock, sender, kelurahan=GAMBIR)
    sub_id = answer["subscription_id"]
    with pytest.raises(alerts.NotPending):
        alerts.confirm_with_token(sub_id, "f" * 32, ctx)
    alerts.confirm_with_token(sub_id, rules.sign(KEY, "confirm", sub_id), ctx)
    assert store.subs[sub_id].confirmed


@pytest.mark.parametrize(
    "body, problem",
    [
        ({"kelurahan": GAMBIR, "lat": -6.1, "lng": 106.8, "radius_m": 500}, "not both"),
        ({"lat": -6.1, "lng": 106.8}, "radius_m"),
        ({"lat": -6.1, "lng": 106.8, "radius_m": rules.MAX_RADIUS_M + 1}, "less than or equal"),
        ({"lat": -6.1, "lng": 106.8, "radius_m": 10}, "greater than or equal"),
    ],
)
def test_an_area_is_a_kelurahan_or_a_circle_within_limits(body, problem):
    with pytest.raises(ValidationError, match=problem):
        AlertSubscribeCommand(channel="email", address="a@b.example", **body)


def test_bad_addresses_and_unknown_kelurahan_are_refused(world):
    _, sender, _, clock, ctx = world
    with pytest.raises(InvalidInput, match="e-mail"):
        alerts.subscribe(AlertSubscribeCommand(channel="email", address="nope", kelurahan=GAMBIR), ctx, clock(), known)
    with pytest.raises(InvalidInput, match="phone"):
        alerts.subscribe(AlertSubscribeCommand(channel="sms", address="12ab", kelurahan=GAMBIR), ctx, clock(), known)
    with pytest.raises(InvalidInput, match="kelurahan"):
        alerts.subscribe(
            AlertSubscribeCommand(channel="sms", address="+6281234567890", kelurahan="31.71.01"),
            ctx,
            clock(),
            known,
        )
    assert sender.sent == []


def test_matching_queries_only_the_cases_kelurahan_and_nine_cells(world):
    store, sender, cases, clock, ctx = world
    near = confirmed(ctx, clock, sender, lat=-6.19, lng=106.83, radius_m=2000)
    far = confirmed(ctx, clock, sender, address="b@example.com", lat=-6.19, lng=106.83, radius_m=100)
    kel = confirmed(ctx, clock, sender, address="c@example.com", kelurahan=GAMBIR)
    other = confirmed(ctx, clock, sender, address="d@example.com", kelurahan="31.71.06.1001")
    case = open_case(cases, clock, "C0DE1", *MONAS)
    assert distance_m(-6.19, 106.83, *MONAS) < 2000
    assert collect(store, cases, clock, case) == 2
    assert set(store.entries_of) == {near["subscription_id"], kel["subscription_id"]}
    assert far["subscription_id"] not in store.entries_of and other["subscription_id"] not in store.entries_of
    assert len(store.queried) <= 10 and store.queried[0] == (rules.KELURAHAN, GAMBIR)


def test_a_centre_in_a_neighbouring_cell_still_matches():
    # Centre and case on either side of a geohash-5 boundary, 1 km apart.
    case_point = (-6.1754, 106.8272)
    cell = rules.geohash(*case_point, rules.CELL_PRECISION)
    centre = next(
        (lat, case_point[1])
        for lat in [case_point[0] + d / 1000 for d in range(1, 40)]
        if rules.geohash(lat, case_point[1], rules.CELL_PRECISION) != cell
    )
    area = rules.Area(lat=centre[0], lng=centre[1], radius_m=rules.MAX_RADIUS_M)
    assert area.home_cell() in rules.cells_for(None, *case_point)


def test_confidential_cases_never_become_alerts_and_missing_privacy_is_public(world):
    store, sender, cases, clock, ctx = world
    confirmed(ctx, clock, sender, kelurahan=GAMBIR)
    secret = open_case(cases, clock, "SECRET1", *MONAS, privacy="confidential")
    assert collect(store, cases, clock, secret, privacy_override="confidential") == 0
    public = open_case(cases, clock, "PUBLIC1", *MONAS)
    assert collect(store, cases, clock, public) == 1


def test_only_new_and_resolved_events_are_collected(world):
    store, sender, cases, clock, ctx = world
    confirmed(ctx, clock, sender, kelurahan=GAMBIR)
    case = open_case(cases, clock, "K1", *MONAS)
    assert collect(store, cases, clock, case, kind=CaseAssigned) == 0
    assert collect(store, cases, clock, case, kind=CaseResolved) == 1


def test_one_digest_a_day_with_public_facts_only(world):
    store, sender, cases, clock, ctx = world
    sub = confirmed(ctx, clock, sender, kelurahan=GAMBIR)
    first = open_case(cases, clock, "FIRST1", *MONAS)
    second = open_case(cases, clock, "SECOND1", *MONAS, text="Jalan berlubang dekat halte")
    collect(store, cases, clock, first)
    collect(store, cases, clock, first)  # a repeated event: one entry
    collect(store, cases, clock, second)
    sender.sent.clear()
    counts = alerts.send_digests(ctx, clock(), still_public_in(cases), FakeQuarantine())
    assert counts["sent"] == 1 and len(sender.sent) == 1
    handle, text, subject = sender.sent[0]
    assert subject == "Laporan di area Anda" and text.count("[Baru]") == 2
    assert public_id(first.tracking_code, KEY) in text
    assert first.tracking_code not in text  # never the reporter's tracking code
    assert "Budi" not in text and "+62812" not in text and "Sampah menumpuk" in text
    assert f"/alerts/unsubscribe?s={sub['subscription_id']}" in text
    # Later the same day: new entries wait for tomorrow.
    collect(store, cases, clock, second, kind=CaseResolved)
    assert alerts.send_digests(ctx, clock(), still_public_in(cases), FakeQuarantine())["sent"] == 0
    clock.advance(days=1)
    assert alerts.send_digests(ctx, clock(), still_public_in(cases), FakeQuarantine())["sent"] == 1
    assert "[Selesai]" in sender.sent[-1][1] and "[Baru]" not in sender.sent[-1][1]
    clock.advance(days=1)
    assert alerts.send_digests(ctx, clock(), still_public_in(cases), FakeQuarantine())["sent"] == 0  # nothing new


def test_a_case_made_confidential_after_collection_is_left_out(world):
    store, sender, cases, clock, ctx = world
    confirmed(ctx, clock, sender, kelurahan=GAMBIR)
    later = open_case(cases, clock, "LATER1", *MONAS)
    collect(store, cases, clock, later)
    sender.sent.clear()
    assert (
        alerts.send_digests(ctx, clock(), still_public_in(cases, confidential={later.tracking_code}), FakeQuarantine())[
            "sent"
        ]
        == 0
    )
    assert sender.sent == []


def test_a_failed_send_is_tried_again_next_run(world):
    store, sender, cases, clock, ctx = world
    confirmed(ctx, clock, sender, channel="whatsapp", address="+6281234567890", kelurahan=GAMBIR)
    collect(store, cases, clock, open_case(cases, clock, "W1", *MONAS))
    sender.fail = True
    assert alerts.send_digests(ctx, clock(), still_public_in(cases), FakeQuarantine())["failed"] == 1
    sender.fail = False
    clock.advance(hours=1)
    assert alerts.send_digests(ctx, clock(), still_public_in(cases), FakeQuarantine())["sent"] == 1
    handle, text, _ = sender.sent[-1]
    assert handle.address == "whatsapp:+6281234567890" and "BERHENTI" in text


class DownFor(RecordingSender):
    """A provider that refuses some addresses every time (a broken number, a bug in one channel)."""

    def __init__(self):
        super().__init__()
        self.down: set[str] = set()

    def send(self, handle, text, **kwargs):
        if handle.address in self.down:
            raise RuntimeError("this address always fails")
        super().send(handle, text, **kwargs)


def test_a_digest_that_keeps_failing_is_quarantined_and_the_others_still_go(world):
    store, _, cases, clock, _ = world
    sender = DownFor()
    ctx = alerts.Context(store=store, key=KEY, base_url=BASE, sender_for=sender)
    quarantine = FakeQuarantine()
    broken = confirmed(ctx, clock, sender, channel="whatsapp", address="+6281234567890", kelurahan=GAMBIR)
    healthy = confirmed(ctx, clock, sender, kelurahan=GAMBIR)
    sender.down.add("whatsapp:+6281234567890")
    outcomes = []
    for day in range(4):
        collect(store, cases, clock, open_case(cases, clock, f"D{day}", *MONAS))
        outcomes.append(alerts.send_digests(ctx, clock(), still_public_in(cases), quarantine))
        clock.advance(days=1)
    assert [o["sent"] for o in outcomes] == [1, 1, 1, 1]  # the healthy subscriber, every day
    assert [(o["failed"], o["quarantined"], o["held"]) for o in outcomes] == [
        (1, 0, 0),
        (1, 0, 0),
        (0, 1, 0),
        (0, 0, 1),
    ]
    assert set(quarantine.quarantined("alert_digests")) == {("alert_digests", broken["subscription_id"])}
    assert healthy["subscription_id"] not in {key for _, key in quarantine.items}


def test_a_provider_outage_does_not_count_towards_quarantine(world):
    from chalicelib.adapters.http_client import ProviderUnavailable

    store, sender, cases, clock, ctx = world
    quarantine = FakeQuarantine()
    confirmed(ctx, clock, sender, channel="whatsapp", address="+6281234567890", kelurahan=GAMBIR)
    collect(store, cases, clock, open_case(cases, clock, "W1", *MONAS))

    class Outage(RecordingSender):
        def send(self, handle, text, **kwargs):
            raise ProviderUnavailable("twilio", 503, "down")

    down = alerts.Context(store=store, key=KEY, base_url=BASE, sender_for=Outage())
    for _ in range(5):
        assert alerts.send_digests(down, clock(), still_public_in(cases), quarantine)["failed"] == 1
        clock.advance(hours=1)
    assert quarantine.items == {}
    assert alerts.send_digests(ctx, clock(), still_public_in(cases), quarantine)["sent"] == 1


def test_unsubscribe_link_needs_its_token(world):
    store, sender, cases, clock, ctx = world
    sub_id = confirmed(ctx, clock, sender, kelurahan=GAMBIR)["subscription_id"]
    with pytest.raises(InvalidInput):
        alerts.unsubscribe(sub_id, "0" * 32, ctx)
    alerts.unsubscribe(sub_id, rules.sign(KEY, "unsubscribe", sub_id), ctx)
    assert sub_id not in store.subs
    alerts.unsubscribe(sub_id, rules.sign(KEY, "unsubscribe", sub_id), ctx)  # again: fine
    collect(store, cases, clock, open_case(cases, clock, "U1", *MONAS))
    assert store.entries_of == {}


@pytest.mark.parametrize("text", ["BERHENTI", "stop", " Stop. "])
def test_stop_by_sms_removes_the_numbers_alerts_and_opens_no_case(world, text):
    store, sender, cases, clock, ctx = world
    sms = confirmed(ctx, clock, sender, channel="sms", address="+6281234567890", kelurahan=GAMBIR)
    confirmed(ctx, clock, sender, channel="sms", address="+6281234567890", lat=-6.2, lng=106.8, radius_m=500)
    keep = confirmed(ctx, clock, sender, channel="sms", address="+6289999999999", kelurahan=GAMBIR)
    report = build_report(
        channel=Channel.SMS_1708,
        message_id="SM1",
        category="other",
        description=text,
        reply_handle={"channel": Channel.SMS_1708, "kind": "twilio", "address": "+6281234567890", "via": "1708"},
    )
    stopped = []
    receipt = intake.submit_report(
        report,
        cases=cases,
        photos=FakePhotoStore(),
        clock=clock,
        code_key=KEY,
        stop_alerts=lambda h: stopped.append(alerts.unsubscribe_contact("sms", h.address, ctx)) or stopped[-1],
    )
    assert receipt.outcome == receipts.ALERTS_STOPPED and receipt.case is None and cases.items == {}
    assert stopped == [2] and set(store.subs) == {keep["subscription_id"]} and sms["subscription_id"] not in store.subs


def test_a_report_mentioning_stop_is_still_a_report(world):
    _, _, cases, clock, _ = world
    report = build_report(
        channel=Channel.SMS_1708,
        message_id="SM2",
        category="other",
        description="Lampu STOP di perempatan mati",
        reply_handle={"channel": Channel.SMS_1708, "kind": "twilio", "address": "+6281234567890"},
    )
    receipt = intake.submit_report(
        report,
        cases=cases,
        photos=FakePhotoStore(),
        clock=clock,
        code_key=KEY,
        stop_alerts=lambda h: pytest.fail("not a stop"),
    )
    assert receipt.outcome == receipts.CREATED


def test_entries_expire_and_pending_subscriptions_expire():
    assert rules.ENTRIES_KEPT_FOR > timedelta(days=rules.ENTRIES_KEPT_FOR.days - 1) > timedelta(0)
    assert rules.PENDING_FOR == timedelta(hours=24)


def test_an_address_the_provider_refuses_is_422_and_nothing_stays(world):
    from chalicelib.adapters.http_client import ProviderRejected

    store, _, _, clock, _ = world

    class Refusing:
        def __call__(self, handle):
            return self

        def send(self, *args, **kwargs):
            raise ProviderRejected("twilio", 400, "not a mobile number")

    ctx = alerts.Context(store=store, key=KEY, base_url=BASE, sender_for=Refusing())
    with pytest.raises(InvalidInput, match="would not deliver"):
        alerts.subscribe(
            AlertSubscribeCommand(channel="sms", address="+6281234567890", kelurahan=GAMBIR), ctx, clock(), known
        )
    assert store.subs == {}


# --- abuse controls per destination (issue 19) ----------------------------------------------


class Capped:
    """A per-destination counter on the fake limiter, raising like api/limits.check over it."""

    def __init__(self, limiter, clock, scope, limit):
        self.limiter, self.clock, self.scope, self.limit = limiter, clock, scope, limit

    def __call__(self, contact):
        from chalicelib.api.limits import RateLimited

        decision = self.limiter.hit(self.scope, contact, self.limit, 86400, self.clock())
        if not decision.allowed:
            raise RateLimited(decision.retry_after_s, "contact")


@pytest.fixture
def capped(world):
    from dataclasses import replace

    from tests.support.fakes import FakeRateLimiter

    store, sender, cases, clock, ctx = world
    limiter = FakeRateLimiter()
    ctx = replace(
        ctx,
        count_message=Capped(limiter, clock, "alert_messages:contact", 3),
        count_code_attempt=Capped(limiter, clock, "alert_code_attempts:contact", 8),
    )
    return store, sender, clock, ctx, limiter


def test_confirmation_messages_are_capped_per_destination_across_its_areas(capped):
    from chalicelib.api.limits import RateLimited

    store, sender, clock, ctx, _ = capped
    refused = 0
    for i in range(30):  # SMS bombing: the same number, a latitude nudged each time
        body = {
            "channel": "sms",
            "address": "081299990001",
            "lat": -6.1754 + i * 1e-5,
            "lng": 106.8272,
            "radius_m": 500,
        }
        try:
            alerts.subscribe(AlertSubscribeCommand(**body), ctx, clock(), known)
        except RateLimited:
            refused += 1
    assert len(sender.sent) == 3 and refused == 27
    assert len(store.subs) == 3  # a refused sign-up leaves no pending subscription
    other = {"channel": "sms", "address": "081299990002", "kelurahan": GAMBIR}
    alerts.subscribe(AlertSubscribeCommand(**other), ctx, clock(), known)  # another number is not affected
    assert len(sender.sent) == 4
    clock.advance(days=1)
    subscribe(ctx, clock, sender, channel="sms", address="081299990001", kelurahan=GAMBIR)
    assert len(sender.sent) == 5  # the next day, the cap is new


def test_wrong_codes_count_per_destination_so_subscribing_again_gives_no_new_guesses(capped):
    from chalicelib.api.limits import RateLimited

    _, sender, clock, ctx, _ = capped
    guesses = 0
    for i in range(3):  # three subscriptions (the message cap), five wrong codes each would be 15
        answer, code = subscribe(
            ctx, clock, sender, channel="sms", address="081299990003", lat=-6.17 + i * 1e-3, lng=106.82, radius_m=500
        )
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(5):
            try:
                alerts.confirm_with_code(answer["subscription_id"], wrong, ctx)
            except InvalidInput:
                guesses += 1
            except RateLimited:
                pass
    assert guesses == 8  # 3 confirmations' worth + 5 wrong codes a day, for the destination
    with pytest.raises(RateLimited):  # past the limit even the right code is refused (no oracle)
        alerts.confirm_with_code(answer["subscription_id"], code, ctx)


@pytest.mark.parametrize("address", ["+447700900123", "+8822123456", "+2347012345678", "+6599998888"])
def test_phones_outside_the_allowed_countries_are_refused(world, address):
    _, sender, _, clock, ctx = world
    for channel in ("sms", "whatsapp"):
        with pytest.raises(InvalidInput, match="country codes"):
            subscribe(ctx, clock, sender, channel=channel, address=address, kelurahan=GAMBIR)
    assert sender.sent == []


def test_the_country_allow_list_is_configurable(world):
    from dataclasses import replace

    _, sender, _, clock, ctx = world
    ctx = replace(ctx, phone_countries=frozenset({62, 65}))
    subscribe(ctx, clock, sender, channel="sms", address="+65 9123 4567", kelurahan=GAMBIR)
    assert sender.sent[-1][0].address == "+6591234567"


def test_the_country_allow_list_setting(monkeypatch):
    from chalicelib import config

    monkeypatch.setenv("ALERT_PHONE_COUNTRIES", "62, 65")
    config.reset()
    assert config.settings().alert_phone_countries == frozenset({62, 65})
    monkeypatch.setenv("ALERT_PHONE_COUNTRIES", "+62")
    config.reset()
    with pytest.raises(config.ConfigurationError, match="ALERT_PHONE_COUNTRIES"):
        config.settings()
