"""The one batch primitive (services/batch.py): every item on its own, failures
retried up to a bound, then quarantined with a record, a metric and a log line
that names the item by its key only."""

import json
import logging

import pytest

from chalicelib import config
from chalicelib.adapters.aws import ServiceUnavailable
from chalicelib.services.batch import POISON_METRIC, Batch, Unreadable
from tests.support.fakes import FakeQuarantine, FixedClock


def emf_lines(text: str, name: str) -> list[dict]:
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    return [line for line in lines if "_aws" in line and name in line]


@pytest.fixture
def store():
    return FakeQuarantine()


@pytest.fixture
def log_lines(caplog):
    caplog.set_level(logging.INFO, logger="chalicelib")
    logging.getLogger("chalicelib").propagate = True  # the JSON handler alone would hide them from caplog
    yield caplog
    logging.getLogger("chalicelib").propagate = False


def failing_on(*bad):
    def handle(item):
        if item in bad:
            raise RuntimeError(f"cannot handle {item}")
        return item * 10

    return handle


def test_one_failing_item_never_stops_the_others_and_is_quarantined_after_the_bound(store, capsys):
    batch = Batch(source="sla_sweep", store=store, clock=FixedClock(), bound=3, key=lambda n: f"key-{n}")
    for run in (1, 2):
        outcome = batch.run([1, 2, 3, 4], failing_on(2))
        assert outcome.results == [10, 30, 40] and outcome.failed == ["key-2"] and outcome.quarantined == []
        assert store.items[("sla_sweep", "key-2")]["attempts"] == run
    assert emf_lines(capsys.readouterr().out, POISON_METRIC) == []
    third = batch.run([1, 2, 3, 4], failing_on(2))
    assert third.results == [10, 30, 40] and third.failed == [] and third.quarantined == ["key-2"]
    assert store.quarantined() == {("sla_sweep", "key-2"): store.items[("sla_sweep", "key-2")]}
    assert store.items[("sla_sweep", "key-2")]["error"] == "RuntimeError"  # the type only, never the content
    (metric,) = emf_lines(capsys.readouterr().out, POISON_METRIC)
    assert metric[POISON_METRIC] == 1 and metric["source"] == "sla_sweep"


def test_the_metric_line_has_the_total_and_the_source_dimension(store, capsys, monkeypatch):
    monkeypatch.setenv("CRM_STAGE", "prod")
    config.reset()
    Batch(source="send_replies", store=store, clock=FixedClock(), bound=5, attempt=lambda _: 5).run(
        ["m"], failing_on("m")
    )
    (line,) = emf_lines(capsys.readouterr().out, POISON_METRIC)
    (definition,) = line["_aws"]["CloudWatchMetrics"]
    assert definition["Namespace"] == "CRM/prod"
    assert definition["Metrics"] == [{"Name": "PoisonedItems", "Unit": "Count"}]
    assert definition["Dimensions"] == [[], ["source"]], "the total the alarm watches, and per source"
    assert line["source"] == "send_replies"


def test_an_unreadable_item_is_quarantined_at_once_with_its_payload(store):
    def handle(item):
        raise Unreadable("the body is not JSON")

    batch = Batch(
        source="case_followups", store=store, clock=FixedClock(), bound=5, attempt=lambda _: 1, payload=lambda i: i
    )
    outcome = batch.run(["{not json"], handle)
    assert outcome.quarantined == ["{not json"] and outcome.failed == []
    record = store.items[("case_followups", "{not json")]
    assert record["payload"] == "{not json" and record["attempts"] == 1
    assert record["error"] == "Unreadable: the body is not JSON"


def test_an_item_with_its_own_attempt_count_is_quarantined_on_the_last_attempt(store):
    receives = {"a": 4, "b": 5}
    batch = Batch(source="agency_metrics", store=store, clock=FixedClock(), bound=5, attempt=receives.get)
    outcome = batch.run(["a", "b"], failing_on("a", "b"))
    assert outcome.failed == ["a"] and outcome.quarantined == ["b"]
    assert ("agency_metrics", "a") not in store.items  # SQS counts receives: nothing stored before the bound


