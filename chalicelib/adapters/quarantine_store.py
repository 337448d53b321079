"""Poison records and attempt counters of the batch primitive (services/batch.py).

One item per (source, key), all in one partition, so an operator lists every
poisoned item with one Query:

    PK = QUARANTINE   SK = <source>#<key>
    source, key       the entry point (app.py handler name) and the item's key
    state             failing     (a scheduled job's attempts are being counted)
                      quarantined (no retries any more: waits for an operator)
                      replayed    (an operator replayed it; kept a while as a trace)
    attempts          failed attempts (scheduled jobs: counted here; SQS: the receive count)
    first_seen, last_seen, error   UTC text; the exception type (never the item's content)
    payload           S, JSON: what a replay needs (an SQS body, a stream record); absent when
                      the key is enough, or when it was too large (``payload_bytes`` says how large)
    expires_at        TTL while failing (7 days after the last failure) and after a replay (30 days);
                      none while quarantined

Writes are rare (failures only) and each is one UpdateItem. The functions
that write here may touch only this partition (IAM ``dynamodb:LeadingKeys``,
infra/functions.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.adapters import aws
from chalicelib.adapters.case_repository import deserialize, serialize
from chalicelib.adapters.table import KeyRange, Table
from chalicelib.domain.clock import to_utc_text
from chalicelib.domain.poison import Poison

PARTITION = "QUARANTINE"
FAILING_KEPT = timedelta(days=7)  # longer than SCHEDULED_MAX_RUNS runs of the daily jobs
REPLAYED_KEPT = timedelta(days=30)
MAX_PAYLOAD_BYTES = 300_000  # the item stays well under DynamoDB's 400 KB

FAILING, QUARANTINED, REPLAYED = "failing", "quarantined", "replayed"


@dataclass(frozen=True)
class QuarantineRecord:
    """One item as an operator sees it."""

    source: str
    key: str
    state: str
    attempts: int
    first_seen: str | None
    last_seen: str | None
    error: str | None
    payload: str | None
    payload_bytes: int | None = None

    def summary(self) -> dict[str, Any]:
        """Everything but the payload (listings)."""
        return {
            "source": self.source,
            "key": self.key,
            "state": self.state,
            "attempts": self.attempts,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "error": self.error,
            "payload_bytes": self.payload_bytes if self.payload is None else len(self.payload.encode()),
        }


def _sort_key(source: str, key: str) -> str:
    return f"{source}#{key}"


class QuarantineStore:
    def __init__(self, table_name: str):
        self.table_name = table_name

    @property
    def _client(self) -> Any:
        return aws.client("dynamodb")

    def _key(self, source: str, key: str) -> dict[str, Any]:
        return serialize({"PK": PARTITION, "SK": _sort_key(source, key)})

    # --- the batch primitive's port ----------------------------------------------------------

    def count_failure(self, source: str, key: str, error: str, now: datetime) -> int:
        with aws.unavailable_on_transient("dynamodb"):
            try:
                response = self._client.update_item(
                    TableName=self.table_name,
                    Key=self._key(source, key),
                    UpdateExpression=(
                        "ADD attempts :one SET #type = :type, #source = :source, #key = :key, #state = :failing,"
                        " first_seen = if_not_exists(first_seen, :now), last_seen = :now, #error = :error,"
                        " expires_at = :expires"
                    ),
                    ConditionExpression="attribute_not_exists(#state) OR #state <> :quarantined",
                    ExpressionAttributeNames={
                        "#type": "type",
                        "#source": "source",
                        "#key": "key",
                        "#state": "state",
                        "#error": "error",
                    },
                    ExpressionAttributeValues=serialize(
                        {
                            ":one": 1,
                            ":type": "quarantine",
                            ":source": source,
                            ":key": key,
                            ":failing": FAILING,
                            ":quarantined": QUARANTINED,
                            ":now": to_utc_text(now),
                            ":error": error,
                            ":expires": int((now + FAILING_KEPT).timestamp()),
                        }
                    ),
                    ReturnValues="UPDATED_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except self._client.exceptions.ConditionalCheckFailedException as failed:
                old = deserialize(failed.response.get("Item") or {})
                return int(old.get("attempts", 0))  # already quarantined: left as it is
        return int(deserialize(response["Attributes"])["attempts"])

    def put(self, poison: Poison) -> bool:
        values: dict[str, Any] = {
            ":type": "quarantine",
            ":source": poison.source,
            ":key": poison.key,
            ":quarantined": QUARANTINED,
            ":attempts": poison.attempts,
            ":now": to_utc_text(poison.seen_at),
            ":error": poison.error,
        }
        update = (
            "SET #type = :type, #source = :source, #key = :key, #state = :quarantined, attempts = :attempts,"
            " first_seen = if_not_exists(first_seen, :now), last_seen = :now, #error = :error"
        )
        if poison.payload is not None:
            size = len(poison.payload.encode())
            if size <= MAX_PAYLOAD_BYTES:
                update += ", payload = :payload"
                values[":payload"] = poison.payload
            else:
                update += ", payload_bytes = :size"
                values[":size"] = size
        with aws.unavailable_on_transient("dynamodb"):
            response = self._client.update_item(
                TableName=self.table_name,
                Key=self._key(poison.source, poison.key),
                UpdateExpression=update + " REMOVE expires_at",
                ExpressionAttributeNames={
                    "#type": "type",
                    "#source": "source",
                    "#key": "key",
                    "#state": "state",
                    "#error": "error",
                },
                ExpressionAttributeValues=serialize(values),
                ReturnValues="ALL_OLD",  # rare (a quarantine); UPDATED_OLD may leave out an unchanged state
            )
        old = deserialize(response.get("Attributes") or {})
        return old.get("state") != QUARANTINED

    def keys(self, source: str) -> set[str]:
        return {record.key for record in self.records(source) if record.state == QUARANTINED}

    # --- operators (infra/quarantine.py) ----------------------------------------------------

    def records(self, source: str | None = None) -> list[QuarantineRecord]:
        """Every record (of one source), oldest key first; payloads included."""
        prefix = _sort_key(source, "") if source is not None else None
        return [_record(item) for item in Table(self.table_name).items(KeyRange(PARTITION, prefix=prefix))]

    def get(self, source: str, key: str) -> QuarantineRecord | None:
        sort_key = _sort_key(source, key)
        items = Table(self.table_name).page(KeyRange(PARTITION, low=sort_key, high=sort_key)).items
        return _record(items[0]) if items else None

    def mark_replayed(self, source: str, key: str, now: datetime) -> bool:
        """After a replay: attempts start again from zero; the record stays 30 days as a trace.
        False if the item was not quarantined (someone else replayed it)."""
        with aws.unavailable_on_transient("dynamodb"):
            try:
                self._client.update_item(
                    TableName=self.table_name,
                    Key=self._key(source, key),
                    UpdateExpression="SET #state = :replayed, attempts = :zero, replayed_at = :now, expires_at = :exp",
                    ConditionExpression="#state = :quarantined",
                    ExpressionAttributeNames={"#state": "state"},
                    ExpressionAttributeValues=serialize(
                        {
                            ":replayed": REPLAYED,
                            ":zero": 0,
                            ":now": to_utc_text(now),
                            ":exp": int((now + REPLAYED_KEPT).timestamp()),
                            ":quarantined": QUARANTINED,
                        }
                    ),
                )
            except self._client.exceptions.ConditionalCheckFailedException:
                return False
        return True


def _record(item: dict[str, Any]) -> QuarantineRecord:
    return QuarantineRecord(
        source=str(item.get("source", "")),
        key=str(item.get("key", "")),
        state=str(item.get("state", "")),
        attempts=int(item.get("attempts", 0)),
        first_seen=item.get("first_seen"),
        last_seen=item.get("last_seen"),
        error=item.get("error"),
        payload=item.get("payload"),
        payload_bytes=item.get("payload_bytes"),
    )
