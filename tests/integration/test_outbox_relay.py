"""The outbox path: case write -> DynamoDB stream -> relay handler -> SNS -> subscriber."""

import json

from tests.integration.conftest import partner_body, post_report


def subscribe_queue(stack, aws, name, filter_policy=None):
    sqs, sns = aws("sqs"), aws("sns")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    attributes = {"FilterPolicy": json.dumps(filter_policy)} if filter_policy else {}
    sns.subscribe(TopicArn=stack.env["EVENTS_TOPIC_ARN"], Protocol="sqs", Endpoint=arn, Attributes=attributes)
    return url


def receive_all(aws, url):
    messages = []
    while True:
        batch = aws("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
        if not batch.get("Messages"):
            return messages
        messages.extend(batch["Messages"])


def test_a_new_case_reaches_subscribers_once_with_filterable_attributes(stack, aws, runner):
    received = subscribe_queue(stack, aws, "test-received-events", {"event_type": ["case.received"]})
    other = subscribe_queue(stack, aws, "test-other-events", {"event_type": ["case.resolved"]})
    body = partner_body(reporter={"name": "Siti Penanda", "phone": "+6281277770000", "anonymous": False})
    code = post_report(stack, body).json()["tracking_code"]
    post_report(stack, body)  # a retry writes nothing, so relays nothing

    assert runner.drain() >= 1
    envelopes = [json.loads(m["Body"]) for m in receive_all(aws, received)]
    mine = [json.loads(e["Message"]) for e in envelopes if json.loads(e["Message"])["tracking_code"] == code]
    assert len(mine) == 1
    (event,) = mine
    assert event["type"] == "case.received" and event["id"] == f"{code}:1:0"
    assert event["case"]["channel"] == "jaki"
    attributes = next(e for e in envelopes if code in e["Message"])["MessageAttributes"]
    assert attributes["event_type"]["Value"] == "case.received"
    assert attributes["category"]["Value"] == "garbage"
    assert "Siti Penanda" not in json.dumps(envelopes) and "6281277770000" not in json.dumps(envelopes)
    assert receive_all(aws, other) == []
    assert runner.dead_letters == []
