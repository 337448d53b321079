"""`make run`'s /health says 200 only once the whole local stack is ready
(demo data loaded, event runner up): until then 503 "starting"."""

from __future__ import annotations

import subprocess
import sys

import requests

from infra.local import devstack
from infra.local.chalice_local import READY_FILE_ENV
from tests.support.artifacts import artifact


def test_health_is_503_starting_until_the_ready_file_exists(stack, tmp_path):
    ready = tmp_path / "ready"
    port = devstack.free_port()
    api = f"http://127.0.0.1:{port}"
    env = {**stack.env, READY_FILE_ENV: str(ready), "PUBLIC_BASE_URL": api}
    with open(artifact("chalice-local-readiness.log"), "w") as log:
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
            devstack._wait_for_http(f"{api}/health", process, "chalice local")  # up, though not ready
            starting = requests.get(f"{api}/health", timeout=10)
            assert starting.status_code == 503 and starting.json()["status"] == "starting"
            assert starting.headers["Retry-After"] == "1"
            assert requests.head(f"{api}/health", timeout=10).status_code == 503
            # only /health waits: the API itself already answers
            assert requests.get(f"{api}/status/AAAAA-AAAAA-AAAA", timeout=10).status_code in (400, 404)

            ready.touch()
            health = requests.get(f"{api}/health", timeout=10)
            assert health.status_code == 200 and health.json()["status"] == "ok"
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_the_started_stack_is_ready(stack):
    assert stack.ready_file is not None and stack.ready_file.exists()
    assert requests.get(f"{stack.api_url}/health", timeout=10).status_code == 200
