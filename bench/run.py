"""`make bench`: every benchmark, one table, and bench/RESULTS.md.

python -m bench.run            all of them (under 10 minutes on 2 cores)
python -m bench.run --quick    smaller sizes, for trying changes
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench.common import ROOT, Row, local_aws, use_environment

RESULTS = ROOT / "bench" / "RESULTS.md"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}){memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def table(rows: list[Row]) -> str:
    lines = ["| benchmark | measured | floor | ratio | target | met | note |", "|---|---|---|---|---|---|---|"]
    for row in rows:
        ratio = "" if row.ratio is None else f"{row.ratio:.2f}"
        met = "" if row.met is None else ("yes" if row.met else "**no**")
        lines.append(f"| {row.name} | {row.measured} | {row.floor} | {ratio} | {row.target} | {met} | {row.note} |")
    return "\n".join(lines)


def guarded(name: str, rows: list[Row], run) -> None:
    started = time.perf_counter()
    try:
        rows.extend(run())
    except Exception as error:  # noqa: BLE001 - a failed benchmark is a row, not a crash of the others
        traceback.print_exc()
        rows.append(Row(name, "failed", "", None, "", False, f"{type(error).__name__}: {str(error)[:120]}"))
    print(f"  {name}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes, nothing written: every benchmark still runs (make test does this)",
    )
    parser.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    args = parser.parse_args(argv)
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    from bench import areas, cold_start, history, ingest, load_test, request_counts, routing, sealing, sweep

    if args.quick:
        history.LONG, history.ACTIONS = 300, 50
        sweep.SIZES = (2_000, 6_000)
        load_test.TOTAL = 1_000
        ingest.BLOCKS = 2
        routing.SIZES, routing.IN_CELL, routing.FLOOD = (10, 3_000), 300, 100
    if args.smoke:
        cold_start.RUNS, cold_start.FIRST_WEBHOOK_RUNS, sweep.SIZES, sweep.DUE = 3, 2, (300, 600), 20
        load_test.TOTAL, load_test.CONCURRENCY = 100, 10
        ingest.BLOCK, ingest.BLOCKS, ingest.READS = 5, 1, 20
        request_counts.PAGE, request_counts.CASES = 5, (8, 16)
        history.CASES, history.LONG, history.ACTIONS = 3, 60, 30
        routing.SIZES, routing.IN_CELL, routing.FLOOD, routing.RECALL_PAIRS = (10, 60), 30, 15, 200
    started = time.perf_counter()
    rows: list[Row] = []
    guarded("cold start", rows, cold_start.run)
    guarded("area lookup", rows, lambda: areas.rows(smoke=args.smoke))
    with local_aws() as stand_in:
        use_environment(stand_in.env)
        guarded("first webhook in a fresh process", rows, lambda: cold_start.first_webhook(stand_in))
        guarded("request counts", rows, lambda: request_counts.run(stand_in))
        guarded("ingest and status reads", rows, lambda: ingest.run(stand_in))
        guarded("contact sealing", rows, lambda: sealing.rows(10 if args.smoke else 50 if args.quick else 200))
        guarded("history write cost", rows, lambda: history.run(stand_in))
        guarded("routing", rows, lambda: routing.run(stand_in))
    with local_aws() as stand_in:  # a fresh table: only the sweep's own cases are due
        use_environment(stand_in.env)
        guarded("SLA sweep", rows, lambda: sweep.run(stand_in))
    guarded("load test", rows, load_test.run)
    elapsed = time.perf_counter() - started
    rendered = table(rows)
    print()
    print(rendered)
    print(f"\n{len(rows)} rows in {elapsed:.0f} s on {machine()}")
    if not (args.no_write or args.quick or args.smoke):
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        previous = RESULTS.read_text() if RESULTS.exists() else ""
        notes = previous.split("<!-- notes -->", 1)[1] if "<!-- notes -->" in previous else "\n"
        RESULTS.write_text(
            f"# Benchmark results\n\nLatest `make bench`: {stamp}, {machine()}, {elapsed:.0f} s.\n"
            f"Every ratio is against a floor measured in the same run (see bench/*.py).\n\n{rendered}\n\n"
            f"<!-- notes -->{notes}"
        )
    broken = [row.name for row in rows if row.measured == "failed"]
    if broken:  # a crashed benchmark is a bug, not a slow result: fail the command
        print(f"\nbenchmarks that failed to run: {', '.join(broken)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
