"""Load test: 5,000 signed webhooks across channels at concurrency 50, 10 % of
them repeated deliveries, against the running local stack (`chalice local` +
moto), then a check of the table: exactly one case per unique message, none
lost.

The channels are the partner JSON contract (`jaki`, `qlue`), Twilio's form
post on SMS 1708 and WhatsApp Cloud API's JSON, each in its provider's shape
and signature. Every message has its own sender, so the per-sender hourly
limit and conversation window never merge two test messages into one case.

Loopback only, bounded in count and time; it stops by itself. The floor is
GET /health through the same server at the same concurrency (what the server
and client alone can do).
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from bench.common import Row, partner_body, percentile, signed_headers

CHANNELS = ("jaki", "qlue", "sms_1708", "whatsapp")
_TWIML_CODE = re.compile(r"\b([0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{4})\b")

TOTAL = 5_000
CONCURRENCY = 50
REPEATED = 0.10
DEADLINE_SECONDS = 420


def _send(url: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, float, str | None]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST" if body else "GET")
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            payload = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        payload, status = error.read(), error.code
    elapsed = time.perf_counter() - start
    return status, elapsed, _tracking_code(status, payload)


def _tracking_code(status: int, payload: bytes) -> str | None:
    """The code the sender was answered with: partner JSON or Twilio's TwiML (WhatsApp answers later)."""
    if status not in (200, 201):
        return None
    if payload.startswith(b"<"):
        found = _TWIML_CODE.search(payload.decode(errors="replace"))
        return found.group(1) if found else None
    try:
        return json.loads(payload).get("tracking_code")
    except (ValueError, AttributeError):
        return None


def _plan(run_id: str) -> list[tuple[str, int]]:
    """(channel, message number) for every delivery: 90 % unique, 10 % repeats of earlier ones."""
    unique = int(TOTAL * (1 - REPEATED))
    messages = [(CHANNELS[n % len(CHANNELS)], n) for n in range(unique)]
    rng = random.Random(7)
    deliveries = messages + [rng.choice(messages) for _ in range(TOTAL - unique)]
    rng.shuffle(deliveries)
    return deliveries


def _fire(jobs, worker) -> tuple[list, float]:
    results, lock = [], threading.Lock()
    deadline = time.time() + DEADLINE_SECONDS

    def one(job):
        if time.time() > deadline:
            return
        outcome = worker(job)
        with lock:
            results.append((job, *outcome))

    start = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(one, jobs))
    return results, time.perf_counter() - start


def run() -> list[Row]:
    from pathlib import Path

    from bench.common import ROOT
    from infra.local import devstack

    log = open(Path(ROOT) / "test-artifacts" / "bench-load-stack.log", "w")  # noqa: SIM115 - closed below
    stack = devstack.start(
        devstack.free_port(),
        devstack.free_port(),
        load_demo=False,
        run_events=False,
        output=log,
        # thousands of deliveries in seconds: the channels' ceilings (rate limits) out of reach
        extra_env={"LOG_LEVEL": "WARNING", "RATE_LIMIT_WEBHOOKS": "channel=1000000/60"},
    )
    try:
        health, health_time = _fire(range(2_000), lambda _: _send(f"{stack.api_url}/health", None, {}))
        floor = len(health) / health_time
        run_id = f"{time.time_ns():x}"[-12:]

        def deliver(job):
            channel, number = job
            body, headers = _delivery(stack.api_url, run_id, channel, number)
            return _send(f"{stack.api_url}/webhooks/{channel}", body, headers)

        results, elapsed = _fire(_plan(run_id), deliver)
        statuses = {}
        codes_by_message: dict[tuple[str, str], set[str]] = {}
        latencies = []
        for (channel, number), status, latency, code in results:
            statuses[status] = statuses.get(status, 0) + 1
            latencies.append(latency)
            if code:
                codes_by_message.setdefault((channel, number), set()).add(code)
        stored = _stored_cases(stack, run_id)
    finally:
        stack.stop()
        log.close()

    unique = {message for message, *_ in results}
    lost = [m for m in unique if f"{m[0]}:{_message_id(run_id, *m)}" not in stored]
    duplicated = [key for key, count in stored.items() if count > 1]
    inconsistent = [m for m, codes in codes_by_message.items() if len(codes) > 1]
    throughput = len(results) / elapsed
    return [
        Row(
            "load test throughput (webhooks/s)",
            f"{throughput:.0f}/s",
            f"{floor:.0f}/s GET /health",
            throughput / floor,
            "informational",
            None,
            f"{len(results)} deliveries over {', '.join(CHANNELS)}, concurrency {CONCURRENCY}, statuses {statuses}",
        ),
        Row(
            "load test latency p50 / p90 / p99",
            f"{percentile(latencies, 0.5) * 1000:.0f} / {percentile(latencies, 0.9) * 1000:.0f} / "
            f"{percentile(latencies, 0.99) * 1000:.0f} ms",
            "",
            None,
            "informational",
            None,
            "client-side, loopback",
        ),
        Row(
            "load test: one case per unique message",
            f"{len(stored)} cases",
            f"{len(unique)} unique messages",
            len(stored) / max(1, len(unique)),
            "== 1, 0 lost, 0 duplicated",
            not lost and not duplicated and not inconsistent and len(stored) == len(unique),
            f"lost {len(lost)}, duplicated {len(duplicated)}, codes disagreeing {len(inconsistent)}; "
            f"{len(codes_by_message)} answered with their code inline (WhatsApp answers by message later)",
        ),
    ]


