"""The injected faults are AWS's own: botocore reads each one as it would read
AWS, and the app's adapters treat every one as transient (503 + Retry-After,
never a 500). Both ways in -- the proxy and the in-process hook -- agree."""

import pytest
from botocore.config import Config

from chalicelib.adapters import aws as aws_clients
from infra.local.faults import CATALOGUE, LOST_REQUEST, LOST_RESPONSE, FaultPlan, Rule, faults_for
from infra.local.provision import LOCAL_CREDENTIALS, provision

APP_SERVICES = ("dynamodb", "s3", "sns", "sqs", "kms")


@pytest.fixture(scope="module")
def outputs(stack):
    return provision(stack.aws_endpoint)


def no_retry_client(service, endpoint, region):
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


def one_call(service, client, outputs):
    return {
        "dynamodb": lambda: client.get_item(
            TableName=outputs["CasesTableName"], Key={"PK": {"S": "CASE#none"}, "SK": {"S": "CASE"}}
        ),
        "s3": lambda: client.put_object(Bucket=outputs["PhotosBucketName"], Key="fault-model/probe", Body=b"x"),
        "sns": lambda: client.publish_batch(
            TopicArn=outputs["CaseEventsTopicArn"], PublishBatchRequestEntries=[{"Id": "m0", "Message": "{}"}]
        ),
        "sqs": lambda: client.send_message(QueueUrl=outputs["RelayDeadLetterQueueUrl"], MessageBody="{}"),
        "kms": lambda: client.generate_data_key(KeyId=outputs["ContactKeyArn"], KeySpec="AES_256"),
    }[service]


CASES = [(service, fault.code) for service in APP_SERVICES for fault in faults_for(service)]


@pytest.mark.parametrize("service, code", CASES, ids=[f"{s}-{c}" for s, c in CASES])
def test_each_fault_reads_as_aws_would_send_it_and_is_transient(stack, outputs, faults, fault_proxy, service, code):
    client = no_retry_client(service, fault_proxy.url, stack.env["AWS_REGION"])
    call = one_call(service, client, outputs)
    call()  # passes through untouched
    faults.configure(Rule(service, "*", 1.0, faults=(code,)))
    with pytest.raises(Exception) as failed:
        call()
    if code in (LOST_REQUEST, LOST_RESPONSE):
        assert type(failed.value).__name__ == "ConnectionClosedError"
    else:
        assert aws_clients.error_code(failed.value) == code
        expected = next(f.status for f in CATALOGUE[service] if f.code == code)
        assert failed.value.response["ResponseMetadata"]["HTTPStatusCode"] == expected
    assert aws_clients.is_transient(failed.value), f"{service} {code} would become a 500"
    assert faults.injected[(service, OPERATIONS[service], code)] == 1


OPERATIONS = {
    "dynamodb": "GetItem",
    "s3": "PutObject",
    "sns": "PublishBatch",
    "sqs": "SendMessage",
    "kms": "GenerateDataKey",
}


def test_a_lost_response_was_applied_and_a_lost_request_was_not(stack, outputs, faults, fault_proxy, aws):
    table = outputs["CasesTableName"]
    client = no_retry_client("dynamodb", fault_proxy.url, stack.env["AWS_REGION"])
    for kind, applied in ((LOST_RESPONSE, True), (LOST_REQUEST, False)):
        key = {"PK": {"S": f"FAULT-MODEL#{kind}"}, "SK": {"S": "CASE"}}
        faults.configure(Rule("dynamodb", "PutItem", 1.0, faults=(kind,)))
        with pytest.raises(Exception, match="Connection was closed"):
            client.put_item(TableName=table, Item=key)
        assert ("Item" in aws("dynamodb").get_item(TableName=table, Key=key)) is applied


def test_rates_limits_and_counters(stack, outputs, faults, fault_proxy):
    client = no_retry_client("dynamodb", fault_proxy.url, stack.env["AWS_REGION"])
    call = one_call("dynamodb", client, outputs)
    faults.configure(Rule("dynamodb", "GetItem", 0.3), seed=7)
    failures = 0
    for _ in range(400):
        try:
            call()
        except Exception:  # every injected fault; counted below
            failures += 1
    assert faults.total_seen("dynamodb", "GetItem") == 400
    assert failures == faults.total_injected("dynamodb", "GetItem")
    assert 80 <= failures <= 160  # 30% of 400 = 120, sd ~9: a 4-sigma band
    faults.configure(Rule("dynamodb", "*", 1.0, faults=("ThrottlingException",), limit=3))
    outcomes = []
    for _ in range(5):
        try:
            call()
            outcomes.append("ok")
        except Exception as error:
            outcomes.append(aws_clients.error_code(error))
    assert outcomes == ["ThrottlingException"] * 3 + ["ok"] * 2


def test_the_in_process_hook_injects_the_same_faults(app_env, botocore_faults):
    aws_clients.reset()
    dynamodb = aws_clients.client("dynamodb")
    botocore_faults.plan.configure(Rule("dynamodb", "GetItem", 1.0, faults=("ProvisionedThroughputExceededException",)))
    botocore_faults.install(dynamodb)
    from chalicelib.adapters.aws import ServiceUnavailable
    from chalicelib.bootstrap import services

    with pytest.raises(ServiceUnavailable) as unavailable:
        services().cases.get("K7QM4-XPA9R-TD2W")
    assert unavailable.value.reason == "ProvisionedThroughputExceededException"
    # 1 + 3 retries by the app's client, each one refused
    assert botocore_faults.plan.total_injected("dynamodb", "GetItem") == 4
    botocore_faults.plan.configure(Rule("dynamodb", "GetItem", 1.0, faults=(LOST_REQUEST,), limit=1))
    assert services().cases.get("K7QM4-XPA9R-TD2W") is None


def test_fault_plan_is_reproducible_for_a_seed():
    def draws(seed):
        plan = FaultPlan([Rule("s3", "*", 0.5)], seed=seed)
        return [getattr(plan.decide("s3", "PutObject"), "code", None) for _ in range(50)]

    assert draws(3) == draws(3)
    assert draws(3) != draws(4)
