"""The Case's own rules and its SLA milestones (no I/O)."""

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters import reference_data
from chalicelib.domain import sla
from chalicelib.domain.case import SYSTEM, Actor, Case, PhotoRef
from chalicelib.domain.channels import Channel
from chalicelib.domain.errors import IllegalTransition, RuleViolation
from chalicelib.domain.lifecycle import CaseStatus
from chalicelib.domain.report import build_report
from chalicelib.domain.sla import SlaPolicy

T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
OFFICER = Actor("officer", "u-1", "agency_officer", "sudin-lh-jakpus")
BUREAU = Actor("officer", "u-2", "bureau_verifier", "biro-pemerintahan")
WATER = SlaPolicy(estimates_allowed=True)
DIRECTORY = reference_data.agencies()


def new_case(category="garbage", policy=None):
    report = build_report(channel=Channel.JAKI, message_id="m", category=category, description="Sampah menumpuk")
    case = Case.open(report, "4N50G-7M7G1-2X63", T0, policy=policy or SlaPolicy())
    case.pull_events()
    return case


def photo(kind="completion"):
    return PhotoRef("p1", kind, "originals/x", "public/x", "image/jpeg", 10, 10)


def in_progress(policy=None, category="garbage"):
    case = new_case(category, policy)
    case.assign(DIRECTORY.require("dinas-lh"), T0, SYSTEM)
    case.delegate(DIRECTORY.require("sudin-lh-jakpus"), DIRECTORY, T0 + timedelta(minutes=30), OFFICER)
    case.submit_plan("Angkut sampah", None, policy or SlaPolicy(), T0 + timedelta(hours=1), OFFICER)
    case.verify_plan(T0 + timedelta(hours=2), BUREAU)
    case.pull_events()
    return case


def types(events):
    return [event.type for event in events]


def test_the_happy_path_raises_one_event_per_step():
    case = new_case()
    case.assign(DIRECTORY.require("dinas-lh"), T0, SYSTEM)
    case.delegate(DIRECTORY.require("sudin-lh-jakpus"), DIRECTORY, T0, OFFICER)
    case.submit_plan("Angkut sampah", None, SlaPolicy(), T0 + timedelta(hours=1), OFFICER)
    case.verify_plan(T0 + timedelta(hours=2), BUREAU)
    case.post_progress(50, "Separuh", T0 + timedelta(days=1), OFFICER)
    case.resolve(photo(), "Bersih", T0 + timedelta(days=2), OFFICER)
    case.give_feedback(5, "Mantap", T0 + timedelta(days=3))
    assert case.status is CaseStatus.CLOSED
    assert types(case.pull_events()) == [
        "case.assigned",
        "case.delegated",
        "plan.submitted",
        "plan.verified",
        "case.progress",
        "case.resolved",
        "case.feedback",
        "case.closed",
    ]
    assert case.expected_completion == T0 + timedelta(days=7)
    assert case.first_plan_at == T0 + timedelta(hours=1)


def test_public_timeline_hides_internal_events_and_private_fields():
    case = new_case()
    case.assign(DIRECTORY.require("dinas-lh"), T0, SYSTEM)
    case.transfer(DIRECTORY.require("dinas-bina-marga"), "bukan sampah, jalan rusak", T0, OFFICER)
    case.comment("catatan internal", T0, OFFICER)
    public = case.timeline
    assert [entry.type for entry in public] == ["case.received", "case.assigned", "case.transferred"]
    assert "reason" not in public[-1].data and "actor_user" not in public[-1].data
    assert [entry.type for entry in case.history][-1] == "case.commented"


def test_delegation_only_goes_down_the_tree():
    case = new_case()
    case.assign(DIRECTORY.require("sudin-lh-jakpus"), T0, SYSTEM)
    with pytest.raises(RuleViolation, match="down the tree"):
        case.delegate(DIRECTORY.require("dinas-lh"), DIRECTORY, T0, OFFICER)
    with pytest.raises(RuleViolation):
        case.delegate(DIRECTORY.require("sudin-lh-jakut"), DIRECTORY, T0, OFFICER)


