"""Open311 partners' update feeds: what ``GET servicerequestupdates`` lists.

A case posted through Open311 carries a reply handle of kind ``open311``
(address: the partner key's id). Its public status changes reach the reply
worker like any reporter's, and this "sender" files each one under the key,
in time order, instead of calling out: the partner (FixMyStreet) fetches them.

    PK = OPEN311FEED#<key id>   SK = <occurred_at UTC>#<update id>   expires_at: + KEEP_FOR

``update id`` is the keyed digest of the reply id (domain/request_ids.py), so a
repeated event rewrites the same item (idempotent) and no key holds a
tracking code (keys are what the unreadable-item log shows). The item keeps
the event's public data only (no actor, no private field), the case's status
after it, and the tracking code of the request it is about.

Reading a window is one Query on the key's partition (more pages only past
1 MB), oldest first, ``Limit`` = what the page needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.adapters import aws
from chalicelib.adapters.case_repository import serialize
from chalicelib.adapters.table import KeyRange, Table
from chalicelib.adapters.unreadable import readable
from chalicelib.domain.case import HistoryEntry
from chalicelib.domain.clock import parse_instant, to_utc_text
from chalicelib.domain.events import Envelope
from chalicelib.domain.request_ids import update_id

PREFIX = "OPEN311FEED#"
KEEP_FOR = timedelta(days=120)  # longer than the widest window a partner may ask for (90 days)
LIST_NAME = "open311_updates"


@dataclass(frozen=True)
class FeedEntry:
    update_id: str
    at: datetime
    code: str  # the tracking code of the request the update is about
    event_type: str
    data: dict[str, Any]  # the event's public data
    status: str  # the case's status after the event
    photo_id: str | None  # a completion photo the event brought (of this case or the one it was merged into)


class Open311Feed:
    def __init__(self, table_name: str, code_key: bytes, table: Table | None = None):
        self.table_name = table_name
        self.code_key = code_key
        self.table = table or Table(table_name)  # reads: the one Query loop (adapters/table.py)

    # --- as the reply worker's sender (services/replies.py ReplySender) --------------------

    def send(self, handle: Any, text: str, *, code: str | None, event: Envelope | None, **_: Any) -> None:
        """File one event of a case the partner posted; ``text`` (the reporter's
        message, with the tracking code) is not kept."""
        if not code or event is None:
            return
        self.file(handle.address, code, event.to_message())

    def file(self, key_id: str, code: str, event: dict[str, Any]) -> None:
        """File one relayed event in its wire form (``Envelope.to_message``)."""
        at = parse_instant(str(event["occurred_at"]))
        public = HistoryEntry(at, str(event["type"]), dict(event.get("data") or {})).public_entry()
        if public is None:
            return  # an internal event: partners never see it
        self.put(key_id, str(event["id"]), at, code, public.type, public.data, event)

    def put(
        self, key_id: str, reply_id: str, at: datetime, code: str, event_type: str, data: dict, event: dict
    ) -> None:
        data = dict(data)
        status = (event.get("case") or {}).get("status")
        self._write(
            {
                "PK": f"{PREFIX}{key_id}",
                "SK": f"{to_utc_text(at)}#{update_id(reply_id, self.code_key)}",
                "type": "open311_update",
                "code": code,
                "event_type": event_type,
                "data": data,
                "status": status if isinstance(status, str) else "",
                "photo_id": data.get("photo_id") if isinstance(data.get("photo_id"), str) else None,
                "expires_at": int((at + KEEP_FOR).timestamp()),
            }
        )

    def _write(self, item: dict[str, Any]) -> None:
        with aws.unavailable_on_transient("dynamodb"):
            aws.client("dynamodb").put_item(TableName=self.table_name, Item=serialize(item))

    # --- read --------------------------------------------------------------------------------

    def entries(self, key_id: str, start: datetime, end: datetime, limit: int) -> list[FeedEntry]:
        """The key's updates from ``start`` to ``end`` (inclusive), oldest first, at most ``limit``;
        an item that cannot be read is skipped, logged with its key and counted."""
        items = self._items(f"{PREFIX}{key_id}", to_utc_text(start), f"{to_utc_text(end)}#~", limit)
        return readable(items, read_entry, LIST_NAME)

    def _items(self, pk: str, low: str, high: str, limit: int) -> list[dict[str, Any]]:
        return list(self.table.items(KeyRange(pk, low=low, high=high), max_items=limit))


def read_entry(item: dict[str, Any]) -> FeedEntry:
    """One stored feed item; raises if it is malformed."""
    at_text, _, update = str(item["SK"]).partition("#")
    data = item.get("data") or {}
    if not isinstance(data, dict) or not update:
        raise TypeError("data must be a map and the key must name the update")
    for name in ("code", "event_type", "status"):
        if not isinstance(item[name], str):
            raise TypeError(f"{name} must be text")
    photo = item.get("photo_id")
    return FeedEntry(
        update_id=update,
        at=parse_instant(at_text),
        code=item["code"],
        event_type=item["event_type"],
        data=data,
        status=item["status"],
        photo_id=photo if isinstance(photo, str) else None,
    )
