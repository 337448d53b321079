"""Webhooks while AWS fails: every report accepted exactly once, none lost.

The real app runs in ``chalice local`` (a subprocess) and reaches AWS through
the fault proxy (infra/local/faults.py), which fails a chosen share of its
DynamoDB, S3 and KMS calls the way AWS does -- throttling, 500s, connections
lost before or after AWS applied the call. Providers deliver at least once
and retry (tests/support/provider.py). The promise checked here:

* every message ends with exactly one case, whatever was retried;
* an answer of 2xx means stored: its tracking code is in the table, and so
  are the photos the case points at;
* when the app could not store, the answer is 503/429 with Retry-After --
  never a 500, never a 2xx;
* during an outage the app does not multiply the load: the SDK's retry quota
  caps extra calls.

Figures of the 1,000-message run are written to
test-artifacts/fault-injection.json and quoted in docs/security.md.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from infra.local.faults import LOST_RESPONSE, Rule
from tests.integration.reliability.conftest import api_behind
from tests.support.artifacts import artifact
from tests.support.images import jpeg_with_metadata
from tests.support.provider import RetryPolicy, deliver
from tests.support.webhooks import PROFILES, Report, send, unique_id

N_MESSAGES = 1000
FAULT_RATE = 0.2
WORKERS = 16
PHOTO = jpeg_with_metadata(64, 48)


def stored_cases(stack, aws, run):
    pages = (
        aws("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=stack.env["CASES_TABLE"],
            FilterExpression="contains(source_key, :run) AND #type = :case",
            ExpressionAttributeNames={"#type": "type"},  # cases only, not added-message marks
            ExpressionAttributeValues={":run": {"S": run}, ":case": {"S": "case"}},
        )
    )
    return [item for page in pages for item in page["Items"]]


def object_exists(stack, aws, key):
    try:
        aws("s3").head_object(Bucket=stack.env["PHOTOS_BUCKET"], Key=key)
        return True
    except aws("s3").exceptions.ClientError:
        return False


def report_number(run, n):
    channel = "jaki" if n % 2 == 0 else "qlue"
    anonymous = n % 3 == 0
    report = Report(
        message_id=f"{run}-{n:04d}",
        reporter=None if anonymous else {"name": f"Pelapor {n}", "phone": "+6281234567890"},
        anonymous=anonymous,
        photos=(PHOTO,) if n % 10 == 0 else (),
    )
    return PROFILES[channel], report


def assert_answers_are_honest(logs):
    """Only 2xx, or 503/429 with Retry-After and our JSON error; never a 500."""
    for log in logs:
        for answer in log.answers:
            if 200 <= answer.status < 300:
                continue
            assert answer.status in (429, 503), (log.message_id, answer.status, answer.body[:300])
            assert answer.headers.get("retry-after", "").isdigit(), (log.message_id, answer.headers)
            assert answer.json()["error"]["code"] in ("temporarily_unavailable", "not_configured")


def assert_exactly_once(stack, aws, run, logs):
    """One case per message; every 2xx code is that case; its photos exist."""
    items = stored_cases(stack, aws, run)
    by_source = {}
    for item in items:
        by_source.setdefault(item["source_key"]["S"], []).append(item)
    duplicated = {key: len(found) for key, found in by_source.items() if len(found) > 1}
    assert duplicated == {}
    for log in logs:
        assert log.delivered, (log.message_id, [a.status for a in log.answers], log.broken_connections)
        source_key = f"{log.channel}:{log.message_id}"
        assert source_key in by_source, f"{source_key} was acknowledged but is not stored"
        (item,) = by_source[source_key]
        for answer in log.accepted():
            assert answer.json()["tracking_code"] == item["code"]["S"], "a 2xx named a code that is not the case"
        for photo in item.get("photos", {}).get("L", []):
            for key in ("original_key", "public_key"):
                assert object_exists(stack, aws, photo["M"][key]["S"]), f"case points at a missing photo: {key}"
    assert len(items) == len(logs)
    return items


SCENARIOS = {
    # name: (messages, share of AWS calls that fail, faults after which AWS recovers)
    "1000-messages-20pct-faults": (N_MESSAGES, FAULT_RATE, None),
    # A storm: half of all calls fail until 400 faults have happened. It drains
    # the SDK's retry quota, so many deliveries see 503 and providers retry
    # into the recovery. (A storm that never ends needs a provider that never
    # gives up: nothing is stored until AWS takes writes again.)
    "300-messages-50pct-storm": (300, 0.5, 400),
}


@pytest.mark.slow
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_webhooks_under_aws_faults_land_exactly_once(fresh_faulty_api, faults, stack, aws, scenario, request):
    messages, rate, limit = SCENARIOS[scenario]
    run = unique_id("FAULTS")
    faults.configure(Rule("*", "*", rate, limit=limit), seed=20261123)
    policy = RetryPolicy(seed=7)
    started = time.monotonic()
    with ThreadPoolExecutor(WORKERS) as pool:
        logs = list(pool.map(lambda n: deliver(fresh_faulty_api, *report_number(run, n), policy), range(messages)))
    elapsed = time.monotonic() - started
    faults.configure()  # AWS healthy again before looking at the result

    assert_answers_are_honest(logs)
    items = assert_exactly_once(stack, aws, run, logs)
    request.addfinalizer(lambda: forget(stack, aws, items))
    with_photos = [item for item in items if item.get("photos", {}).get("L")]
    assert len(with_photos) == messages // 10

    statuses = [answer.status for log in logs for answer in log.answers]
    summary = {
        "messages": messages,
        "fault_rate": rate,
        "fault_limit": limit,
        "http_requests": len(statuses) + sum(log.broken_connections for log in logs),
        "answers": {str(status): statuses.count(status) for status in sorted(set(statuses))},
        "aws_calls": faults.total_seen(),
        "faults_injected": faults.total_injected(),
        "faults_by_kind": dict(sorted(faults.summary()["by_fault"].items())),
        "cases_stored": len(items),
        "cases_lost": 0,
        "cases_duplicated": 0,
        "max_attempts_for_one_message": max(len(log.answers) + log.broken_connections for log in logs),
        "elapsed_seconds": round(elapsed, 1),
    }
    artifact(f"fault-injection-{scenario}.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))
    # The plan really was active: the chosen share of calls failed (wide band: 4+ sigma).
    if limit is None:
        calls = summary["aws_calls"]
        assert (rate - 0.05) * calls <= summary["faults_injected"] <= (rate + 0.05) * calls
    else:
        assert summary["faults_injected"] == limit
    if limit is not None:  # the storm drains the SDK's retry quota: some faults must reach the provider
        assert summary["answers"].get("503", 0) > 0, "no 503 at all: the faults never reached a provider"


def forget(stack, aws, items):
    """Delete the storm's cases: the session's later suites (Open311 listings, the
    privacy probes) read recent cases, and 1,300 more made them time out on moto."""
    keys = [{"PK": item["PK"], "SK": item["SK"]} for item in items]
    for start in range(0, len(keys), 25):
        batch = [{"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]]
        aws("dynamodb").batch_write_item(RequestItems={stack.env["CASES_TABLE"]: batch})


def test_a_failure_between_the_photo_upload_and_the_case_write_loses_nothing(faulty_api, faults, stack, aws):
    """S3 took the photos, then DynamoDB refused (all four SDK attempts): 503,
    and the provider's retry writes the same photo keys and the one case."""
    profile = PROFILES["jaki"]
    report = Report(unique_id("BETWEEN"), reporter={"name": "Siti"}, photos=(PHOTO,))
    faults.configure(Rule("dynamodb", "PutItem", 1.0, faults=("ProvisionedThroughputExceededException",), limit=4))
    refused = send(faulty_api.api_url, profile.delivery(report))
    assert refused.status == 503 and refused.headers["retry-after"].isdigit()
    assert faults.total_injected("s3", "PutObject") == 0 and faults.total_seen("s3", "PutObject") == 2
    assert stored_cases(stack, aws, report.message_id) == []

    accepted = send(faulty_api.api_url, profile.delivery(report))
    assert accepted.status == 201
    (item,) = stored_cases(stack, aws, report.message_id)
    assert item["code"]["S"] == accepted.json()["tracking_code"]
    (photo,) = item["photos"]["L"]
    key = photo["M"]["original_key"]["S"]
    versions = aws("s3").list_object_versions(Bucket=stack.env["PHOTOS_BUCKET"], Prefix=key)["Versions"]
    assert len(versions) == 2  # the retry rewrote the same content-addressed key: no orphan, no second photo
    assert object_exists(stack, aws, photo["M"]["public_key"]["S"])


