"""A fresh process serving its first signed partner webhook imports only the adapters it
uses (chalicelib/bootstrap.py builds each on first read): the real app, on the moto server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.integration.conftest import partner_body, signed_headers, unique
from tests.support.cold_start import NOT_ON_THE_WEBHOOK_PATH, WEBHOOK_READS
from tests.support.lambda_events import CONTEXT_SOURCE, partner_webhook_event

ROOT = Path(__file__).resolve().parents[2]

CHILD = f"""
import json, sys
event = json.load(sys.stdin)
import app
from chalicelib import bootstrap

{CONTEXT_SOURCE}
response = app.app(event, LambdaContext())
built = bootstrap.services().__dict__
lazy = [name for name, field in vars(bootstrap.Services).items() if isinstance(field, bootstrap.Lazy)]
print(json.dumps({{
    "status": response["statusCode"],
    "adapters": sorted(m for m in sys.modules if m.startswith("chalicelib.adapters.")),
    "built": sorted(name for name in lazy if built[name] is not bootstrap._UNBUILT),
}}))
"""


def test_the_first_webhook_in_a_fresh_process_imports_no_adapter_it_does_not_use(stack):
    raw = json.dumps(partner_body(unique())).encode()
    environment = {key: value for key, value in os.environ.items() if key != "AWS_LAMBDA_FUNCTION_NAME"}
    result = subprocess.run(
        [sys.executable, "-c", CHILD],
        input=json.dumps(partner_webhook_event("jaki", raw, signed_headers(raw))),
        cwd=ROOT,
        env={**environment, **stack.env, "LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["status"] == 201
    assert set(NOT_ON_THE_WEBHOOK_PATH).isdisjoint(seen["adapters"])
    assert set(seen["built"]) == set(WEBHOOK_READS)
