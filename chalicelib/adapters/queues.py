"""SQS: notices to the replies queue (the reply worker reads it)."""

from __future__ import annotations

import json

from chalicelib import logs
from chalicelib.adapters import aws
from chalicelib.domain.messages import Notice


class SqsNoticeQueue:
    def __init__(self, queue_url: str):
        self.queue_url = queue_url

    def send(self, notices: list[Notice]) -> None:
        client = aws.client("sqs")
        # The request's (or message's) correlation id, into the reply worker's log lines.
        correlation_id = logs.correlation_id()
        stamp = (
            {"MessageAttributes": {"correlation_id": {"DataType": "String", "StringValue": correlation_id}}}
            if correlation_id
            else {}
        )
        for start in range(0, len(notices), 10):
            entries = [
                {"Id": f"n{index}", "MessageBody": json.dumps(notice.to_message(), separators=(",", ":")), **stamp}
                for index, notice in enumerate(notices[start : start + 10])
            ]
            with aws.unavailable_on_transient("sqs"):
                response = client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            if response.get("Failed"):
                raise aws.ServiceUnavailable("sqs", "some notices were not queued")