def test_a_lost_response_after_the_write_still_gives_the_sender_its_case(faulty_api, faults, stack, aws):
    """DynamoDB applied the PutItem but the answer was lost; the SDK's retry
    finds the stored case (conditional put, ALL_OLD): one case, the sender gets its code."""
    profile = PROFILES["qlue"]
    report = Report(unique_id("LOST"), anonymous=True)
    faults.configure(Rule("dynamodb", "PutItem", 1.0, faults=(LOST_RESPONSE,), limit=1))
    answer = send(faulty_api.api_url, profile.delivery(report))
    assert answer.status == 200 and answer.json()["duplicate"] is True
    (item,) = stored_cases(stack, aws, report.message_id)
    assert item["code"]["S"] == answer.json()["tracking_code"]
    again = send(faulty_api.api_url, profile.delivery(report))
    assert again.status == 200 and again.json()["tracking_code"] == item["code"]["S"]


def test_a_kms_outage_refuses_reports_with_a_contact_and_still_takes_anonymous_ones(faulty_api, faults, stack, aws):
    profile = PROFILES["jaki"]
    with_contact = Report(unique_id("KMSDOWN"), reporter={"name": "Siti", "phone": "+6281234567890"})
    anonymous = Report(unique_id("KMSDOWN"), anonymous=True)
    faults.configure(Rule("kms", "*", 1.0, faults=("KMSInternalException",)))
    refused = send(faulty_api.api_url, profile.delivery(with_contact))
    taken = send(faulty_api.api_url, profile.delivery(anonymous))
    assert refused.status == 503 and refused.headers["retry-after"].isdigit()
    assert stored_cases(stack, aws, with_contact.message_id) == []  # nothing stored unsealed, nothing half-written
    assert taken.status == 201
    faults.configure()
    assert send(faulty_api.api_url, profile.delivery(with_contact)).status == 201


