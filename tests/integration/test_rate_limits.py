"""Rate limits against the moto server over HTTP (issue 19's acceptance).

The session's API runs with every limit out of reach (tests/integration/conftest.py),
so this module starts a second `chalice local` on the same stand-in with the real
defaults. Several clients come from one machine through the local-only header
X-Crm-Local-Source-Ip (infra/local/chalice_local.py)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import requests

from chalicelib.config import RATE_LIMIT_DEFAULTS, parse_limits
from infra.local import devstack
from tests.support.artifacts import artifact

REPORTS = parse_limits("reports", RATE_LIMIT_DEFAULTS["reports"])


@pytest.fixture(scope="module")
def default_api(stack):
    """`chalice local` with the default limits, on the session's moto server."""
    port = devstack.free_port()
    env = {name: value for name, value in stack.env.items() if not name.startswith("RATE_LIMIT_")}
    env["RATE_LIMITS_TABLE"] = stack.env["RATE_LIMITS_TABLE"]
    command = [sys.executable, "-m", "infra.local.chalice_local", "local", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--stage", "local", "--no-autoreload"]
    with open(artifact("rate-limits-api.log"), "w") as log:
        process = subprocess.Popen(command, cwd=devstack.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            devstack._wait_for_http(f"http://127.0.0.1:{port}/health", process, "chalice local (default limits)")
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=20)


def an_address() -> str:
    return f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"  # benchmarking range: never real


def post_report(api: str, address: str, n: int) -> requests.Response:
    body = {"category": "garbage", "description": f"Sampah menumpuk di trotoar, laporan {n}"}
    return requests.post(f"{api}/reports", json=body, headers={"X-Crm-Local-Source-Ip": address}, timeout=60)


def clear_of_a_window_boundary(window_s: int, margin_s: float = 120) -> None:
    """Windows are epoch-aligned: a burst that straddled a boundary would be counted in two."""
    left = window_s - time.time() % window_s
    if left < margin_s:
        time.sleep(left + 1)


def test_200_rapid_reports_from_one_address_are_accepted_up_to_the_limit_and_another_address_is_not_affected(
    default_api,
):
    limit = REPORTS["ip"]
    first, second = an_address(), an_address()
    clear_of_a_window_boundary(limit.window_s)
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda n: post_report(default_api, first, n), range(200)))
    statuses = [answer.status_code for answer in answers]
    assert statuses.count(201) == limit.count and statuses.count(429) == 200 - limit.count, statuses
    for answer in answers:
        if answer.status_code == 429:
            assert 1 <= int(answer.headers["Retry-After"]) <= limit.window_s
            assert answer.json()["error"]["code"] == "rate_limited"
    assert post_report(default_api, second, 0).status_code == 201


def test_the_counters_are_dynamodb_items_without_the_address_that_expire_and_a_new_window_accepts_again(
    client, app_env, aws, monkeypatch
):
    """In process against the same moto table, with a clock we move past the window."""
    from chalice.local import LambdaEventConverter

    from chalicelib import bootstrap
    from infra.local.chalice_local import honour_source_ip_header
    from tests.support.fakes import FixedClock

    monkeypatch.setenv("RATE_LIMIT_REPORTS", "ip=3/60")
    monkeypatch.setattr(LambdaEventConverter, "create_lambda_event", LambdaEventConverter.create_lambda_event)
    honour_source_ip_header(LambdaEventConverter)
    bootstrap.reset()
    start = datetime(2031, 1, 2, 3, 4, 0, tzinfo=UTC)  # a window of its own in the shared table
    clock = FixedClock(start)
    bootstrap.override(clock=clock)
    address = an_address()

    def post(n: int):
        body = f'{{"category":"garbage","description":"Sampah menumpuk nomor {n}"}}'
        headers = {"Content-Type": "application/json", "X-Crm-Local-Source-Ip": address}
        return client.http.post("/reports", body=body, headers=headers)

    assert [post(n).status_code for n in range(5)] == [201, 201, 201, 429, 429]
    clock.advance(seconds=59)
    assert post(5).headers["Retry-After"] == "1"
    clock.advance(seconds=1)
    assert post(6).status_code == 201

    table = os.environ["RATE_LIMITS_TABLE"]
    items = aws("dynamodb").scan(TableName=table)["Items"]
    mine = [
        item
        for item in items
        if item["PK"]["S"].startswith("RATE#reports:ip#60#") and str(int(start.timestamp())) in item["PK"]["S"]
    ]
    assert len(mine) == 1 and mine[0]["hits"]["N"] == "6"
    assert int(mine[0]["expires_at"]["N"]) == int(start.timestamp()) + 60 + 60
    assert not any(address in str(item) for item in items)