def test_transfer_needs_a_reason_and_another_agency():
    case = new_case()
    case.assign(DIRECTORY.require("dinas-lh"), T0, SYSTEM)
    with pytest.raises(RuleViolation):
        case.transfer(DIRECTORY.require("dinas-sda"), "  ", T0, OFFICER)
    with pytest.raises(RuleViolation):
        case.transfer(DIRECTORY.require("dinas-lh"), "x", T0, OFFICER)


def test_estimates_only_where_the_category_allows_and_within_limits():
    garbage = new_case()
    garbage.assign(DIRECTORY.require("dinas-lh"), T0, SYSTEM)
    with pytest.raises(RuleViolation, match="no estimated completion"):
        garbage.submit_plan("x", T0 + timedelta(days=21), SlaPolicy(), T0, OFFICER)
    water = new_case("water", WATER)
    water.assign(DIRECTORY.require("pam-jaya"), T0, SYSTEM)
    with pytest.raises(RuleViolation, match="future"):
        water.submit_plan("x", T0 - timedelta(days=1), WATER, T0, OFFICER)
    with pytest.raises(RuleViolation, match="90 days"):
        water.submit_plan("x", T0 + timedelta(days=91), WATER, T0, OFFICER)


def test_an_agreed_estimate_becomes_the_deadline():
    case = new_case("water", WATER)
    case.assign(DIRECTORY.require("pam-jaya"), T0, SYSTEM)
    case.submit_plan("Ganti pompa", T0 + timedelta(days=21), WATER, T0 + timedelta(hours=2), OFFICER)
    case.verify_plan(T0 + timedelta(hours=3), BUREAU)
    assert case.sla.resolve_by == case.expected_completion == T0 + timedelta(days=21)
    # No breach at day 8, which the standard 7 days would have given.
    assert sla.RESOLUTION_BREACH not in case.apply_due_milestones(WATER, T0 + timedelta(days=8))
    assert sla.RESOLUTION_BREACH in case.apply_due_milestones(WATER, T0 + timedelta(days=21, minutes=1))


def test_a_returned_plan_goes_back_to_the_agency_with_the_comment():
    case = new_case()
    case.assign(DIRECTORY.require("dinas-lh"), T0, SYSTEM)
    case.submit_plan("x", None, SlaPolicy(), T0, OFFICER)
    with pytest.raises(RuleViolation):
        case.return_plan("", T0, BUREAU)
    case.return_plan("Sebutkan jadwal", T0, BUREAU)
    assert case.status is CaseStatus.ASSIGNED and case.plan.review_comment == "Sebutkan jadwal"
    case.submit_plan("x besok jam 8", None, SlaPolicy(), T0 + timedelta(hours=1), OFFICER)
    assert case.first_plan_at == T0  # coordination was on time the first time


def test_resolving_needs_a_completion_photo():
    case = in_progress()
    with pytest.raises(RuleViolation):
        case.resolve(photo("report"), "", T0, OFFICER)
    case.resolve(photo(), "", T0 + timedelta(days=1), OFFICER)
    assert case.status is CaseStatus.RESOLVED and case.progress == 100


@pytest.mark.parametrize("percent", [-1, 101])
def test_progress_is_a_percentage(percent):
    with pytest.raises(RuleViolation):
        in_progress().post_progress(percent, "x", T0, OFFICER)


def test_reopen_within_seven_days_restarts_the_clock():
    case = in_progress()
    case.resolve(photo(), "", T0 + timedelta(days=2), OFFICER)
    case.reopen("Masih kotor", SlaPolicy(), T0 + timedelta(days=4))
    assert case.status is CaseStatus.IN_PROGRESS and case.reopen_count == 1
    assert case.sla.resolve_by == T0 + timedelta(days=11)


def test_reopen_after_seven_days_is_refused():
    case = in_progress()
    case.resolve(photo(), "", T0 + timedelta(days=2), OFFICER)
    with pytest.raises(IllegalTransition, match="7 days"):
        case.reopen("Masih kotor", SlaPolicy(), T0 + timedelta(days=9, seconds=1))