@pytest.fixture
def fresh_faulty_api(stack, fault_proxy):
    """A new API process: its AWS clients start with a full retry quota."""
    with api_behind(stack, fault_proxy, "faulty-api-outage.log") as (api_url, _):
        yield api_url


def test_an_outage_is_not_amplified_by_retries(fresh_faulty_api, faults, stack, aws):
    """DynamoDB down: every delivery gets 503 + Retry-After at once, and the
    SDK's retry quota (500 tokens, 5 per retry) stops retrying after 100
    retries, so the app adds at most 100 calls to a struggling table."""
    requests_sent = 150
    run = unique_id("OUTAGE")
    faults.configure(Rule("dynamodb", "PutItem", 1.0, faults=("InternalServerError", "ThrottlingException")))
    profile = PROFILES["jaki"]
    # 4 at a time: chalice local listens with a backlog of 5 connections (API Gateway has none of that)
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(
                lambda n: send(fresh_faulty_api, profile.delivery(Report(f"{run}-{n}", anonymous=True))),
                range(requests_sent),
            )
        )
    assert {answer.status for answer in answers} == {503}
    assert all(answer.headers["retry-after"].isdigit() for answer in answers)
    calls = faults.total_seen("dynamodb", "PutItem")
    assert requests_sent <= calls <= requests_sent + 100, calls
    assert stored_cases(stack, aws, run) == []
