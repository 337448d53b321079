"""Routing (disposisi): which agency a new case goes to.

A rule maps a category, optionally narrowed to an area (kota, kecamatan or
kelurahan code), to an agency. The most specific matching rule wins
(kelurahan > kecamatan > kota > whole province). No match -> the Bureau's
triage queue, where a person decides.

Rules are the seed file (chalicelib/data/routing_rules.json) overlaid with
admins' edits stored in the table; an edit with no agency disables a seed rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .areas import AreaPath


@dataclass(frozen=True)
class RoutingRule:
    category: str
    area: str | None  # None: anywhere
    agency_id: str | None  # None: this (category, area) is deliberately unrouted

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.category, self.area)

    @property
    def specificity(self) -> int:
        return 0 if self.area is None else self.area.count(".") + 1


def effective_rules(seed: Iterable[RoutingRule], edits: Iterable[RoutingRule]) -> list[RoutingRule]:
    """Seed rules with admin edits applied (same category and area: the edit wins)."""
    merged = {rule.key: rule for rule in seed}
    merged.update({rule.key: rule for rule in edits})
    return sorted(merged.values(), key=lambda rule: (rule.category, rule.area or ""))


def choose_agency(category: str, where: AreaPath, rules: Iterable[RoutingRule]) -> str | None:
    codes = set(where.codes())
    matching = [rule for rule in rules if rule.category == category and (rule.area is None or rule.area in codes)]
    if not matching:
        return None
    best = max(matching, key=lambda rule: rule.specificity)
    return best.agency_id
