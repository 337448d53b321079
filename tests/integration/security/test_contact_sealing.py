"""Reporter contacts sealed with KMS (moto's KMS here): what it costs per
request, and that a sealed value opens only for its own case and field."""

import json

import pytest

from chalicelib.adapters import aws as aws_clients
from chalicelib.adapters.case_repository import sealing_context
from chalicelib.adapters.sealing import KmsSealer, SealBroken
from infra.local.faults import Fault, Rule
from tests.support.aws_calls import AwsCalls
from tests.support.webhooks import PROFILES, Report, send, unique_id

CONTACT = {"name": "Siti Tersegel", "phone": "+6281277770000", "email": "segel@example.com"}


@pytest.fixture
def calls(app_env):
    counter = AwsCalls("dynamodb", "kms")
    yield counter
    counter.stop()


def deliver(client, report, channel="jaki"):
    return send(client, PROFILES[channel].delivery(report))


def test_requests_per_intake_one_dynamodb_write_and_one_kms_call_only_with_a_contact(client, calls):
    named = Report(unique_id("SEAL"), reporter=CONTACT)
    answer = deliver(client, named)
    assert answer.status == 201
    assert calls.take() == ["kms:GenerateDataKey", "dynamodb:PutItem"]  # seal, then the one write
    assert deliver(client, named).status == 200  # a retry seals again before its conditional write
    assert calls.take() == ["kms:GenerateDataKey", "dynamodb:PutItem"]
    assert deliver(client, Report(unique_id("SEAL"), reporter=CONTACT, anonymous=True)).status == 201
    assert calls.take() == ["dynamodb:PutItem"]  # nothing to seal
    code = answer.json()["tracking_code"]
    assert client.http.get(f"/status/{code}").status_code == 200
    assert calls.take() == ["dynamodb:GetItem"]  # the public path never opens the contact


def test_a_save_writes_the_sealed_contact_back_without_kms_and_opening_costs_one_decrypt(client, calls):
    from chalicelib.bootstrap import services
    from chalicelib.domain.events import CaseReceived

    code = deliver(client, Report(unique_id("SEAL"), reporter=CONTACT)).json()["tracking_code"]
    cases = services().cases
    case = cases.get(code)
    case.record(CaseReceived(occurred_at=case.updated_at, channel="jaki", category="garbage"))
    cases.save(case)
    calls.take()
    reread = cases.get(code)
    assert reread.reporter == case.reporter  # the same token
    assert calls.take() == ["dynamodb:GetItem"]
    opened = cases.open_sealed(reread)
    assert calls.take() == ["kms:Decrypt"]
    assert opened.reporter.model_dump(exclude_none=True) == CONTACT


def stored_token(stack, aws, code):
    item = aws("dynamodb").get_item(
        TableName=stack.env["CASES_TABLE"], Key={"PK": {"S": f"CASE#{code}"}, "SK": {"S": "CASE"}}
    )["Item"]
    return item["reporter"]["S"]


def test_a_sealed_contact_moved_to_another_case_does_not_open(client, stack, aws):
    from chalicelib.bootstrap import services

    victim = deliver(client, Report(unique_id("SEAL"), reporter=CONTACT)).json()["tracking_code"]
    thief = deliver(client, Report(unique_id("SEAL"), reporter={"name": "Someone Else"})).json()["tracking_code"]
    aws("dynamodb").update_item(
        TableName=stack.env["CASES_TABLE"],
        Key={"PK": {"S": f"CASE#{thief}"}, "SK": {"S": "CASE"}},
        UpdateExpression="SET reporter = :t",
        ExpressionAttributeValues={":t": {"S": stored_token(stack, aws, victim)}},
    )
    cases = services().cases
    with pytest.raises(SealBroken):
        cases.open_sealed(cases.get(thief))


def test_tampered_tokens_and_other_fields_do_not_open(client, stack, app_env):
    code = deliver(client, Report(unique_id("SEAL"), reporter=CONTACT)).json()["tracking_code"]
    from chalicelib.bootstrap import services

    token = services().cases.get(code).reporter.token
    sealer = KmsSealer(app_env["CONTACT_KEY_ARN"])
    context = sealing_context(code)
    assert json.loads(sealer.open(context, {"reporter": token})["reporter"]) == CONTACT
    prefix, wrapped, body = token.split(".")
    flipped = body[:-3] + ("A" if body[-3] != "A" else "B") + body[-2:]
    for bad in (
        f"{prefix}.{wrapped}.{flipped}",
        f"kms2.{wrapped}.{body}",
        f"{prefix}.{wrapped[:-4]}.{body}",
        "kms1..",
        "not a token",
        "",
    ):
        with pytest.raises(SealBroken):
            sealer.open(context, {"reporter": bad})
    with pytest.raises(SealBroken):  # the field name is authenticated too
        sealer.open(context, {"reply_handle": token})


def test_fields_sealed_together_share_one_data_key(app_env, calls):
    sealer = KmsSealer(app_env["CONTACT_KEY_ARN"])
    context = sealing_context("K7QM4-XPA9R-TD2W")
    tokens = sealer.seal(context, {"reporter": b'{"name":"A"}', "reply_handle": b'"wa:62812"'})
    assert calls.take() == ["kms:GenerateDataKey"]
    assert tokens["reporter"].split(".")[1] == tokens["reply_handle"].split(".")[1]
    assert sealer.open(context, tokens) == {"reporter": b'{"name":"A"}', "reply_handle": b'"wa:62812"'}
    assert calls.take() == ["kms:Decrypt"]


@pytest.mark.parametrize("refusal", ["DisabledException", "KMSInvalidStateException", "AccessDeniedException"])
def test_an_unusable_key_fails_closed_with_503_and_takes_anonymous_reports(client, botocore_faults, refusal):
    # moto does not refuse a disabled key: inject KMS's answer instead.
    botocore_faults.plan.configure(Rule("kms", "*", 1.0, faults=(Fault(refusal, 400, message="key unusable"),)))
    botocore_faults.install(aws_clients.client("kms"))
    refused = deliver(client, Report(unique_id("SEAL"), reporter=CONTACT))
    taken = deliver(client, Report(unique_id("SEAL"), anonymous=True))
    assert refused.status == 503 and refused.json()["error"]["code"] == "not_configured"
    assert refused.headers["retry-after"].isdigit()
    assert taken.status == 201


def test_without_a_configured_key_contacts_are_refused_not_stored_in_clear(client, monkeypatch):
    from chalicelib import bootstrap

    monkeypatch.delenv("CONTACT_KEY_ARN")
    bootstrap.reset()
    report = Report(unique_id("SEAL"), reporter=CONTACT)
    refused = deliver(client, report)
    assert refused.status == 503 and refused.json()["error"]["code"] == "not_configured"
    assert deliver(client, Report(unique_id("SEAL"), anonymous=True)).status == 201
