"""The composition root builds each adapter, and imports its module, on first read
(chalicelib/bootstrap.py): a cold start pays only for what its request uses."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from chalicelib import bootstrap, config
from tests.support.cold_start import NOT_ON_THE_WEBHOOK_PATH, WEBHOOK_READS
from tests.support.fakes import FakeCaseRepository, FakeRateLimiter

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import json, sys
import app
from chalicelib import bootstrap
before = sorted(m for m in sys.modules if m.startswith("chalicelib.adapters."))
app_services = bootstrap.services()
app_services.cases
cases_only = sorted(m for m in sys.modules if m.startswith("chalicelib.adapters."))
for name in json.loads(sys.argv[1]):
    getattr(app_services, name)
webhook = sorted(m for m in sys.modules if m.startswith("chalicelib.adapters."))
print(json.dumps({"before": before, "cases": cases_only, "webhook": webhook}))
"""


def test_a_fresh_process_imports_only_the_adapters_it_reads():
    environment = {key: value for key, value in os.environ.items() if key != "AWS_LAMBDA_FUNCTION_NAME"}
    result = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(WEBHOOK_READS)],
        cwd=ROOT,
        env={**environment, "CRM_STAGE": "local"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert "chalicelib.adapters.case_repository" not in loaded["before"]  # services() alone builds nothing
    assert "chalicelib.adapters.case_repository" in loaded["cases"]
    assert "chalicelib.adapters.sender_state" not in loaded["cases"]
    assert "chalicelib.adapters.sender_state" in loaded["webhook"]
    assert set(NOT_ON_THE_WEBHOOK_PATH).isdisjoint(loaded["webhook"])


def test_each_adapter_is_built_once_and_kept():
    app = bootstrap.services()
    assert app.cases is app.cases and app.metrics is bootstrap.services().metrics
    assert app.clock() is not None  # the system clock, not a method bound to Services


def test_cases_and_senders_seal_with_one_sealer():
    app = bootstrap.services()
    assert app.cases.sealer is app.sealer
    assert app.senders.sealer is app.sealer


def test_threads_reading_an_unbuilt_adapter_get_one_instance():
    app = bootstrap.services()
    start = threading.Barrier(8)
    seen: list[object] = []

    def read() -> None:
        start.wait()
        seen.append(app.queries)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(queries) for queries in seen}) == 1


def test_override_keeps_what_is_built_and_builds_nothing_else():
    before = bootstrap.services()
    routing = before.routing
    fake = FakeCaseRepository()
    after = bootstrap.override(cases=fake, limiter=None)
    assert after is bootstrap.services() and after.cases is fake and after.limiter is None
    assert after.routing is routing
    lazy = [
        field.name
        for field in dataclasses.fields(after)
        if isinstance(vars(bootstrap.Services).get(field.name), bootstrap.Lazy)
    ]
    assert {name for name in lazy if after.__dict__[name] is not bootstrap._UNBUILT} == {"cases", "limiter", "routing"}


def test_adapters_not_built_yet_follow_overridden_settings(monkeypatch):
    bootstrap.override(limiter=FakeRateLimiter())
    monkeypatch.setenv("CASES_TABLE", "crm-elsewhere")
    config.reset()
    app = bootstrap.override(settings=config.settings())
    assert app.queries.table.name == "crm-elsewhere"


def test_services_stay_frozen():
    app = bootstrap.services()
    with pytest.raises(dataclasses.FrozenInstanceError):
        app.cases = FakeCaseRepository()
