from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters import reference_data
from chalicelib.domain import sla
from chalicelib.domain.sla import SlaClock, SlaPolicy, catalogue_from

REPORT = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # Monday 10:00 in Jakarta


def test_city_defaults():
    policy = SlaPolicy()
    clock = SlaClock.start(REPORT, policy)
    assert clock.coordinate_by == REPORT + timedelta(hours=6)
    assert clock.resolve_by == REPORT + timedelta(days=7)
    assert clock.escalate_at == REPORT + timedelta(days=30)
    assert policy.reminder_time(REPORT, clock.coordinate_by) == REPORT + timedelta(hours=4, minutes=48)
    assert policy.reminder_time(REPORT, clock.resolve_by) == REPORT + timedelta(days=5, hours=14, minutes=24)


def test_working_days_skip_the_weekend():
    policy = SlaPolicy(clock="working_days")
    friday = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    assert policy.add(friday, timedelta(days=1)) == friday + timedelta(days=3)  # Monday
    assert policy.add(friday, timedelta(days=7)) == friday + timedelta(days=11)
    assert policy.add(friday, timedelta(hours=6)) == friday + timedelta(hours=6)


def test_restart_after_reopen_gives_a_fresh_resolution_deadline():
    policy = SlaPolicy()
    clock = SlaClock.start(REPORT, policy)
    clock.marked |= {sla.RESOLUTION_REMINDER, sla.RESOLUTION_BREACH, sla.COORDINATION_BREACH}
    reopened = REPORT + timedelta(days=9)
    clock.restart_resolution(reopened, policy)
    assert clock.resolve_by == reopened + timedelta(days=7)
    assert clock.marked == {sla.COORDINATION_BREACH}
    assert clock.escalate_at == REPORT + timedelta(days=30)  # 30 days from the report, still


def test_catalogue_from_the_seed_file():
    catalogue = reference_data.sla_catalogue()
    assert catalogue.for_category("garbage") == SlaPolicy()
    assert catalogue.for_category("water").estimates_allowed
    assert catalogue.for_category("flooding").coordinate_within == timedelta(hours=2)
    assert not catalogue.for_category("flooding").estimates_allowed


def test_bad_policies_are_refused():
    with pytest.raises(ValueError):
        catalogue_from({"default": {"clock": "lunar"}})
    with pytest.raises(ValueError):
        SlaPolicy(reminder_fraction=1.5)


# --- typed milestones -----------------------------------------------------------------------------


def test_milestones_know_their_kind_and_step_without_parsing_their_names():
    kinds = {m: (m.kind.value, m.step.value if m.step else None) for m in sla.Milestone}
    assert kinds == {
        sla.COORDINATION_REMINDER: ("coordination", "reminder"),
        sla.COORDINATION_BREACH: ("coordination", "breach"),
        sla.RESOLUTION_REMINDER: ("resolution", "reminder"),
        sla.RESOLUTION_BREACH: ("resolution", "breach"),
        sla.ESCALATION: ("escalation", None),
        sla.AUTO_CLOSE: ("auto_close", None),
    }
    for milestone in sla.Milestone:
        assert sla.Milestone.of(milestone.kind, milestone.step) is milestone
    assert [m.deadline_kind for m in sla.Milestone] == [
        None,
        "coordination",
        None,
        "resolution",
        "escalation",
        "confirmation",
    ]


def test_milestones_are_stored_under_the_names_cases_already_carry():
    # The case item's sla.marked and the queue card's "breached" hold these strings.
    names = ["coordination.reminder", "coordination.breach", "resolution.reminder", "resolution.breach"]
    assert [sla.Milestone(name).value for name in names + ["escalation", "auto_close"]] == [
        *names,
        "escalation",
        "auto_close",
    ]
    assert SlaClock(REPORT, REPORT, REPORT, REPORT, marked={"resolution.breach"}).resolution_breached
    with pytest.raises(ValueError):
        SlaClock(REPORT, REPORT, REPORT, REPORT, marked={"resolution.late"})


def test_a_breach_settles_its_reminder_and_a_moved_deadline_rearms_only_an_unbreached_one():
    clock = SlaClock.start(REPORT, SlaPolicy())
    clock.mark(sla.COORDINATION_BREACH)
    assert clock.marked == {sla.COORDINATION_BREACH, sla.COORDINATION_REMINDER}
    clock.mark(sla.RESOLUTION_REMINDER)
    clock.rearm(sla.MilestoneKind.COORDINATION)
    clock.rearm(sla.MilestoneKind.RESOLUTION)
    assert clock.marked == {sla.COORDINATION_BREACH, sla.COORDINATION_REMINDER}
    assert clock.breaches == [sla.COORDINATION_BREACH]
    with pytest.raises(ValueError):
        clock.deadline(sla.MilestoneKind.ESCALATION)
