"""Admins' routing edits, in the table next to the cases.

    PK = ROUTING, SK = RULE#<category>#<area or *>   one item per edited rule

Listing every edit is one Query; the effective rules are the seed file
overlaid with these (domain/routing.py).
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters import aws
from chalicelib.adapters.case_repository import serialize
from chalicelib.adapters.table import KeyRange, Table
from chalicelib.adapters.unreadable import readable
from chalicelib.domain.routing import RoutingRule

PARTITION = "ROUTING"


def _sort_key(category: str, area: str | None) -> str:
    return f"RULE#{category}#{area or '*'}"


def _rule(item: dict[str, Any]) -> RoutingRule:
    """One admin's edit; raises if the item is malformed (an unreadable edit is left
    out, so the seed rule for its category and area applies)."""
    rule = RoutingRule(item["category"], item.get("area"), item.get("agency_id"))
    if not isinstance(rule.category, str) or not all(
        isinstance(v, (str, type(None))) for v in (rule.area, rule.agency_id)
    ):
        raise TypeError("category, area and agency_id must be text")
    return rule


class RoutingStore:
    def __init__(self, table_name: str):
        self.table_name = table_name

    def edits(self) -> list[RoutingRule]:
        return readable(Table(self.table_name).items(KeyRange(PARTITION)), _rule, "routing_rules")

    def put(self, rule: RoutingRule, by: str, at: str) -> None:
        item = {
            "PK": PARTITION,
            "SK": _sort_key(rule.category, rule.area),
            "type": "routing_rule",
            "category": rule.category,
            "area": rule.area,
            "agency_id": rule.agency_id,
            "updated_by": by,
            "updated_at": at,
        }
        with aws.unavailable_on_transient("dynamodb"):
            aws.client("dynamodb").put_item(
                TableName=self.table_name, Item=serialize({k: v for k, v in item.items() if v is not None})
            )

    def delete(self, category: str, area: str | None) -> None:
        with aws.unavailable_on_transient("dynamodb"):
            aws.client("dynamodb").delete_item(
                TableName=self.table_name, Key=serialize({"PK": PARTITION, "SK": _sort_key(category, area)})
            )