def test_an_outage_is_retried_without_counting(store):
    def handle(item):
        raise ServiceUnavailable("dynamodb", "ThrottlingException")

    batch = Batch(source="sla_sweep", store=store, clock=FixedClock(), bound=1, uncounted=(ServiceUnavailable,))
    for _ in range(3):
        assert batch.run(["x"], handle).failed == ["x"]
    assert store.items == {}


def test_without_a_quarantine_record_the_item_is_retried_not_dropped(store, capsys):
    store.fail_writes = True
    batch = Batch(source="sla_sweep", store=store, clock=FixedClock(), bound=1)
    outcome = batch.run(["x", "y"], failing_on("x"))
    assert outcome.failed == ["x"] and outcome.quarantined == [] and outcome.results == ["y" * 10]
    assert emf_lines(capsys.readouterr().out, POISON_METRIC) == []
    unreadable = Batch(source="relay_case_events", store=store, clock=FixedClock(), bound=1)
    assert unreadable.run(["z"], lambda _: (_ for _ in ()).throw(Unreadable("bad"))).failed == ["z"]


def test_an_ordered_batch_stops_at_the_first_item_it_could_not_settle(store):
    def handle(item):
        if item == "b":
            raise Unreadable("bad record")
        if item == "d":
            raise RuntimeError("publish later")
        return item

    batch = Batch(source="relay_case_events", store=store, clock=FixedClock(), bound=1)
    outcome = batch.run(["a", "b", "c", "d", "e"], handle, ordered=True)
    assert outcome.results == ["a", "c"] and outcome.quarantined == ["b"]
    assert outcome.failed == ["d"] and outcome.stopped_at == "d"  # "e" waits behind it


def test_a_key_quarantined_again_is_not_counted_twice_but_moved_aside_again(store, capsys):
    moved = []
    batch = Batch(source="sla_sweep", store=store, clock=FixedClock(), bound=1, on_quarantine=moved.append)
    batch.run(["x"], failing_on("x"))
    batch.run(["x"], failing_on("x"))  # e.g. an officer's save put it back on the due index
    assert moved == ["x", "x"]
    assert len(emf_lines(capsys.readouterr().out, POISON_METRIC)) == 1


def test_a_failure_to_move_it_aside_still_leaves_it_quarantined(store):
    def cannot_move(_item):
        raise RuntimeError("index update failed")

    batch = Batch(source="sla_sweep", store=store, clock=FixedClock(), bound=1, on_quarantine=cannot_move)
    assert batch.run(["x"], failing_on("x")).quarantined == ["x"]
    assert store.keys("sla_sweep") == {"x"}


def test_log_lines_name_the_key_and_the_error_type_only(store, log_lines):
    secret = "Siti +6281234567890 K7QM4-XPA9R-TD2W"

    def handle(item):
        raise ValueError(f"bad value {secret}")

    batch = Batch(source="sla_sweep", store=store, clock=FixedClock(), bound=2, key=lambda _: "public-id-1")
    batch.run([secret], handle)
    batch.run([secret], handle)
    records = [r for r in log_lines.records if r.name == "chalicelib.batch"]
    assert [r.getMessage() for r in records] == ["batch item failed; will retry", "batch item quarantined"]
    for record in records:
        assert record.key == "public-id-1" and record.error == "ValueError" and record.source == "sla_sweep"
        assert secret not in json.dumps(record.__dict__, default=str)
    assert secret not in json.dumps(store.items[("sla_sweep", "public-id-1")], default=str)


def test_scheduled_jobs_can_leave_quarantined_keys_alone(store):
    batch = Batch(source="alert_digests", store=store, clock=FixedClock(), bound=1)
    batch.run(["sub-1", "sub-2"], failing_on("sub-1"))
    assert batch.quarantined_keys() == {"sub-1"}
