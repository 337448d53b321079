"""`make run`: the whole system on one machine, no AWS account needed.

    1. local AWS stand-in (moto server)           http://127.0.0.1:$LOCAL_AWS_PORT
    2. resources provisioned from infra/template.yaml
    3. the API with `chalice local`                http://127.0.0.1:$PORT
    4. demo reports, sent as signed webhooks
    5. the local event runner (streams, queues, schedules) in this process

`GET /health` answers 503 "starting" until all of that is done, then 200
(the ready file, see infra/local/chalice_local.py).

Runs in the foreground; Ctrl-C or SIGTERM stops everything it started.
The smoke test (tests/e2e) starts the stack through this same ``start()``.
"""

from __future__ import annotations

import faulthandler
import importlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from infra.local import demo
from infra.local.chalice_local import READY_FILE_ENV
from infra.local.provision import DEFAULT_REGION, app_environment, provision

ROOT = Path(__file__).resolve().parents[2]


STOP_LIMIT = 40  # seconds; a normal stop takes a few (the servers get 10 s each to exit)


class StartupFailed(RuntimeError):
    pass


@dataclass
class Stack:
    api_url: str
    aws_endpoint: str
    env: dict[str, str]
    processes: list[subprocess.Popen] = field(default_factory=list)
    runner: Any = None
    demo_cases: list[dict[str, str]] = field(default_factory=list)
    demo_users: list[tuple[str, str, str | None]] = field(default_factory=list)
    provider_sink: Any = None
    open311_key: str | None = None
    demo_history: list[dict[str, Any]] = field(default_factory=list)
    demo_templates: list[str] = field(default_factory=list)
    ready_file: Path | None = None  # exists once start() is done: /health says 200, not 503 "starting"

    def stop(self) -> None:
        """The event runner gets 3 s to finish the batches in hand while the servers
        still answer; then the servers (SIGTERM, then SIGKILL after 10 s), then the
        rest of this process's threads. Every wait is bounded."""
        if self.runner is not None:
            self.runner.stop(timeout=3)  # no new polls; a poller stuck in a slow call is left behind
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        if self.runner is not None:
            self.runner.stop(timeout=2)
        if self.provider_sink is not None:
            self.provider_sink.stop()
        for process in reversed(self.processes):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self.ready_file is not None:
            shutil.rmtree(self.ready_file.parent, ignore_errors=True)


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_http(url: str, process: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise StartupFailed(f"{what} exited with code {process.returncode} while starting")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except urllib.error.HTTPError as error:
            if error.code < 500 or _is_starting(error):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.1)
    raise StartupFailed(f"{what} did not answer at {url} within {timeout:.0f} s")


def _is_starting(error: urllib.error.HTTPError) -> bool:
    """The API's 503 "starting" (up, waiting for the ready file): it answers, that is all we wait for."""
    try:
        return error.code == 503 and json.loads(error.read() or b"{}").get("status") == "starting"
    except (ValueError, OSError):
        return False


