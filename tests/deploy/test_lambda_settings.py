""".chalice/config.json against app.py and infra/template.yaml: every Lambda has
its own memory and timeout in every deployed stage (Chalice's fallback, 128 MB
and 60 s, is too tight for Pillow), and an SQS-fed function gives up before its
queue would hand the same message to a second invocation."""

from __future__ import annotations

import pytest

from infra import deploy, iam
from infra.local.provision import load_template

CONFIG = deploy.chalice_config()
DEPLOYED_STAGES = [stage for stage in CONFIG["stages"] if stage != "local"]  # chalice local ignores them
API_GATEWAY_TIMEOUT = 29  # seconds: API Gateway's default integration timeout
PILLOW_WORKERS = ("fetch_linked_media", "receive_email")  # queue workers that clean photos


@pytest.fixture(scope="module")
def functions():
    import app

    return iam.app_functions(app)


def test_there_are_deployed_stages():
    assert set(DEPLOYED_STAGES) >= {"dev", "prod"}


@pytest.mark.parametrize("stage", DEPLOYED_STAGES)
def test_every_function_has_explicit_memory_and_timeout(stage, functions):
    settings = CONFIG["stages"][stage].get("lambda_functions", {})
    missing = [f for f in functions if not {"lambda_memory_size", "lambda_timeout"} <= set(settings.get(f, {}))]
    assert not missing, f"{stage}: give these functions lambda_memory_size and lambda_timeout: {missing}"
    assert set(settings) <= set(functions), f"{stage}: settings for functions app.py lacks"
    for function in PILLOW_WORKERS:
        assert settings[function]["lambda_memory_size"] >= 512, f"{stage}: {function} cleans photos with Pillow"
    assert settings["api_handler"]["lambda_timeout"] <= API_GATEWAY_TIMEOUT


@pytest.mark.parametrize("stage", DEPLOYED_STAGES)
def test_sqs_functions_time_out_before_their_queue_redelivers(stage, functions):
    from chalice.app import SQSEventConfig

    resources = load_template()["Resources"]
    settings = CONFIG["stages"][stage]["lambda_functions"]
    checked = []
    for function, source in functions.items():
        if isinstance(source, SQSEventConfig):
            queue, _ = deploy._queue_resource({"Resources": resources}, source.queue)
            visibility = resources[queue]["Properties"].get("VisibilityTimeout", 30)  # SQS default
            timeout = settings[function]["lambda_timeout"]
            assert timeout < visibility, f"{stage}: {function} runs {timeout} s, {queue} redelivers at {visibility}"
            checked.append(function)
    assert {"send_replies", "fetch_linked_media", "receive_email", "case_followups"} <= set(checked)


def test_deployed_stages_trace_and_the_local_one_does_not():
    """X-Ray active tracing on every function and the API stage of dev and prod (Chalice's "xray");
    `make run` has no X-Ray daemon, so the local stage stays without."""
    for stage in DEPLOYED_STAGES:
        assert CONFIG["stages"][stage].get("xray") is True, stage
        assert not any("xray" in settings for settings in CONFIG["stages"][stage]["lambda_functions"].values())
    assert "xray" not in CONFIG["stages"]["local"]
    assert "xray" not in CONFIG


def test_every_function_may_send_its_traces(functions):
    spec = iam.load_functions()["functions"]
    for function in functions:
        (statement,) = [s for s in iam.statements(function, "prod", spec[function]) if s["Sid"] == "XRayTracing"]
        assert statement["Action"] == ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        for action in statement["Action"]:
            assert (function, action) in iam.wildcard_exceptions(iam.load_functions()), "documented with its reason"
