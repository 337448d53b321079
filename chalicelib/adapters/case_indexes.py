"""The case item's secondary-index keys: how cases are found without a Scan.

Every index is sparse: a case carries an index's key attributes only while it
belongs in that list, so each list holds just the cases it is about. The keys
are recomputed from the case on every write (repository.case_to_item).

    index      partition key                        sort key               holds
    due        DUE#<0..7>  (write-sharded)          <next deadline>#<code> cases with an SLA milestone ahead
    queue      AGENCY#<holder>                      <next deadline>#<code> cases an agency holds (open or resolved)
    family     FAMILY#<top agency of the holder>    <next deadline>#<code> the same, grouped under a Dinas / city
    work       TRIAGE | REVIEW                      <next deadline>#<code> unrouted cases; plans awaiting the Bureau
    escalated  ESCALATED                            <next deadline>#<code> open cases escalated after 30 days
    geo        GEO#<category>#<geohash-7>           <created>#<code>       routed open cases with a location (dupes)
    day        DAY#<yyyy-mm-dd WIB>#<0..3>          <created>#<code>       every case, by day of report

List indexes project a small ``card`` map (what a queue row shows, and the
point the public map draws), so a queue page is one Query with no GetItem per
row.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from chalicelib.adapters.table import KeyRange
from chalicelib.domain import geo, search
from chalicelib.domain import sla as sla_rules
from chalicelib.domain.case import Case
from chalicelib.domain.clock import JAKARTA, to_utc_text
from chalicelib.domain.lifecycle import OPEN_STATUSES, CaseStatus

DUE_SHARDS = 8
DAY_SHARDS = 4
NO_DEADLINE = "9999-12-31T23:59:59.999999Z"
GEOHASH_PRECISION = 7
SUMMARY_CHARS = 160

INDEXES = {
    "due": ("due_pk", "due_sk"),
    "queue": ("queue_pk", "queue_sk"),
    "family": ("family_pk", "family_sk"),
    "work": ("work_pk", "work_sk"),
    "escalated": ("esc_pk", "esc_sk"),
    "geo": ("geo_pk", "geo_sk"),
    "day": ("day_pk", "day_sk"),
}


INDEX_NAMES = {name: f"{name}-index" for name in INDEXES}
TRIAGE, REVIEW, ESCALATED = "TRIAGE", "REVIEW", "ESCALATED"  # the Bureau's and supervisors' lists


def shard(code: str, shards: int) -> int:
    return int(hashlib.sha256(code.encode()).hexdigest()[:8], 16) % shards


def due_partitions() -> list[str]:
    return [f"DUE#{n}" for n in range(DUE_SHARDS)]


def day_partitions(day: str) -> list[str]:
    return [f"DAY#{day}#{n}" for n in range(DAY_SHARDS)]


def agency_partition(agency_id: str) -> str:
    return f"AGENCY#{agency_id}"


def family_partition(root: str) -> str:
    return f"FAMILY#{root}"


def geo_partition(category: str, cell: str) -> str:
    """The geo-index partition of one category in one geohash-7 cell."""
    return f"GEO#{category}#{cell}"


def index_range(index: str, partition: str, **bounds: Any) -> KeyRange:
    """A key range of one partition of one of these indexes (bounds: see KeyRange)."""
    return KeyRange(partition, INDEXES[index], INDEX_NAMES[index], **bounds)


def up_to(instant: datetime) -> str:
    """The highest sort key of an entry at ``instant`` (sort keys are ``<UTC time>#<code>``)."""
    return f"{to_utc_text(instant)}#~"


def code_of(sort_key: str) -> str:
    """The tracking code at the end of a sort key."""
    return sort_key.rsplit("#", 1)[1]


def due_only_item(code: str, due_at: datetime) -> dict[str, Any]:
    """An item that stands for an open case in the due index and nowhere else (all that
    index's KEYS_ONLY projection holds of a case): load tests seed many of these instead
    of whole cases. Not a case (``type``): no read takes it for one."""
    from chalicelib.adapters.case_repository import case_key

    pk, sk = INDEXES["due"]
    return {
        **case_key(code),
        "type": "due_only",
        pk: due_partitions()[shard(code, DUE_SHARDS)],
        sk: f"{to_utc_text(due_at)}#{code}",
    }


def off_due_index(item: dict[str, Any]) -> None:
    """The item as ``leave_due_index`` leaves it: without its due-index keys."""
    for attribute in INDEXES["due"]:
        item.pop(attribute, None)


def card(case: Case, next_deadline: str | None) -> dict[str, Any]:
    """What a queue row shows about a case (projected into the list indexes)."""
    return {
        "code": case.tracking_code,
        "status": case.status.value,
        "category": case.category,
        "channel": case.channel.value,
        "privacy": case.privacy.value,
        "priority": case.priority,
        "agency_id": case.agency_id,
        "created_at": to_utc_text(case.created_at),
        "updated_at": to_utc_text(case.updated_at),
        "next_deadline": next_deadline,
        "breached": [milestone.value for milestone in case.sla.breaches] if case.sla else [],
        "escalated": case.escalated,
        "area": case.area.as_dict() if case.area else None,
        # Where (no address): the public map draws points from cards (services/public_map.py).
        "location": {"lat": case.location.lat, "lng": case.location.lng} if case.location else None,
        "summary": case.description[:SUMMARY_CHARS],
        # What the officer search matches (domain/search.py): description and address, folded.
        "words": search.searchable(case.description, case.location.address if case.location else None),
        "coordinate_by": to_utc_text(case.sla.coordinate_by) if case.sla else None,
        "resolve_by": to_utc_text(case.sla.resolve_by) if case.sla else None,
        "progress": case.progress,
        "version": case.version,
        **({"unverified_sender": True} if case.unverified_sender else {}),
    }


def _jakarta_day(instant: datetime) -> str:
    """yyyy-mm-dd in Jakarta (zero-padded, like every stored date). The last
    seven hours of the year 9999 (UTC) have no Jakarta date a datetime can
    hold: they keep their UTC date, so that any datetime can be stored."""
    try:
        return instant.astimezone(JAKARTA).date().isoformat()
    except OverflowError:
        return instant.astimezone(UTC).date().isoformat()


def index_attributes(case: Case, version: int) -> dict[str, Any]:
    from chalicelib.adapters import reference_data

    policy = reference_data.sla_catalogue().for_category(case.category)
    deadline = case.next_deadline(policy)
    deadline_text = to_utc_text(deadline) if deadline else None
    order = f"{deadline_text or NO_DEADLINE}#{case.tracking_code}"
    created = f"{to_utc_text(case.created_at)}#{case.tracking_code}"
    attributes: dict[str, Any] = {}

    if deadline_text:
        attributes["due_pk"] = due_partitions()[shard(case.tracking_code, DUE_SHARDS)]
        attributes["due_sk"] = order
    if case.agency_id and (case.status in OPEN_STATUSES or case.status is CaseStatus.RESOLVED):
        directory = reference_data.agencies()
        attributes["queue_pk"], attributes["queue_sk"] = agency_partition(case.agency_id), order
        root = directory.root_of(case.agency_id) if directory.get(case.agency_id) else case.agency_id
        attributes["family_pk"], attributes["family_sk"] = family_partition(root), order
    if case.status is CaseStatus.RECEIVED and case.routed and not case.agency_id:
        attributes["work_pk"], attributes["work_sk"] = TRIAGE, order
    elif case.status is CaseStatus.PLAN_SUBMITTED:
        attributes["work_pk"], attributes["work_sk"] = REVIEW, order
    if case.escalated and case.status in OPEN_STATUSES:
        attributes["esc_pk"], attributes["esc_sk"] = ESCALATED, order
    # Only once routed: on a flood day most reports land in a few cells, and a hot
    # index partition then throttles the (retried, asynchronous) routing step, never
    # the webhook's intake write (docs/scaling.md).
    if case.location is not None and case.status in OPEN_STATUSES and case.routed:
        cell = geo.geohash(case.location.lat, case.location.lng, GEOHASH_PRECISION)
        attributes["geo_pk"], attributes["geo_sk"] = geo_partition(case.category, cell), created
    day = _jakarta_day(case.created_at)
    attributes["day_pk"] = day_partitions(day)[shard(case.tracking_code, DAY_SHARDS)]
    attributes["day_sk"] = created
    attributes["card"] = {**card(case, deadline_text), "version": version}
    due = sla_rules.next_due(case.pending_milestones(policy))
    if due:  # the deadline the officer is held to (next_deadline may be a reminder before it)
        attributes["card"]["deadline_kind"], attributes["card"]["deadline"] = due[0], to_utc_text(due[1])
    return attributes
