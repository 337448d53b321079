"""Cold start: process time of `import app` against `import boto3, chalice, pydantic`.

Both run in fresh interpreters, interleaved, with warm file caches; process
time (user + system CPU of the child) is less noisy than wall time on a shared
machine. Target: ratio <= 1.15 (heavy things are imported lazily).
"""

from __future__ import annotations

import os
import subprocess
import sys

from bench.common import ROOT, Row, median

RUNS = 15
FLOOR = "import boto3, chalice, pydantic"
APP = "import app"


def cpu_seconds(statement: str) -> float:
    process = subprocess.Popen(
        [sys.executable, "-c", statement], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{statement!r} failed")
    return usage.ru_utime + usage.ru_stime


def run() -> list[Row]:
    for statement in (FLOOR, APP):
        cpu_seconds(statement)  # warm caches and bytecode
    app_times, floor_times = [], []
    for _ in range(RUNS):
        floor_times.append(cpu_seconds(FLOOR))
        app_times.append(cpu_seconds(APP))
    app_median, floor_median = median(app_times), median(floor_times)
    ratio = app_median / floor_median
    return [
        Row(
            "cold start: import app",
            f"{app_median * 1000:.0f} ms CPU",
            f"{floor_median * 1000:.0f} ms CPU",
            ratio,
            "<= 1.15",
            ratio <= 1.15,
            f"median of {RUNS}, interleaved",
        )
    ]
