"""Stream consumers under poison and faults, through the local event runner
(Lambda's stream semantics: checkpoint before the first reported failure,
retry from it, give up after max_attempts and tell the on-failure destination).

Every handler app.py declares on a DynamoDB stream is fed here; the outbox
relay is the one that exists today."""

import json

import pytest

from infra.local.devstack import stream_failure_destinations
from infra.local.event_runner import EventRunner
from infra.local.faults import Rule
from infra.local.provision import provision
from tests.integration.conftest import partner_body, post_report, unique


@pytest.fixture
def outputs(stack):
    return provision(stack.aws_endpoint)


@pytest.fixture
def dlq(outputs):
    return outputs["RelayDeadLetterQueueUrl"]


@pytest.fixture
def runner_with_dlq(app_env, stack, aws, outputs, dlq):
    """The runner with the on-failure destinations infra/functions.yaml gives the stream handlers."""
    import app

    runner = EventRunner(
        app,
        stack.aws_endpoint,
        stack.env["AWS_REGION"],
        run_schedules=False,
        on_failure=stream_failure_destinations(outputs),
        start_streams_at="LATEST",
        only=set(stream_failure_destinations(outputs)),
    )  # the stream consumers, not the workers
    runner.drain()  # places the stream iterators after what earlier tests left
    receive_all(aws, dlq)  # empty the queue (PurgeQueue is allowed once a minute)
    return runner


def test_every_stream_handler_has_an_on_failure_destination(outputs):
    from chalice.app import DynamoDBEventConfig

    import app

    declared = {source.name for source in app.app.event_sources if isinstance(source, DynamoDBEventConfig)}
    assert declared == set(stream_failure_destinations(outputs)), "give it stream.on_failure in infra/functions.yaml"


