"""Issue 17: every datetime Python can hold is stored as text that reads back
as the same instant (domain/clock.py to_utc_text / parse_instant), sorts like
the instants, and survives the case item mapping (case_to_item / item_to_case)
and DynamoDB's typed JSON. Before: strftime's %Y wrote year 1 as "1", which
fromisoformat could not read, and every list holding such a case was a 500."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.adapters.case_repository import case_to_item, deserialize, item_to_case, serialize
from chalicelib.domain.case import Case, Feedback, FollowUpPlan
from chalicelib.domain.channels import Channel
from chalicelib.domain.clock import JAKARTA, parse_instant, to_utc_text
from chalicelib.domain.lifecycle import CaseStatus
from chalicelib.domain.sla import SlaClock

FIRST, LAST = datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)

offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
walls = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999))
# Aware datetimes at any offset whose instant has a UTC date in the years 1-9999.
instants = st.builds(lambda wall, offset: wall.replace(tzinfo=offset), walls, offsets).filter(
    lambda value: FIRST <= value <= LAST
)


def test_normal_years_keep_the_text_the_indexes_were_built_with():
    moment = datetime(2026, 11, 23, 10, 0, 0, 120, tzinfo=JAKARTA)
    assert (
        to_utc_text(moment) == "2026-11-23T03:00:00.000120Z" == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    )


def test_years_before_1000_are_zero_padded_and_read_back():
    assert to_utc_text(FIRST) == "0001-01-01T00:00:00.000000Z"
    assert to_utc_text(datetime(999, 12, 31, 23, 0, tzinfo=UTC)) == "0999-12-31T23:00:00.000000Z"
    assert parse_instant(to_utc_text(FIRST)) == FIRST and parse_instant(to_utc_text(LAST)) == LAST


def test_an_instant_with_no_utc_date_is_refused_clearly():
    for value in (datetime(1, 1, 1, tzinfo=JAKARTA), datetime(9999, 12, 31, 23, tzinfo=timezone(-timedelta(hours=7)))):
        with pytest.raises(ValueError, match="outside the years 1-9999"):
            to_utc_text(value)


@given(instants)
def test_text_round_trips_exactly(value):
    text = to_utc_text(value)
    assert len(text) == 27 and text.endswith("Z")
    back = parse_instant(text)
    assert back == value and back.tzinfo is UTC and to_utc_text(back) == text


@given(instants, instants)
def test_text_sorts_like_the_instants(a, b):
    assert (to_utc_text(a) < to_utc_text(b)) == (a < b)


def _case(at: list[datetime]) -> Case:
    return Case(
        tracking_code="4N50G7M7G12X63",
        channel=Channel.JAKI,
        category="garbage",
        description="Sampah",
        status=CaseStatus.CLOSED,  # no deadline ahead: nothing computed from the times
        created_at=at[0],
        updated_at=at[1],
        reported_at=at[2],
        agency_id="dinas-lh",
        assigned_at=at[3],
        expected_completion=at[4],
        predicted_completion=at[5],
        sla=SlaClock(coordinate_by=at[6], resolve_from=at[7], resolve_by=at[8], escalate_at=at[9]),
        plan=FollowUpPlan("Diangkut", "dinas-lh", submitted_at=at[10], proposed_completion=at[11], reviewed_at=at[12]),
        first_plan_at=at[13],
        resolved_at=at[14],
        closed_at=at[15],
        feedback=Feedback(5, None, at[16]),
    )


TIMES = (
    lambda c: c.created_at,
    lambda c: c.updated_at,
    lambda c: c.reported_at,
    lambda c: c.assigned_at,
    lambda c: c.expected_completion,
    lambda c: c.predicted_completion,
    lambda c: c.sla.coordinate_by,
    lambda c: c.sla.resolve_from,
    lambda c: c.sla.resolve_by,
    lambda c: c.sla.escalate_at,
    lambda c: c.plan.submitted_at,
    lambda c: c.plan.proposed_completion,
    lambda c: c.plan.reviewed_at,
    lambda c: c.first_plan_at,
    lambda c: c.resolved_at,
    lambda c: c.closed_at,
    lambda c: c.feedback.at,
)


@given(st.lists(instants, min_size=len(TIMES), max_size=len(TIMES)))
def test_every_time_of_a_case_survives_the_item_and_dynamodbs_typed_json(at):
    item = deserialize(serialize(case_to_item(_case(at), version=3, events=[])))
    back = item_to_case(item)
    assert [read(back) for read in TIMES] == at
    assert item["day_sk"] == item["card"]["created_at"] + "#4N50G7M7G12X63"
