"""Cold start: process time of `import app` against `import boto3, chalice, pydantic`,
and of a fresh process that serves its first signed partner webhook.

All run in fresh interpreters, interleaved, with warm file caches and compiled
bytecode for every module, ours and the libraries' alike (in a cache of the
bench's own, so PYTHONDONTWRITEBYTECODE on the machine cannot tilt one side);
process time (user + system CPU of the child) is less noisy than wall time on a
shared machine. Targets: `import app` ratio <= 1.15 (heavy things are imported
lazily), and the first webhook <= 1.3 x a fresh process that imports boto3 and
pydantic and makes one raw PutItem to the same moto server: `import app`
alone hides what the first request costs (lazy imports, clients, settings).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from bench.common import BYTECODE, ROOT, Row, median, partner_body, signed_headers
from tests.support.lambda_events import CONTEXT_SOURCE, partner_webhook_event

RUNS = 15
FLOOR = "import boto3, chalice, pydantic"
APP = "import app"

FIRST_WEBHOOK_RUNS = 21  # a fresh process is noisy (one run ranged 347-506 ms here): the median needs pairs
FIRST_WEBHOOK_TARGET = 1.3
# The child reads its input (an API Gateway event, or the floor's item) from stdin, so it
# imports nothing the measured thing would not.
FIRST_WEBHOOK = f"""
import json, sys
# As in the Lambda package, which has no cffi (tests/deploy/test_package.py): PyCryptodome then
# loads its C code with ctypes. This venv has cffi (for moto's cryptography); with it PyCryptodome
# would parse C declarations with pycparser first (~110 ms), a cost Lambda never pays.
sys.modules["cffi"] = None
event = json.load(sys.stdin)
import app
{CONTEXT_SOURCE}
response = app.app(event, LambdaContext())
if response["statusCode"] != 201:
    sys.exit(f"webhook answered {{response['statusCode']}}: {{response['body'][:300]}}")
"""
RAW_PUT_ITEM = """
import json, os, sys
item = json.load(sys.stdin)
import boto3, pydantic
boto3.client("dynamodb").put_item(TableName=os.environ["CASES_TABLE"], Item=item)
"""


def cpu_seconds(statement: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> float:
    """User + system CPU of a fresh interpreter running ``statement`` (fed ``stdin``)."""
    process = subprocess.Popen(
        [sys.executable, "-c", statement],
        cwd=ROOT,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=_child_environment(env),
    )
    if stdin is not None:
        process.stdin.write(stdin)
        process.stdin.close()
    error = process.stderr.read()  # until the child exits; wait4 then reaps it with its usage
    process.stderr.close()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{statement.strip().splitlines()[-1]!r} failed: {error.decode()[-800:]}")
    return usage.ru_utime + usage.ru_stime


def _child_environment(extra: dict[str, str] | None) -> dict[str, str]:
    """The bench's environment, with bytecode read from and written to one cache for every
    module: the libraries' own __pycache__ holds compiled code, and without this our modules
    would be compiled from source on every run whenever the machine sets
    PYTHONDONTWRITEBYTECODE, measuring the compiler instead of the code."""
    env = {**os.environ, **(extra or {}), "PYTHONPYCACHEPREFIX": str(BYTECODE)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


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


def _first_webhook_input() -> bytes:
    body = partner_body(f"BENCH-FIRST-{time.time_ns()}")
    return json.dumps(partner_webhook_event("jaki", body, signed_headers(body))).encode()


def _raw_item_input() -> bytes:
    from chalicelib.adapters.case_repository import case_key, serialize

    code = f"BENCH-FIRST-{time.time_ns()}"
    return json.dumps({**serialize(case_key(code)), "body": {"S": partner_body(code).decode()}}).encode()


def first_webhook(stand_in) -> list[Row]:
    """A fresh process serves one signed JAKI webhook through the Chalice app (201, the case
    stored in moto), against a fresh process that imports boto3 + pydantic and makes one raw
    PutItem to the same server; interleaved, median of FIRST_WEBHOOK_RUNS."""
    # Both children run as in a Lambda process: the runtime sets the function's name, and app.py
    # then pauses the garbage collector until the first invocation ends (chalicelib/coldstart.py).
    env = {**stand_in.env, "AWS_LAMBDA_FUNCTION_NAME": "crm-bench"}
    cpu_seconds(FIRST_WEBHOOK, _first_webhook_input(), env)  # warm caches and bytecode
    cpu_seconds(RAW_PUT_ITEM, _raw_item_input(), env)
    webhook_times, floor_times = [], []
    for _ in range(FIRST_WEBHOOK_RUNS):
        floor_times.append(cpu_seconds(RAW_PUT_ITEM, _raw_item_input(), env))
        webhook_times.append(cpu_seconds(FIRST_WEBHOOK, _first_webhook_input(), env))
    webhook, floor = median(webhook_times), median(floor_times)
    ratio = webhook / floor
    return [
        Row(
            "cold start: first partner webhook in a fresh process",
            f"{webhook * 1000:.0f} ms CPU",
            f"{floor * 1000:.0f} ms CPU (import boto3 + pydantic, one raw PutItem)",
            ratio,
            f"<= {FIRST_WEBHOOK_TARGET}",
            ratio <= FIRST_WEBHOOK_TARGET,
            f"median of {FIRST_WEBHOOK_RUNS}, interleaved; JAKI, signed, with a sealed contact; 201",
        )
    ]
