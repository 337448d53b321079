"""Integration fixtures: one local stack (moto server over HTTP + provisioning
from infra/template.yaml + `chalice local`) shared by the session, plus an
in-process app wired to the same moto server for tests that inject faults or
capture logs."""

from __future__ import annotations

import json
import time

import boto3
import pytest
import requests

from chalicelib.config import DEV_SECRETS
from chalicelib.domain.signatures import signature_headers
from infra.local import devstack
from infra.local.provision import LOCAL_CREDENTIALS
from tests.support.artifacts import artifact


@pytest.fixture(scope="session")
def providers():
    """One fake provider API (Twilio, Meta Graph, X, partner callbacks) for the session:
    the stack's base URLs point at it, so nothing ever leaves the machine."""
    from tests.support.providers import FakeProvider

    fake = FakeProvider().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def stack(providers):
    from tests.support.fakes import generous_rate_limits

    provider_env = {
        "TWILIO_API_BASE_URL": providers.url,
        "META_GRAPH_BASE_URL": providers.url,
        "X_API_BASE_URL": providers.url,
        "PROVIDER_TIMEOUT_SECONDS": "5",
        # The suite makes thousands of requests from 127.0.0.1: every limit is counted (the
        # counters are written) but out of reach. tests/integration/test_rate_limits.py runs
        # an API with the real defaults on the same stand-in.
        **generous_rate_limits(),
        # Linked photos (Open311 media_url) come from the fake provider on 127.0.0.1: let that
        # one address through the fetch's guard (a test-only setting, refused outside local).
        "MEDIA_FETCH_TEST_ALLOW": "127.0.0.1/32",
    }
    with open(artifact("integration-stack.log"), "w") as log:
        running = devstack.start(
            devstack.free_port(),
            devstack.free_port(),
            load_demo=False,
            run_events=False,
            output=log,
            extra_env=provider_env,
        )
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture(scope="session")
def aws(stack):
    """Direct boto3 clients on the moto server, to look at what the app stored."""
    made = {}

    def client(service):
        if service not in made:
            made[service] = boto3.client(
                service,
                endpoint_url=stack.aws_endpoint,
                region_name=stack.env["AWS_REGION"],
                aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            )
        return made[service]

    return client


@pytest.fixture
def app_env(stack, monkeypatch):
    """This process configured like the stack's API (for in-process app use)."""
    from chalicelib import bootstrap

    for name, value in stack.env.items():
        monkeypatch.setenv(name, value)
    bootstrap.reset()
    yield stack.env  # tests/conftest.py resets again afterwards


@pytest.fixture
def client(app_env):
    """chalice.test.Client on the real app, talking to the moto server."""
    from chalice.test import Client

    import app

    with Client(app.app, stage_name="local") as test_client:
        yield test_client


@pytest.fixture
def runner(app_env, stack):
    """The local event runner, polled by hand (run_once/drain) in tests."""
    import app
    from infra.local.event_runner import EventRunner, StreamSource

    event_runner = EventRunner(app, stack.aws_endpoint, stack.env["AWS_REGION"], run_schedules=False)
    # Earlier tests' stream records were relayed by their own runners: start at
    # the end (re-reading from TRIM_HORIZON would re-publish every event of the
    # session for each test), then finish what earlier tests left in the queues.
    for source in event_runner.sources:
        if isinstance(source, StreamSource):
            source.starting_position = "LATEST"
    event_runner.drain()
    event_runner.dead_letters.clear()  # ...and forget records they poisoned on purpose
    return event_runner


@pytest.fixture
def ses_sent(app_env):
    """The SendEmail requests this process's app makes (replies, alert codes and digests)."""
    from chalicelib.adapters import aws as aws_clients

    sent = []

    def capture(params, **_):
        sent.append(params)

    client = aws_clients.client("ses")
    client.meta.events.register("provide-client-params.ses.SendEmail", capture)
    yield sent
    client.meta.events.unregister("provide-client-params.ses.SendEmail", capture)


def unique(prefix: str = "JAKI") -> str:
    return f"{prefix}-{time.time_ns()}"


def partner_body(report_id: str | None = None, **overrides) -> dict:
    body = {
        "report_id": report_id or unique(),
        "category": "garbage",
        "description": "Sampah menumpuk di trotoar depan pasar",
        "location": {"lat": -6.1754, "lng": 106.8272, "address": "Jl. Medan Merdeka Barat"},
        "reporter": {"name": "Siti", "phone": "+6281234567890", "email": "siti@example.com", "anonymous": False},
        "photos": [],
        "created_at": "2026-11-23T10:00:00+07:00",
    }
    body.update(overrides)
    return body


def signed_headers(raw: bytes, channel: str = "jaki", timestamp: int | None = None) -> dict[str, str]:
    secret = DEV_SECRETS[f"{channel.upper()}_WEBHOOK_SECRET"]
    return {"Content-Type": "application/json", **signature_headers(secret, raw, timestamp or int(time.time()))}


def post_report(stack, body: dict, channel: str = "jaki", **kwargs) -> requests.Response:
    raw = json.dumps(body).encode()
    return requests.post(
        f"{stack.api_url}/webhooks/{channel}", data=raw, headers=signed_headers(raw, channel), timeout=30, **kwargs
    )


@pytest.fixture(scope="session")
def officers(stack):
    """One signed-in officer per role we need, in the stack's Cognito pool; returns name -> headers."""
    from infra.local import demo

    suffix = str(time.time_ns())[-8:]
    people = {
        "dinas_lh": ("agency_officer", "dinas-lh"),
        "sudin_lh": ("agency_officer", "sudin-lh-jakpus"),
        "bina_marga": ("agency_officer", "dinas-bina-marga"),
        "sda": ("agency_officer", "dinas-sda"),
        "bureau": ("bureau_verifier", "biro-pemerintahan"),
        "supervisor": ("supervisor", "inspektorat"),
        "admin": ("admin", None),
        "intake": ("intake_officer", "kel-jakpus-gambir-gambir"),
    }
    headers = {}
    for name, (role, agency) in people.items():
        email = f"{name}.{suffix}@example.com"
        demo.create_user(
            stack.aws_endpoint, stack.env["AWS_REGION"], stack.env["COGNITO_USER_POOL_ID"], email, role, agency
        )
        token = demo.sign_in(stack.aws_endpoint, stack.env["AWS_REGION"], stack.env["COGNITO_APP_CLIENT_ID"], email)
        headers[name] = {"Authorization": f"Bearer {token}"}
    return headers


def moto_signed_token(stack, **claims) -> str:
    """A token signed with the stand-in pool's own key, with claims of our choosing."""
    from joserfc import jwk, jwt
    from moto.utilities.utils import load_resource

    key = jwk.RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    now = int(time.time())
    pool = stack.env["COGNITO_USER_POOL_ID"]
    body = {
        "iss": f"https://cognito-idp.{stack.env['AWS_REGION']}.amazonaws.com/{pool}",
        "aud": stack.env["COGNITO_APP_CLIENT_ID"],
        "sub": "forged-sub",
        "token_use": "id",
        "iat": now,
        "exp": now + 600,
        "cognito:groups": ["supervisor"],
        "custom:agency_id": "inspektorat",
    }
    body.update(claims)
    return jwt.encode({"kid": "dummy", "alg": "RS256"}, body, key)
