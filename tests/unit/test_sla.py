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
