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

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import json, sys
event = json.load(sys.stdin)
import app
from chalicelib import bootstrap

class Context:
    aws_request_id = "first-webhook"
    function_name = "crm-test"
    memory_limit_in_mb = 256

    def get_remaining_time_in_millis(self):
        return 29_000

response = app.app(event, Context())
built = bootstrap.services().__dict__
lazy = [name for name, field in vars(bootstrap.Services).items() if isinstance(field, bootstrap.Lazy)]
print(json.dumps({
    "status": response["statusCode"],
    "adapters": sorted(m for m in sys.modules if m.startswith("chalicelib.adapters.")),
    "built": sorted(name for name in lazy if built[name] is not bootstrap._UNBUILT),
}))
"""


def _webhook_event(raw: bytes) -> dict:
    headers = signed_headers(raw)
    return {
        "resource": "/webhooks/{channel}",
        "path": "/webhooks/jaki",
        "httpMethod": "POST",
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"channel": "jaki"},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/webhooks/{channel}",
            "httpMethod": "POST",
            "requestId": "first-webhook",
            "path": "/webhooks/jaki",
            "stage": "api",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": raw.decode(),
        "isBase64Encoded": False,
    }


def test_the_first_webhook_in_a_fresh_process_imports_no_adapter_it_does_not_use(stack):
    raw = json.dumps(partner_body(unique())).encode()
    environment = {key: value for key, value in os.environ.items() if key != "AWS_LAMBDA_FUNCTION_NAME"}
    result = subprocess.run(
        [sys.executable, "-c", CHILD],
        input=json.dumps(_webhook_event(raw)),
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
