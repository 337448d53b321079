"""Receipts against the moto server (issue 19): an unverified e-mail sender gets none --
counted at the SES stand-in, while the case is still opened."""

from __future__ import annotations

import time

from tests.integration.test_channels import code_for, mail, stored


def mails_to(ses_sent, address):
    return [p for p in ses_sent if p["Destination"]["ToAddresses"] == [address]]


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
