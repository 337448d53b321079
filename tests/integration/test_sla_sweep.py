"""The SLA sweep on the moto server: it reads only what is due, and acting on a
milestone happens once however many sweeps run."""

import threading
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import bootstrap
from chalicelib.adapters import aws as aws_clients
from chalicelib.domain.case import SYSTEM
from chalicelib.domain.channels import Channel
from chalicelib.domain.report import build_report
from chalicelib.services.intake import submit_report
from chalicelib.services.routing import route_case
from chalicelib.services.sla_sweep import sweep
from tests.support.fakes import FixedClock

# Long before every other test's cases, so none of theirs is due at these times.
T0 = datetime(2020, 1, 6, 3, 0, tzinfo=UTC)


class ReadCounter:
    """Items DynamoDB returned to this process: Query counts and GetItem hits."""

    def __init__(self):
        self.query_items = 0
        self.scanned = 0
        self.get_items = 0
        self.queries = 0

    def __call__(self, http_response, parsed, model, **_):
        if model.name == "Query":
            self.queries += 1
            self.query_items += parsed.get("Count", 0)
            self.scanned += parsed.get("ScannedCount", 0)
        elif model.name == "GetItem" and "Item" in parsed:
            self.get_items += 1


CREATED: list[str] = []


@pytest.fixture
def world(app_env):
    clock = FixedClock(T0)
    app = bootstrap.override(clock=clock)
    counter = ReadCounter()
    client = aws_clients.client("dynamodb")
    client.meta.events.register("after-call.dynamodb", counter)
    yield app, clock, counter
    client.meta.events.unregister("after-call.dynamodb", counter)
    # Take this test's cases out of the due index, so the next test sees only its own.
    for code in CREATED:
        case = app.cases.get(code)
        if case.status.value not in ("rejected", "merged", "closed"):
            case.reject("spam", "test clean-up", clock(), SYSTEM)
            app.cases.save(case)
    CREATED.clear()


def open_cases(app, clock, count, prefix):
    codes = []
    for n in range(count):
        report = build_report(
            channel=Channel.QLUE,
            message_id=f"{prefix}-{n}-{T0.timestamp()}-{id(clock)}",
            category="garbage",
            description=f"Sampah {prefix} {n}",
            location={"lat": -6.19 - n * 0.01, "lng": 106.9},  # 1.1 km apart, all in Jakarta Timur
        )
        receipt = submit_report(
            report, cases=app.cases, photos=app.photos, clock=clock, code_key=app.settings.tracking_code_key
        )
        route_case(
            receipt.tracking_code, cases=app.cases, duplicate_index=app.duplicate_index, rules=app.routing, clock=clock
        )
        codes.append(receipt.tracking_code)
    CREATED.extend(codes)
    return codes


def run_sweep(app):
    return sweep(cases=app.cases, queries=app.queries, clock=app.clock, quarantine=app.quarantine, public_name=str)


def test_the_sweep_reads_only_due_cases_and_twice_changes_nothing(world):
    app, clock, counter = world
    early = open_cases(app, clock, 12, "early")
    clock.advance(hours=3)
    late = open_cases(app, clock, 8, "late")  # their 80 % reminder comes 3 h later
    clock.advance(hours=1, minutes=50)  # T0 + 4 h 50: the early ones' coordination reminder is due
    counter.__init__()
    result = run_sweep(app)
    assert (result.due, result.changed) == (len(early), len(early))
    assert counter.query_items == counter.scanned == len(early)  # index entries read: exactly the due ones
    assert counter.get_items == len(early)
    assert (counter.query_items + counter.get_items) / result.due == 2  # the target: <= 2 items per due case
    assert counter.queries == 8  # one per write shard, whatever the number of cases
    for code in early:
        assert "coordination.reminder" in app.cases.get(code).sla.marked
    for code in late:
        assert app.cases.get(code).sla.marked == set()

    counter.__init__()
    again = run_sweep(app)
    assert again.due == 0 and counter.query_items == 0 and counter.get_items == 0


def test_two_sweeps_at_once_breach_each_case_once(world):
    app, clock, _ = world
    codes = open_cases(app, clock, 6, "race")
    clock.advance(hours=6, minutes=5)
    barrier, results = threading.Barrier(2), []

    def sweeper():
        barrier.wait()
        results.append(run_sweep(app))

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result.changed for result in results) == len(codes)
    for code in codes:
        breaches = [
            h for h in app.cases.get(code).history if h.type == "sla.breached" and h.data["milestone"] == "coordination"
        ]
        assert len(breaches) == 1, code


def test_escalation_and_auto_close_happen_on_schedule(world):
    app, clock, _ = world
    (code,) = open_cases(app, clock, 1, "escalate")
    clock.advance(days=30, minutes=1)
    run_sweep(app)
    case = app.cases.get(code)
    assert case.escalated
    assert [h.type for h in case.history].count("case.escalated") == 1
    assert [h.type for h in case.history].count("sla.breached") == 2  # coordination and resolution


def test_an_urgent_priority_moves_the_deadlines_the_sweep_reads(world):
    from chalicelib.domain.permissions import Principal, Role
    from chalicelib.services.lifecycle import Deps, perform

    app, clock, _ = world
    (code,) = open_cases(app, clock, 1, "urgent")
    clock.advance(hours=3)  # standard coordination: nothing due until its 80 % reminder at 4 h 48
    assert run_sweep(app).due == 0
    bureau = Principal("u-bureau", frozenset({Role.BUREAU_VERIFIER}), "biro-pemerintahan")
    perform(
        code,
        "set_priority",
        {"priority": "urgent", "reason": "Sampah menutup saluran"},
        bureau,
        Deps(cases=app.cases, photos=app.photos, clock=clock),
    )
    # The save recomputed the due-index key: the 2-hour deadline has passed, the sweep finds it.
    result = run_sweep(app)
    assert (result.due, result.changed) == (1, 1)
    case = app.cases.get(code)
    assert case.priority == "urgent" and "coordination.breach" in case.sla.marked
    assert case.sla.resolve_by == T0 + timedelta(days=3)
    breach = [h for h in case.history if h.type == "sla.breached"]
    assert [h.data["milestone"] for h in breach] == ["coordination"]
