"""Smoke test: `make run`'s own start-up code, as a user runs it.

Starts the dev stack in a child process on free ports, waits for the banner,
uses the printed URLs and a demo tracking code, then stops it the ways a
person or a script would (Ctrl-C to the process group, SIGTERM, and Ctrl-C to
a `make run &` started by a script, which inherits SIGINT ignored) and checks
it cleaned up.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from infra.local.devstack import free_port, port_is_free
from tests.support.artifacts import artifact

ROOT = Path(__file__).resolve().parents[2]


def start(command, ports, sigint_ignored=False):
    env = {**os.environ, "PORT": str(ports[0]), "LOCAL_AWS_PORT": str(ports[1])}
    for name in (
        "CRM_STAGE",
        "AWS_ENDPOINT_URL",
        "CASES_TABLE",
        "PHOTOS_BUCKET",
        "EVENTS_TOPIC_ARN",
        # Under `make test` the outer make's jobserver settings would make `make run` a sub-make.
        "MAKEFLAGS",
        "MFLAGS",
        "MAKELEVEL",
        "MAKEFILES",
        "MAKE_TERMOUT",
        "MAKE_TERMERR",
    ):
        env.pop(name, None)  # exactly what a fresh shell has
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        # A non-interactive shell starts `cmd &` with SIGINT ignored, and exec keeps it ignored.
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sigint_ignored else None,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump():
        for line in process.stdout:
            lines.put(line)
        lines.put(None)  # end of output: every process that could write has exited

    threading.Thread(target=pump, daemon=True).start()
    return process, lines


def read_until(lines, marker, timeout=120):
    seen, deadline = [], time.time() + timeout
    while time.time() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        if line is None:
            break
        seen.append(line)
        if marker in line:
            return seen
    raise AssertionError(f"{marker!r} not printed within {timeout}s:\n{''.join(seen)[-4000:]}")


# A liveness bound, not a speed target: a warm run stops in a few seconds.
def wait_exit(process, lines, timeout=60):
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        report = diagnose(process, lines)
        os.killpg(process.pid, signal.SIGKILL)
        raise AssertionError(f"make run did not stop within {timeout}s\n{report}") from None


def drain(lines, timeout=10):
    """The output still queued, up to its end or ``timeout`` seconds."""
    rest, deadline = [], time.time() + timeout
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.time()))
        except queue.Empty:
            return rest
        if line is None:
            return rest
        rest.append(line)


def diagnose(process, lines):
    """What is still running, and where each of our Python processes is stuck (faulthandler on SIGUSR1)."""
    table = subprocess.run(
        ["ps", "-o", "pid,ppid,stat,etime,wchan:24,args", "-s", str(process.pid)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    for row in table.splitlines()[1:]:
        pid, *_rest, args = row.split(None, 5)
        if "python" in args:
            os.kill(int(pid), signal.SIGUSR1)
    time.sleep(2)
    tail = drain(lines, timeout=0)
    noise = ("message failed", "poll failed")
    tail = [line for line in tail if not any(word in line for word in noise)]
    return table + "".join(tail[-300:])


@pytest.mark.slow
@pytest.mark.parametrize(
    "command, stop",
    [
        (["make", "--no-print-directory", "run"], "ctrl-c"),
        ([sys.executable, "-m", "infra.local.devstack"], "sigterm"),
        (["make", "--no-print-directory", "run"], "ctrl-c-from-a-script"),
    ],
    ids=["make-run-ctrl-c", "devstack-sigterm", "make-run-background-ctrl-c"],
)
def test_make_run_serves_health_and_the_demo_then_stops_cleanly(command, stop):
    ports = (free_port(), free_port())
    process, lines = start(command, ports, sigint_ignored=stop == "ctrl-c-from-a-script")
    try:
        output = "".join(read_until(lines, "Press Ctrl-C to stop."))
        artifact(f"make-run-{stop}.log").write_text(output)
        api = f"http://127.0.0.1:{ports[0]}"
        assert f"API                 {api}" in output
        assert "JAKI_WEBHOOK_SECRET = dev-jaki-secret" in output

        health = requests.get(f"{api}/health", timeout=10)
        assert health.status_code == 200
        assert health.json()["status"] == "ok" and health.json()["stage"] == "local"
        deep = requests.get(f"{api}/health?deep=1", timeout=10).json()
        assert deep["checks"] == {"dynamodb": "ok", "s3": "ok"}

        codes = re.findall(r"JAKI-DEMO-0001\s+(\S+)", output)
        assert codes, output
        status = requests.get(f"{api}/status/{codes[0]}", timeout=10)
        assert status.status_code == 200 and status.json()["status"] == "received"
        assert status.json()["photos"], "the demo report carries a photo"
    finally:
        if process.poll() is None:
            if stop.startswith("ctrl-c"):
                os.killpg(process.pid, signal.SIGINT)
            else:
                process.send_signal(signal.SIGTERM)
        code = wait_exit(process, lines)
    # The dev stack's own stop watchdog (faulthandler) prints "Timeout (0:00:40)!" and the stacks.
    rest = "".join(drain(lines))
    assert "Timeout (" not in rest, f"the stop hung until the watchdog ended it:\n{rest[-20000:]}"
    # Ctrl-C reaches make too, which reports the interrupt (as in a terminal);
    # the stack itself must still stop cleanly and release its ports.
    assert code == 0 if stop == "sigterm" else code in (0, -signal.SIGINT, 130, 2)
    deadline = time.time() + 20
    while time.time() < deadline and not (port_is_free(ports[0]) and port_is_free(ports[1])):
        time.sleep(0.2)
    assert port_is_free(ports[0]) and port_is_free(ports[1]), "make run left a server behind"
