"""Routing a new case (disposisi), right after intake and off its hot path.

The webhook answers after one write; this runs from the case.received event:

    locate the area (kota/kecamatan/kelurahan) -> pick the agency by the rules
    -> assign, or send to the Bureau's triage -> note possible duplicates
    -> predict completion from recent cases -> one conditional save

Idempotent: a case already routed is left alone, so a redelivered event does
nothing.
"""

from __future__ import annotations

import time
from datetime import timedelta

from chalicelib.adapters import reference_data
from chalicelib.adapters.case_indexes import day_partitions
from chalicelib.adapters.case_queries import CaseQueries
from chalicelib.adapters.case_repository import CaseRepository
from chalicelib.adapters.routing_store import RoutingStore
from chalicelib.domain import duplicates, geo
from chalicelib.domain.areas import AreaPath
from chalicelib.domain.case import SYSTEM, Case
from chalicelib.domain.clock import JAKARTA, Clock
from chalicelib.domain.errors import ConcurrentUpdate
from chalicelib.domain.lifecycle import OPEN_STATUSES, CaseStatus
from chalicelib.domain.routing import RoutingRule, choose_agency, effective_rules
from chalicelib.logs import get_logger

log = get_logger("routing")

RULES_TTL_SECONDS = 60
_rules_cache: dict[str, tuple[float, list[RoutingRule]]] = {}


def current_rules(store: RoutingStore) -> list[RoutingRule]:
    """Seed rules overlaid with admins' edits, cached for a minute per container."""
    cached = _rules_cache.get(store.table_name)
    if cached and time.monotonic() - cached[0] < RULES_TTL_SECONDS:
        return cached[1]
    rules = effective_rules(reference_data.seed_routing_rules(), store.edits())
    _rules_cache[store.table_name] = (time.monotonic(), rules)
    return rules


def forget_cached_rules() -> None:
    _rules_cache.clear()


def duplicate_candidates(case: Case, queries: CaseQueries, now) -> list[str]:
    found: dict[str, float] = {}
    open_values = {status.value for status in OPEN_STATUSES}
    if case.location is not None:
        for cell in geo.neighbourhood(case.location.lat, case.location.lng):
            for item in queries.all_items("geo", f"GEO#{case.category}#{cell}", max_pages=2):
                other = item.get("location") or {}
                code = item["card"]["code"]
                if code == case.tracking_code or "lat" not in other:
                    continue
                metres = geo.distance_m(case.location.lat, case.location.lng, other["lat"], other["lng"])
                if metres <= duplicates.NEARBY_METRES:
                    found[code] = max(found.get(code, 0.0), 2.0 - metres / duplicates.NEARBY_METRES)
    for days_ago in range(7):
        day = (now - timedelta(days=days_ago)).astimezone(JAKARTA).strftime("%Y-%m-%d")
        for partition in day_partitions(day):
            for item in queries.all_items("day", partition, max_pages=2, filters={"category": case.category}):
                card = item["card"]
                if card["code"] == case.tracking_code or card["status"] not in open_values:
                    continue
                similarity = duplicates.text_similarity(case.description[:160], card.get("summary", ""))
                if similarity >= duplicates.SIMILAR_TEXT:
                    found[card["code"]] = max(found.get(card["code"], 0.0), similarity)
    ranked = sorted(found.items(), key=lambda pair: -pair[1])
    return [code for code, _score in ranked[: duplicates.MAX_CANDIDATES]]


def route_case(
    code: str,
    *,
    cases: CaseRepository,
    queries: CaseQueries,
    rules: RoutingStore,
    clock: Clock,
    predict=None,
    attempts: int = 3,
) -> Case | None:
    for _ in range(attempts):
        case = cases.get(code)
        if case is None or case.routed or case.status is not CaseStatus.RECEIVED:
            return case
        now = clock()
        where = AreaPath()
        if case.location is not None:
            where = reference_data.areas().locate(case.location.lat, case.location.lng)
            case.locate(where)
        agency_id = choose_agency(case.category, where, current_rules(rules))
        agency = reference_data.agencies().get(agency_id)
        if agency is not None:
            case.assign(agency, now, SYSTEM, how="routing")
            if predict is not None:
                case.predict(predict(agency.id, case.category, case.created_at))
        else:
            reason = (
                "no routing rule for this category and area" if agency_id is None else f"unknown agency {agency_id}"
            )
            case.send_to_triage(now, reason)
        case.note_duplicates(duplicate_candidates(case, queries, now), now)
        try:
            cases.save(case)
        except ConcurrentUpdate:
            continue  # changed meanwhile (e.g. the reporter added a photo): route the new version
        log.info("case routed", extra={"tracking_code": code, "agency_id": case.agency_id or "triage"})
        return case
    raise ConcurrentUpdate(None)


def absorb_duplicate(
    primary_code: str, duplicate_code: str, *, cases: CaseRepository, clock: Clock, attempts: int = 3
) -> bool:
    """After a merge: the primary remembers the duplicate (its reporter follows the primary)."""
    for _ in range(attempts):
        primary = cases.get(primary_code)
        if primary is None:
            log.warning("merge target missing", extra={"tracking_code": primary_code})
            return False
        if not primary.absorb(duplicate_code, clock()):
            return False
        try:
            cases.save(primary)
            return True
        except ConcurrentUpdate:
            continue
    raise ConcurrentUpdate(None)
