"""Routing a new case (disposisi), right after intake and off its hot path.

The webhook answers after one write; this runs from the case.received event:

    locate the area (kota/kecamatan/kelurahan) -> pick the agency by the rules
    -> assign (predicting completion from recent cases), or send to the
    Bureau's triage -> note possible duplicates (a bounded number of reads,
    DUPLICATE_READ_BOUND) -> file the text's signature -> one conditional save

Idempotent: a case already routed is left alone, so a redelivered event does
nothing.
"""

from __future__ import annotations

import time
from datetime import datetime

from chalicelib.adapters import reference_data
from chalicelib.adapters.case_repository import CaseRepository
from chalicelib.adapters.duplicate_index import DuplicateSearch
from chalicelib.adapters.routing_store import RoutingStore
from chalicelib.domain import duplicates, geo
from chalicelib.domain.areas import AreaPath
from chalicelib.domain.case import SYSTEM, Case
from chalicelib.domain.clock import Clock
from chalicelib.domain.lifecycle import CaseStatus
from chalicelib.domain.routing import RoutingRule, choose_agency, effective_rules
from chalicelib.logs import case_id, get_logger
from chalicelib.services.retry import retry_on_conflict

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


# How much one routed case may read to find its duplicates, whatever the volume
# (docs/scaling.md "Duplicate search"). Worst case per routed case:
#   nearby   9 cells x NEARBY_PER_CELL      = 90 geo-index entries
#   by text  8 bands x SIMILAR_PER_BAND     = 80 signature items (bands are read until
#                                             OPEN_CHECKS texts are confirmed)
#   open?    OPEN_CHECKS case items         = 10 (status only)
# i.e. DUPLICATE_READ_BOUND = 180 items, plus the routed case's own GetItem.
NEARBY_PER_CELL = 10
SIMILAR_PER_BAND = 10
OPEN_CHECKS = 2 * duplicates.MAX_CANDIDATES  # enough while up to half the best matches are closed
DUPLICATE_READ_BOUND = 9 * NEARBY_PER_CELL + duplicates.BANDS * SIMILAR_PER_BAND + OPEN_CHECKS


def duplicate_candidates(case: Case, index: DuplicateSearch, now: datetime) -> list[str]:
    """Open cases that may report the same problem, best first (at most MAX_CANDIDATES)."""
    found: dict[str, float] = {}
    if case.location is not None:
        here = case.location
        for other in index.nearby_open(case.category, here.lat, here.lng, per_cell=NEARBY_PER_CELL):
            if other.code == case.tracking_code:
                continue
            if other.lat is None or other.lng is None:  # a geo-index entry always has its point
                continue
            metres = geo.distance_m(here.lat, here.lng, other.lat, other.lng)
            if metres <= duplicates.NEARBY_METRES:
                found[other.code] = max(found.get(other.code, 0.0), 2.0 - metres / duplicates.NEARBY_METRES)
    text = case.description[: duplicates.COMPARED_CHARS]
    bands = duplicates.band_keys(text)
    similar: dict[str, float] = {}
    # A nearby case ranks above any text-only match (nearby scores 1-2, similarity at most 1),
    # so with MAX_CANDIDATES nearby, text cannot change the answer: a flood at one spot stops here.
    if bands and len(found) < duplicates.MAX_CANDIDATES:
        since = now - duplicates.SIMILAR_WINDOW
        for candidate in index.similar_recent(case.category, bands, since, per_band=SIMILAR_PER_BAND):
            if candidate.code == case.tracking_code or candidate.code in found:
                continue  # itself; or already a candidate nearby (open, and ranked above any text match)
            score = duplicates.text_similarity(text, candidate.summary)  # the signature picks, this confirms
            if score >= duplicates.SIMILAR_TEXT:
                similar[candidate.code] = score
                if len(similar) == OPEN_CHECKS:
                    break  # as many as will be checked: the remaining bands are not read (a flood's usual case)
    if similar:
        for code in index.still_open(list(similar)):
            found[code] = max(found.get(code, 0.0), similar[code])
    ranked = sorted(found.items(), key=lambda pair: -pair[1])
    return [code for code, _score in ranked[: duplicates.MAX_CANDIDATES]]


def file_signature(case: Case, index: DuplicateSearch, now: datetime) -> None:
    """Make the case findable by text for the 7-day window (nothing for a case older than that)."""
    text = case.description[: duplicates.COMPARED_CHARS]
    bands = duplicates.band_keys(text)
    if bands and case.created_at + duplicates.SIMILAR_WINDOW > now:
        index.record_signature(case.tracking_code, case.category, bands, text, case.created_at)


def route_case(
    code: str,
    *,
    cases: CaseRepository,
    duplicate_index: DuplicateSearch,
    rules: RoutingStore,
    clock: Clock,
    predict=None,
    attempts: int = 3,
) -> Case | None:

    def attempt(_: int) -> Case | None:
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
        case.note_duplicates(duplicate_candidates(case, duplicate_index, now), now)
        file_signature(case, duplicate_index, now)  # before the save: a redelivery after a crash finds it routed
        cases.save(case)  # changed meanwhile (e.g. the reporter added a photo): the next attempt routes the new version
        log.info("case routed", extra={"case_id": case_id(code), "agency_id": case.agency_id or "triage"})
        return case

    return retry_on_conflict(attempt, attempts)


def absorb_duplicate(
    primary_code: str, duplicate_code: str, *, cases: CaseRepository, clock: Clock, attempts: int = 3
) -> bool:
    """After a merge: the primary remembers the duplicate (its reporter follows the primary)."""

    def attempt(_: int) -> bool:
        primary = cases.get(primary_code)
        if primary is None:
            log.warning("merge target missing", extra={"case_id": case_id(primary_code)})
            return False
        if not primary.absorb(duplicate_code, clock()):
            return False
        cases.save(primary)
        return True

    return retry_on_conflict(attempt, attempts)
