"""Partner apps' Open311 API keys, in the table next to the cases.

    PK = OPEN311#KEYS, SK = KEY#<key id>     one item per key ever issued

The raw key is never stored: only ``digest`` = HMAC-SHA256(OPEN311_API_KEY_SECRET,
raw key). A revoked key keeps its item (``revoked_at``) for the audit trail,
so a key id is never reused. Checking a key is one GetItem; listing them is
one Query (a city has tens of partner apps, not millions).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.adapters import aws
from chalicelib.adapters.case_repository import deserialize, serialize
from chalicelib.adapters.table import KeyRange, Table
from chalicelib.adapters.unreadable import read_one, readable
from chalicelib.domain.clock import parse_instant

PARTITION = "OPEN311#KEYS"
KEYS = "open311_keys"  # the UnreadableItems dimension


@dataclass(frozen=True)
class StoredKey:
    key_id: str
    name: str
    channel: str
    digest: str
    created_at: str
    created_by: str
    revoked_at: str | None = None
    revoked_by: str | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


def _item_to_key(item: dict[str, Any]) -> StoredKey:
    """A stored key; raises if the item is malformed (its times are read back as instants)."""
    key = StoredKey(
        key_id=item["key_id"],
        name=item["name"],
        channel=item["channel"],
        digest=item["digest"],
        created_at=item["created_at"],
        created_by=item.get("created_by", ""),
        revoked_at=item.get("revoked_at"),
        revoked_by=item.get("revoked_by"),
    )
    for name, value in vars(key).items():
        if not isinstance(value, str) and not (value is None and name in ("revoked_at", "revoked_by")):
            raise TypeError(f"{name} must be text")
    parse_instant(key.created_at)
    if key.revoked_at is not None:
        parse_instant(key.revoked_at)
    return key


class KeyExists(Exception):
    """A key with this id exists already (a 1-in-2**50 coincidence): make another."""


class ApiKeyStore:
    def __init__(self, table_name: str):
        self.table_name = table_name

    @property
    def _client(self) -> Any:
        return aws.client("dynamodb")

    def add(self, key: StoredKey) -> None:
        item = {
            "PK": PARTITION,
            "SK": f"KEY#{key.key_id}",
            "type": "open311_api_key",
            **{name: value for name, value in vars(key).items() if value is not None},
        }
        with aws.unavailable_on_transient("dynamodb"):
            try:
                self._client.put_item(
                    TableName=self.table_name, Item=serialize(item), ConditionExpression="attribute_not_exists(PK)"
                )
            except self._client.exceptions.ConditionalCheckFailedException:
                raise KeyExists(key.key_id) from None

    def get(self, key_id: str) -> StoredKey | None:
        with aws.unavailable_on_transient("dynamodb"):
            response = self._client.get_item(
                TableName=self.table_name, ConsistentRead=True, Key=serialize({"PK": PARTITION, "SK": f"KEY#{key_id}"})
            )
        item = response.get("Item")
        return read_one(deserialize(item), _item_to_key, KEYS) if item else None

    def all(self) -> list[StoredKey]:
        return readable(Table(self.table_name).items(KeyRange(PARTITION)), _item_to_key, KEYS)

    def revoke(self, key_id: str, by: str, at: str) -> StoredKey | None:
        """Mark the key revoked (once: a second revocation changes nothing). None if unknown."""
        with aws.unavailable_on_transient("dynamodb"):
            try:
                response = self._client.update_item(
                    TableName=self.table_name,
                    Key=serialize({"PK": PARTITION, "SK": f"KEY#{key_id}"}),
                    UpdateExpression="SET revoked_at = :at, revoked_by = :by",
                    ConditionExpression="attribute_exists(PK) AND attribute_not_exists(revoked_at)",
                    ExpressionAttributeValues=serialize({":at": at, ":by": by}),
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except self._client.exceptions.ConditionalCheckFailedException as error:
                old = error.response.get("Item")
                if old is None:  # the service did not return it: ask once
                    return self.get(key_id)
                return _item_to_key(deserialize(old))
        return _item_to_key(deserialize(response["Attributes"]))
