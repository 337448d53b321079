"""Which replies went out: one small item per reply, so a repeated event
(SNS and SQS deliver at least once) sends nothing twice.

    PK = REPLY#<event id or notice id>, SK = REPLY
    state = sending | sent, lease_until (UTC text), expires_at (TTL, 7 days)

``claim`` is a conditional PutItem: it succeeds for a new id, or for one whose
earlier attempt died mid-send (its lease ran out). ``done`` marks it sent;
``release`` gives it back after a failed send so the retry may claim it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.adapters import aws
from chalicelib.domain.clock import to_utc_text

LEASE = timedelta(minutes=2)
KEEP = timedelta(days=7)


class DynamoReplyLedger:
    def __init__(self, table_name: str, clock: Any = None):
        self.table_name = table_name
        self.clock = clock or (lambda: datetime.now(UTC))

    @property
    def _client(self) -> Any:
        return aws.client("dynamodb")

    def _key(self, reply_id: str) -> dict[str, Any]:
        from chalicelib.adapters.case_repository import serialize

        return serialize({"PK": f"REPLY#{reply_id}", "SK": "REPLY"})

    def claim(self, reply_id: str) -> bool:
        from chalicelib.adapters.case_repository import serialize

        now = self.clock()
        item = {
            "PK": f"REPLY#{reply_id}",
            "SK": "REPLY",
            "type": "reply",
            "state": "sending",
            "lease_until": to_utc_text(now + LEASE),
            "expires_at": int((now + KEEP).timestamp()),
        }
        with aws.unavailable_on_transient("dynamodb"):
            try:
                self._client.put_item(
                    TableName=self.table_name,
                    Item=serialize(item),
                    ConditionExpression="attribute_not_exists(PK) OR (#state = :sending AND lease_until < :now)",
                    ExpressionAttributeNames={"#state": "state"},
                    ExpressionAttributeValues=serialize({":sending": "sending", ":now": to_utc_text(now)}),
                )
            except self._client.exceptions.ConditionalCheckFailedException:
                return False
        return True

    def done(self, reply_id: str) -> None:
        from chalicelib.adapters.case_repository import serialize

        with aws.unavailable_on_transient("dynamodb"):
            self._client.update_item(
                TableName=self.table_name,
                Key=self._key(reply_id),
                UpdateExpression="SET #state = :sent REMOVE lease_until",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=serialize({":sent": "sent"}),
            )

    def release(self, reply_id: str) -> None:
        with aws.unavailable_on_transient("dynamodb"):
            self._client.delete_item(TableName=self.table_name, Key=self._key(reply_id))
