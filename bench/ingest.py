"""Ingest throughput, status-read latency and the webhook function's memory.

Lambda scales by running more processes, one request at a time each, so the
concurrency here is processes: each runs the real Chalice app the way Lambda
calls it (an API Gateway proxy event into ``app.app``), i.e. size and content
checks, HMAC signature, JSON and pydantic validation, the channel's rate-limit
counter (one UpdateItem), tracking code, sealing the reporter's contact (one KMS
GenerateDataKey), one conditional PutItem. The floor is the same three calls
made raw with boto3 (UpdateItem of a counter, GenerateDataKey, PutItem of an
item of the same size) from the same number of processes, against the same moto
server: what any rate-limited intake of a report with a contact has to pay.
The status read is compared the same way: GET /status through the app against
the raw GetItem plus the raw counter UpdateItem every public read makes.
"""

from __future__ import annotations

import multiprocessing
import os
import time

from bench.common import Row, partner_body, percentile, signed_headers
from tests.support.lambda_events import LambdaContext, api_gateway_event, partner_webhook_event

PROCESSES = 2  # one per core: more would measure CPU contention on the shared machine, not the code
BLOCK = 20
BLOCKS = 8
READS = 400


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _peak_rss_mb() -> float:
    """This process's high-water RSS (VmHWM; ru_maxrss would include the parent's before exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _worker(args):
    """Alternate blocks of webhooks (the real app, as Lambda calls it) and the raw calls the
    same report needs (the rate-limit counter's UpdateItem, GenerateDataKey to seal the contact,
    PutItem of a same-size item), so both meet the same load; return the time spent on each."""
    env, worker, blocks, item = args
    from bench.common import use_environment

    use_environment(env)
    import app
    from chalicelib.adapters import aws
    from chalicelib.adapters.case_repository import NEW_ITEM_ONLY, case_key
    from chalicelib.adapters.rate_limits import counter_update

    client, kms = aws.client("dynamodb"), aws.client("kms")
    context = LambdaContext()
    spent = {"webhook": 0.0, "raw": 0.0}
    for block in range(blocks):
        start = time.perf_counter()
        for n in range(BLOCK):
            body = partner_body(f"BENCH-INGEST-{worker}-{block}-{n}-{time.time_ns()}")
            event = partner_webhook_event("jaki", body, signed_headers(body))
            response = app.app(event, context)
            if response["statusCode"] != 201:
                raise RuntimeError(f"webhook answered {response['statusCode']}: {response['body'][:200]}")
        spent["webhook"] += time.perf_counter() - start
        start = time.perf_counter()
        for n in range(BLOCK):
            code = f"BENCH-{worker}-{block}-{n}-{time.time_ns()}"
            fresh = {**item, **{name: {"S": value} for name, value in case_key(code).items()}}
            # The calls a rate-limited report with a contact needs at the least: its counter, a data
            # key to seal the contact, one write.
            counter, _ = counter_update(env["RATE_LIMITS_TABLE"], b"bench", "bench", str(worker), 60, _now())
            client.update_item(**counter)
            kms.generate_data_key(KeyId=env["CONTACT_KEY_ARN"], KeySpec="AES_256", EncryptionContext={"case": code})
            client.put_item(TableName=env["CASES_TABLE"], Item=fresh, ConditionExpression=NEW_ITEM_ONLY)
        spent["raw"] += time.perf_counter() - start
    return spent, _peak_rss_mb()


def sample_item() -> dict:
    """A stored case item of the size a webhook writes."""
    import json
    from datetime import UTC, datetime

    from chalicelib.adapters.case_repository import case_to_item, serialize
    from chalicelib.adapters.sealing import KmsSealer
    from chalicelib.domain.case import Case
    from chalicelib.domain.channels import Channel
    from chalicelib.domain.report import build_report

    document = json.loads(partner_body("BENCH-SAMPLE"))
    report = build_report(
        channel=Channel.JAKI,
        message_id=document["report_id"],
        category=document["category"],
        description=document["description"],
        location=document["location"],
        reporter={k: v for k, v in document["reporter"].items() if k != "anonymous"},
    )
    case = Case.open(report, "4N50G-7M7G1-2X63", datetime.now(UTC))
    sealer = KmsSealer(os.environ["CONTACT_KEY_ARN"])  # the stand-in's key, as the webhook seals it
    return serialize(case_to_item(case, 1, case.pull_events(), sealer))


def run(stand_in) -> list[Row]:
    import json

    item = sample_item()
    item_bytes = len(json.dumps(item))
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES) as pool:
        pool.map(_worker, [(stand_in.env, w, 1, item) for w in range(PROCESSES)])  # warm up
        results = pool.map(_worker, [(stand_in.env, w, BLOCKS, item) for w in range(PROCESSES)])
    operations = PROCESSES * BLOCKS * BLOCK
    webhook_time = sum(spent["webhook"] for spent, _ in results) / PROCESSES
    raw_time = sum(spent["raw"] for spent, _ in results) / PROCESSES
    hooks, floor = operations / webhook_time, operations / raw_time
    ratio = hooks / floor
    peak_mb = max(peak for _, peak in results)
    return [
        Row(
            "ingest throughput (webhooks/s)",
            f"{hooks:.0f}/s",
            f"{floor:.0f}/s raw counter UpdateItem + GenerateDataKey + PutItem",
            ratio,
            ">= 0.8",
            ratio >= 0.8,
            f"{PROCESSES} processes, {operations} of each, interleaved; item ~{item_bytes} B",
        ),
        Row(
            "webhook function peak RSS",
            f"{peak_mb:.0f} MB",
            "256 MB Lambda",
            peak_mb / 256,
            "fits in 256 MB",
            peak_mb < 256,
            "VmHWM of a worker process after its webhooks",
        ),
        *status_latency(stand_in),
    ]


def status_latency(stand_in) -> list[Row]:
    """GET /status/{code} through the app vs the raw requests it needs (GetItem of the same item,
    the per-address counter's UpdateItem), same server, one process."""
    import json

    import app
    from chalicelib.adapters import aws
    from chalicelib.adapters.case_repository import case_key, serialize
    from chalicelib.adapters.rate_limits import counter_update

    context = LambdaContext()
    body = partner_body(f"BENCH-STATUS-{time.time_ns()}")
    created = app.app(
        partner_webhook_event("jaki", body, signed_headers(body)),
        context,
    )
    code = json.loads(created["body"])["tracking_code"]
    client = aws.client("dynamodb")
    key = serialize(case_key(code))
    event = api_gateway_event(
        "GET", f"/status/{code}", None, {}, path_parameters={"tracking_code": code}, resource="/status/{tracking_code}"
    )

    def raw_read() -> None:
        counter, _ = counter_update(stand_in.env["RATE_LIMITS_TABLE"], b"bench", "bench", "status", 60, _now())
        client.update_item(**counter)
        client.get_item(TableName=stand_in.env["CASES_TABLE"], Key=key, ConsistentRead=True)

    app_times, raw_times = [], []
    for _ in range(20):  # warm up
        app.app(event, context)
        raw_read()
    for _ in range(READS):
        start = time.perf_counter()
        response = app.app(event, context)
        app_times.append(time.perf_counter() - start)
        assert response["statusCode"] == 200
        start = time.perf_counter()
        raw_read()
        raw_times.append(time.perf_counter() - start)
    rows = []
    for label, fraction in (("p50", 0.5), ("p99", 0.99)):
        mine, floor = percentile(app_times, fraction), percentile(raw_times, fraction)
        rows.append(
            Row(
                f"status read latency {label}",
                f"{mine * 1000:.2f} ms",
                f"{floor * 1000:.2f} ms raw counter UpdateItem + GetItem",
                mine / floor,
                "<= 1.3",
                mine / floor <= 1.3,
                f"{READS} interleaved reads",
            )
        )
    return rows