def start(
    api_port: int = 8000,
    aws_port: int = 4566,
    *,
    load_demo: bool = True,
    run_events: bool = True,
    output: IO[str] | None = None,
    extra_env: dict[str, str] | None = None,
) -> Stack:
    """Start the stack; the caller must ``stop()`` it. ``output`` receives child logs."""
    for port, name in ((api_port, "PORT"), (aws_port, "LOCAL_AWS_PORT")):
        if not port_is_free(port):
            raise StartupFailed(f"port {port} is already in use; set {name}=<another port>")
    endpoint = f"http://127.0.0.1:{aws_port}"
    api_url = f"http://127.0.0.1:{api_port}"
    stack = Stack(api_url=api_url, aws_endpoint=endpoint, env={})
    # Child logs go to ``output`` when given (stderr with them), else where ours go.
    child_stdout, child_stderr = (output, subprocess.STDOUT) if output else (None, None)
    try:
        aws = subprocess.Popen(
            [sys.executable, "-m", "infra.local.aws_server", "--port", str(aws_port)],
            cwd=ROOT,
            stdout=child_stdout,
            stderr=child_stderr,
        )
        stack.processes.append(aws)
        _wait_for_http(f"{endpoint}/moto-api/", aws, "the local AWS stand-in")

        outputs = provision(endpoint, stage="local", region=DEFAULT_REGION)
        provider_urls = {}
        if not (extra_env or {}).get("TWILIO_API_BASE_URL"):
            from infra.local.provider_sink import ProviderSink

            stack.provider_sink = ProviderSink(output or sys.stdout).start()
            provider_urls = {
                name: stack.provider_sink.url
                for name in ("TWILIO_API_BASE_URL", "META_GRAPH_BASE_URL", "X_API_BASE_URL")
                if not os.environ.get(name)
            }
        env = {
            **os.environ,
            **app_environment(outputs, endpoint),
            "PUBLIC_BASE_URL": api_url,
            **provider_urls,
            **(extra_env or {}),
        }
        stack.ready_file = Path(tempfile.mkdtemp(prefix="crm-local-")) / "ready"
        env[READY_FILE_ENV] = str(stack.ready_file)
        stack.env = env

        api = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "infra.local.chalice_local",
                "local",
                "--host",
                "127.0.0.1",
                "--port",
                str(api_port),
                "--stage",
                "local",
                "--no-autoreload",
            ],
            cwd=ROOT,
            env=env,
            stdout=child_stdout,
            stderr=child_stderr,
        )
        stack.processes.append(api)
        _wait_for_http(f"{api_url}/health", api, "chalice local")

        if load_demo:  # before the event runner starts, so nothing else acts on these cases meanwhile
            stack.demo_history = write_demo_history(env)
            stack.demo_templates = demo.seed_templates()  # configured by write_demo_history
        if run_events:
            stack.runner = start_event_runner(env, on_failure=stream_failure_destinations(outputs))
        if load_demo:
            stack.demo_users = demo.create_users(endpoint, DEFAULT_REGION, env["COGNITO_USER_POOL_ID"])
            from chalicelib.config import DEV_SECRETS

            secrets = {
                "jaki": env.get("JAKI_WEBHOOK_SECRET") or DEV_SECRETS["JAKI_WEBHOOK_SECRET"],
                "qlue": env.get("QLUE_WEBHOOK_SECRET") or DEV_SECRETS["QLUE_WEBHOOK_SECRET"],
            }
            stack.demo_cases = demo.load(api_url, secrets)
            stack.open311_key = demo.open311_key(api_url, endpoint, DEFAULT_REGION, env["COGNITO_APP_CLIENT_ID"])
        stack.ready_file.touch()  # GET /health: 200 from now on
    except BaseException:
        stack.stop()
        raise
    return stack


def stream_failure_destinations(outputs: dict[str, str]) -> dict[str, str]:
    """Stream handler -> SQS queue URL of its on-failure destination, as infra/functions.yaml
    declares it for AWS (``stream.on_failure``: the output naming the queue's ARN)."""
    import yaml

    spec = yaml.safe_load((ROOT / "infra" / "functions.yaml").read_text())["functions"]
    destinations = {}
    for function, settings in spec.items():
        output = (settings.get("stream") or {}).get("on_failure", "")
        url_output = output[: -len("Arn")] + "Url" if output.endswith("Arn") else None
        if url_output and url_output in outputs:
            destinations[function] = outputs[url_output]
    return destinations


def use_environment(env: dict[str, str]) -> None:
    """Configure this process like the stack's API (the event runner and demo history run here)."""
    os.environ.update(env)
    from chalicelib import bootstrap

    bootstrap.reset()


def write_demo_history(env: dict[str, str]) -> list[dict[str, Any]]:
    from infra.local import demo_history

    use_environment(env)
    return demo_history.write()


def start_event_runner(env: dict[str, str], on_failure: dict[str, str] | None = None) -> Any:
    """Import the app with the stack's environment and feed its event handlers."""
    use_environment(env)
    sys.path.insert(0, str(ROOT))
    app_module = importlib.import_module("app")
    from infra.local.event_runner import EventRunner

    every = float(env["LOCAL_SCHEDULE_SECONDS"]) if env.get("LOCAL_SCHEDULE_SECONDS") else None
    runner = EventRunner(
        app_module, env["AWS_ENDPOINT_URL"], env["AWS_REGION"], schedule_every=every, on_failure=on_failure
    )
    runner.start()
    return runner


