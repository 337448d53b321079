"""The custom metrics the ops dashboard reads (infra/observability.py): cases opened per
channel, and the due cases each SLA sweep run reads. Counted once per case, never for a
repeated delivery or a sweep that found nothing."""

from __future__ import annotations

import pytest

from chalicelib import cloudwatch
from chalicelib.domain import tracking
from chalicelib.domain.case import Case
from chalicelib.domain.channels import Channel
from chalicelib.domain.report import build_report
from chalicelib.domain.sla import SlaPolicy
from chalicelib.services import routing
from chalicelib.services.intake import submit_report
from chalicelib.services.sla_sweep import sweep
from infra import observability
from tests.support.fakes import (
    FakeCaseQueries,
    FakeCaseRepository,
    FakeDuplicateIndex,
    FakePhotoStore,
    FakeQuarantine,
    FakeRoutingStore,
    FixedClock,
)


@pytest.fixture
def counted(monkeypatch):
    calls = []
    monkeypatch.setattr(
        cloudwatch, "count", lambda name, value=1, **dimensions: calls.append((name, value, dimensions))
    )
    return calls


def test_each_opened_case_counts_once_for_its_channel(counted):
    deps = {"cases": FakeCaseRepository(), "photos": FakePhotoStore(), "clock": FixedClock(), "code_key": b"k"}

    def report(channel, message_id):
        return build_report(channel=channel, message_id=message_id, category="garbage", description="Sampah menumpuk")

    submit_report(report(Channel.JAKI, "JAKI-1"), **deps)
    submit_report(report(Channel.JAKI, "JAKI-1"), **deps)  # the provider's retry: the same case
    submit_report(report(Channel.QLUE, "QLUE-7"), **deps)
    opened = [(value, dimensions) for name, value, dimensions in counted if name == observability.CASES_OPENED]
    assert opened == [(1, {"channel": "jaki"}), (1, {"channel": "qlue"})]


def test_each_sweep_run_counts_the_due_cases_it_read(counted):
    cases, clock = FakeCaseRepository(), FixedClock()
    for _ in range(3):
        report = build_report(
            channel=Channel.JAKI,
            message_id=tracking.new_code(),
            category="garbage",
            description="Sampah menumpuk di depan pasar",
            location={"lat": -6.1754, "lng": 106.8272},
        )
        case = Case.open(report, tracking.new_code(), clock(), policy=SlaPolicy())
        cases.add(case)
        routing.forget_cached_rules()
        routing.route_case(
            case.tracking_code,
            cases=cases,
            duplicate_index=FakeDuplicateIndex(cases),
            rules=FakeRoutingStore(),
            clock=clock,
        )
    clock.advance(hours=4, minutes=48)  # 80 % of the 6-hour coordination time: a reminder each

    def run():
        return sweep(
            cases=cases, queries=FakeCaseQueries(cases), clock=clock, quarantine=FakeQuarantine(), public_name=str
        )

    assert run().due == 3
    assert run().due == 0
    read = [(value, dimensions) for name, value, dimensions in counted if name == observability.SWEEP_ITEMS_READ]
    assert read == [(3, {}), (0, {})]
