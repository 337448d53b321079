"""Receipts (the reply with the tracking code) only to a sender we can trust, and at
most the daily cap to one address: the case is opened either way, the message is
withheld, logged by public id and counted."""

import json

import pytest

from chalicelib.adapters.rate_limits import counter_pk
from chalicelib.config import RATE_LIMIT_DEFAULTS, parse_limits
from chalicelib.domain import events
from chalicelib.domain.channels import Channel
from chalicelib.domain.report import Provenance, build_report
from chalicelib.services import replies
from chalicelib.services.intake import receipt_counter, submit_report
from tests.support.event_messages import envelope, example
from tests.support.fakes import (
    FakeCaseRepository,
    FakePhotoStore,
    FakeRateLimiter,
    FakeReplyLedger,
    FakeReplySender,
    FakeSenderRepository,
    FixedClock,
)
from tests.support.log_lines import captured_lines

BASE = "https://crm.example"
KEY = b"k" * 32
CAP = parse_limits("RATE_LIMIT_RECEIPTS", RATE_LIMIT_DEFAULTS["receipts"])["contact"]


@pytest.fixture
def world():
    limiter = FakeRateLimiter()
    deps = {
        "cases": FakeCaseRepository(),
        "photos": FakePhotoStore(),
        "clock": FixedClock(),
        "code_key": KEY,
        "senders": FakeSenderRepository(),
        "receipts": receipt_counter(limiter, CAP, FixedClock()),
    }
    return deps, limiter


def report(message_id: str, address: str, channel=Channel.BALAI_WARGA, kind="email", **more):
    return build_report(
        channel=channel,
        message_id=message_id,
        category="garbage",
        description="Sampah menumpuk",
        reply_handle={"channel": channel, "kind": kind, "address": address},
        **more,
    )


def replies_to(cases, code, *kinds, sender):
    """What the reply worker does with the case's events of these kinds."""
    results = []
    for cls in kinds:
        message = envelope(example(cls), code, id=f"{code}:1:{cls.type}")
        results += replies.reply_to_event(
            message, cases=cases, ledger=FakeReplyLedger(), sender_for=sender, base_url=BASE, code_key=KEY
        )
    return results


def test_the_default_cap_is_five_a_day():
    assert (CAP.count, CAP.window_s) == (5, 86_400)


def test_twenty_reports_naming_one_address_send_it_at_most_the_cap(world, capsys):
    deps, limiter = world
    sender = FakeReplySender()
    with captured_lines() as lines:
        receipts = [
            submit_report(report(f"form-{n}", "Tetangga@Example.org" if n % 2 else "tetangga@example.org"), **deps)
            for n in range(20)
        ]
    assert all(receipt.created and receipt.tracking_code for receipt in receipts)  # every case, every code
    for receipt in receipts:  # the receipt and every later reply of a capped case go nowhere
        replies_to(deps["cases"], receipt.tracking_code, events.CaseReceived, events.CaseAssigned, sender=sender)
    assert len(sender.sent) == 2 * CAP.count
    withheld = [line for line in lines() if line.get("message") == "receipt withheld: the address's daily cap"]
    assert len(withheld) == 20 - CAP.count
    assert not any(receipt.tracking_code in json.dumps(line) for line in lines() for receipt in receipts)
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"ReceiptsWithheld"' in line]
    assert [metric["reason"] for metric in metrics] == ["daily_cap"] * (20 - CAP.count)
    # Counted by the normalised address; the store keeps only its keyed hash.
    assert set(limiter.hits) == {("receipts:contact", "tetangga@example.org")}
    assert "tetangga" not in counter_pk(KEY, "receipts:contact", "tetangga@example.org", CAP.window_s, 0)
    # Another address has its own count.
    assert deps["cases"].get(submit_report(report("other", "lain@example.org"), **deps).tracking_code).reply_handle


def test_messaging_receipts_are_not_capped_and_unverified_mail_uses_up_no_one_s_cap(world):
    deps, limiter = world
    for n in range(CAP.count + 2):
        whatsapp = report(f"wa-{n}", "6281234567890", Channel.WHATSAPP, "whatsapp", conversational=False)
        code = submit_report(whatsapp, **deps).tracking_code
        assert deps["cases"].get(code).reply_handle is not None
    for n in range(CAP.count + 2):
        forged = report(f"ses-{n}", "korban@example.org", Channel.EMAIL, provenance=Provenance.UNVERIFIED)
        submit_report(forged, **deps)
    assert limiter.hits == []
    real = submit_report(report("ses-real", "korban@example.org", Channel.EMAIL), **deps)
    assert deps["cases"].get(real.tracking_code).reply_handle is not None


