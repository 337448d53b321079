"""Webhook authentication, per channel (tests/support/webhooks.py): every way
of getting the signature wrong is refused with 401 and stores nothing; a
replay inside the window is a repeated delivery (same case), outside it 401."""

import pytest

from chalicelib.config import DEV_SECRETS
from chalicelib.domain import tracking
from tests.support.webhooks import PROFILES, Report, send, unique_id

CASES = [(channel, tampering) for channel, profile in PROFILES.items() for tampering in profile.tamperings]


def stored(stack, aws, channel, message_id):
    code = tracking.derive_code(DEV_SECRETS["TRACKING_CODE_KEY"].encode(), channel, message_id)
    item = aws("dynamodb").get_item(TableName=stack.env["CASES_TABLE"],
                                    Key={"PK": {"S": f"CASE#{code}"}, "SK": {"S": "CASE"}})
    return "Item" in item


@pytest.mark.parametrize("channel, tampering", CASES, ids=[f"{c}-{t.name}" for c, t in CASES])
def test_a_badly_signed_delivery_is_refused_and_stores_nothing(stack, aws, channel, tampering):
    profile = PROFILES[channel]
    report = Report(unique_id(f"SIG-{tampering.name}"))
    bad = tampering.make(profile.delivery(report), profile)
    answer = send(stack.api_url, bad)
    assert answer.status == 401, (tampering.name, answer.body)
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json()["error"]["code"] in ("invalid_signature", "signature_expired")
    assert not stored(stack, aws, channel, report.message_id)
    assert send(stack.api_url, profile.delivery(report)).status == 201  # the genuine one still gets in


@pytest.mark.parametrize("channel", list(PROFILES))
def test_a_replay_inside_the_window_is_the_same_case_and_outside_it_is_refused(stack, aws, channel):
    profile = PROFILES[channel]
    delivery = profile.delivery(Report(unique_id("REPLAY")))
    first, replayed = send(stack.api_url, delivery), send(stack.api_url, delivery)
    assert (first.status, replayed.status) == (201, 200)
    assert replayed.json()["tracking_code"] == first.json()["tracking_code"]
    if profile.replay_window_seconds is not None:
        import time

        old = profile.signed(delivery.body, int(time.time()) - profile.replay_window_seconds - 1)
        assert send(stack.api_url, old).status == 401


@pytest.mark.parametrize("channel", list(PROFILES))
def test_one_channels_secret_does_not_open_another_channel(stack, channel):
    profile = PROFILES[channel]
    for other_channel, other in PROFILES.items():
        if other_channel == channel:
            continue
        raw = profile.encode(Report(unique_id("CROSS")))
        delivery = other.signed(raw)
        answer = send(stack.api_url, type(delivery)(profile.path, delivery.headers, raw))
        assert answer.status == 401, (channel, other_channel)
