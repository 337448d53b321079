"""Webhook authentication, per channel (tests/support/webhooks.py): every way
of getting the signature wrong is refused (401; Twilio 403) and stores
nothing; a replay inside the window is a repeated delivery (same case),
outside it 401. Providers whose scheme has no timestamp (Twilio, Meta, X)
are protected against replays by idempotency alone: the same case."""

import time

import pytest

from tests.support.webhooks import PROFILES, Delivery, Report, send, unique_id

CASES = [(channel, tampering) for channel, profile in PROFILES.items() for tampering in profile.tamperings]


def stored(stack, aws, profile, report, key):
    code = profile.tracking_code(report, key=key)
    item = aws("dynamodb").get_item(
        TableName=stack.env["CASES_TABLE"], Key={"PK": {"S": f"CASE#{code}"}, "SK": {"S": "CASE"}}
    )
    return "Item" in item


@pytest.mark.parametrize("channel, tampering", CASES, ids=[f"{c}-{t.name}" for c, t in CASES])
def test_a_badly_signed_delivery_is_refused_and_stores_nothing(stack, aws, code_key, channel, tampering):
    profile = PROFILES[channel]
    report = Report(unique_id(f"SIG-{tampering.name}"))
    bad = tampering.make(profile.delivery(report), profile)
    answer = send(stack.api_url, bad)
    assert answer.status == profile.refused_status, (tampering.name, answer.body)
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json()["error"]["code"] in ("invalid_signature", "signature_expired")
    assert not stored(stack, aws, profile, report, code_key)
    assert send(stack.api_url, profile.delivery(report)).status == profile.created_status  # the genuine one gets in
    assert stored(stack, aws, profile, report, code_key)


@pytest.mark.parametrize("channel", list(PROFILES))
def test_a_replay_inside_the_window_is_the_same_case_and_outside_it_is_refused(stack, aws, code_key, channel):
    profile = PROFILES[channel]
    report = Report(unique_id("REPLAY"))
    delivery = profile.delivery(report)
    first, replayed = send(stack.api_url, delivery), send(stack.api_url, delivery)
    assert (first.status, replayed.status) == (profile.created_status, 200)
    assert profile.tracking_code(report, replayed, code_key) == profile.tracking_code(report, first, code_key)
    assert stored(stack, aws, profile, report, code_key)
    if profile.replay_window_seconds is not None:
        old = profile.signed(delivery.body, int(time.time()) - profile.replay_window_seconds - 1)
        assert send(stack.api_url, old).status == 401


@pytest.mark.parametrize("channel", list(PROFILES))
def test_one_channels_secret_does_not_open_another_channel(stack, channel):
    profile = PROFILES[channel]
    for other_channel, other in PROFILES.items():
        if other_channel == channel or other_channel in profile.also_takes_signatures_of:
            continue
        raw = profile.encode(Report(unique_id("CROSS")))
        now = int(time.time())
        theirs = other.sign(raw, now)
        if theirs == profile.sign(raw, now):
            continue  # one provider account (Meta's app secret signs WhatsApp and both pages)
        answer = send(stack.api_url, Delivery(profile.path, {"Content-Type": profile.content_type, **theirs}, raw))
        assert answer.status == profile.refused_status, (channel, other_channel)
