"""Routing on a flood day: what routing one case reads, and how fast routing goes.

Items read = DynamoDB's ScannedCount summed over every Query routing makes
(filtered-out items included), plus the items GetItem and BatchGetItem return;
counted with a botocore hook on the app's client, so it is what DynamoDB
would bill. Each data set lives in a table of its own on the moto server
(same keys and indexes as the app's), bulk-written with BatchWriteItem: real
case items as routing leaves them plus their signature items
(tests/support/flood.py). What is measured is the real ``route_case``.

* items read: a new case retyping the busy cell's most common text, once in
  that cell (found nearby) and once across town (found by text only). With
  10 open cases, all in that cell and all retyping that text, then 10,000 in
  the week with 1,000 in that cell (half retyping the text).
* throughput: FLOOD reports at one spot (one cell, a few texts retyped over
  and over) and FLOOD spread over the city, taken in first, then routed in
  turns (one of each), as the followups queue would after a burst. The same
  table at every step, so both see the same table size.
* the signature's recall: of the pairs the text check confirms, how many the
  signature offers it (pure Python, no AWS).
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from bench.common import Row

SIZES = (10, 10_000)
IN_CELL = 1_000
FLOOD = 300
RECALL_PAIRS = 3_000
ACROSS_TOWN = (-6.2615, 106.8106)  # Kemang, ~10 km from the spot
SPOT_TEXT = "Banjir setinggi lutut di depan pasar Jl. Kebon Sirih sejak tadi pagi, mohon segera ditangani"


def _table(client, source: str, purpose: str) -> str:
    from tests.support import flood

    return flood.clone_table(client, source, f"{source}-{purpose}-{time.time_ns()}")


def _apps(table: str, contact_key: str | None):
    from chalicelib.adapters.case_repository import DynamoCaseRepository
    from chalicelib.adapters.duplicate_index import DuplicateIndex
    from chalicelib.adapters.routing_store import RoutingStore
    from chalicelib.adapters.sealing import KmsSealer

    return DynamoCaseRepository(table, sealer=KmsSealer(contact_key)), DuplicateIndex(table), RoutingStore(table)


def _new_case(cases, text: str, place, created: datetime, category: str = "flooding") -> str:
    from chalicelib.domain import tracking
    from chalicelib.domain.case import Case
    from chalicelib.domain.channels import Channel
    from chalicelib.domain.report import build_report
    from chalicelib.domain.sla import SlaPolicy

    report = build_report(
        channel=Channel.JAKI,
        message_id=tracking.new_code(),
        category=category,
        description=text,
        location={"lat": place.lat, "lng": place.lng},
    )
    case = Case.open(report, tracking.new_code(), created, policy=SlaPolicy())
    cases.add(case)
    return case.tracking_code


def items_read(stand_in) -> list[Row]:
    from chalicelib.adapters import aws
    from chalicelib.domain import tracking
    from chalicelib.services import routing
    from tests.support import complaints, flood
    from tests.support.fakes import FixedClock

    client = aws.client("dynamodb")
    table = _table(client, stand_in.env["CASES_TABLE"], "items-read")
    cases, index, rules = _apps(table, stand_in.env.get("CONTACT_KEY_ARN"))
    routing.forget_cached_rules()
    now = datetime.now(UTC).replace(microsecond=0)
    rng = random.Random(23)
    counter = flood.ItemsRead()
    reads, written = {}, 0
    client.meta.events.register("after-call.dynamodb", counter)
    try:
        for size in SIZES:
            batch = []
            for n in range(written, size):
                created = now - timedelta(days=7) * (1 - n / max(SIZES)) + timedelta(minutes=1)  # in the window
                if n < SIZES[0]:
                    place, text = flood.in_cell(rng, *flood.SPOT), complaints.retyped(rng, SPOT_TEXT)
                elif n < IN_CELL:  # the busy cell: half retype the spot's text, half say something else
                    place = flood.in_cell(rng, *flood.SPOT)
                    text = complaints.retyped(rng, SPOT_TEXT) if n % 2 else complaints.report(rng, "flooding")
                else:
                    place, text = flood.anywhere(rng), complaints.report(rng, "flooding")
                case = flood.routed_case(tracking.new_code(), "flooding", text, place, created)
                batch += flood.items_of(case)
            flood.bulk_write(client, table, batch)
            written = size
            for probe, place in (("at the spot", flood.Place(*flood.SPOT)), ("across town", flood.Place(*ACROSS_TOWN))):
                code = _new_case(cases, SPOT_TEXT, place, now)
                counter.take()
                routed = routing.route_case(
                    code, cases=cases, duplicate_index=index, rules=rules, clock=FixedClock(now)
                )
                reads[probe, size] = counter.take()
                assert len(routed.duplicate_candidates) == 5, (probe, size, routed.duplicate_candidates)
    finally:
        client.meta.events.unregister("after-call.dynamodb", counter)
        client.delete_table(TableName=table)
    small, large = SIZES
    bound = 1 + routing.DUPLICATE_READ_BOUND  # + the case's own GetItem
    rows = []
    for probe, how, flat in (
        ("at the spot", "found nearby: the text search is skipped", True),
        ("across town", "retyping the spot's text: found by text; 10 cases cannot end the band reads early", False),
    ):
        ratio = reads[probe, large] / reads[probe, small]
        rows.append(
            Row(
                f"routing: items read to route one case {probe}, {large:,} same-category open cases in the week "
                f"and {min(IN_CELL, large):,} in one cell ÷ with {small}",
                f"{reads[probe, large]} items",
                f"{reads[probe, small]} items",
                ratio,
                "<= 1.5 (flat)" if flat else "informational (capped by the bound, next row)",
                ratio <= 1.5 if flat else None,
                f"{how}; ScannedCount of every Query + items of every Get",
            )
        )
    worst = max(reads.values())
    rows.append(
        Row(
            "routing: items read per routed case, the most measured, against the stated bound",
            f"{worst} items",
            f"{bound} items",
            worst / bound,
            "<= 1 (the bound holds)",
            worst <= bound,
            "bound: 9 cells x 10 + 8 bands x 10 + 10 open checks + 1 GetItem (services/routing.py)",
        )
    )
    return rows


def throughput(stand_in) -> list[Row]:
    from chalicelib.adapters import aws
    from chalicelib.adapters.case_repository import case_to_item
    from chalicelib.domain import tracking
    from chalicelib.domain.case import Case
    from chalicelib.domain.channels import Channel
    from chalicelib.domain.report import build_report
    from chalicelib.domain.sla import SlaPolicy
    from chalicelib.services import routing
    from tests.support import complaints, flood
    from tests.support.fakes import FixedClock

    client = aws.client("dynamodb")
    table = _table(client, stand_in.env["CASES_TABLE"], "throughput")
    cases, index, rules = _apps(table, stand_in.env.get("CONTACT_KEY_ARN"))
    routing.forget_cached_rules()
    now = datetime.now(UTC).replace(microsecond=0)
    rng = random.Random(29)
    flood_texts = [complaints.report(rng, "flooding") for _ in range(4)]  # a flood: a few things said many times

    def taken_in(n: int, text: str, place) -> tuple[str, dict]:
        report = build_report(
            channel=Channel.JAKI,
            message_id=f"BENCH-ROUTE-{n}-{time.time_ns()}",
            category="flooding",
            description=text,
            location={"lat": place.lat, "lng": place.lng},
        )
        case = Case.open(
            report, tracking.new_code(), now - timedelta(minutes=30) + timedelta(seconds=n), policy=SlaPolicy()
        )
        return case.tracking_code, case_to_item(case, 1, [])

    spot, spread, items = [], [], []
    for n in range(FLOOD):
        code, item = taken_in(2 * n, complaints.retyped(rng, rng.choice(flood_texts)), flood.in_cell(rng, *flood.SPOT))
        spot.append(code)
        items.append(item)
        code, item = taken_in(2 * n + 1, complaints.report(rng, "flooding"), flood.anywhere(rng))
        spread.append(code)
        items.append(item)
    flood.bulk_write(client, table, items)
    spent = {"spot": 0.0, "spread": 0.0}
    clock = FixedClock(now)
    try:
        for at_spot, far in zip(spot, spread, strict=True):
            for name, code in (("spot", at_spot), ("spread", far)):
                start = time.perf_counter()
                routing.route_case(code, cases=cases, duplicate_index=index, rules=rules, clock=clock)
                spent[name] += time.perf_counter() - start
            clock.advance(seconds=1)
        # the last spot case was offered its neighbours, so the flood data set did what it is meant to
        last = cases.get(spot[-1])
        assert len(last.duplicate_candidates) == 5, last.duplicate_candidates
    finally:
        client.delete_table(TableName=table)
    rate_spot, rate_spread = FLOOD / spent["spot"], FLOOD / spent["spread"]
    return [
        Row(
            f"routing throughput: {FLOOD} reports at one spot ÷ {FLOOD} spread over the city",
            f"{rate_spot:.0f} cases/s",
            f"{rate_spread:.0f} cases/s",
            rate_spot / rate_spread,
            ">= 0.8",
            rate_spot / rate_spread >= 0.8,
            "route_case against the moto server (no completion prediction), routed in turns in one table",
        )
    ]


def recall() -> list[Row]:
    """Of the retyped reports the text check confirms, how many share a band with the original;
    and how many still meet a confirmed match among the newest 10 per band of a week's reports."""
    from chalicelib.domain import duplicates
    from tests.support import complaints

    def share(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
        return any(x == y for x, y in zip(a, b, strict=True))

    rng = random.Random(31)
    accepted = found = 0
    for _ in range(RECALL_PAIRS):
        original = complaints.report(rng, rng.choice(list(complaints.PROBLEMS)))
        variant = complaints.retyped(rng, original)
        if duplicates.text_similarity(original, variant) >= duplicates.SIMILAR_TEXT:
            accepted += 1
            found += share(duplicates.band_keys(original), duplicates.band_keys(variant))
    week = [complaints.report(rng, "flooding") for _ in range(max(SIZES))]
    filed: dict[tuple[int, str], list[int]] = {}
    for n, text in enumerate(week):
        for band, key in enumerate(duplicates.band_keys(text)):
            filed.setdefault((band, key), []).append(n)
    looked = met = 0
    for _ in range(RECALL_PAIRS // 8):
        original = week[rng.randrange(len(week))]
        variant = complaints.retyped(rng, original)
        if duplicates.text_similarity(original, variant) < duplicates.SIMILAR_TEXT:
            continue  # not a duplicate by the check's own measure
        newest: set[int] = set()
        for band, key in enumerate(duplicates.band_keys(variant)):
            newest.update(filed.get((band, key), [])[-routing_limit() :])
        looked += 1
        met += any(duplicates.text_similarity(week[n], variant) >= duplicates.SIMILAR_TEXT for n in newest)
    note = (
        f"{duplicates.BANDS} bands x {duplicates.ROWS_PER_BAND} MinHash rows over 4-character shingles; "
        f"costs {duplicates.BANDS} small items (1 BatchWriteItem) per routed case"
    )
    return [
        Row(
            "routing: near-duplicate texts the signature offers to the text check",
            f"{found} pairs",
            f"{accepted} pairs the check confirms",
            found / accepted,
            "informational",
            None,
            note,
        ),
        Row(
            f"routing: a retyped report meets a confirmed match among the newest {routing_limit()} per band, "
            f"{len(week):,} same-category reports in the week",
            f"{met} reports",
            f"{looked} reports",
            met / looked,
            "informational",
            None,
            "the per-band Limit against a week of everyday phrases (no AWS)",
        ),
    ]


def routing_limit() -> int:
    from chalicelib.services.routing import SIMILAR_PER_BAND

    return SIMILAR_PER_BAND


def run(stand_in) -> list[Row]:
    return recall() + items_read(stand_in) + throughput(stand_in)