@pytest.mark.parametrize("rating", [0, 6])
def test_ratings_are_one_to_five(rating):
    case = in_progress()
    case.resolve(photo(), "", T0 + timedelta(days=2), OFFICER)
    with pytest.raises(RuleViolation):
        case.give_feedback(rating, None, T0 + timedelta(days=3))


def test_rejection_reasons_are_fixed():
    case = new_case()
    with pytest.raises(RuleViolation):
        case.reject("boring", None, T0, BUREAU)
    case.reject("emergency", "Kebakaran, hubungi 112", T0, BUREAU)
    assert case.status is CaseStatus.REJECTED
    assert case.timeline[-1].data == {"agency_id": None, "reason": "emergency", "resolution_breached": False}


def test_merge_and_absorb():
    duplicate, primary = new_case(), new_case()
    primary.tracking_code = "AAAAA-AAAAA-AAAA"
    with pytest.raises(RuleViolation):
        duplicate.merge_into(duplicate.tracking_code, T0, BUREAU)
    duplicate.merge_into(primary.tracking_code, T0, BUREAU)
    assert duplicate.status is CaseStatus.MERGED and duplicate.merged_into == primary.tracking_code
    assert primary.absorb(duplicate.tracking_code, T0) is True
    assert primary.absorb(duplicate.tracking_code, T0) is False  # idempotent


# --- SLA milestones --------------------------------------------------------------


def test_coordination_reminder_at_80_percent_then_breach_then_nothing_twice():
    case = new_case()
    case.assign(DIRECTORY.require("dinas-lh"), T0, SYSTEM)
    case.pull_events()
    policy = SlaPolicy()
    assert case.apply_due_milestones(policy, T0 + timedelta(hours=4, minutes=47)) == []
    assert case.apply_due_milestones(policy, T0 + timedelta(hours=4, minutes=48)) == [sla.COORDINATION_REMINDER]
    assert case.apply_due_milestones(policy, T0 + timedelta(hours=5)) == []
    assert case.apply_due_milestones(policy, T0 + timedelta(hours=6)) == [sla.COORDINATION_BREACH]
    assert case.apply_due_milestones(policy, T0 + timedelta(hours=7)) == []
    assert types(case.pull_events()) == ["sla.reminder", "sla.breached"]


def test_a_late_sweep_breaches_without_a_stale_reminder():
    case = new_case()
    done = case.apply_due_milestones(SlaPolicy(), T0 + timedelta(hours=7))
    assert done == [sla.COORDINATION_BREACH]
    assert types(case.pull_events()) == ["sla.breached"]


def test_a_plan_in_time_stops_the_coordination_clock():
    case = new_case()
    case.assign(DIRECTORY.require("dinas-lh"), T0, SYSTEM)
    case.submit_plan("x", None, SlaPolicy(), T0 + timedelta(hours=2), OFFICER)
    milestones = [name for name, _ in case.pending_milestones(SlaPolicy())]
    assert sla.COORDINATION_BREACH not in milestones and sla.RESOLUTION_BREACH in milestones


def test_escalation_at_30_days_and_resolution_reminder_breach_before():
    case = in_progress()
    policy = SlaPolicy()
    done = case.apply_due_milestones(policy, T0 + timedelta(days=29, hours=23))
    assert done == [sla.RESOLUTION_BREACH]
    assert case.apply_due_milestones(policy, T0 + timedelta(days=30)) == [sla.ESCALATION]
    assert case.escalated
    assert case.apply_due_milestones(policy, T0 + timedelta(days=60)) == []


def test_resolved_cases_close_by_themselves_after_seven_days():
    case = in_progress()
    case.resolve(photo(), "", T0 + timedelta(days=2), OFFICER)
    case.pull_events()
    assert case.next_deadline(SlaPolicy()) == T0 + timedelta(days=9)
    assert case.apply_due_milestones(SlaPolicy(), T0 + timedelta(days=9)) == [sla.AUTO_CLOSE]
    assert case.status is CaseStatus.CLOSED
    assert case.pull_events()[0].data()["how"] == "no_response"
    assert case.next_deadline(SlaPolicy()) is None


def test_final_cases_have_no_deadlines():
    case = new_case()
    case.reject("spam", None, T0, BUREAU)
    assert case.pending_milestones(SlaPolicy()) == []
