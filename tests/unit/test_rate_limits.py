"""Rate limits on the public doors, on in-memory fakes (the DynamoDB counters are
tested against the moto server in tests/integration/test_rate_limits.py).

Reproduces issue 19's observation: 60 rapid POST /reports were all accepted."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from chalicelib import bootstrap, config
from chalicelib.adapters.rate_limits import counter_pk, decide, hashed_key, window_bounds
from chalicelib.config import RATE_LIMIT_DEFAULTS, ConfigurationError, Limit, parse_limits
from tests.support.fakes import FakeRateLimiter, FixedClock

START = datetime(2026, 11, 23, 3, 0, 0, tzinfo=UTC)  # on an hour boundary: windows start here


# --- the counter arithmetic ---------------------------------------------------------------------


def test_a_fixed_window_allows_its_limit_then_says_when_it_ends():
    start, end = window_bounds(START.replace(minute=20), 3600)
    assert (start, end) == (int(START.timestamp()), int(START.timestamp()) + 3600)
    now = START.replace(minute=20, second=30)
    assert decide(3, 3, end, now).allowed and decide(3, 3, end, now).remaining == 0
    refused = decide(4, 3, end, now)
    assert not refused.allowed and refused.retry_after_s == 39 * 60 + 30
    assert decide(4, 3, end, datetime.fromtimestamp(end - 0.2, UTC)).retry_after_s == 1  # never 0


def test_counter_keys_hold_no_client_value_and_differ_by_scope_window_and_key():
    secret = b"k" * 32
    pk = counter_pk(secret, "reports:ip", "203.0.113.9", 3600, 1_700_000_000)
    assert "203.0.113.9" not in pk and pk.startswith("RATE#reports:ip#3600#")
    assert hashed_key(secret, "reports:ip", "203.0.113.9") != hashed_key(secret, "status:ip", "203.0.113.9")
    assert hashed_key(secret, "reports:ip", "203.0.113.9") != hashed_key(b"x" * 32, "reports:ip", "203.0.113.9")
    assert counter_pk(secret, "s", "k", 60, 0) != counter_pk(secret, "s", "k", 3600, 0)


def test_the_default_limits_parse_and_bad_settings_fail_with_the_variable_name():
    for scope, text in RATE_LIMIT_DEFAULTS.items():
        assert parse_limits(scope, text), scope
    assert parse_limits("X", "ip=30/3600, global=1200/3600") == {"ip": Limit(30, 3600), "global": Limit(1200, 3600)}
    assert parse_limits("X", "off") == {}
    for bad in ("ip=30", "ip=0/60", "ip=5/0", "ip=5/99999999", "ip=1/60,ip=2/60", "who=1/60", "ip=-1/60", ""):
        with pytest.raises(ConfigurationError, match="RATE_LIMIT_REPORTS"):
            parse_limits("RATE_LIMIT_REPORTS", bad)


def test_settings_read_each_scope_from_its_variable(monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_STATUS", "ip=7/30")
    config.reset()
    limits = config.settings().rate_limits
    assert limits["status"] == {"ip": Limit(7, 30)}
    assert set(limits) == set(RATE_LIMIT_DEFAULTS)
    monkeypatch.setenv("RATE_LIMIT_STATUS", "ip=lots")
    config.reset()
    with pytest.raises(ConfigurationError, match="RATE_LIMIT_STATUS"):
        config.settings()


# --- through the app, on fakes ----------------------------------------------------------------------


@pytest.fixture
def limited_app(monkeypatch):
    """The real app on fakes, the default limits, a clock we move, and a client per address."""
    from chalice.local import LambdaEventConverter
    from chalice.test import Client

    import app
    from infra.local.chalice_local import honour_source_ip_header
    from tests.support.fakes import (
        FakeCaseQueries,
        FakeCaseRepository,
        FakeNoticeQueue,
        FakePhotoStore,
        FakePublisher,
        FakeSenderRepository,
    )

    monkeypatch.setenv("CRM_STAGE", "local")
    for name in ("JAKI_WEBHOOK_SECRET", "TRACKING_CODE_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(LambdaEventConverter, "create_lambda_event", LambdaEventConverter.create_lambda_event)
    honour_source_ip_header(LambdaEventConverter)
    bootstrap.reset()
    cases, clock, limiter = FakeCaseRepository(), FixedClock(START), FakeRateLimiter()
    services = bootstrap.override(
        cases=cases,
        photos=FakePhotoStore(),
        events=FakePublisher(),
        queries=FakeCaseQueries(cases),
        senders=FakeSenderRepository(),
        notices=FakeNoticeQueue(),
        clock=clock,
        limiter=limiter,
    )
    with Client(app.app, stage_name="local") as client:
        yield client, services, clock, limiter


def from_ip(address: str) -> dict[str, str]:
    return {"X-Crm-Local-Source-Ip": address}


def report(n: int, **extra) -> bytes:
    body = {"category": "garbage", "description": f"Sampah menumpuk nomor {n}", **extra}
    return json.dumps(body).encode()


def post_report(client, n: int, address: str, **extra):
    headers = {"Content-Type": "application/json", **from_ip(address)}
    return client.http.post("/reports", body=report(n, **extra), headers=headers)


def ip_limit(scope: str) -> Limit:
    return parse_limits(scope, RATE_LIMIT_DEFAULTS[scope])["ip"]


def test_rapid_reports_from_one_address_are_accepted_up_to_the_limit_then_429_until_the_window_ends(limited_app):
    client, _, clock, _ = limited_app
    limit = ip_limit("reports")
    answers = [post_report(client, n, "203.0.113.7") for n in range(60)]
    statuses = [answer.status_code for answer in answers]
    assert statuses == [201] * limit.count + [429] * (60 - limit.count)
    refused = answers[-1]
    error = refused.json_body["error"]
    assert error["code"] == "rate_limited" and "try again in 3600 seconds" in error["message"]
    assert refused.headers["Retry-After"] == "3600" and error["retry_after_seconds"] == 3600
    assert refused.headers["Content-Type"].startswith("application/json")

    assert post_report(client, 100, "198.51.100.4").status_code == 201  # another address: unaffected

    clock.advance(seconds=limit.window_s - 1)
    assert post_report(client, 101, "203.0.113.7").headers["Retry-After"] == "1"
    clock.advance(seconds=1)
    assert post_report(client, 102, "203.0.113.7").status_code == 201  # a new window


def test_the_same_phone_from_many_addresses_meets_the_contact_limit(limited_app):
    client, _, _, _ = limited_app
    contact = parse_limits("reports", RATE_LIMIT_DEFAULTS["reports"])["contact"]
    reporter = {"reporter": {"name": "Budi", "phone": "+6281234567890"}}
    statuses = [post_report(client, n, f"192.0.2.{n}", **reporter).status_code for n in range(contact.count + 2)]
    assert statuses == [201] * contact.count + [429, 429]
    other = {"reporter": {"name": "Sari", "phone": "+6281298765432"}}
    assert post_report(client, 99, "192.0.2.200", **other).status_code == 201


def test_the_global_limit_caps_everyone_together_but_one_flooding_address_does_not_use_it_up(limited_app, monkeypatch):
    client, _, _, limiter = limited_app
    monkeypatch.setenv("RATE_LIMIT_REPORTS", "ip=2/3600,global=5/3600")
    config.reset()
    bootstrap.override(settings=config.settings())
    flood = [post_report(client, n, "203.0.113.66").status_code for n in range(20)]
    assert flood == [201, 201] + [429] * 18
    assert sum(1 for scope, _ in limiter.hits if scope == "reports:global") == 2  # refused ones never counted
    others = [post_report(client, 100 + n, f"198.51.100.{n}").status_code for n in range(5)]
    assert others == [201, 201, 201, 429, 429]


def test_the_form_answers_429_with_a_page_saying_when_to_try_again(limited_app, monkeypatch):
    client, _, _, _ = limited_app
    monkeypatch.setenv("RATE_LIMIT_REPORTS", "ip=1/600")
    config.reset()
    bootstrap.override(settings=config.settings())
    form = "category=garbage&description=Sampah+menumpuk&submission_id=form-submission-0001&lang=en"
    headers = {"Content-Type": "application/x-www-form-urlencoded", **from_ip("203.0.113.8")}
    assert client.http.post("/report?lang=en", body=form, headers=headers).status_code == 201
    refused = client.http.post("/report?lang=en", body=form.replace("0001", "0002"), headers=headers)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "600"
    assert refused.headers["Content-Type"].startswith("text/html")
    page = refused.body.decode()
    assert "Too many reports" in page and "try again in 10 minute(s)" in page and 'href="?lang=en"' in page


def test_guessable_reads_are_limited_and_fail_closed_while_reports_fail_open(limited_app):
    client, _, _, limiter = limited_app
    limit = ip_limit("status")
    codes = [client.http.get("/status/4N50G-7M7G1-2X63", headers=from_ip("203.0.113.9")).status_code]
    codes += [
        client.http.get("/status/4N50G-7M7G1-2X63", headers=from_ip("203.0.113.9")).status_code
        for _ in range(limit.count)
    ]
    assert codes.count(404) == limit.count and codes[-1] == 429

    limiter.failing = True  # DynamoDB throttles the counters
    closed = client.http.get("/status/4N50G-7M7G1-2X63", headers=from_ip("198.51.100.9"))
    assert closed.status_code == 503 and closed.headers["Retry-After"] == "5"
    assert closed.json_body["error"]["code"] == "temporarily_unavailable"
    assert post_report(client, 1, "198.51.100.9").status_code == 201  # a citizen's report still goes in


def test_open311_reads_answer_429_in_open311_format(limited_app, monkeypatch):
    client, _, _, _ = limited_app
    monkeypatch.setenv("RATE_LIMIT_OPEN311_READ", "ip=1/60")
    config.reset()
    bootstrap.override(settings=config.settings())
    address = from_ip("203.0.113.10")
    assert client.http.get("/open311/v2/services.json", headers=address).status_code == 200
    refused = client.http.get("/open311/v2/services.xml", headers=address)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert b"<errors><error><code>429</code>" in refused.body
    as_json = client.http.get("/open311/v2/discovery.json", headers=address)
    assert as_json.status_code == 429 and as_json.json_body[0]["code"] == 429
    media = client.http.get("/open311/v2/media/abc/p1", headers=address)
    assert media.status_code == 429 and media.json_body[0]["code"] == 429


def test_a_forged_webhook_flood_does_not_use_up_the_providers_ceiling(limited_app, monkeypatch):
    from tests.integration.conftest import partner_body, signed_headers

    client, _, _, limiter = limited_app
    monkeypatch.setenv("RATE_LIMIT_WEBHOOKS", "channel=3/60")
    config.reset()
    bootstrap.override(settings=config.settings())

    def deliver(n: int, signed: bool = True):
        raw = json.dumps(partner_body(f"JAKI-LIMIT-{n}")).encode()
        headers = (
            signed_headers(raw, timestamp=int(START.timestamp())) if signed else {"Content-Type": "application/json"}
        )
        return client.http.post("/webhooks/jaki", body=raw, headers={**headers, **from_ip("203.0.113.11")})

    assert [deliver(n, signed=False).status_code for n in range(10)] == [401] * 10
    assert not limiter.hits  # nothing counted before the signature
    statuses = [deliver(n).status_code for n in range(5)]
    assert statuses == [201, 201, 201, 429, 429]
    assert {scope for scope, _ in limiter.hits} == {"webhooks:channel"}  # never by address


# --- every public door has a decision -------------------------------------------------------------


def test_every_route_without_sign_in_is_limited_or_exempt_with_a_reason():
    from chalicelib.api.limits import EXEMPT, route_limit
    from tests.support.routes import app_routes

    undecided, both, unknown_scope = [], [], []
    public = {route: entry for route, entry in app_routes().items() if entry.authorizer is None}
    for route, entry in public.items():
        limit = route_limit(entry.view_function)
        if limit is None and route not in EXEMPT:
            undecided.append(route)
        if limit is not None and route in EXEMPT:
            both.append(route)
        if limit is not None and limit.scope not in RATE_LIMIT_DEFAULTS:
            unknown_scope.append((route, limit.scope))
    assert undecided == [], "limit these routes (api/limits.py `limited`) or list them in EXEMPT with a reason"
    assert both == [] and unknown_scope == []
    assert set(EXEMPT) <= set(public), "EXEMPT names a route that does not exist or needs sign-in"
    assert all(len(reason) > 10 for reason in EXEMPT.values())
    guessable = [("GET", "/status/{tracking_code}"), ("GET", "/open311/v2/tokens/{token}"), ("POST", "/alerts/confirm")]
    assert all(route_limit(public[route].view_function).fail_closed for route in guessable)
    assert not route_limit(public[("POST", "/reports")].view_function).fail_closed


def test_the_inventory_check_notices_a_new_unlimited_route(monkeypatch):
    import app
    from chalicelib.api.limits import EXEMPT, route_limit

    @app.app.route("/brand-new-public-door", methods=["GET"])
    def brand_new():
        return {}

    try:
        entry = app.app.routes["/brand-new-public-door"]["GET"]
        assert entry.authorizer is None and route_limit(entry.view_function) is None
        assert ("GET", "/brand-new-public-door") not in EXEMPT
    finally:
        del app.app.routes["/brand-new-public-door"]
