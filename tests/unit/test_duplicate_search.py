"""Duplicate candidates at routing: the two signals, found with a bounded number of reads."""

import pytest

from chalicelib.domain import duplicates, tracking
from chalicelib.domain.case import SYSTEM, Case
from chalicelib.domain.channels import Channel
from chalicelib.domain.report import build_report
from chalicelib.domain.sla import SlaPolicy
from chalicelib.services import routing
from tests.support.fakes import FakeCaseRepository, FakeDuplicateIndex, FakeRoutingStore, FixedClock

SPOT = {"lat": -6.1754, "lng": 106.8272}  # Medan Merdeka
FAR = {"lat": -6.2615, "lng": 106.8106}  # Kemang, ~10 km away
TEXT = "Sampah menumpuk di depan pasar Jl. Kebon Sirih sejak kemarin"


@pytest.fixture(autouse=True)
def _fresh_rules():
    routing.forget_cached_rules()
    yield
    routing.forget_cached_rules()


@pytest.fixture
def world():
    cases = FakeCaseRepository()
    return {"cases": cases, "index": FakeDuplicateIndex(cases), "rules": FakeRoutingStore(), "clock": FixedClock()}


def intake(world, description=TEXT, location=SPOT, category="garbage"):
    report = build_report(
        channel=Channel.JAKI,
        message_id=tracking.new_code(),
        category=category,
        description=description,
        location=location,
    )
    case = Case.open(report, tracking.new_code(), world["clock"](), policy=SlaPolicy())
    world["cases"].add(case)
    return case.tracking_code


def route(world, code):
    return routing.route_case(
        code, cases=world["cases"], duplicate_index=world["index"], rules=world["rules"], clock=world["clock"]
    )


def test_a_retyped_report_far_away_is_offered_the_first_by_its_text(world):
    first = route(world, intake(world))
    world["clock"].advance(hours=2)
    again = route(world, intake(world, "sampah menumpk di depan pasar jl kebon sirih sejak kemarin, tolong", FAR))
    assert again.duplicate_candidates == [first.tracking_code]


def test_a_report_nearby_is_offered_whatever_its_text(world):
    first = route(world, intake(world))
    near = route(world, intake(world, "Bau busuk sekali", {"lat": -6.1757, "lng": 106.8274}))  # ~40 m
    assert near.duplicate_candidates == [first.tracking_code]


def test_closed_or_merged_cases_are_not_offered_by_text(world):
    first = route(world, intake(world))
    case = world["cases"].get(first.tracking_code)
    case.reject("spam", "test", world["clock"](), SYSTEM)
    world["cases"].save(case)
    assert route(world, intake(world, TEXT + "!", FAR)).duplicate_candidates == []


def test_the_text_window_is_seven_days_and_the_category_must_match(world):
    first = route(world, intake(world))
    assert route(world, intake(world, TEXT, FAR, category="damaged_road")).duplicate_candidates == []
    world["clock"].advance(days=6, hours=23)
    assert route(world, intake(world, TEXT, FAR)).duplicate_candidates[-1] == first.tracking_code
    world["clock"].advance(hours=2)  # the first is now 7 days and 1 hour old
    assert first.tracking_code not in route(world, intake(world, TEXT, FAR)).duplicate_candidates


def test_similar_words_are_not_enough_the_check_confirms(world):
    route(world, intake(world))
    other = route(world, intake(world, "Sampah menumpuk di Jl. Kebon Sirih", FAR))  # a band may match; 0.7 similar
    assert other.duplicate_candidates == []


def test_routing_files_the_signature_for_seven_days_and_not_for_an_old_case(world):
    code = intake(world)
    route(world, code)
    case = world["cases"].get(code)
    assert world["index"].expiries[code] == case.created_at + duplicates.SIMILAR_WINDOW
    old = intake(world, "Laporan lama")
    world["clock"].advance(days=8)  # routed after a long outage: nothing would find it by text any more
    route(world, old)
    assert old not in world["index"].expiries


def test_routing_reads_a_bounded_number_of_items_however_many_cases_are_open(world):
    """300 open garbage cases at one spot with texts alike, then one more there (found nearby:
    the text search is skipped) and one across town (found by text): items read do not grow
    with the cases (the integration test does this with DynamoDB's own counts)."""
    reads = {}
    for total in (10, 300):
        cases = FakeCaseRepository()
        index = FakeDuplicateIndex(cases)
        world.update(cases=cases, index=index)
        for n in range(total):
            spot = {"lat": SPOT["lat"] + (n % 50) * 0.00001, "lng": SPOT["lng"]}
            route(world, intake(world, f"{TEXT} {n % 7}", spot))
            world["clock"].advance(seconds=30)
        for probe, place in (("spot", SPOT), ("across town", FAR)):
            index.items_read = 0
            routed = route(world, intake(world, TEXT, place))
            reads[probe, total] = index.items_read
            assert len(routed.duplicate_candidates) == duplicates.MAX_CANDIDATES, probe
    assert reads["spot", 300] == reads["spot", 10] == 10, reads  # 10 newest in the spot's cell, no text search
    assert reads["across town", 300] <= reads["across town", 10] <= routing.DUPLICATE_READ_BOUND, reads
