"""Per-sender state in the cases table: conversation window and hourly counter.

One item per sender, keyed by a keyed hash of the sender's address so the
table never holds a phone number or account id as a key:

    PK = SENDER#<hex HMAC-SHA256(TRACKING_CODE_KEY, "sender|<channel>|<kind>|<address>")>
    SK = SENDER

Attributes: ``open_case`` / ``open_until`` (the case the sender's messages add
to, and until when), one counter per clock hour ``n_<YYYYMMDDHH>`` (ADD is
atomic; older hours are removed in the same request), ``reply_handle`` (to
answer notices; private: sealed with KMS envelope encryption like a case's
contact, bound to the sender key, adapters/sealing.py), ``expires_at`` (TTL,
a day after the last message).

Every call is ONE UpdateItem (a failed condition returns the stored item in
the same response), so an accepted message costs at most one request here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.adapters import aws
from chalicelib.domain.clock import parse_instant, to_utc_text
from chalicelib.domain.messages import ReplyHandle

if TYPE_CHECKING:
    from chalicelib.adapters.sealing import Sealer

SENDER_SK = "SENDER"
SEALING_PURPOSE = "crm/sender-reply-handle"
RETAIN = timedelta(hours=25)
_OLD_HOURS = 24


def sender_key(key: bytes, handle: ReplyHandle) -> str:
    digest = hmac.new(key, f"sender|{handle.sender_identity()}".encode(), hashlib.sha256).hexdigest()
    return digest[:40]


def hour_attribute(instant: datetime) -> str:
    return "n_" + instant.strftime("%Y%m%d%H")


@dataclass(frozen=True)
class SenderState:
    count: int  # messages counted in the current clock hour, this one included
    open_case: str | None
    open_until: datetime | None

    def open_at(self, now: datetime) -> str | None:
        if self.open_case and self.open_until and now < self.open_until:
            return self.open_case
        return None


@dataclass(frozen=True)
class Claim:
    claimed: bool  # True: the conversation now belongs to the given code
    state: SenderState


class SenderRepository(Protocol):
    def claim(
        self, key: str, code: str, now: datetime, until: datetime, handle: ReplyHandle, stale: str | None = None
    ) -> Claim: ...

    def count(self, key: str, now: datetime, handle: ReplyHandle) -> SenderState: ...

    def reply_handle(self, key: str) -> ReplyHandle | None: ...


def state_from(item: dict[str, Any] | None, now: datetime) -> SenderState:
    item = item or {}
    until = item.get("open_until")
    return SenderState(
        count=int(item.get(hour_attribute(now), 0)),
        open_case=item.get("open_case"),
        open_until=parse_instant(until) if until else None,
    )


def sealing_context(key: str) -> dict[str, str]:
    """The KMS encryption context of a sender item's reply handle: binds it to the sender."""
    return {"purpose": SEALING_PURPOSE, "sender": key}


class DynamoSenderRepository:
    def __init__(self, table_name: str, sealer: Sealer | None = None):
        self.table_name = table_name
        self.sealer = sealer

    def _seal(self, key: str, handle: ReplyHandle) -> str:
        if self.sealer is None:
            raise ValueError("a sender's reply handle must be sealed before storing: pass a sealer")
        plaintext = json.dumps(handle.model_dump(mode="json", exclude_none=True), separators=(",", ":"))
        return self.sealer.seal(sealing_context(key), {"reply_handle": plaintext.encode()})["reply_handle"]

    @property
    def _client(self) -> Any:
        return aws.client("dynamodb")

    def _update(self, key: str, now: datetime, handle: ReplyHandle, *, claim: dict[str, Any] | None) -> Any:
        from chalicelib.adapters.case_repository import serialize

        names = {"#type": "type", "#n": hour_attribute(now)}
        values: dict[str, Any] = {
            ":type": "sender",
            ":one": 1,
            ":exp": int((now + RETAIN).timestamp()),
            ":handle": self._seal(key, handle),  # one KMS GenerateDataKey
        }
        sets = ["#type = :type", "expires_at = :exp", "reply_handle = :handle"]
        removes = []
        for back in range(1, _OLD_HOURS + 1):
            names[f"#o{back}"] = hour_attribute(now - timedelta(hours=back))
            removes.append(f"#o{back}")
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": serialize({"PK": f"SENDER#{key}", "SK": SENDER_SK}),
            "ReturnValues": "ALL_NEW",
        }
        if claim is not None:
            sets += ["open_case = :code", "open_until = :until"]
            values.update({":code": claim["code"], ":until": to_utc_text(claim["until"]), ":now": to_utc_text(now)})
            if claim.get("stale"):
                values[":stale"] = claim["stale"]
                request["ConditionExpression"] = "open_case = :stale OR open_case = :code"
            else:
                request["ConditionExpression"] = (
                    "attribute_not_exists(open_until) OR open_until <= :now OR open_case = :code"
                )
            request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        request["UpdateExpression"] = f"SET {', '.join(sets)} ADD #n :one REMOVE {', '.join(removes)}"
        request["ExpressionAttributeNames"] = names
        request["ExpressionAttributeValues"] = serialize(values)
        return request

    def claim(
        self, key: str, code: str, now: datetime, until: datetime, handle: ReplyHandle, stale: str | None = None
    ) -> Claim:
        from chalicelib.adapters.case_repository import deserialize

        request = self._update(key, now, handle, claim={"code": code, "until": until, "stale": stale})
        with aws.unavailable_on_transient("dynamodb"):
            try:
                response = self._client.update_item(**request)
            except self._client.exceptions.ConditionalCheckFailedException as error:
                old = error.response.get("Item")
                return Claim(False, state_from(deserialize(old) if old else None, now))
        return Claim(True, state_from(deserialize(response["Attributes"]), now))

    def count(self, key: str, now: datetime, handle: ReplyHandle) -> SenderState:
        from chalicelib.adapters.case_repository import deserialize

        with aws.unavailable_on_transient("dynamodb"):
            response = self._client.update_item(**self._update(key, now, handle, claim=None))
        return state_from(deserialize(response["Attributes"]), now)

    def last_message_at(self, key: str) -> datetime | None:
        """When this sender last wrote to us (every message sets ``expires_at`` to then +
        RETAIN); None if never or over RETAIN ago. One GetItem, no KMS request."""
        from chalicelib.adapters.case_repository import serialize

        with aws.unavailable_on_transient("dynamodb"):
            response = self._client.get_item(
                TableName=self.table_name,
                Key=serialize({"PK": f"SENDER#{key}", "SK": SENDER_SK}),
                ProjectionExpression="expires_at",
                ConsistentRead=True,
            )
        expires = (response.get("Item") or {}).get("expires_at", {}).get("N")
        return datetime.fromtimestamp(int(expires), UTC) - RETAIN if expires else None

    def reply_handle(self, key: str) -> ReplyHandle | None:
        from chalicelib.adapters.case_repository import deserialize, serialize

        with aws.unavailable_on_transient("dynamodb"):
            response = self._client.get_item(
                TableName=self.table_name, Key=serialize({"PK": f"SENDER#{key}", "SK": SENDER_SK})
            )
        item = response.get("Item")
        handle = deserialize(item).get("reply_handle") if item else None
        if isinstance(handle, str):  # sealed: one KMS Decrypt
            if self.sealer is None:
                raise ValueError("opening a sealed reply handle needs a sealer")
            handle = json.loads(self.sealer.open(sealing_context(key), {"reply_handle": handle})["reply_handle"])
        return ReplyHandle.model_validate(handle) if handle else None
