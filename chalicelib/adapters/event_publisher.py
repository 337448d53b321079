"""Domain events out to SNS, with message attributes subscribers filter on.

Messages carry no reporter identity: a subscriber that must reach the reporter
(the reply senders) reads the contact through the case repository.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from chalicelib.adapters import aws

SNS_BATCH = 10  # PublishBatch takes at most ten entries


class EventPublisher(Protocol):
    def publish(self, messages: list[dict[str, Any]]) -> None: ...


class PublishFailed(Exception):
    """Not every message went out. ``published``: how many leading messages
    surely did; the caller retries from there (message ids let subscribers
    drop the repeats of any later ones that went out too)."""

    def __init__(self, published: int, reason: str):
        self.published = published
        self.reason = reason
        super().__init__(f"published {published}, then: {reason}")


class SnsEventPublisher:
    def __init__(self, topic_arn: str):
        self.topic_arn = topic_arn

    def publish(self, messages: list[dict[str, Any]]) -> None:
        client = aws.client("sns")
        for start in range(0, len(messages), SNS_BATCH):
            batch = messages[start : start + SNS_BATCH]
            entries = [
                {
                    "Id": f"m{index}",
                    "Message": json.dumps(message, ensure_ascii=False, separators=(",", ":")),
                    "MessageAttributes": _attributes(message),
                }
                for index, message in enumerate(batch)
            ]
            try:
                with aws.unavailable_on_transient("sns"):
                    response = client.publish_batch(TopicArn=self.topic_arn, PublishBatchRequestEntries=entries)
            except Exception as error:  # noqa: BLE001 - reported with how far we got
                raise PublishFailed(start, getattr(error, "reason", None) or type(error).__name__) from error
            failed = response.get("Failed") or []
            if failed:
                first = min(int(entry["Id"][1:]) for entry in failed)
                codes = sorted({entry.get("Code", "unknown") for entry in failed})
                raise PublishFailed(
                    start + first, f"{len(failed)} of {len(entries)} events not published: {', '.join(codes)}"
                )


def _attributes(message: dict[str, Any]) -> dict[str, Any]:
    case = message.get("case", {})
    values = {
        "event_type": message.get("type"),
        "channel": case.get("channel"),
        "agency_id": case.get("agency_id"),
        "category": case.get("category"),
        # Not filtered on: it takes the API request's correlation id into the workers' logs.
        "correlation_id": message.get("correlation_id"),
    }
    return {
        name: {"DataType": "String", "StringValue": str(value)}
        for name, value in values.items()
        if value not in (None, "")
    }
