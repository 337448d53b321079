"""Fault-injection fixtures: AWS that fails the way AWS does.

``fault_proxy``  infra.local.faults.FaultProxy in front of the session's moto
                 server; ``faults`` is its plan (rules cleared, counters reset
                 for each test).
``faulty_api``   a second ``chalice local`` whose AWS_ENDPOINT_URL is the
                 proxy: the real app in a subprocess, over HTTP, on a failing
                 AWS. Its output goes to test-artifacts/faulty-api.log.
``botocore_faults`` the same plan as a botocore hook on this process's
                 clients (in-process app, event runner handlers).
"""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from infra.local import devstack
from infra.local.faults import FaultPlan, FaultProxy
from tests.support.artifacts import artifact
from tests.support.stack_fixtures import botocore_faults, public_base_url  # noqa: F401 - fixtures


@pytest.fixture(scope="session")
def fault_proxy(stack):
    with FaultProxy(stack.aws_endpoint, FaultPlan(seed=20261123)) as proxy:
        yield proxy


@pytest.fixture
def faults(fault_proxy):
    plan = fault_proxy.plan
    plan.configure(seed=20261123)
    plan.reset()
    yield plan
    plan.configure()


@pytest.fixture(scope="session")
def faulty_api(stack, fault_proxy):
    with api_behind(stack, fault_proxy, "faulty-api.log") as (api_url, env):
        yield FaultyApi(api_url, fault_proxy, env)


@dataclass
class FaultyApi:
    api_url: str
    proxy: FaultProxy
    env: dict[str, str]


@contextmanager
def api_behind(stack, proxy: FaultProxy, log_name: str):
    """A ``chalice local`` whose AWS is the fault proxy: (api_url, env)."""
    port = devstack.free_port()
    api_url = f"http://127.0.0.1:{port}"
    env = {**stack.env, "AWS_ENDPOINT_URL": proxy.url, "PUBLIC_BASE_URL": api_url}
    with open(artifact(log_name), "w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "infra.local.chalice_local",
                "local",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--stage",
                "local",
                "--no-autoreload",
            ],
            cwd=devstack.ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            devstack._wait_for_http(f"{api_url}/health", process, "chalice local behind the fault proxy")
            yield api_url, env
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
