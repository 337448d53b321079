"""The SLA sweep at scale: what one sweep reads when 100 of N open cases are due.

The 100 due cases are real cases (made by the intake code, with deadlines in
the past). The other open cases are represented by their due-index entries
only -- case_indexes.due_only_item: the table and due keys, which is all a
KEYS_ONLY index holds -- with deadlines ahead; seeding 100,000 full items into moto would take most of the
10-minute budget, and the sweep never reads a case that is not due (that is
what is measured). Items read = index entries returned + cases loaded.

moto evaluates a GSI Query by walking every item of the table, so the sweep's
*time* on moto grows with N; DynamoDB's Query reads only the matching index
range. The figure that carries over to DynamoDB is the items read.
"""

from __future__ import annotations

import time
from contextlib import redirect_stdout
from datetime import UTC, datetime, timedelta

from bench.common import ROOT, Row

DUE = 100
SIZES = (10_000, 100_000)


class Reads:
    def __init__(self):
        self.index_items = 0
        self.cases = 0

    def __call__(self, parsed, model, **_):
        if model.name == "Query":
            self.index_items += parsed.get("Count", 0)
        elif model.name == "GetItem" and "Item" in parsed:
            self.cases += 1


def _filler(client, table: str, start: int, stop: int) -> None:
    from chalicelib.adapters.case_indexes import due_only_item
    from chalicelib.adapters.case_repository import serialize

    ahead = datetime(2099, 1, 1, tzinfo=UTC)
    batch = []
    for n in range(start, stop):
        batch.append({"PutRequest": {"Item": serialize(due_only_item(f"BENCH-OPEN-{n}", ahead))}})
        if len(batch) == 25:
            client.batch_write_item(RequestItems={table: batch})
            batch = []
    if batch:
        client.batch_write_item(RequestItems={table: batch})


def _due_cases(now: datetime, batch: str) -> list[str]:
    from chalicelib.bootstrap import services
    from chalicelib.domain.channels import Channel
    from chalicelib.domain.report import build_report
    from chalicelib.services.intake import submit_report
    from tests.support.fakes import FixedClock

    app = services()
    clock = FixedClock(now - timedelta(hours=7))  # reported 7 h ago: the 6-hour coordination is overdue
    codes = []
    for n in range(DUE):
        report = build_report(
            channel=Channel.QLUE, message_id=f"BENCH-DUE-{batch}-{n}", category="garbage", description=f"Sampah {n}"
        )
        codes.append(
            submit_report(
                report, cases=app.cases, photos=app.photos, clock=clock, code_key=app.settings.tracking_code_key
            ).tracking_code
        )
    return codes


def run(stand_in) -> list[Row]:
    from chalicelib.adapters import aws
    from chalicelib.bootstrap import services
    from chalicelib.services.sla_sweep import sweep

    client = aws.client("dynamodb")
    table = stand_in.env["CASES_TABLE"]
    results = {}
    seeded = 0
    now = datetime.now(UTC)  # one instant for both sizes: the first size's cases are not due again
    for size in SIZES:
        _filler(client, table, seeded, size - DUE)
        seeded = size - DUE
        _due_cases(now, str(size))
        reads = Reads()
        client.meta.events.register("after-call.dynamodb", reads)
        app = services()
        start = time.perf_counter()
        with open(ROOT / "test-artifacts" / "bench-sweep-metrics.log", "w") as metrics, redirect_stdout(metrics):
            outcome = sweep(  # EMF lines: a file
                cases=app.cases,
                queries=app.queries,
                clock=lambda now=now: now,
                quarantine=app.quarantine,
                public_name=str,
            )
        elapsed = time.perf_counter() - start
        client.meta.events.unregister("after-call.dynamodb", reads)
        results[size] = (reads.index_items + reads.cases, outcome.due, elapsed)
    rows = []
    for size, (read, due, _elapsed) in results.items():
        ratio = read / max(1, due)
        rows.append(
            Row(
                f"SLA sweep items read, {size:,} open",
                f"{read} items",
                f"{due} due",
                ratio,
                "<= 2",
                ratio <= 2,
                "index entries + due cases loaded; no Scan",
            )
        )
    (small_read, _, small_time), (large_read, _, large_time) = results[SIZES[0]], results[SIZES[1]]
    growth = f"{SIZES[0]:,} -> {SIZES[1]:,}"
    rows.append(
        Row(
            f"SLA sweep growth {growth} (items read)",
            f"{large_read}",
            f"{small_read}",
            large_read / small_read,
            "flat (1.0)",
            large_read == small_read,
            "what DynamoDB bills and waits on",
        )
    )
    rows.append(
        Row(
            f"SLA sweep growth {growth} (time on moto)",
            f"{large_time:.1f} s",
            f"{small_time:.1f} s",
            large_time / small_time,
            "informational",
            None,
            "moto scans the whole table per index Query; DynamoDB does not",
        )
    )
    return rows
