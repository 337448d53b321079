"""The real app in process, on in-memory fakes (no AWS): fast enough for
fuzzing and for the request-limit checks."""

from __future__ import annotations

import pytest


@pytest.fixture
def fakes(monkeypatch):
    from chalicelib import bootstrap
    from tests.support.fakes import (
        FakeCaseQueries,
        FakeCaseRepository,
        FakeMetricsStore,
        FakeNoticeQueue,
        FakeNotificationStore,
        FakePhotoStore,
        FakePublisher,
        FakeRateLimiter,
        FakeRoutingStore,
        FakeSenderRepository,
        generous_rate_limits,
    )

    monkeypatch.setenv("CRM_STAGE", "local")
    for name in ("JAKI_WEBHOOK_SECRET", "QLUE_WEBHOOK_SECRET", "TRACKING_CODE_KEY"):
        monkeypatch.delenv(name, raising=False)  # the documented local development secrets
    for name, value in generous_rate_limits().items():  # fuzzers: thousands of requests, one address
        monkeypatch.setenv(name, value)
    bootstrap.reset()
    cases = FakeCaseRepository()
    return bootstrap.override(
        cases=cases,
        photos=FakePhotoStore(),
        events=FakePublisher(),
        queries=FakeCaseQueries(cases),
        case_reader=cases,  # get_many: the public map's lists read their page of cases at once
        routing=FakeRoutingStore(),
        metrics=FakeMetricsStore(),
        notifications=FakeNotificationStore(),
        senders=FakeSenderRepository(),
        notices=FakeNoticeQueue(),
        limiter=FakeRateLimiter(),
    )


@pytest.fixture
def app_client(fakes):
    from chalice.test import Client

    import app

    with Client(app.app, stage_name="local") as client:
        yield client
