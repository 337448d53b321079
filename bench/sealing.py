"""What sealing reporter contacts costs an intake, measured against moto.

    .venv/bin/python -m bench.sealing [reports per kind, default 200]

`make bench` runs it too (two rows of bench/RESULTS.md). Standalone it prints
the median latency of an in-process webhook intake with a contact
(sealed: KMS GenerateDataKey + AES-GCM + the one PutItem) against the floor
measured in the same run -- the same intake without a contact (PutItem only)
-- plus seal/open alone, local AES-GCM alone, and the requests each makes.
moto answers KMS locally, so the absolute figures are not AWS's: in AWS add
one in-region KMS round trip (single-digit milliseconds) per sealed write.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter

from infra.local import devstack
from infra.local.provision import app_environment, provision


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def main(count: int = 200) -> int:
    port = devstack.free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "infra.local.aws_server", "--port", str(port)],
        cwd=devstack.ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        devstack._wait_for_http(f"{endpoint}/moto-api/", server, "moto")
        os.environ.update(app_environment(provision(endpoint), endpoint))
        os.environ["LOG_LEVEL"] = "WARNING"
        print(json.dumps(measure(count), indent=2))
        return 0
    finally:
        server.terminate()
        server.wait()


def rows(count: int = 200) -> list:
    """The rows of `make bench` (this process already points at a provisioned stand-in)."""
    from bench.common import Row

    result = measure(count)
    plain, sealed = result["requests_without_contact"], result["requests_with_contact"]
    added = [sorted((Counter(with_) - Counter(without)).elements()) for with_ in sealed for without in plain]
    removed = [Counter(without) - Counter(with_) for with_ in sealed for without in plain]
    only_a_data_key = added == [["GenerateDataKey"]] and not any(removed)
    return [
        Row(
            "intake with a sealed contact, p50",
            f"{result['intake_with_sealed_contact_ms']:.2f} ms",
            f"{result['intake_without_contact_ms (floor)']:.2f} ms without a contact",
            result["ratio_to_floor"],
            "informational",
            None,
            f"moto answers KMS locally; AWS adds one in-region KMS round trip; "
            f"{result['intakes_per_kind']} of each, interleaved",
        ),
        Row(
            "requests: intake with a sealed contact",
            " + ".join(sealed[0]),
            " + ".join(plain[0]),
            None,
            "+ 1 KMS GenerateDataKey",
            only_a_data_key,
            "one data key seals name, phone and e-mail",
        ),
    ]


def measure(count: int) -> dict:
    from chalice.test import Client

    import app
    from chalicelib.adapters import aws
    from chalicelib.adapters.case_repository import sealing_context
    from chalicelib.adapters.sealing import KmsSealer
    from tests.support.webhooks import PROFILES, Report

    calls: list[str] = []
    for service in ("dynamodb", "kms"):
        aws.client(service).meta.events.register("before-call", lambda model, **_: calls.append(model.name))
    profile = PROFILES["jaki"]
    timings: dict[str, list[float]] = {"anonymous": [], "sealed": []}
    requests: dict[str, list[list[str]]] = {"anonymous": [], "sealed": []}
    contact = {"name": "Siti", "phone": "+6281234567890", "email": "siti@example.com"}
    with Client(app.app, stage_name="local") as client:
        for n in range(count + 10):  # interleaved, the first 10 of each are warm-up
            for kind in ("anonymous", "sealed"):
                report = Report(f"BENCH-{time.time_ns()}-{n}", reporter=contact, anonymous=kind == "anonymous")
                delivery = profile.delivery(report)
                calls.clear()
                started = time.perf_counter()
                response = client.http.post(delivery.path, body=delivery.body, headers=delivery.headers)
                elapsed = time.perf_counter() - started
                assert response.status_code == 201, response.body
                if n >= 10:
                    timings[kind].append(elapsed)
                    requests[kind].append(list(calls))

    sealer = KmsSealer(os.environ["CONTACT_KEY_ARN"])
    context = sealing_context("K7QM4-XPA9R-TD2W")
    seal, open_ = [], []
    for _ in range(count):
        started = time.perf_counter()
        tokens = sealer.seal(context, {"reporter": json.dumps(contact).encode()})
        seal.append(time.perf_counter() - started)
        started = time.perf_counter()
        sealer.open(context, tokens)
        open_.append(time.perf_counter() - started)

    from chalicelib.adapters.sealing import gcm_seal

    data_key, aes = os.urandom(32), []
    for _ in range(count):
        started = time.perf_counter()
        gcm_seal(data_key, os.urandom(12), json.dumps(contact).encode(), b"aad")
        aes.append(time.perf_counter() - started)

    import_time = (
        subprocess.run(
            [
                sys.executable,
                "-X",
                "importtime",
                "-c",
                "from Crypto.Cipher import AES",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        .stderr.strip()
        .splitlines()[-1]
    )

    floor, sealed = median_ms(timings["anonymous"]), median_ms(timings["sealed"])
    result = {
        "intakes_per_kind": count,
        "intake_without_contact_ms (floor)": floor,
        "intake_with_sealed_contact_ms": sealed,
        "ratio_to_floor": round(sealed / floor, 2),
        "added_ms": round(sealed - floor, 3),
        "requests_without_contact": sorted({tuple(r) for r in requests["anonymous"]}),
        "requests_with_contact": sorted({tuple(r) for r in requests["sealed"]}),
        "seal_alone_ms (GenerateDataKey + AES-GCM)": median_ms(seal),
        "open_alone_ms (Decrypt + AES-GCM)": median_ms(open_),
        "aes_gcm_alone_us": round(statistics.median(aes) * 1e6, 1),
        "first_use_import (importtime, last line)": import_time,
    }
    return result


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
