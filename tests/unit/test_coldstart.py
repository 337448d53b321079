"""The garbage collector during a Lambda cold start (chalicelib/coldstart.py).

The first two tests run app.py in a fresh interpreter, as Lambda does; the
others drive the middleware in this process and restore the collector after.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib import coldstart
from tests.support.lambda_events import health_event

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import gc, json, sys
import app
after_import = gc.isenabled()
event = json.loads(sys.argv[1])  # GET /health (tests/support/lambda_events.py)
response = app.app(event, None)
print(json.dumps({"after_import": after_import, "status": response["statusCode"],
                  "after_first": gc.isenabled(), "frozen": gc.get_freeze_count()}))
"""


def _run_app(**env: str) -> dict:
    environment = {key: value for key, value in os.environ.items() if key != "AWS_LAMBDA_FUNCTION_NAME"}
    environment.update({"CRM_STAGE": "local", **env})
    result = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(health_event())],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_in_lambda_the_collector_waits_for_the_end_of_the_first_invocation():
    seen = _run_app(AWS_LAMBDA_FUNCTION_NAME="crm-test")
    assert seen["after_import"] is False
    assert seen["status"] == 200
    assert seen["after_first"] is True
    assert seen["frozen"] > 10_000  # the modules, classes and functions the cold start built


def test_outside_lambda_nothing_changes():
    seen = _run_app()
    assert seen == {"after_import": True, "status": 200, "after_first": True, "frozen": 0}


@pytest.fixture
def paused():
    """The module's state as app.py leaves it in Lambda, undone after the test."""
    assert gc.isenabled() and not coldstart.is_paused()
    gc.disable()
    coldstart._paused = True
    try:
        yield
    finally:
        coldstart._paused = False
        gc.unfreeze()
        gc.enable()


class HttpEvent:
    lambda_context = None


class QueueBatch:
    context = None


def test_an_http_first_invocation_runs_paused_and_resumes_after(paused):
    during = []
    coldstart.middleware(HttpEvent(), lambda event: during.append(gc.isenabled()) or "response")
    assert during == [False]
    assert gc.isenabled() and not coldstart.is_paused()


def test_a_batch_first_invocation_resumes_before_its_work(paused):
    """A queue batch or a scheduled sweep is bounded by its data, not by API Gateway's 29 s."""
    during = []
    coldstart.middleware(QueueBatch(), lambda event: during.append(gc.isenabled()))
    assert during == [True]
    assert gc.isenabled()


def test_a_failed_first_invocation_still_resumes(paused):
    def fails(event):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        coldstart.middleware(HttpEvent(), fails)
    assert gc.isenabled() and not coldstart.is_paused()


def test_later_invocations_leave_the_collector_alone():
    assert gc.isenabled() and not coldstart.is_paused()
    frozen = gc.get_freeze_count()
    assert coldstart.middleware(HttpEvent(), lambda event: "ok") == "ok"
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_pydantic_plugins_are_not_looked_up_unless_asked_for():
    seen = subprocess.run(
        [sys.executable, "-c", "import os, app; print(os.environ['PYDANTIC_DISABLE_PLUGINS'])"],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}, "CRM_STAGE": "local"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert seen.stdout.strip() == "__all__", seen.stderr[-2000:]
    chosen = subprocess.run(
        [sys.executable, "-c", "import os, app; print(os.environ['PYDANTIC_DISABLE_PLUGINS'])"],
        cwd=ROOT,
        env={**os.environ, "CRM_STAGE": "local", "PYDANTIC_DISABLE_PLUGINS": "some_plugin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert chosen.stdout.strip() == "some_plugin", chosen.stderr[-2000:]
