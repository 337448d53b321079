"""Area-alert subscriptions, collected entries and digest bookkeeping in the one table.

    subscription  PK = ALERTSUB#<id>          SK = ALERTSUB
                  alert_pk/alert_sk (alert-index) only once confirmed; expires_at while pending
    entry         PK = ALERTSUB#<id>          SK = ENTRY#<occurred_at>#<event id>   expires_at +3 days
    due marker    PK = ALERTDUE#<Jakarta date> SK = <subscription id>               expires_at +4 days
    contact       PK = ALERTCONTACT#<keyed hash of the address>  SK = ALERTCONTACT  (subscription ids, for STOP)

Matching never scans: a case's kelurahan and its 9 geohash-5 cells
(domain/alerts.py ``cells_for``) name the alert-index partitions to Query:
``ALERTAREA#KEL#<kelurahan>`` / ``ALERTAREA#GEO#<geohash-5 of the centre>``.
Every write is idempotent (keys come from the subscription and the event) and
state changes are conditional.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.adapters import aws
from chalicelib.adapters.case_repository import deserialize, serialize
from chalicelib.adapters.table import KeyRange, Table
from chalicelib.adapters.unreadable import readable
from chalicelib.domain.alerts import ENTRIES_KEPT_FOR, KELURAHAN, RESEND_AFTER, Area, Subscription

INDEX = "alert-index"
INDEX_KEYS = ("alert_pk", "alert_sk")
ENTRY_PREFIX = "ENTRY#"
SUB_SK = "ALERTSUB"
CONTACT_SK = "ALERTCONTACT"


def _sub_pk(sub_id: str) -> str:
    return f"ALERTSUB#{sub_id}"


def _contact_pk(contact: str) -> str:
    return f"ALERTCONTACT#{contact}"


def _due_pk(day: str) -> str:
    return f"ALERTDUE#{day}"


def _area_pk(cell: tuple[str, str]) -> str:
    """The alert-index partition of a place subscriptions are filed under (domain/alerts.py home_cell)."""
    kind, value = cell
    return f"ALERTAREA#{'KEL' if kind == KELURAHAN else 'GEO'}#{value}"


def _entry_sk(entry: dict[str, Any]) -> str:
    return f"{ENTRY_PREFIX}{entry['at']}#{entry['event_id']}"


def _entry(item: dict[str, Any]) -> dict[str, Any]:
    """One collected entry as the digest reads it; raises if it is malformed."""
    entry = {k: v for k, v in item.items() if k not in ("PK", "SK", "type", "expires_at")}
    for name in ("at", "event_id", "public_id"):
        if not isinstance(entry[name], str):
            raise TypeError(f"{name} must be text")
    return entry


def _candidate(item: dict[str, Any]) -> tuple[str, Area]:
    sub_id = item["alert_sk"]
    if not isinstance(sub_id, str):
        raise TypeError("alert_sk must be text")
    return sub_id, Area.from_dict(item["area"])


def item_to_subscription(item: dict[str, Any]) -> Subscription:
    return Subscription(
        id=item["id"],
        channel=item["channel"],
        address=item["address"],
        area=Area.from_dict(item["area"]),
        language=item.get("language", "id"),
        contact=item["contact"],
        created_at=datetime.fromisoformat(item["created_at"]),
        confirmed=bool(item.get("confirmed")),
        confirm_digest=item.get("confirm_digest"),
        attempts=int(item.get("attempts", 0)),
        last_digest_on=item.get("last_digest_on"),
        expires_at=item.get("expires_at"),
    )


class AlertStore:
    def __init__(self, table_name: str):
        self.table_name = table_name

    @property
    def _client(self) -> Any:
        return aws.client("dynamodb")

    def _call(self, operation: str, **request: Any) -> dict[str, Any]:
        with aws.unavailable_on_transient("dynamodb"):
            return getattr(self._client, operation)(TableName=self.table_name, **request)

    # --- subscriptions --------------------------------------------------------------

    def put_pending(self, sub: Subscription) -> bool:
        """Store a new pending subscription (or refresh a pending one older than the resend
        cooldown). False: already confirmed, or a code went out less than a minute ago."""
        item = {
            "PK": _sub_pk(sub.id),
            "SK": SUB_SK,
            "type": "alert_subscription",
            "id": sub.id,
            "channel": sub.channel,
            "address": sub.address,
            "area": sub.area.as_dict(),
            "language": sub.language,
            "contact": sub.contact,
            "created_at": sub.created_at.isoformat(),
            "confirmed": False,
            "confirm_digest": sub.confirm_digest,
            "attempts": 0,
            "expires_at": sub.expires_at,
        }
        try:
            self._call(
                "put_item",
                Item=serialize(item),
                ConditionExpression="attribute_not_exists(PK) OR (confirmed = :false AND created_at < :again)",
                ExpressionAttributeValues=serialize(
                    {":false": False, ":again": (sub.created_at - RESEND_AFTER).isoformat()}
                ),
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def get(self, sub_id: str) -> Subscription | None:
        item = self._call("get_item", Key=serialize({"PK": _sub_pk(sub_id), "SK": SUB_SK}), ConsistentRead=True).get(
            "Item"
        )
        return item_to_subscription(deserialize(item)) if item else None

    def count_attempt(self, sub_id: str) -> None:
        self._call(
            "update_item",
            Key=serialize({"PK": _sub_pk(sub_id), "SK": SUB_SK}),
            UpdateExpression="ADD attempts :one",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeValues=serialize({":one": 1}),
        )

    def confirm(self, sub: Subscription) -> bool:
        """Pending -> confirmed: joins the alert-index and stops expiring. False if it was not pending."""
        try:
            self._call(
                "update_item",
                Key=serialize({"PK": _sub_pk(sub.id), "SK": SUB_SK}),
                UpdateExpression="SET confirmed = :true, alert_pk = :apk, alert_sk = :id "
                "REMOVE expires_at, confirm_digest",
                ConditionExpression="confirmed = :false",
                ExpressionAttributeValues=serialize(
                    {":true": True, ":false": False, ":apk": _area_pk(sub.area.home_cell()), ":id": sub.id}
                ),
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        self._call(
            "update_item",
            Key=serialize({"PK": _contact_pk(sub.contact), "SK": CONTACT_SK}),
            UpdateExpression="SET #t = :type ADD subscriptions :ids",
            ExpressionAttributeNames={"#t": "type"},
            ExpressionAttributeValues={":type": {"S": "alert_contact"}, ":ids": {"SS": [sub.id]}},
        )
        return True

    def delete(self, sub_id: str) -> Subscription | None:
        """Remove a subscription (and its collected entries lapse by TTL). The removed one, if any."""
        old = self._call(
            "delete_item", Key=serialize({"PK": _sub_pk(sub_id), "SK": SUB_SK}), ReturnValues="ALL_OLD"
        ).get("Attributes")
        if not old:
            return None
        sub = item_to_subscription(deserialize(old))
        if sub.confirmed:  # only confirmed subscriptions are listed on the contact item
            try:
                self._call(
                    "update_item",
                    Key=serialize({"PK": _contact_pk(sub.contact), "SK": CONTACT_SK}),
                    UpdateExpression="DELETE subscriptions :ids",
                    ConditionExpression="attribute_exists(PK)",
                    ExpressionAttributeValues={":ids": {"SS": [sub_id]}},
                )
            except self._client.exceptions.ConditionalCheckFailedException:
                pass
        return sub

    def ids_of_contact(self, contact: str) -> list[str]:
        item = self._call("get_item", Key=serialize({"PK": _contact_pk(contact), "SK": CONTACT_SK})).get("Item")
        return sorted(item["subscriptions"]["SS"]) if item and "subscriptions" in item else []

    # --- matching and collecting ----------------------------------------------------------

    def candidates(self, cells: list[tuple[str, str]]) -> list[tuple[str, Area]]:
        """(subscription id, area) of every confirmed subscription filed under these places
        (domain/alerts.py ``cells_for``): one Query per place on the alert-index."""
        table = Table(self.table_name)
        items = (item for cell in cells for item in table.items(KeyRange(_area_pk(cell), INDEX_KEYS, INDEX)))
        return readable(items, _candidate, "alert_subscriptions")

    def add_entry(self, sub_id: str, entry: dict[str, Any], day: str, now: datetime) -> None:
        """Collect one entry for a subscriber and mark them due (both idempotent puts)."""
        expires = int((now + ENTRIES_KEPT_FOR).timestamp())
        self._call(
            "put_item",
            Item=serialize(
                {
                    "PK": _sub_pk(sub_id),
                    "SK": _entry_sk(entry),
                    "type": "alert_entry",
                    "expires_at": expires,
                    **entry,
                }
            ),
        )
        self._call(
            "put_item",
            Item=serialize(
                {
                    "PK": _due_pk(day),
                    "SK": sub_id,
                    "type": "alert_due",
                    "expires_at": int((now + ENTRIES_KEPT_FOR + timedelta(days=1)).timestamp()),
                }
            ),
        )

    # --- digests ------------------------------------------------------------------------

    def due(self, day: str) -> list[str]:
        """Ids of the subscribers marked due on a Jakarta day."""
        return [item["SK"] for item in Table(self.table_name).items(KeyRange(_due_pk(day)))]

    def entries(self, sub_id: str) -> list[dict[str, Any]]:
        """The entries collected for a subscriber, oldest first (one that cannot be read is
        skipped, logged and counted; the table's TTL removes it)."""
        items = Table(self.table_name).items(KeyRange(_sub_pk(sub_id), prefix=ENTRY_PREFIX))
        return readable(items, _entry, "alert_entries")

    def claim_digest(self, sub_id: str, day: str) -> bool:
        """At most one digest a day: set last_digest_on, only if it is earlier than today."""
        try:
            self._call(
                "update_item",
                Key=serialize({"PK": _sub_pk(sub_id), "SK": SUB_SK}),
                UpdateExpression="SET last_digest_on = :day",
                ConditionExpression="confirmed = :true AND "
                "(attribute_not_exists(last_digest_on) OR last_digest_on < :day)",
                ExpressionAttributeValues=serialize({":day": day, ":true": True}),
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release_digest(self, sub_id: str, day: str, previous: str | None) -> None:
        """A send failed: give the day back so the next run may try again."""
        if previous:
            update, values = "SET last_digest_on = :prev", {":prev": previous, ":day": day}
        else:
            update, values = "REMOVE last_digest_on", {":day": day}
        try:
            self._call(
                "update_item",
                Key=serialize({"PK": _sub_pk(sub_id), "SK": SUB_SK}),
                UpdateExpression=update,
                ConditionExpression="last_digest_on = :day",
                ExpressionAttributeValues=serialize(values),
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            pass

    def forget(self, sub_id: str, entries: list[dict[str, Any]], days: list[str]) -> None:
        """After a digest: drop the entries it carried (as ``entries`` gave them) and the
        subscriber's due markers."""
        keys = [{"PK": _sub_pk(sub_id), "SK": _entry_sk(entry)} for entry in entries]
        keys += [{"PK": _due_pk(day), "SK": sub_id} for day in days]
        for start in range(0, len(keys), 25):
            batch = [{"DeleteRequest": {"Key": serialize(key)}} for key in keys[start : start + 25]]
            with aws.unavailable_on_transient("dynamodb"):
                response = self._client.batch_write_item(RequestItems={self.table_name: batch})
            unprocessed = response.get("UnprocessedItems", {}).get(self.table_name, [])
            for request in unprocessed:  # rare; one by one
                self._call("delete_item", Key=request["DeleteRequest"]["Key"])
