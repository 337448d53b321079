"""The SLA sweep on fakes: one poisoned case never stops the others; after the
bounded runs it is quarantined and leaves the due index (the moto version is
tests/integration/reliability/test_poison_records.py)."""

import json
import logging

import pytest

from chalicelib.domain import tracking
from chalicelib.domain.case import Case
from chalicelib.domain.channels import Channel
from chalicelib.domain.report import build_report
from chalicelib.domain.request_ids import public_id, tracking_code_of
from chalicelib.domain.sla import SlaPolicy
from chalicelib.services.batch import SCHEDULED_MAX_RUNS
from chalicelib.services.sla_sweep import sweep
from tests.support.fakes import FakeCaseQueries, FakeCaseRepository, FakeQuarantine, FixedClock

KEY = b"unit-test-key"
HEALTHY, POISONED = 990, 10


class SaveAlwaysFails(FakeCaseRepository):
    def __init__(self):
        super().__init__()
        self.broken: set[str] = set()

    def save(self, case):
        if case.tracking_code in self.broken:
            raise RuntimeError("this save always raises")
        return super().save(case)


def open_case(cases, clock, n, description="Sampah menumpuk"):
    report = build_report(channel=Channel.QLUE, message_id=f"m-{n}", category="garbage", description=description)
    code = tracking.derive_code(KEY, "qlue", f"m-{n}")
    cases.add(Case.open(report, code, clock(), policy=SlaPolicy()))
    return code


@pytest.fixture
def world():
    cases, clock = SaveAlwaysFails(), FixedClock()
    codes = [open_case(cases, clock, n) for n in range(HEALTHY + POISONED)]
    healthy, poisoned = codes[:HEALTHY], codes[HEALTHY:]
    # Unreadable items (a status no code knows, a deadline that is no date, a missing field)...
    cases.items[poisoned[0]]["status"] = "no-such-status"
    cases.items[poisoned[1]]["sla"]["coordinate_by"] = "not a date"
    del cases.items[poisoned[2]]["created_at"]
    # ...items whose save DynamoDB refuses (> 400 KB once the breach is recorded)...
    for code in poisoned[3:6]:
        cases.items[code]["description"] = "x" * (400 * 1024 - 2_000)
    # ...and saves that always raise.
    cases.broken.update(poisoned[6:])
    clock.advance(hours=6, minutes=5)  # the 6-hour coordination deadline has passed for all
    return cases, FakeCaseQueries(cases), clock, FakeQuarantine(), healthy, poisoned


def run(world):
    cases, queries, clock, quarantine, _, _ = world
    return sweep(
        cases=cases,
        queries=queries,
        clock=clock,
        quarantine=quarantine,
        public_name=lambda code: public_id(code, KEY),
    )


def test_every_healthy_case_changes_in_one_sweep_and_the_poisoned_are_quarantined_after_the_bound(world, capsys):
    cases, _, clock, quarantine, healthy, poisoned = world
    first = run(world)
    assert (first.due, first.changed, first.failed, first.quarantined) == (1000, HEALTHY, POISONED, 0)
    for code in healthy:
        assert "coordination.breach" in cases.get(code).sla.marked
    for _ in range(SCHEDULED_MAX_RUNS - 2):
        clock.advance(minutes=5)
        assert run(world).failed == POISONED
    clock.advance(minutes=5)
    last = run(world)
    assert (last.due, last.changed, last.failed, last.quarantined) == (POISONED, 0, 0, POISONED)

    records = quarantine.quarantined("sla_sweep")
    assert {tracking_code_of(key, KEY) for _, key in records} == set(poisoned)  # named by public id
    assert all(record["attempts"] == SCHEDULED_MAX_RUNS for record in records.values())
    errors = sorted(record["error"] for record in records.values())
    # unreadable items are named by the repository's UnreadableItem (chalicelib/adapters/unreadable.py)
    assert errors == ["ClientError"] * 3 + ["RuntimeError"] * 4 + ["UnreadableItem"] * 3
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"PoisonedItems"' in line]
    assert sum(line["PoisonedItems"] for line in metrics) == POISONED
    assert {line["source"] for line in metrics} == {"sla_sweep"}

    # Off the due index: the next sweep does not even read them.
    clock.advance(minutes=5)
    assert run(world).due == 0
    for code in poisoned:
        assert "due_pk" not in cases.items[code] and "due_sk" not in cases.items[code]


def test_a_case_that_fails_once_is_retried_and_not_quarantined(world):
    cases, _, clock, quarantine, _, poisoned = world
    run(world)
    cases.broken.clear()  # the saves work again (a fixed bug, a passing problem)
    clock.advance(minutes=5)
    second = run(world)
    assert second.changed == 4 and second.failed == 6 and quarantine.quarantined() == {}


def test_failure_logs_name_cases_by_public_id_never_by_tracking_code(world, caplog):
    _, _, _, _, _, poisoned = world
    caplog.set_level(logging.INFO, logger="chalicelib")
    logging.getLogger("chalicelib").propagate = True
    try:
        for _ in range(SCHEDULED_MAX_RUNS):
            run(world)
    finally:
        logging.getLogger("chalicelib").propagate = False
    lines = [json.dumps(record.__dict__, default=str) for record in caplog.records]
    assert any("quarantined" in line for line in lines)
    for code in poisoned:
        assert not [line for line in lines if code in line], code
        assert any(public_id(code, KEY) in line for line in lines)