def subscribe(stack, aws, name):
    sqs, sns = aws("sqs"), aws("sns")
    url = sqs.create_queue(QueueName=f"{name}-{unique('q')}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=stack.env["EVENTS_TOPIC_ARN"], Protocol="sqs", Endpoint=arn)
    return url


def receive_all(aws, url):
    found = []
    while True:
        batch = aws("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        if not batch.get("Messages"):
            return found
        for message in batch["Messages"]:
            found.append(message)
            aws("sqs").delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def events_of(aws, url):
    return [json.loads(json.loads(message["Body"])["Message"]) for message in receive_all(aws, url)]


def report(stack):
    # Satpol PP's category: the cases these tests make stay out of the queues the lifecycle tests read.
    return post_report(stack, partner_body(category="ppkm_violation")).json()["tracking_code"]


def test_an_unreadable_record_is_quarantined_and_the_others_go_through(stack, aws, runner_with_dlq, dlq, capsys):
    from chalicelib.bootstrap import services
    from infra import quarantine as operator

    subscriber = subscribe(stack, aws, "test-poison-subscriber")
    before = report(stack)
    poison_key = f"CASE#POISON-{unique()}"
    # A case item the relay cannot read (no code, an outbox entry without its fields),
    # written between two good ones: one stream batch of three.
    aws("dynamodb").put_item(
        TableName=stack.env["CASES_TABLE"],
        Item={
            "PK": {"S": poison_key},
            "SK": {"S": "CASE"},
            "type": {"S": "case"},
            "version": {"N": "1"},
            "outbox": {"L": [{"M": {"type": {"S": "case.received"}}}]},
        },
    )
    after = report(stack)

    runner_with_dlq.drain()

    published = events_of(aws, subscriber)
    assert sorted(event["tracking_code"] for event in published) == sorted([before, after])  # each exactly once
    # No retry would read it: it blocks nothing and never reaches the dead-letter queue...
    assert runner_with_dlq.dead_letters == [] and receive_all(aws, dlq) == []
    # ...it is quarantined at once, with the record itself, named by its sequence number.
    mine = [
        r
        for r in services().quarantine.records("relay_case_events")
        if r.payload and json.loads(r.payload)["dynamodb"]["Keys"]["PK"]["S"] == poison_key
    ]
    (record,) = mine
    assert record.state == "quarantined" and record.key == json.loads(record.payload)["dynamodb"]["SequenceNumber"]
    assert record.error.startswith("Unreadable")
    assert any(line.get("source") == "relay_case_events" for line in emf_lines(capsys.readouterr().out))
    with pytest.raises(operator.ReplayFailed):  # replaying it unchanged reads it no better
        operator.replay("relay_case_events", record.key)


def emf_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith('{"_aws"') and "PoisonedItems" in line]


def test_a_record_sns_never_takes_reaches_the_dead_letter_queue_and_the_others_go_through(
    stack, aws, runner_with_dlq, dlq, botocore_faults
):
    from chalicelib.adapters import aws as aws_clients

    subscriber = subscribe(stack, aws, "test-dlq-subscriber")
    stuck = report(stack)
    # Every relay attempt of this one batch fails (1 + 3 SDK retries each, max_attempts relay attempts).
    botocore_faults.plan.configure(
        Rule("sns", "PublishBatch", 1.0, faults=("InternalError",), limit=4 * runner_with_dlq.max_attempts), seed=5
    )
    botocore_faults.install(aws_clients.client("sns"))  # the relay's publisher client, in this process
    runner_with_dlq.drain(timeout=60)
    later = report(stack)
    runner_with_dlq.drain(timeout=60)

    assert [event["tracking_code"] for event in events_of(aws, subscriber)] == [later]
    (parked,) = runner_with_dlq.dead_letters
    (record,) = parked.event["Records"]
    assert record["dynamodb"]["Keys"]["PK"]["S"] == f"CASE#{stuck}"
    (message,) = receive_all(aws, dlq)
    info = json.loads(message["Body"])["DDBStreamBatchInfo"]
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == record["dynamodb"]["SequenceNumber"]
    assert info["batchSize"] == 1
    # What an operator does with it: read the record back from the stream (24 h retention).
    streams = aws("dynamodbstreams")
    iterator = streams.get_shard_iterator(
        StreamArn=info["streamArn"],
        ShardId=info["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=info["startSequenceNumber"],
    )["ShardIterator"]
    replayed = streams.get_records(ShardIterator=iterator, Limit=1)["Records"][0]
    assert replayed["dynamodb"]["Keys"]["PK"]["S"] == f"CASE#{stuck}"


SNS_FAULTS = {
    # 20% of SNS calls fail (most are absorbed by the SDK's retries)
    "20pct": Rule("sns", "*", 0.2),
    # the first relay attempt fails outright (all four SDK attempts), then the next one's first call
    "burst": Rule("sns", "PublishBatch", 1.0, faults=("Throttling", "InternalError"), limit=5),
}


@pytest.mark.parametrize("faults", list(SNS_FAULTS))
def test_every_event_gets_out_while_sns_fails(stack, aws, runner_with_dlq, botocore_faults, faults):
    from chalicelib.adapters import aws as aws_clients

    subscriber = subscribe(stack, aws, "test-sns-faults-subscriber")
    codes = {report(stack) for _ in range(12)}
    botocore_faults.plan.configure(SNS_FAULTS[faults], seed=3)
    botocore_faults.install(aws_clients.client("sns"))  # the relay's publisher client, in this process

    runner_with_dlq.drain(timeout=60)

    received = [event for event in events_of(aws, subscriber) if event["type"] == "case.received"]
    assert {event["tracking_code"] for event in received} >= codes  # nothing lost
    ids = [event["id"] for event in received if event["tracking_code"] in codes]
    assert set(ids) == {f"{code}:1:0" for code in codes}  # repeats, if any, carry the same id
    assert runner_with_dlq.dead_letters == []
    if faults == "burst":
        assert botocore_faults.plan.total_injected("sns") == 5
