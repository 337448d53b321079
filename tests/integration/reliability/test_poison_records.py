"""Poison records on the moto server: one bad item never halts the SLA sweep or
a worker; after its bounded attempts it is quarantined, counted and can be
listed and replayed (infra/quarantine.py). docs/security.md "Poison records"
quotes the figures this writes to test-artifacts/poison-sweep.json."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from chalicelib import bootstrap
from chalicelib.adapters import aws as aws_clients
from chalicelib.adapters.case_repository import case_to_item, serialize
from chalicelib.domain import tracking
from chalicelib.domain.case import Case
from chalicelib.domain.channels import Channel
from chalicelib.domain.report import build_report
from chalicelib.domain.request_ids import public_id
from chalicelib.services.batch import SCHEDULED_MAX_RUNS, SQS_MAX_RECEIVES
from infra import quarantine as operator
from tests.support.artifacts import artifact
from tests.support.fakes import FixedClock

# Before every other test's cases (test_sla_sweep.py starts in 2020), so none of theirs is due.
T0 = datetime(2019, 3, 4, 3, 0, tzinfo=UTC)
HEALTHY, POISONED = 990, 10


def emf(text: str, name: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith('{"_aws"') and f'"{name}"' in line]


def bulk_write(client, table: str, requests: list[dict]) -> None:
    """BatchWriteItem in 25s, resending what DynamoDB leaves unprocessed."""
    for start in range(0, len(requests), 25):
        pending = {table: requests[start : start + 25]}
        while pending.get(table):
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def largest_description(client, table: str, item: dict) -> int:
    """The longest description with which this item still fits the table's item size limit."""
    low, high = 0, 420_000
    while high - low > 1:
        middle = (low + high) // 2
        try:
            client.put_item(TableName=table, Item=serialize({**item, "description": "x" * middle}))
            low = middle
        except ClientError as error:
            assert "size" in str(error).lower(), error
            high = middle
    return low


