"""Receipts against the moto server (issue 19): a third party's address named by many
reports gets at most the daily cap of receipts, and an unverified e-mail sender gets
none -- counted at the SES stand-in, while every case is still opened."""

from __future__ import annotations

import json
import time

import pytest

from tests.integration.test_channels import code_for, mail, stored


def mails_to(ses_sent, address):
    return [p for p in ses_sent if p["Destination"]["ToAddresses"] == [address]]


@pytest.fixture
def default_receipt_cap(app_env, monkeypatch):
    """The receipt cap at its default; set before ``ses_sent`` hooks the SES client, which
    the reset would otherwise drop."""
    from chalicelib import bootstrap
    from chalicelib.config import RATE_LIMIT_DEFAULTS

    monkeypatch.setenv("RATE_LIMIT_RECEIPTS", RATE_LIMIT_DEFAULTS["receipts"])
    bootstrap.reset()


def test_twenty_reports_naming_one_address_send_it_at_most_the_daily_cap(
    default_receipt_cap, client, stack, aws, runner, ses_sent
):
    """The website's reports and e-mails name one address; the route's own limits are kept
    out of reach here (the stack's generous limits), so the receipt cap (its default) holds."""
    from chalicelib import config

    cap = config.settings().rate_limits["receipts"]["contact"].count
    victim = f"tetangga{time.time_ns()}@example.org"
    codes = []
    for n in range(15):
        body = {"category": "garbage", "description": f"Sampah menumpuk {n}", "reporter": {"email": victim}}
        answer = client.http.post("/reports", body=json.dumps(body), headers={"Content-Type": "application/json"})
        assert answer.status_code == 201
        codes.append(json.loads(answer.body)["tracking_code"])  # the answer still carries the code
    for n in range(5):
        message_id = f"ses{time.time_ns()}"
        aws("s3").put_object(
            Bucket=stack.env["INBOUND_EMAIL_BUCKET"], Key=f"inbound/{message_id}", Body=mail(f"Laporan {n}", victim)
        )
        codes.append(code_for("email", message_id))
    runner.drain()
    assert all(stored(code) is not None for code in codes)  # every case was opened
    mails = mails_to(ses_sent, victim)
    receipts = [m for m in mails if "sudah kami terima" in m["Message"]["Body"]["Text"]["Data"]]
    assert len(receipts) == cap == 5
    # A capped case keeps no reply address: its later updates do not reach the address either.
    told = {code for code in codes for m in mails if code in m["Message"]["Subject"]["Data"]}
    assert len(told) == cap


def test_an_unverified_sender_gets_no_receipt_and_a_verified_one_does(stack, aws, runner, ses_sent):
    bucket = stack.env["INBOUND_EMAIL_BUCKET"]
    forged, real = f"forged{time.time_ns()}@example.org", f"real{time.time_ns()}@example.org"
    sent = {}
    for address, verdicts in ((forged, "spf=fail; dkim=fail; dmarc=fail"), (real, "spf=pass; dkim=pass; dmarc=pass")):
        message_id = f"ses{time.time_ns()}"
        aws("s3").put_object(
            Bucket=bucket, Key=f"inbound/{message_id}", Body=mail("Jalan rusak", address, verdicts=verdicts)
        )
        sent[address] = code_for("email", message_id)
    runner.drain()
    assert stored(sent[forged]).unverified_sender and stored(sent[real]) is not None
    assert mails_to(ses_sent, forged) == []  # neither the receipt nor the routing's update
    assert len(mails_to(ses_sent, real)) == 2  # the receipt, then "assigned"
