"""A case opened by an e-mail whose sender SES could not verify (SPF, DKIM, DMARC)
carries the flag from the parsed mail to the stored item, the officer view and the
queue row -- and nowhere public."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.case_queries import read_card
from chalicelib.adapters.case_repository import case_to_item, item_to_case
from chalicelib.api.http import json_body
from chalicelib.channels.email import parse_email
from chalicelib.domain.case import Case
from chalicelib.domain.permissions import Principal, Role
from chalicelib.domain.report import Provenance
from chalicelib.services.status import public_view
from chalicelib.services.views import officer_view, queue_row
from tests.support.fakes import FakeSealer

T0 = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
BUREAU = Principal("u-2", frozenset({Role.BUREAU_VERIFIER}), "biro-pemerintahan")
PASSING = "amazonses.com; spf=pass; dkim=pass; dmarc=pass"


def mail(verdicts: str | None) -> bytes:
    top = f"Authentication-Results: {verdicts}\r\n" if verdicts else ""
    return (
        f"{top}From: Siti <siti@example.com>\r\nTo: dki@jakarta.go.id\r\nSubject: Sampah menumpuk\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nSampah di Jl. Sabang belum diangkut.\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        (PASSING, Provenance.VERIFIED),
        ("amazonses.com; spf=pass; dkim=fail; dmarc=pass", Provenance.UNVERIFIED),
        (None, Provenance.UNVERIFIED),
    ],
)
def test_the_parsed_mail_says_what_ses_proved_about_its_sender(verdicts, expected):
    parsed = parse_email(mail(verdicts), "ses-1", "dki@jakarta.go.id")
    assert parsed.report.provenance is expected
    assert parsed.verified is (expected is Provenance.VERIFIED)


def opened(verdicts: str | None) -> Case:
    return Case.open(parse_email(mail(verdicts), "ses-1", "dki@jakarta.go.id").report, "4N50G-7M7G1-2X63", T0)


def test_the_flag_survives_the_stored_item_and_the_index_card():
    case = opened(None)
    assert case.unverified_sender
    item = case_to_item(case, 1, [], sealer=FakeSealer())
    assert item["provenance"] == "unverified" and item["card"]["unverified_sender"] is True
    assert item_to_case(item).unverified_sender
    assert read_card(item["card"]).unverified_sender


def test_a_verified_or_unchecked_case_stores_nothing_extra():
    for case in (opened(PASSING), Case.open(_web_report(), "4N50G-7M7G1-2X63", T0)):
        item = case_to_item(case, 1, [], sealer=FakeSealer())
        assert "unverified_sender" not in item["card"] and not item_to_case(item).unverified_sender
    assert "provenance" not in case_to_item(Case.open(_web_report(), "4N50G-7M7G1-2X63", T0), 1, [], FakeSealer())


def _web_report():
    from chalicelib.domain.channels import Channel
    from chalicelib.domain.report import build_report

    return build_report(channel=Channel.BALAI_WARGA, message_id="w-1", category="garbage", description="Sampah")


def test_officers_see_unverified_sender_in_the_case_and_the_queue_row_the_public_never_does():
    case = opened(None)
    view = officer_view(case, BUREAU, "id", "https://crm.example", photo_url=lambda p: "", open_contact=lambda c: None)
    assert json.loads(json_body(view))["unverified_sender"] is True
    item = case_to_item(case, 1, [], sealer=FakeSealer())
    row = json.loads(json_body(queue_row(read_card(item["card"]), "id", T0 + timedelta(hours=1))))
    assert row["unverified_sender"] is True
    public = json_body(public_view(case, "id", "https://crm.example"))
    assert "unverified" not in public and "sender" not in public
    verified = officer_view(opened(PASSING), BUREAU, "id", "https://crm.example", photo_url=lambda p: "")
    assert json.loads(json_body(verified))["unverified_sender"] is False