def _message_id(run_id: str, channel: str, number: int) -> str:
    """The provider's message id; every one carries the run id so the check can find this run's cases."""
    if channel == "sms_1708":
        return f"SM{run_id}{number:020x}"
    if channel == "whatsapp":
        return f"wamid.LOAD{run_id}{number:010d}"
    return f"LOAD-{run_id}-{number}"


def _delivery(api_url: str, run_id: str, channel: str, number: int) -> tuple[bytes, dict[str, str]]:
    """Body and headers of one delivery, in the channel provider's own shape and signature."""
    message_id = _message_id(run_id, channel, number)
    sender = f"62812{number:08d}"
    text = f"Sampah menumpuk di trotoar depan pasar, laporan uji beban {number}"
    if channel == "sms_1708":
        from urllib.parse import urlencode

        from chalicelib.channels.twilio_sms import sign
        from chalicelib.config import DEV_SECRETS

        params = {
            "MessageSid": message_id,
            "SmsSid": message_id,
            "AccountSid": "AC" + "0" * 32,
            "From": "+" + sender,
            "To": "1708",
            "Body": text,
            "NumMedia": "0",
        }
        signature = sign(DEV_SECRETS["TWILIO_AUTH_TOKEN"], f"{api_url}/webhooks/{channel}", params)
        return urlencode(params).encode(), {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        }
    if channel == "whatsapp":
        from chalicelib.channels import meta
        from chalicelib.config import DEV_SECRETS

        body = json.dumps(
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "id": "102290129340398",
                        "changes": [
                            {
                                "field": "messages",
                                "value": {
                                    "messaging_product": "whatsapp",
                                    "metadata": {
                                        "display_phone_number": "628111272206",
                                        "phone_number_id": "106540352242922",
                                    },
                                    "contacts": [{"profile": {"name": "Warga"}, "wa_id": sender}],
                                    "messages": [
                                        {
                                            "from": sender,
                                            "id": message_id,
                                            "timestamp": str(int(time.time())),
                                            "type": "text",
                                            "text": {"body": text},
                                        }
                                    ],
                                },
                            }
                        ],
                    }
                ],
            }
        ).encode()
        return body, {"Content-Type": "application/json", **meta.signature_header(DEV_SECRETS["META_APP_SECRET"], body)}
    body = partner_body(message_id, text)
    return body, signed_headers(body, channel)


def _stored_cases(stack, run_id: str) -> dict[str, int]:
    """source_key -> number of case items for this run's messages (a check-only Scan)."""
    import boto3

    from infra.local.provision import LOCAL_CREDENTIALS

    client = boto3.client(
        "dynamodb",
        endpoint_url=stack.aws_endpoint,
        region_name=stack.env["AWS_REGION"],
        aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    counts: dict[str, int] = {}
    for page in client.get_paginator("scan").paginate(
        TableName=stack.env["CASES_TABLE"],
        FilterExpression="contains(source_key, :run) AND #type = :case",
        ExpressionAttributeNames={"#type": "type"},  # cases only, not added-message marks
        ExpressionAttributeValues={":run": {"S": run_id}, ":case": {"S": "case"}},
        ProjectionExpression="source_key",
    ):
        for item in page["Items"]:
            key = item["source_key"]["S"]
            counts[key] = counts.get(key, 0) + 1
    return counts
