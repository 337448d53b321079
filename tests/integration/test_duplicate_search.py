"""Duplicate search at routing, on the moto server: both signals are found, and what
routing reads stays bounded with thousands of open cases of the category around.

Each test works in a table of its own (same keys and indexes as the stack's), so the
thousands of cases it writes neither meet nor slow down other tests.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters import aws as aws_clients
from chalicelib.adapters.case_repository import DynamoCaseRepository, serialize
from chalicelib.adapters.duplicate_index import DuplicateIndex, signature_partition
from chalicelib.adapters.routing_store import RoutingStore
from chalicelib.adapters.sealing import KmsSealer
from chalicelib.domain import duplicates, geo, tracking
from chalicelib.domain.case import SYSTEM, Case
from chalicelib.domain.channels import Channel
from chalicelib.domain.report import build_report
from chalicelib.domain.sla import SlaPolicy
from chalicelib.services import routing
from tests.support import complaints, flood
from tests.support.fakes import FixedClock

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
ACROSS_TOWN = (-6.2615, 106.8106)  # Kemang, ~10 km from the spot
SPOT_TEXT = "Sampah menumpuk di depan pasar Jl. Kebon Sirih sejak kemarin, mohon segera ditindaklanjuti"


@pytest.fixture
def world(app_env):
    client = aws_clients.client("dynamodb")
    table = flood.clone_table(client, app_env["CASES_TABLE"], f"crm-local-dupes-{time.time_ns()}")
    routing.forget_cached_rules()
    reads = flood.ItemsRead()
    client.meta.events.register("after-call.dynamodb", reads)
    yield {
        "client": client,
        "table": table,
        "cases": DynamoCaseRepository(table, sealer=KmsSealer(app_env["CONTACT_KEY_ARN"])),
        "index": DuplicateIndex(table),
        "rules": RoutingStore(table),
        "clock": FixedClock(NOW),
        "reads": reads,
    }
    client.meta.events.unregister("after-call.dynamodb", reads)
    client.delete_table(TableName=table)


def intake(world, text: str, lat: float, lng: float, category: str = "garbage") -> str:
    report = build_report(
        channel=Channel.JAKI,
        message_id=tracking.new_code(),
        category=category,
        description=text,
        location={"lat": lat, "lng": lng},
    )
    case = Case.open(report, tracking.new_code(), world["clock"](), policy=SlaPolicy())
    world["cases"].add(case)
    return case.tracking_code


def route(world, code: str) -> Case:
    return routing.route_case(
        code, cases=world["cases"], duplicate_index=world["index"], rules=world["rules"], clock=world["clock"]
    )


def test_a_retyped_report_across_town_and_a_report_next_door_are_both_offered(world):
    first = route(world, intake(world, SPOT_TEXT, *flood.SPOT))
    world["clock"].advance(hours=1)
    retyped = "sampah menumpk di depan pasar jl kebon sirih sejak kemarin mohon segera ditindaklanjuti, sudah bau"
    far = route(world, intake(world, retyped, *ACROSS_TOWN))
    near = route(world, intake(world, "Ada tumpukan plastik", flood.SPOT[0] + 0.0003, flood.SPOT[1]))  # ~33 m
    assert far.duplicate_candidates == [first.tracking_code]
    assert near.duplicate_candidates[0] == first.tracking_code  # nearby ranks above text-only matches
    # the signature items routing filed: one per band, gone by TTL when the week is over
    filed = []
    for band, key in enumerate(duplicates.band_keys(SPOT_TEXT)):
        filed += world["client"].query(
            TableName=world["table"],
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues=serialize({":pk": signature_partition("garbage", band, key)}),
        )["Items"]
    first_items = [item for item in filed if item["code"]["S"] == first.tracking_code]
    assert len(first_items) == duplicates.BANDS
    assert {int(item["expires_at"]["N"]) for item in first_items} == {int((NOW + timedelta(days=7)).timestamp())}


def test_a_closed_case_is_not_offered_by_its_text(world):
    first = route(world, intake(world, SPOT_TEXT, *flood.SPOT))
    case = world["cases"].get(first.tracking_code)
    case.reject("spam", "test", world["clock"](), SYSTEM)
    world["cases"].save(case)
    assert route(world, intake(world, SPOT_TEXT + "!", *ACROSS_TOWN)).duplicate_candidates == []


def test_an_unreadable_entry_is_skipped_not_fatal(world, capsys):
    first = route(world, intake(world, SPOT_TEXT, *flood.SPOT))
    cell = geo.geohash(*flood.SPOT, 7)
    broken = [
        {"PK": signature_partition("garbage", 3, duplicates.band_keys(SPOT_TEXT)[3]), "SK": f"{NOW:%Y-%m-%d}T09#X"},
        {"PK": "CASE#BROKEN", "SK": "CASE", "geo_pk": f"GEO#garbage#{cell}", "geo_sk": "2026-03-02T09#X", "card": 7},
    ]
    flood.bulk_write(world["client"], world["table"], broken)
    again = route(world, intake(world, SPOT_TEXT, *flood.SPOT))
    assert again.duplicate_candidates == [first.tracking_code]
    assert capsys.readouterr().out.count('"UnreadableItems":1') == 2


def test_routing_reads_a_bounded_number_of_items_with_thousands_of_open_cases(world):
    """2,000 open garbage cases in the week, 1,000 of them at one spot (one geohash cell),
    half of those retyping one text; then a new case retyping it, at the spot (found
    nearby) and across town (found by text). Items read are DynamoDB's own counts.

    At the spot they do not grow from 10 cases to 2,000. Across town they may grow
    (bands are read until 10 texts are confirmed, and 10 cases cannot fill that), but
    never past the bound."""
    rng = random.Random(11)
    written, reads = 0, {}
    for total in (10, 2_000):
        cases = []
        for n in range(written, total):
            created = NOW - timedelta(minutes=5 * (total - n))  # within the week, oldest first
            if n < 10:
                place, text = flood.in_cell(rng, *flood.SPOT), complaints.retyped(rng, SPOT_TEXT)
            elif n % 2:
                place, text = flood.anywhere(rng), complaints.report(rng)
            else:
                place = flood.in_cell(rng, *flood.SPOT)
                text = complaints.retyped(rng, SPOT_TEXT) if n % 4 == 0 else complaints.report(rng)
            cases.append(flood.routed_case(tracking.new_code(), "garbage", text, place, created))
        flood.bulk_write(world["client"], world["table"], [item for case in cases for item in flood.items_of(case)])
        written = total
        for probe, place in (("spot", flood.SPOT), ("across town", ACROSS_TOWN)):
            code = intake(world, SPOT_TEXT, *place)
            world["reads"].take()
            routed = route(world, code)
            reads[probe, total] = world["reads"].take()
            assert len(routed.duplicate_candidates) == duplicates.MAX_CANDIDATES, (probe, total)
    assert max(reads.values()) <= 1 + routing.DUPLICATE_READ_BOUND, reads  # + the case's own GetItem
    assert reads["spot", 2_000] <= 1.5 * reads["spot", 10], reads
