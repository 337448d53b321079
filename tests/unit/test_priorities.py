"""Priorities: urgent shortens the SLA, low never lengthens it, an agreed date stays, all audited."""

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters import reference_data
from chalicelib.domain import sla
from chalicelib.domain.case import Actor, Case
from chalicelib.domain.channels import Channel
from chalicelib.domain.errors import RuleViolation
from chalicelib.domain.report import build_report
from chalicelib.domain.sla import SlaPolicy

T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
BUREAU = Actor("officer", "u-2", "bureau_verifier", "biro-pemerintahan")
POLICY = SlaPolicy()


def open_case(category="garbage", policy=POLICY):
    report = build_report(channel=Channel.JAKI, message_id="m", category=category, description="Sampah menumpuk")
    case = Case.open(report, "4N50G-7M7G1-2X63", T0, policy=policy)
    case.pull_events()
    return case


def test_urgent_takes_the_shorter_limits_and_never_a_longer_one():
    assert POLICY.for_priority("normal") is POLICY
    assert POLICY.for_priority("low") is POLICY
    urgent = POLICY.for_priority("urgent")
    assert (urgent.coordinate_within, urgent.resolve_within) == (timedelta(hours=2), timedelta(days=3))
    strict = SlaPolicy(coordinate_within=timedelta(hours=1), resolve_within=timedelta(days=2))
    assert strict.for_priority("urgent").coordinate_within == timedelta(hours=1)
    assert strict.for_priority("urgent").resolve_within == timedelta(days=2)
    with pytest.raises(ValueError):
        POLICY.for_priority("critical")


def test_the_seed_catalogue_has_urgent_limits():
    policy = reference_data.sla_catalogue().for_category("garbage")
    assert policy.for_priority("urgent").resolve_within == timedelta(days=3)


def test_urgent_recomputes_the_deadlines_from_the_report_and_normal_restores_them():
    case = open_case()
    later = T0 + timedelta(hours=1)
    case.set_priority("urgent", "Banjir masuk rumah warga", POLICY, later, BUREAU)
    assert case.priority == "urgent"
    assert case.sla.coordinate_by == T0 + timedelta(hours=2)
    assert case.sla.resolve_by == T0 + timedelta(days=3)
    assert case.next_deadline(POLICY) == POLICY.reminder_time(T0, T0 + timedelta(hours=2))
    event = case.pull_events()[-1]
    assert event.type == "case.priority_changed" and not event.public
    assert event.data()["previous"] == "normal" and event.data()["reason"] == "Banjir masuk rumah warga"
    # audited in the history, not on the public timeline
    assert [e.type for e in case.timeline] == ["case.received"] and case.history[-1].type == "case.priority_changed"
    case.set_priority("normal", "Sudah ditangani darurat", POLICY, later, BUREAU)
    assert case.sla.coordinate_by == T0 + timedelta(hours=6)
    assert case.sla.resolve_by == T0 + timedelta(days=7)


def test_low_changes_no_deadline():
    case = open_case()
    before = (case.sla.coordinate_by, case.sla.resolve_by, case.sla.escalate_at)
    case.set_priority("low", "Tidak mendesak", POLICY, T0, BUREAU)
    assert (case.sla.coordinate_by, case.sla.resolve_by, case.sla.escalate_at) == before


def test_a_shortened_deadline_already_past_is_breached_by_the_next_sweep():
    case = open_case()
    now = T0 + timedelta(hours=3)
    case.set_priority("urgent", "Pohon menutup jalan", POLICY, now, BUREAU)
    case.pull_events()
    done = case.apply_due_milestones(POLICY, now)
    assert sla.COORDINATION_BREACH in done
    assert [e.type for e in case.pull_events()] == ["sla.breached"]


def test_a_recorded_breach_stays_when_the_deadline_moves_back():
    case = open_case()
    now = T0 + timedelta(hours=3)
    case.set_priority("urgent", "x", POLICY, now, BUREAU)
    case.apply_due_milestones(POLICY, now)
    case.set_priority("normal", "y", POLICY, now, BUREAU)
    assert sla.COORDINATION_BREACH in case.sla.marked


def test_an_agreed_date_stays_as_agreed():
    water = reference_data.sla_catalogue().for_category("water")
    directory = reference_data.agencies()
    case = open_case("water", water)
    agency = next(a for a in directory if a.kind == "dinas")
    case.assign(agency, T0)
    holder = Actor("officer", "u-1", "agency_officer", agency.id)
    agreed = T0 + timedelta(days=21)
    case.submit_plan("Ganti pompa", agreed, water, T0 + timedelta(hours=1), holder)
    case.verify_plan(T0 + timedelta(hours=2), BUREAU)
    case.set_priority("urgent", "Warga tanpa air", water, T0 + timedelta(hours=3), BUREAU)
    assert case.sla.resolve_by == agreed == case.expected_completion
    assert case.sla.coordinate_by == T0 + timedelta(hours=2)


@pytest.mark.parametrize(
    ("priority", "reason", "problem"),
    [
        ("critical", "x", "priority must be"),
        ("urgent", "  ", "reason"),
        ("normal", "x", "already normal"),
    ],
)
def test_bad_changes_are_refused(priority, reason, problem):
    with pytest.raises(RuleViolation, match=problem):
        open_case().set_priority(priority, reason, POLICY, T0, BUREAU)


def test_a_closed_case_keeps_its_priority():
    case = open_case()
    case.reject("out_of_scope", None, T0, BUREAU)
    with pytest.raises(RuleViolation, match="cannot change"):
        case.set_priority("urgent", "x", POLICY, T0, BUREAU)


def test_reopening_an_urgent_case_restarts_the_short_clock():
    case = open_case()
    case.set_priority("urgent", "x", POLICY, T0, BUREAU)
    case.sla.restart_resolution(T0 + timedelta(days=1), POLICY.for_priority(case.priority))
    assert case.sla.resolve_by == T0 + timedelta(days=4)