class SaveRefused:
    """A save that always raises (for these case keys), as a bug in the write path would."""

    def __init__(self, keys: set[str]):
        self.keys = keys

    def __call__(self, params, **_):
        if params.get("Item", {}).get("PK", {}).get("S") in self.keys:
            error = {"Code": "ValidationException", "Message": "One or more parameter values were invalid"}
            raise ClientError({"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}, "PutItem")


@pytest.fixture
def due_world(app_env, aws):
    """1,000 cases reported at T0, written in bulk; 10 of them poisoned in different ways."""
    clock = FixedClock(T0)
    app = bootstrap.override(clock=clock)
    key = app.settings.tracking_code_key
    client, table = aws("dynamodb"), app_env["CASES_TABLE"]
    run = time.time_ns()
    items, codes = [], []
    for n in range(HEALTHY + POISONED):
        message_id = f"poison-sweep-{run}-{n}"
        code = tracking.derive_code(key, "qlue", message_id)
        report = build_report(channel=Channel.QLUE, message_id=message_id, category="garbage", description="Sampah")
        items.append(case_to_item(Case.open(report, code, T0), 1, []))
        codes.append(code)
    healthy, poisoned = codes[:HEALTHY], codes[HEALTHY:]
    unreadable, oversized, refused = items[HEALTHY : HEALTHY + 3], items[HEALTHY + 3 : HEALTHY + 6], poisoned[6:]
    unreadable[0]["status"] = "no-such-status"
    unreadable[1]["sla"]["coordinate_by"] = "not a date"
    del unreadable[2]["created_at"]
    fits = largest_description(client, table, oversized[0])  # the save adds the breach: > 400 KB
    for item in oversized:
        item["description"] = "x" * fits
    bulk_write(client, table, [{"PutRequest": {"Item": serialize(item)}} for item in items])
    refuse = SaveRefused({f"CASE#{code}" for code in refused})
    dynamodb = aws_clients.client("dynamodb")
    dynamodb.meta.events.register("before-parameter-build.dynamodb.PutItem", refuse)
    try:
        yield app, clock, healthy, poisoned, refuse
    finally:
        dynamodb.meta.events.unregister("before-parameter-build.dynamodb.PutItem", refuse)
        # Out of the next tests' way: the cases and their quarantine records.
        deletes = [{"DeleteRequest": {"Key": serialize({"PK": f"CASE#{c}", "SK": "CASE"})}} for c in codes]
        deletes += [
            {"DeleteRequest": {"Key": serialize({"PK": "QUARANTINE", "SK": f"sla_sweep#{public_id(c, key)}"})}}
            for c in poisoned
        ]
        bulk_write(client, table, deletes)


def breached(app, codes):
    cases = app.case_reader.get_many(codes)
    return {code for code, case in cases.items() if "coordination.breach" in case.sla.marked}


def due_now(app, codes, now):
    wanted = set(codes)
    return {code for code in app.queries.due(now) if code in wanted}


def test_a_sweep_over_1000_due_cases_changes_every_healthy_one_and_quarantines_the_poisoned(due_world, capsys):
    from chalicelib.workers.sla import run_sweep

    app, clock, healthy, poisoned, refuse = due_world
    key = app.settings.tracking_code_key
    clock.advance(hours=6, minutes=5)  # the 6-hour coordination deadline has passed for all 1,000
    started = time.perf_counter()
    first = run_sweep()
    seconds = time.perf_counter() - started
    assert (first.due, first.changed, first.failed, first.quarantined) == (1000, HEALTHY, POISONED, 0)
    assert breached(app, healthy) == set(healthy)  # 990/990 in that one sweep

    for run in range(2, SCHEDULED_MAX_RUNS + 1):
        clock.advance(minutes=5)
        outcome = run_sweep()
        assert outcome.due == POISONED and outcome.changed == 0
        assert (outcome.failed, outcome.quarantined) == ((POISONED, 0) if run < SCHEDULED_MAX_RUNS else (0, POISONED))

    records = {record.key: record for record in app.quarantine.records("sla_sweep")}
    assert set(records) == {public_id(code, key) for code in poisoned}  # named by public id only
    assert {record.state for record in records.values()} == {"quarantined"}
    assert {record.attempts for record in records.values()} == {SCHEDULED_MAX_RUNS}
    errors = sorted(records[public_id(code, key)].error for code in poisoned)
    assert errors == ["ClientError"] * 7 + ["UnreadableItem"] * 3  # the repository names unreadable items
    poisoned_lines = emf(capsys.readouterr().out, "PoisonedItems")
    assert sum(line["PoisonedItems"] for line in poisoned_lines) == POISONED
    assert {line["source"] for line in poisoned_lines} == {"sla_sweep"}

    clock.advance(minutes=5)
    assert due_now(app, poisoned, clock()) == set()  # off the due index: not even read again
    assert run_sweep().due == 0

    # The operator's view, and a replay once the cause is fixed.
    listed = {line["key"]: line for line in operator.list_records("sla_sweep")}
    assert set(listed) == set(records) and "payload" not in next(iter(listed.values()))
    fixed = poisoned[6]
    refuse.keys.discard(f"CASE#{fixed}")
    assert operator.replay("sla_sweep", public_id(fixed, key))["source"] == "sla_sweep"
    assert due_now(app, [fixed], clock()) == {fixed}
    assert run_sweep().changed == 1 and breached(app, [fixed]) == {fixed}
    assert app.quarantine.get("sla_sweep", public_id(fixed, key)).state == "replayed"
    with pytest.raises(operator.ReplayFailed):  # still unreadable: the record stays
        operator.replay("sla_sweep", public_id(poisoned[0], key))
    assert app.quarantine.get("sla_sweep", public_id(poisoned[0], key)).state == "quarantined"

    with open(artifact("poison-sweep.json"), "w") as out:
        json.dump(
            {
                "due": first.due,
                "healthy_changed_in_first_sweep": first.changed,
                "poisoned": POISONED,
                "quarantined_after_runs": SCHEDULED_MAX_RUNS,
                "first_sweep_seconds": round(seconds, 2),
            },
            out,
        )


# --- a queue worker through the local event runner ------------------------------------------


@pytest.fixture
def metrics_worker(app_env, aws, stack):
    """The agency-metrics worker fed by the event runner; its queue redelivers at once."""
    import app
    from infra.local.event_runner import EventRunner

    sqs = aws("sqs")
    url = sqs.get_queue_url(QueueName=app_env["METRICS_QUEUE"])["QueueUrl"]
    runner = EventRunner(app, stack.aws_endpoint, stack.env["AWS_REGION"], run_schedules=False, only={"agency_metrics"})
    runner.drain()
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "0"})  # no 180 s waits between receives
    try:
        yield runner, url
    finally:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "180"})


def assigned(agency, n, **overrides):
    return json.dumps(
        {
            "id": f"{agency}:1:{n}",
            "type": "case.assigned",
            "occurred_at": "2019-03-04T03:00:00.000000Z",
            "tracking_code": f"{agency}-{n}",
            "version": 1,
            "data": {"agency_id": agency, "agency_name": agency, "how": "routing"},
            "case": {"category": "garbage"},
            **overrides,
        }
    )


