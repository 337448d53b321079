"""Receipts (the reply with the tracking code) only to a sender we can trust: the case
is opened either way, the message is withheld, logged by public id and counted."""

import json

import pytest

from chalicelib.domain import events
from chalicelib.domain.channels import Channel
from chalicelib.domain.report import Provenance, build_report
from chalicelib.services import replies
from chalicelib.services.intake import submit_report
from tests.support.event_messages import envelope, example
from tests.support.fakes import (
    FakeCaseRepository,
    FakePhotoStore,
    FakeReplyLedger,
    FakeReplySender,
    FakeSenderRepository,
    FixedClock,
)
from tests.support.log_lines import captured_lines

BASE = "https://crm.example"
KEY = b"k" * 32


@pytest.fixture
def world():
    deps = {
        "cases": FakeCaseRepository(),
        "photos": FakePhotoStore(),
        "clock": FixedClock(),
        "code_key": KEY,
        "senders": FakeSenderRepository(),
    }
    return deps, None


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
