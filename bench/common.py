"""Shared pieces of the benchmarks: statistics, a local AWS stand-in, signed reports."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Compiled bytecode of the fresh processes the benches start (bench/cold_start.py).
BYTECODE = ROOT / "build" / "bench-bytecode"


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Row:
    """One line of the results table."""

    name: str
    measured: str
    floor: str
    ratio: float | None
    target: str
    met: bool | None
    note: str = ""


@dataclass
class LocalAws:
    endpoint: str
    env: dict[str, str]
    process: subprocess.Popen
    outputs: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@contextmanager
def local_aws():
    """A fresh moto server on a free port, provisioned from infra/template.yaml."""
    from infra.local.devstack import free_port
    from infra.local.provision import app_environment, provision

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log = open(ROOT / "test-artifacts" / "bench-aws.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local.aws_server", "--port", str(port)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)  # noqa: S310 - loopback only
            break
        except OSError:
            time.sleep(0.1)
    outputs = provision(endpoint)
    env = {**app_environment(outputs, endpoint), "LOG_LEVEL": "WARNING", "PUBLIC_BASE_URL": "http://bench.local"}
    # One client making thousands of requests: every rate limit is still counted (its
    # UpdateItem is part of what is measured) but out of reach.
    env.update({name: _out_of_reach(default) for name, default in _limit_variables().items()})
    stand_in = LocalAws(endpoint, env, process, outputs)
    try:
        yield stand_in
    finally:
        stand_in.stop()
        log.close()


def _limit_variables() -> dict[str, str]:
    from chalicelib.config import RATE_LIMIT_DEFAULTS

    return {f"RATE_LIMIT_{scope.upper()}": text for scope, text in RATE_LIMIT_DEFAULTS.items()}


def _out_of_reach(default: str) -> str:
    return ",".join(part.split("=")[0] + "=1000000/60" for part in default.split(","))


def use_environment(env: dict[str, str]) -> None:
    """Point this process's app configuration at the stand-in."""
    os.environ.update(env)
    from chalicelib import bootstrap

    bootstrap.reset()


def partner_body(report_id: str, description: str = "Sampah menumpuk di trotoar depan pasar") -> bytes:
    return json.dumps(
        {
            "report_id": report_id,
            "category": "garbage",
            "description": description,
            "location": {"lat": -6.1754, "lng": 106.8272, "address": "Jl. Medan Merdeka Barat"},
            "reporter": {"name": "Siti", "phone": "+6281234567890", "email": "siti@example.com", "anonymous": False},
            "created_at": "2026-11-23T10:00:00+07:00",
        }
    ).encode()


def signed_headers(body: bytes, channel: str = "jaki") -> dict[str, str]:
    from chalicelib.config import DEV_SECRETS
    from chalicelib.domain.signatures import signature_headers

    secret = DEV_SECRETS[f"{channel.upper()}_WEBHOOK_SECRET"]
    return {"Content-Type": "application/json", **signature_headers(secret, body, int(time.time()))}
