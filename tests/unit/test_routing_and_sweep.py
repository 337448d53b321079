"""Routing a new case and the SLA sweep, against the in-memory adapters."""

from datetime import timedelta

import pytest

from chalicelib.domain import tracking
from chalicelib.domain.case import Case
from chalicelib.domain.channels import Channel
from chalicelib.domain.lifecycle import CaseStatus
from chalicelib.domain.report import build_report
from chalicelib.domain.routing import RoutingRule
from chalicelib.domain.sla import SlaPolicy
from chalicelib.services import routing
from chalicelib.services.sla_sweep import sweep
from tests.support.fakes import (
    FakeCaseQueries,
    FakeCaseRepository,
    FakeDuplicateIndex,
    FakeQuarantine,
    FakeRoutingStore,
    FixedClock,
)

MEDAN_MERDEKA = {"lat": -6.1754, "lng": 106.8272}


@pytest.fixture
def world():
    cases = FakeCaseRepository()
    return {
        "cases": cases,
        "queries": FakeCaseQueries(cases),
        "duplicates": FakeDuplicateIndex(cases),
        "rules": FakeRoutingStore(),
        "clock": FixedClock(),
    }


def intake(world, category="garbage", location=MEDAN_MERDEKA, description="Sampah menumpuk di depan pasar"):
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


def route(world, code, **kwargs):
    return routing.route_case(
        code,
        cases=world["cases"],
        duplicate_index=world["duplicates"],
        rules=world["rules"],
        clock=world["clock"],
        **kwargs,
    )


def test_a_case_goes_to_the_agency_its_rules_name_with_its_area(world):
    case = route(world, intake(world))
    assert case.status is CaseStatus.ASSIGNED and case.agency_id == "dinas-lh"
    assert case.area.kelurahan == "31.71.01.1001"
    assert [e.type for e in case.timeline][-1] == "case.assigned"


def test_area_rules_apply(world):
    case = route(world, intake(world, "public_facility"))
    assert case.agency_id == "walikota-jakpus"


def test_unroutable_cases_wait_for_the_bureau(world):
    case = route(world, intake(world, "other"))
    assert case.status is CaseStatus.RECEIVED and case.agency_id is None and case.routed
    item = world["cases"].items[case.tracking_code]
    assert item["work_pk"] == "TRIAGE"
    assert "case.triage_needed" in [entry["type"] for entry in item["outbox"]]


def test_admin_edits_change_routing(world):
    world["rules"] = FakeRoutingStore([RoutingRule("garbage", "31.71", "sudin-lh-jakpus")])
    assert route(world, intake(world)).agency_id == "sudin-lh-jakpus"


def test_routing_twice_changes_nothing(world):
    code = intake(world)
    route(world, code)
    version = world["cases"].get(code).version
    route(world, code)
    assert world["cases"].get(code).version == version


def test_prediction_is_stored_when_available(world):
    case = route(world, intake(world), predict=lambda agency, category, reported: reported + timedelta(days=2))
    assert case.predicted_completion == case.created_at + timedelta(days=2)


def test_duplicates_nearby_or_with_the_same_text_are_noted(world):
    first = route(world, intake(world))
    near = route(world, intake(world, location={"lat": -6.1757, "lng": 106.8274}, description="Ada tumpukan sampah"))
    assert near.duplicate_candidates == [first.tracking_code]
    far_same_text = route(
        world, intake(world, location={"lat": -6.2297, "lng": 106.8272}, description="Sampah menumpuk di depan pasar!")
    )
    assert first.tracking_code in far_same_text.duplicate_candidates
    unrelated = route(world, intake(world, location={"lat": -6.30, "lng": 106.90}, description="Lain sama sekali"))
    assert unrelated.duplicate_candidates == []
    other_category = route(world, intake(world, "damaged_road"))
    assert other_category.duplicate_candidates == []


def due_cases(world):
    return sweep(
        cases=world["cases"],
        queries=world["queries"],
        clock=world["clock"],
        quarantine=FakeQuarantine(),
        public_name=str,
    )


def test_the_sweep_acts_only_on_due_cases_and_only_once(world):
    codes = [route(world, intake(world)).tracking_code for _ in range(3)]
    world["clock"].advance(hours=1)
    later = route(world, intake(world)).tracking_code  # its clock started an hour later
    world["clock"].advance(hours=3, minutes=48)  # 4 h 48 (80 % of 6 h) after the first three
    result = due_cases(world)
    assert (result.due, result.changed) == (3, 3)
    for code in codes:
        assert "coordination.reminder" in world["cases"].get(code).sla.marked
    assert world["cases"].get(later).sla.marked == set()
    again = due_cases(world)
    assert again.changed == 0 and again.due == 0


def test_a_concurrent_change_makes_the_sweep_skip_not_overwrite(world, monkeypatch):
    code = route(world, intake(world)).tracking_code
    world["clock"].advance(hours=7)
    original_get = world["cases"].get

    def get_then_someone_else_writes(tracking_code):
        case = original_get(tracking_code)
        other = original_get(tracking_code)
        other.description = "edited meanwhile"
        world["cases"].save(other)
        return case

    monkeypatch.setattr(world["cases"], "get", get_then_someone_else_writes)
    result = due_cases(world)
    assert result.skipped == 1 and result.changed == 0
    monkeypatch.undo()
    assert world["cases"].get(code).description == "edited meanwhile"
