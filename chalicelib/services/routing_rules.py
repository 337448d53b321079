"""Admins' routing rules (GET/PUT/DELETE /admin/routing-rules): the seed rules
overlaid with the edits kept in the routing store (domain/routing.py decides
which applies). A change takes effect at once in this function; other warm
functions pick it up within services/routing.py's minute of caching.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters import reference_data
from chalicelib.adapters.routing_store import RoutingStore
from chalicelib.domain import categories
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.routing import RoutingRule, effective_rules
from chalicelib.services.commands import RoutingRuleCommand
from chalicelib.services.routing import forget_cached_rules


def rules_view(store: RoutingStore) -> list[dict[str, Any]]:
    """The effective rules, each marked by where it comes from (the seed file or an admin)."""
    edits = store.edits()
    edited = {rule.key for rule in edits}
    return [
        {
            "category": rule.category,
            "area": rule.area,
            "agency_id": rule.agency_id,
            "source": "admin" if rule.key in edited else "seed",
        }
        for rule in effective_rules(reference_data.seed_routing_rules(), edits)
    ]


def put_rule(store: RoutingStore, command: RoutingRuleCommand, by: str, at: str) -> list[dict[str, Any]]:
    """Add or change an edit; 422 (InvalidInput) naming an unknown category, area or agency."""
    problems = []
    if categories.get(command.category) is None:
        problems.append(("category", "unknown category"))
    if command.area and reference_data.areas().get(command.area) is None:
        problems.append(("area", "unknown area code"))
    if command.agency_id and reference_data.agencies().get(command.agency_id) is None:
        problems.append(("agency_id", "unknown agency"))
    if problems:
        raise InvalidInput(problems)
    store.put(RoutingRule(command.category, command.area, command.agency_id), by, at)
    forget_cached_rules()
    return rules_view(store)


def delete_rule(store: RoutingStore, category: str, area: str | None) -> list[dict[str, Any]]:
    """Drop an edit (the seed rule for the category and area, if any, applies again)."""
    store.delete(category, area)
    forget_cached_rules()
    return rules_view(store)
