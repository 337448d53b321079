"""Rate-limit counters in DynamoDB: fixed windows, one UpdateItem per check.

    hit(scope, key, limit, window_s, now) -> Decision(allowed, retry_after_s, remaining)
    hit_once(scope, key, token, limit, window_s, now): the same, counting ``token`` once

Each (scope, key, window) is one tiny item in the rate-limits table (its own
table: no stream, so a flood of counter writes never reaches the outbox relay,
and its hot keys share no partition with cases):

    PK = RATE#<scope>#<window_s>#<keyed hash of the key>#<window start, epoch s>
    hits        N   requests counted in this window (ADD 1: atomic, no read first)
    expires_at  N   the window's end + a minute; the table's TTL attribute removes it
    seen        SS  hit_once only: keyed hashes of the tokens counted, at most ``limit``

The key is hashed with a server key (HMAC-SHA256, its own purpose label), so
the table never holds a client's IP address, phone number, e-mail address or
API key. Windows start at multiples of their length (epoch-aligned), so every
Lambda instance agrees on them without coordination; a client may get up to
twice its limit across one window boundary (the price of one request per check,
documented in docs/security.md).

``DynamoRateLimiter.hit`` raises ``LimiterUnavailable`` when DynamoDB cannot
count (throttled, timed out, misconfigured): the caller decides between failing
open (a citizen's report is never refused because of the limiter) and failing
closed (guessable reads).
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from chalicelib.adapters import aws

_PURPOSE = b"crm-rate-limit/v1"
EXPIRY_GRACE_S = 60  # a counter outlives its window a little (TTL deletes lazily anyway)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after_s: int  # whole seconds until the window ends (>= 1); 0 when allowed
    remaining: int  # requests left in this window after this one


class LimiterUnavailable(Exception):
    """The counter store could not count this request."""


class RateLimiter(Protocol):
    def hit(self, scope: str, key: str, limit: int, window_s: int, now: datetime) -> Decision: ...

    def hit_once(self, scope: str, key: str, token: str, limit: int, window_s: int, now: datetime) -> Decision: ...


def window_bounds(now: datetime, window_s: int) -> tuple[int, int]:
    """(start, end) in epoch seconds of the fixed window holding ``now``."""
    start = math.floor(now.timestamp()) // window_s * window_s
    return start, start + window_s


def decide(count: int, limit: int, window_end: int, now: datetime) -> Decision:
    """The answer for the ``count``-th request of a window with room for ``limit``."""
    if count <= limit:
        return Decision(True, 0, limit - count)
    return Decision(False, max(1, math.ceil(window_end - now.timestamp())), 0)


def hashed_key(secret: bytes, scope: str, key: str) -> str:
    """A keyed hash of what is counted: nothing a client sent is stored as it is."""
    material = hmac.new(secret, _PURPOSE, hashlib.sha256).digest()
    return hmac.new(material, f"{scope}\x1f{key}".encode(), hashlib.sha256).hexdigest()[:32]


def counter_pk(secret: bytes, scope: str, key: str, window_s: int, start: int) -> str:
    return f"RATE#{scope}#{window_s}#{hashed_key(secret, scope, key)}#{start}"


def counter_update(
    table_name: str, secret: bytes, scope: str, key: str, window_s: int, now: datetime
) -> tuple[dict[str, Any], int]:
    """The one UpdateItem that counts a request (its arguments), and the end of its window."""
    start, end = window_bounds(now, window_s)
    request = {
        "TableName": table_name,
        "Key": {"PK": {"S": counter_pk(secret, scope, key, window_s, start)}},
        "UpdateExpression": "ADD hits :one SET expires_at = if_not_exists(expires_at, :expires)",
        "ExpressionAttributeValues": {":one": {"N": "1"}, ":expires": {"N": str(end + EXPIRY_GRACE_S)}},
        "ReturnValues": "UPDATED_NEW",
    }
    return request, end


def once_update(
    table_name: str, secret: bytes, scope: str, key: str, token: str, limit: int, window_s: int, now: datetime
) -> tuple[dict[str, Any], str, int]:
    """The one UpdateItem that counts ``token`` once in its window (its arguments), the token's
    keyed hash and the window's end. It adds the token only while there is room: a window holds
    at most ``limit`` of them, whatever a flood sends, and one over is refused without a write."""
    request, end = counter_update(table_name, secret, scope, key, window_s, now)
    seen = hashed_key(secret, f"{scope}\x1ftoken", token)[:16]
    request["UpdateExpression"] = "ADD hits :one, seen :seen SET expires_at = if_not_exists(expires_at, :expires)"
    request["ConditionExpression"] = (
        "(attribute_not_exists(hits) OR hits < :limit) AND (attribute_not_exists(seen) OR NOT contains(seen, :token))"
    )
    request["ExpressionAttributeValues"] |= {
        ":seen": {"SS": [seen]},
        ":token": {"S": seen},
        ":limit": {"N": str(limit)},
    }
    request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return request, seen, end


def decide_refused(old: dict[str, Any], seen: str, limit: int, window_end: int, now: datetime) -> Decision:
    """The answer when ``once_update``'s condition failed, from the counter as it was: the token
    was counted before (allowed then: a token is only added while there is room), or the window
    is full."""
    hits = int(old.get("hits", {}).get("N", "0"))
    if seen in old.get("seen", {}).get("SS", []):
        return Decision(True, 0, max(0, limit - hits))
    return decide(hits + 1, limit, window_end, now)


class DynamoRateLimiter:
    """``secret``: bytes, or a function returning them (read on first use, e.g. from Secrets Manager)."""

    def __init__(self, table_name: str, secret: bytes | Callable[[], bytes]):
        self.table_name = table_name
        self._secret = secret

    def _key(self) -> bytes:
        return self._secret() if callable(self._secret) else self._secret

    def hit(self, scope: str, key: str, limit: int, window_s: int, now: datetime) -> Decision:
        try:
            request, end = counter_update(self.table_name, self._key(), scope, key, window_s, now)
            with aws.unavailable_on_transient("dynamodb"):
                response: dict[str, Any] = aws.client("dynamodb").update_item(**request)
            count = int(response["Attributes"]["hits"]["N"])
        except Exception as error:  # noqa: BLE001 - whatever failed, the request was not counted
            raise LimiterUnavailable(f"{type(error).__name__}: {error}") from error
        return decide(count, limit, end, now)

    def hit_once(self, scope: str, key: str, token: str, limit: int, window_s: int, now: datetime) -> Decision:
        """``hit``, but a ``token`` already counted in this window is not counted again (a
        retried delivery of one message): it gets the answer it got the first time."""
        try:
            request, seen, end = once_update(self.table_name, self._key(), scope, key, token, limit, window_s, now)
            try:
                with aws.unavailable_on_transient("dynamodb"):
                    response: dict[str, Any] = aws.client("dynamodb").update_item(**request)
            except Exception as error:
                if aws.error_code(error) != "ConditionalCheckFailedException":
                    raise
                return decide_refused(getattr(error, "response", {}).get("Item", {}), seen, limit, end, now)
            count = int(response["Attributes"]["hits"]["N"])
        except Exception as error:  # noqa: BLE001 - whatever failed, the request was not counted
            raise LimiterUnavailable(f"{type(error).__name__}: {error}") from error
        return decide(count, limit, end, now)