def test_a_poisoned_message_is_quarantined_on_its_last_receive_and_the_others_go_through(
    metrics_worker, aws, capsys, monkeypatch
):
    from chalicelib.services import metrics

    runner, url = metrics_worker
    agency = f"test-poison-{time.time_ns()}"
    counted = metrics.record_event

    def buggy(message, store):  # a bug that bites one event, until it is fixed
        if message.id == f"{agency}:1:1":
            raise RuntimeError("a bug in the counters")
        return counted(message, store)

    monkeypatch.setattr(metrics, "record_event", buggy)
    ids = {}
    for n, body in enumerate([assigned(agency, 0), assigned(agency, 1), "{not json", assigned(agency, 2)]):
        ids[n] = aws("sqs").send_message(QueueUrl=url, MessageBody=body)["MessageId"]

    runner.drain(timeout=30)

    app = bootstrap.services()
    (counters,) = [day for (owner, _dd), day in app.metrics.month("2019-03").days.items() if owner == agency]
    assert counters["received"] == 2  # the two good events, once each
    records = {record.key: record for record in app.quarantine.records("agency_metrics") if record.key in ids.values()}
    assert set(records) == {ids[1], ids[2]}
    assert records[ids[1]].attempts == SQS_MAX_RECEIVES and records[ids[1]].error == "RuntimeError"
    assert records[ids[2]].attempts == 1 and records[ids[2]].error.startswith("Unreadable")  # at once
    assert records[ids[1]].payload == assigned(agency, 1)
    assert runner.dead_letters == []
    depth = aws("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert depth["Attributes"]["ApproximateNumberOfMessages"] == "0"  # nothing left for the DLQ
    lines = [line for line in emf(capsys.readouterr().out, "PoisonedItems") if line["source"] == "agency_metrics"]
    assert len(lines) == 2

    # The fix is deployed; the operator replays the message.
    monkeypatch.setattr(metrics, "record_event", counted)
    assert operator.replay("agency_metrics", ids[1])["replayed"].startswith("sent to")
    runner.drain(timeout=30)
    (counters,) = [day for (owner, _dd), day in app.metrics.month("2019-03").days.items() if owner == agency]
    assert counters["received"] == 3
    assert app.quarantine.get("agency_metrics", ids[1]).state == "replayed"


# --- the store's contract on DynamoDB (moto) ---------------------------------------------------


def test_the_quarantine_store_counts_quarantines_once_and_keeps_records_until_replayed(app_env, aws):
    from chalicelib.adapters.quarantine_store import MAX_PAYLOAD_BYTES, QuarantineStore
    from chalicelib.domain.poison import Poison

    store, source = QuarantineStore(app_env["CASES_TABLE"]), f"test_source_{time.time_ns()}"
    assert [store.count_failure(source, "k1", "RuntimeError", T0) for _ in range(2)] == [1, 2]
    assert store.get(source, "k1").state == "failing" and store.keys(source) == set()
    assert store.put(Poison(source, "k1", "RuntimeError", 2, T0, payload='{"a": 1}')) is True
    assert store.count_failure(source, "k1", "RuntimeError", T0) == 2  # left as it is
    assert store.put(Poison(source, "k1", "RuntimeError", 2, T0)) is False  # not a new quarantine
    raw = aws("dynamodb").get_item(
        TableName=app_env["CASES_TABLE"], Key=serialize({"PK": "QUARANTINE", "SK": f"{source}#k1"})
    )
    assert "expires_at" not in raw["Item"], "a quarantined record waits for an operator, no TTL"
    record = store.get(source, "k1")
    assert (record.state, record.attempts, record.payload) == ("quarantined", 2, '{"a": 1}')
    assert store.keys(source) == {"k1"}

    assert store.put(Poison(source, "big", "Unreadable", 1, T0, payload="x" * (MAX_PAYLOAD_BYTES + 1))) is True
    big = store.get(source, "big")
    assert big.payload is None and big.payload_bytes == MAX_PAYLOAD_BYTES + 1  # the key and its size only

    assert store.mark_replayed(source, "k1", T0) is True
    assert store.mark_replayed(source, "k1", T0) is False
    replayed = store.get(source, "k1")
    assert (replayed.state, replayed.attempts) == ("replayed", 0) and store.keys(source) == {"big"}
    assert store.count_failure(source, "k1", "RuntimeError", T0) == 1  # counted afresh after a replay
    assert [r.key for r in store.records(source)] == ["big", "k1"]