def test_when_the_counter_cannot_count_the_case_opens_and_its_receipt_goes_out(world, capsys):
    deps, limiter = world
    limiter.failing = True
    receipt = submit_report(report("down-1", "warga@example.org"), **deps)
    assert receipt.created and deps["cases"].get(receipt.tracking_code).reply_handle is not None
    assert '"RateLimiterUnavailable"' in capsys.readouterr().out


def test_an_unverified_sender_gets_no_receipt_nor_any_later_reply(world, capsys):
    deps, _ = world
    sender = FakeReplySender()
    forged = report("ses-forged", "korban@example.org", Channel.EMAIL, provenance=Provenance.UNVERIFIED)
    code = submit_report(forged, **deps).tracking_code
    with captured_lines() as lines:
        outcomes = replies_to(deps["cases"], code, events.CaseReceived, events.CaseAssigned, sender=sender)
    assert outcomes == [replies.WITHHELD] * 2 and sender.sent == []
    assert [line["message"] for line in lines()] == ["reply withheld: unverified sender"] * 2
    assert code not in json.dumps(lines())  # the public id only
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"ReceiptsWithheld"' in line]
    assert [metric["reason"] for metric in metrics] == ["unverified_sender"]  # the receipt, once
    verified = submit_report(report("ses-real", "warga@example.org", Channel.EMAIL), **deps).tracking_code
    assert replies_to(deps["cases"], verified, events.CaseReceived, sender=sender) == [replies.SENT]


def test_an_unverified_sender_gets_no_notice_for_its_hourly_limit_nor_a_status_answer(world, capsys):
    deps, _ = world
    from chalicelib.domain.receipts import RATE_LIMITED, STATUS
    from chalicelib.services.intake import MAX_REPORTS_PER_HOUR

    opened = submit_report(report("ses-open", "warga@example.org", Channel.EMAIL), **deps).tracking_code

    def mail(n: int, address: str, provenance=Provenance.VERIFIED, text: str = "Sampah menumpuk"):
        return build_report(
            channel=Channel.EMAIL,
            message_id=f"ses-{address}-{n}",
            category="garbage",
            description=text,
            reply_handle={"channel": Channel.EMAIL, "kind": "email", "address": address},
            provenance=provenance,
        )

    with captured_lines() as lines:
        asked = submit_report(mail(99, "korban@example.org", Provenance.UNVERIFIED, f"status {opened}"), **deps)
        forged = [  # the status question counted first: over the limit at the last two
            submit_report(mail(n, "korban@example.org", Provenance.UNVERIFIED), **deps)
            for n in range(MAX_REPORTS_PER_HOUR + 1)
        ]
    assert asked.outcome == STATUS and asked.tracking_code == opened and not asked.needs_notice
    assert all(receipt.created for receipt in forged[: MAX_REPORTS_PER_HOUR - 1])
    assert [receipt.outcome for receipt in forged[-2:]] == [RATE_LIMITED] * 2  # the limit still holds, silently
    assert not any(receipt.needs_notice for receipt in forged)
    assert [line["message"] for line in lines() if "withheld" in line["message"]] == [
        "notice withheld: unverified sender"
    ] * 2  # the status answer and the first hit over the limit (later hits are never told)
    assert opened not in json.dumps(lines())
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"ReceiptsWithheld"' in line]
    assert [metric["reason"] for metric in metrics] == ["unverified_sender"] * 2
    # A verified sender over the same limit is told (its first report opened the case asked about).
    real = [submit_report(mail(n, "warga@example.org"), **deps) for n in range(MAX_REPORTS_PER_HOUR)]
    assert real[-1].outcome == RATE_LIMITED and real[-1].needs_notice


def test_a_retried_delivery_is_answered_from_its_case_and_counts_once(world):
    deps, limiter = world
    codes = []
    for n in range(CAP.count):
        for _ in range(3):  # the sender retries each delivery twice (a timeout, at-least-once queues)
            receipt = submit_report(report(f"form-{n}", "warga@example.org"), **deps)
        assert receipt.outcome == "repeated" and not receipt.created
        codes.append(receipt.tracking_code)
    assert len(limiter.hits) == CAP.count  # once per report, not per delivery
    assert all(deps["cases"].get(code).reply_handle is not None for code in codes)  # every one within the cap
    over = submit_report(report("form-over", "warga@example.org"), **deps)
    assert over.created and deps["cases"].get(over.tracking_code).reply_handle is None  # the next one is over
    again = submit_report(report("form-over", "warga@example.org"), **deps)
    assert again.outcome == "repeated" and deps["cases"].get(again.tracking_code).reply_handle is None