def banner(stack: Stack) -> str:
    from chalicelib.config import DEV_SECRETS

    lines = [
        "",
        "CRM is running (local stage; no AWS account used).",
        "",
        "Open in a browser:",
        f"  Officer client      {stack.api_url}/officer   (sign in as a demo user below)",
        f"  Track a report      {stack.api_url}/track     (citizens; enter a tracking code)",
        f"  Agency performance  {stack.api_url}/performance",
        f"  Map of reports      {stack.api_url}/map       (the last 7 days; each report's page: /reports/<public id>)",
        f"  Report a problem    {stack.api_url}/report    (with a map; works without JavaScript too)",
        "",
        f"  API                 {stack.api_url}",
        f"  Health              {stack.api_url}/health",
        f"  Public status       {stack.api_url}/status/<tracking code>",
        f"  Partner webhooks    {stack.api_url}/webhooks/jaki   {stack.api_url}/webhooks/qlue",
        f"  Officer API         {stack.api_url}/officer/queue   (Cognito ID token as Bearer)",
        f"  Agency metrics      {stack.api_url}/metrics/agencies",
        f"  Provider webhooks   {stack.api_url}/webhooks/{{sms_1708,whatsapp,facebook,governor_social,x}}",
        f"  Inbound e-mail      s3://{stack.env.get('INBOUND_EMAIL_BUCKET')}/inbound/<message id>",
        f"  Open311 GeoReport   {stack.api_url}/open311/v2/discovery.json   (services.json, requests.json, ...)",
        f"  API documentation   {stack.api_url}/docs   (OpenAPI 3.1: {stack.api_url}/openapi.json)",
        f"  Local AWS (moto)    {stack.aws_endpoint}",
        "",
        "Demo credentials (development defaults, valid only with CRM_STAGE=local):",
        f"  JAKI_WEBHOOK_SECRET = {stack.env.get('JAKI_WEBHOOK_SECRET') or DEV_SECRETS['JAKI_WEBHOOK_SECRET']}",
        f"  QLUE_WEBHOOK_SECRET = {stack.env.get('QLUE_WEBHOOK_SECRET') or DEV_SECRETS['QLUE_WEBHOOK_SECRET']}",
        *(
            f"  {name} = {stack.env.get(name) or DEV_SECRETS[name]}"
            for name in ("TWILIO_AUTH_TOKEN", "META_APP_SECRET", "META_VERIFY_TOKEN", "X_CONSUMER_SECRET")
        ),
        "",
    ]
    if stack.open311_key:
        lines.append(f"Open311 demo partner key (api_key): {stack.open311_key}")
        lines.append("")
    if stack.demo_users:
        lines.append(f"Officer demo users (password {demo.DEMO_PASSWORD}):")
        for email, role, agency in stack.demo_users:
            lines.append(f"  {email:<32} {role:<16} {agency or '-'}")
        lines.append("")
    if stack.provider_sink is not None:
        lines += [
            f"Replies to Twilio/Meta/X go to a local stand-in ({stack.provider_sink.url}) and are printed here.",
            "",
        ]
    if stack.demo_cases:
        lines.append("Demo cases:")
        for case in stack.demo_cases:
            lines.append(f"  {case['report_id']:<16} {case['tracking_code']}   {case['status_url']}")
        lines.append("")
    if stack.demo_history:
        resolved = stack.demo_history[0]["tracking_code"]
        lines += [
            f"Plus {len(stack.demo_history)} cases of the last four weeks, for the performance pages; "
            "one resolved with a photo:",
            f"  {stack.api_url}/track?code={resolved}",
            "",
        ]
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)


def main() -> int:
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    api_port = int(os.environ.get("PORT", "8000"))
    aws_port = int(os.environ.get("LOCAL_AWS_PORT", "4566"))
    stopping = False

    def on_signal(signum: int, _frame: Any) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    # Also SIGINT, explicitly: a script's `make run &` starts us with SIGINT ignored (no job
    # control), and Python then leaves it ignored, so Ctrl-C to the group would do nothing.
    signal.signal(signal.SIGINT, on_signal)
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 <pid>`: where is it stuck?
    try:
        stack = start(api_port, aws_port)
    except StartupFailed as error:
        print(f"make run: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print(banner(stack), flush=True)
    try:
        while all(process.poll() is None for process in stack.processes):
            time.sleep(0.5)
        print("make run: a component stopped unexpectedly; shutting down.", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        code = 0
    finally:
        print("Stopping...", flush=True)
        # A stop that hangs must not hold the terminal: after STOP_LIMIT seconds print every
        # thread's stack (what was stuck) and exit with status 1.
        faulthandler.dump_traceback_later(STOP_LIMIT, exit=True)
        stack.stop()
    if stack.runner is not None and stack.runner.dead_letters:
        print(json.dumps([letter.source for letter in stack.runner.dead_letters]), file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
