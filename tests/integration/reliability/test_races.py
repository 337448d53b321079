"""Races: what two (or five) things doing the same at the same moment leave behind.

* The same provider message delivered 5 times at once -> one case, one code,
  four answers that say "duplicate". Per webhook channel (tests/support/webhooks.py).
* Two writers saving one case at once -> one wins, the other gets
  ConcurrentUpdate (the officer API answers it with 409; add its route here
  when it lands, issue 5). Per round, exactly one.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.domain.errors import ConcurrentUpdate
from tests.support.webhooks import PROFILES, Report, send, unique_id

CONCURRENT_DELIVERIES = 5


def cases_for(stack, aws, source_key):
    pages = (
        aws("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=stack.env["CASES_TABLE"],
            FilterExpression="source_key = :s AND #type = :case",
            ExpressionAttributeNames={"#type": "type"},  # cases only, not added-message marks
            ExpressionAttributeValues={":s": {"S": source_key}, ":case": {"S": "case"}},
        )
    )
    return [item for page in pages for item in page["Items"]]


@pytest.mark.parametrize("channel", list(PROFILES))
@pytest.mark.parametrize("with_photo", [False, True], ids=["text", "photo"])
def test_concurrent_deliveries_of_one_message_make_one_case(stack, aws, channel, with_photo):
    from tests.support.images import jpeg_with_metadata

    profile = PROFILES[channel]
    if with_photo and profile.messaging:
        pytest.skip("messaging providers send photos as links, fetched after the answer")
    report = Report(
        unique_id("RACE"),
        reporter={"name": "Siti", "phone": "+6281234567890"},
        photos=(jpeg_with_metadata(64, 48),) if with_photo else (),
    )
    deliveries = [profile.delivery(report) for _ in range(CONCURRENT_DELIVERIES)]
    start = threading.Barrier(CONCURRENT_DELIVERIES)

    def deliver(delivery):
        start.wait()
        return send(stack.api_url, delivery)

    with ThreadPoolExecutor(CONCURRENT_DELIVERIES) as pool:
        answers = list(pool.map(deliver, deliveries))
    if profile.messaging:  # 200 either way (TwiML / Meta's and X's empty answers)
        assert [answer.status for answer in answers] == [200] * CONCURRENT_DELIVERIES
        (item,) = cases_for(stack, aws, profile.source_key(profile.message_id(report)))
        return
    assert sorted(answer.status for answer in answers) == [200] * (CONCURRENT_DELIVERIES - 1) + [201]
    assert len({answer.json()["tracking_code"] for answer in answers}) == 1
    assert sum(answer.json()["duplicate"] for answer in answers) == CONCURRENT_DELIVERIES - 1
    (item,) = cases_for(stack, aws, profile.source_key(report.message_id))
    assert item["code"]["S"] == answers[0].json()["tracking_code"]


def test_two_concurrent_saves_of_one_case_one_wins_the_other_is_refused(app_env, stack):
    from chalicelib.bootstrap import services
    from chalicelib.domain.events import CaseReceived

    code = send(stack.api_url, PROFILES["jaki"].delivery(Report(unique_id("SAVE")))).json()["tracking_code"]
    cases = services().cases
    rounds, outcomes = 10, []
    for round_number in range(rounds):
        copies = [cases.get(code), cases.get(code)]
        start = threading.Barrier(2)

        def save(case, writer, round_number=round_number, start=start):
            case.description = f"round {round_number} by writer {writer}"
            case.record(CaseReceived(occurred_at=case.updated_at, channel="jaki", category="garbage"))
            start.wait()
            try:
                cases.save(case)
                return "saved"
            except ConcurrentUpdate as refused:
                assert refused.current_version == case.version + 1
                return "refused"

        with ThreadPoolExecutor(2) as pool:
            outcomes.append(sorted(pool.map(save, copies, (0, 1))))
        stored = cases.get(code)
        assert stored.version == 2 + round_number
        assert stored.description.startswith(f"round {round_number} by writer ")
    assert outcomes == [["refused", "saved"]] * rounds
