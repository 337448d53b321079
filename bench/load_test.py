"""Load test: 5,000 signed webhooks at concurrency 50, 10 % of them repeated
deliveries, against the running local stack (`chalice local` + moto), then a
check of the table: exactly one case per unique message, none lost.

Loopback only, bounded in count and time; it stops by itself. The floor is
GET /health through the same server at the same concurrency (what the server
and client alone can do).
"""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from bench.common import Row, partner_body, percentile, signed_headers

TOTAL = 5_000
CONCURRENCY = 50
REPEATED = 0.10
DEADLINE_SECONDS = 420


def _send(url: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, float, str | None]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST" if body else "GET")
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            payload = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        payload, status = error.read(), error.code
    elapsed = time.perf_counter() - start
    code = None
    if status in (200, 201):
        try:
            code = json.loads(payload).get("tracking_code")
        except ValueError:
            code = None
    return status, elapsed, code


def _plan(run_id: str) -> list[tuple[str, str]]:
    """(channel, report id) for every delivery: 90 % unique, 10 % repeats of earlier ones."""
    unique = int(TOTAL * (1 - REPEATED))
    messages = [("jaki" if n % 2 else "qlue", f"LOAD-{run_id}-{n}") for n in range(unique)]
    rng = random.Random(7)
    deliveries = messages + [rng.choice(messages) for _ in range(TOTAL - unique)]
    rng.shuffle(deliveries)
    return deliveries


def _fire(jobs, worker) -> tuple[list, float]:
    results, lock = [], threading.Lock()
    deadline = time.time() + DEADLINE_SECONDS

    def one(job):
        if time.time() > deadline:
            return
        outcome = worker(job)
        with lock:
            results.append((job, *outcome))

    start = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(one, jobs))
    return results, time.perf_counter() - start


def run() -> list[Row]:
    from pathlib import Path

    from bench.common import ROOT
    from infra.local import devstack

    log = open(Path(ROOT) / "test-artifacts" / "bench-load-stack.log", "w")  # noqa: SIM115 - closed below
    stack = devstack.start(devstack.free_port(), devstack.free_port(), load_demo=False, run_events=False,
                           output=log, extra_env={"LOG_LEVEL": "WARNING"})
    try:
        health, health_time = _fire(range(2_000), lambda _: _send(f"{stack.api_url}/health", None, {}))
        floor = len(health) / health_time
        run_id = str(time.time_ns())

        def deliver(job):
            channel, report_id = job
            body = partner_body(report_id)
            return _send(f"{stack.api_url}/webhooks/{channel}", body, signed_headers(body, channel))

        results, elapsed = _fire(_plan(run_id), deliver)
        statuses = {}
        codes_by_message: dict[tuple[str, str], set[str]] = {}
        latencies = []
        for (channel, report_id), status, latency, code in results:
            statuses[status] = statuses.get(status, 0) + 1
            latencies.append(latency)
            if code:
                codes_by_message.setdefault((channel, report_id), set()).add(code)
        stored = _stored_cases(stack, run_id)
    finally:
        stack.stop()
        log.close()

    unique = {message for message, *_ in results}
    lost = [m for m in unique if f"{m[0]}:{m[1]}" not in stored]
    duplicated = [key for key, count in stored.items() if count > 1]
    inconsistent = [m for m, codes in codes_by_message.items() if len(codes) > 1]
    throughput = len(results) / elapsed
    return [
        Row("load test throughput (webhooks/s)", f"{throughput:.0f}/s", f"{floor:.0f}/s GET /health",
            throughput / floor, "informational", None,
            f"{len(results)} deliveries, concurrency {CONCURRENCY}, statuses {statuses}"),
        Row("load test latency p50 / p90 / p99",
            f"{percentile(latencies, .5) * 1000:.0f} / {percentile(latencies, .9) * 1000:.0f} / "
            f"{percentile(latencies, .99) * 1000:.0f} ms", "", None, "informational", None, "client-side, loopback"),
        Row("load test: one case per unique message", f"{len(stored)} cases", f"{len(unique)} unique messages",
            len(stored) / max(1, len(unique)), "== 1, 0 lost, 0 duplicated",
            not lost and not duplicated and not inconsistent and len(stored) == len(unique),
            f"lost {len(lost)}, duplicated {len(duplicated)}, codes disagreeing {len(inconsistent)}"),
    ]


def _stored_cases(stack, run_id: str) -> dict[str, int]:
    """source_key -> number of case items for this run's messages (a check-only Scan)."""
    import boto3

    from infra.local.provision import LOCAL_CREDENTIALS

    client = boto3.client("dynamodb", endpoint_url=stack.aws_endpoint, region_name=stack.env["AWS_REGION"],
                          aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])
    counts: dict[str, int] = {}
    for page in client.get_paginator("scan").paginate(
        TableName=stack.env["CASES_TABLE"], FilterExpression="contains(source_key, :run)",
        ExpressionAttributeValues={":run": {"S": f"LOAD-{run_id}-"}}, ProjectionExpression="source_key",
    ):
        for item in page["Items"]:
            key = item["source_key"]["S"]
            counts[key] = counts.get(key, 0) + 1
    return counts
