"""The receipt cap's counter on the moto server: a message is counted once however often it
is delivered (adapters/rate_limits.py ``hit_once``), a full window refuses without a write,
and the store keeps neither the address nor the message id."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from chalicelib.adapters.rate_limits import DynamoRateLimiter, counter_pk

SECRET = b"receipt-counter-test"
LIMIT, WINDOW_S = 3, 86_400


def _counter(aws, stack, address: str, now: datetime) -> dict:
    start = int(now.timestamp()) // WINDOW_S * WINDOW_S
    key = {"PK": {"S": counter_pk(SECRET, "receipts:contact", address, WINDOW_S, start)}}
    return aws("dynamodb").get_item(TableName=stack.env["RATE_LIMITS_TABLE"], Key=key, ConsistentRead=True)["Item"]


def test_a_message_delivered_three_times_is_counted_once(app_env, aws, stack):
    limiter = DynamoRateLimiter(stack.env["RATE_LIMITS_TABLE"], SECRET)
    address, now = f"warga-{time.time_ns()}@example.org", datetime.now(UTC)
    answers = [limiter.hit_once("receipts:contact", address, "email:ses-1", LIMIT, WINDOW_S, now) for _ in range(3)]
    assert [answer.allowed for answer in answers] == [True] * 3
    assert [answer.remaining for answer in answers] == [LIMIT - 1] * 3  # the repeats are answered as the first
    assert _counter(aws, stack, address, now)["hits"] == {"N": "1"}


def test_a_full_window_refuses_a_new_message_without_writing_and_still_answers_a_repeat(app_env, aws, stack):
    limiter = DynamoRateLimiter(stack.env["RATE_LIMITS_TABLE"], SECRET)
    address, now = f"warga-{time.time_ns()}@example.org", datetime.now(UTC)
    for n in range(LIMIT):
        assert limiter.hit_once("receipts:contact", address, f"email:ses-{n}", LIMIT, WINDOW_S, now).allowed
    over = [limiter.hit_once("receipts:contact", address, f"email:new-{n}", LIMIT, WINDOW_S, now) for n in range(5)]
    assert not any(answer.allowed for answer in over) and all(answer.retry_after_s >= 1 for answer in over)
    counter = _counter(aws, stack, address, now)
    assert counter["hits"] == {"N": str(LIMIT)} and len(counter["seen"]["SS"]) == LIMIT  # bounded by the cap
    repeat = limiter.hit_once("receipts:contact", address, "email:ses-0", LIMIT, WINDOW_S, now)
    assert repeat.allowed  # its case was allowed a receipt; a retry changes nothing
    stored = json.dumps(counter)
    assert address not in stored and "ses-0" not in stored  # keyed hashes only
