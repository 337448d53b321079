from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib.domain.channels import Channel
from chalicelib.domain.errors import InvalidReport
from chalicelib.domain.report import build_report


def report(**overrides):
    values = {
        "channel": Channel.JAKI,
        "message_id": "JAKI-1",
        "category": "garbage",
        "description": "Sampah menumpuk",
        "location": {"lat": -6.17, "lng": 106.82, "address": "Jl. Medan Merdeka"},
        "reporter": {"name": "Siti", "phone": "081234567890", "email": "Siti@Example.COM"},
    }
    values.update(overrides)
    return build_report(**values)


def fields_of(error):
    return {field for field, _ in error.value.problems}


def test_a_good_report_is_normalised():
    made = report()
    assert made.reporter.phone == "+6281234567890"
    assert made.reporter.email == "Siti@example.com"
    assert made.location.lat == -6.17


def test_anonymous_reporters_leave_no_identity_even_if_sent():
    made = report(anonymous=True, reporter={"name": "Siti", "phone": "not a phone", "email": "x"})
    assert made.reporter is None and made.anonymous


def test_an_empty_contact_is_no_contact():
    assert report(reporter={"name": " ", "phone": None}).reporter is None


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"category": "fire"}, "category"),
        ({"description": "   "}, "description"),
        ({"description": "x" * 5001}, "description"),
        ({"location": {"lat": -91, "lng": 106}}, "location.lat"),
        ({"location": {"lat": -6, "lng": 181}}, "location.lng"),
        ({"location": {"lat": float("nan"), "lng": 106}}, "location.lat"),
        ({"reporter": {"phone": "12"}}, "reporter.phone"),
        ({"reporter": {"email": "not-an-email"}}, "reporter.email"),
        ({"reported_at": datetime.now(UTC) + timedelta(days=1)}, "reported_at"),
        ({"reported_at": datetime(2026, 1, 1, 10, 0)}, "reported_at"),
        ({"photos": [{"content_type": "image/gif", "data": b"x"}]}, "photos.0.content_type"),
    ],
)
def test_invalid_fields_are_named(overrides, field):
    with pytest.raises(InvalidReport) as error:
        report(**overrides)
    assert field in fields_of(error)


def test_unknown_category_message_lists_the_known_ones():
    with pytest.raises(InvalidReport) as error:
        report(category="fire")
    assert "garbage" in str(error.value)


def test_reported_at_is_stored_in_utc():
    made = report(reported_at=datetime(2026, 11, 23, 10, 0, tzinfo=timezone(timedelta(hours=7))))
    assert made.reported_at == datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
