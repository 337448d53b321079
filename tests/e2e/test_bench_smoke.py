"""`make bench` must keep running: every benchmark, at tiny sizes (`--smoke`).

Speed is not asserted here (a shared, noisy machine); `make bench` reports the
ratios. What is asserted: no benchmark crashed (one broke silently once, when
contact sealing changed what a stored case needs), each produced its rows, the
invariants that do not depend on speed hold, and bench/RESULTS.md is untouched.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "RESULTS.md"


def table_rows(output: str) -> dict[str, list[str]]:
    rows = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 7 and cells[0] not in ("benchmark", "---"):
            rows[cells[0]] = cells
    return rows


@pytest.mark.slow
def test_every_benchmark_runs_and_its_invariants_hold():
    before = RESULTS.read_text()
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    rows = table_rows(result.stdout)
    assert not [name for name, cells in rows.items() if cells[1] == "failed"], result.stdout
    for prefix in (
        "cold start",
        "area lookup p99",
        "area data cold load",
        "Lambda package growth: boundary data",
        "DynamoDB requests: accepted webhook",
        "ingest throughput",
        "status read latency",
        "intake with a sealed contact",
        "requests: intake with a sealed contact",
        "SLA sweep items read",
        "load test: one case per unique message",
        "write units per lifecycle action",
        "routing: items read per routed case",
        "routing throughput",
    ):
        assert any(name.startswith(prefix) for name in rows), f"no row for {prefix!r}:\n{result.stdout}"
    # Counts, not speeds: these hold on any machine.
    for name, cells in rows.items():
        if name.startswith(
            (
                "DynamoDB requests:",
                "requests:",
                "SLA sweep items read",
                "load test: one case",
                "Lambda package growth",
                "write units per",
                "routing: items read per",
            )
        ):
            assert cells[5] == "yes", f"{name}: {cells}"
    assert RESULTS.read_text() == before, "--smoke must not rewrite bench/RESULTS.md"
