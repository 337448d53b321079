"""Issue 17: one rule for every time that comes from outside (domain/clock.py
``from_outside``), used by every channel -- refused where the channel can
answer, dropped (and logged with the message's key) where it cannot."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.channels import open311 as open311_wire
from chalicelib.channels.base import InboundRequest
from chalicelib.channels.email import parse_email
from chalicelib.channels.meta_page import MetaPageAdapter
from chalicelib.channels.partner import PartnerAdapter
from chalicelib.channels.web_form import FormInput, report_from_form, report_from_json
from chalicelib.channels.whatsapp import WhatsAppCloudAdapter
from chalicelib.channels.x import XAdapter
from chalicelib.domain.channels import Channel
from chalicelib.domain.clock import AHEAD_FROM_OUTSIDE, EARLIEST_FROM_OUTSIDE, JAKARTA, from_outside
from chalicelib.domain.errors import InvalidReport
from chalicelib.domain.report import build_report
from chalicelib.services import desk_form as desk
from tests.support import providers

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
MICRO = timedelta(microseconds=1)


# --- the rule ---------------------------------------------------------------------------------


def test_the_window_is_2000_to_ten_minutes_ahead_inclusive():
    assert from_outside(EARLIEST_FROM_OUTSIDE, NOW) == EARLIEST_FROM_OUTSIDE
    assert from_outside(NOW + AHEAD_FROM_OUTSIDE, NOW) == NOW + timedelta(minutes=10)
    with pytest.raises(ValueError, match="before 2000-01-01"):
        from_outside(EARLIEST_FROM_OUTSIDE - MICRO, NOW)
    with pytest.raises(ValueError, match="in the future"):
        from_outside(NOW + AHEAD_FROM_OUTSIDE + MICRO, NOW)
    with pytest.raises(ValueError, match="time zone"):
        from_outside(datetime(2026, 1, 1, 10, 0), NOW)


def test_the_start_of_the_window_is_an_instant_not_a_wall_clock_date():
    # 2000-01-01T06:59 in Jakarta is still 1999 in UTC; 07:00 is the first instant in.
    with pytest.raises(ValueError):
        from_outside(datetime(2000, 1, 1, 6, 59, 59, 999999, tzinfo=JAKARTA), NOW)
    assert from_outside(datetime(2000, 1, 1, 7, 0, tzinfo=JAKARTA), NOW) == EARLIEST_FROM_OUTSIDE


def test_extreme_values_are_refused_without_overflowing():
    for value in (
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=23, minutes=59))),
        datetime(9999, 12, 31, 23, 59, tzinfo=timezone(-timedelta(hours=23, minutes=59))),
    ):
        with pytest.raises(ValueError):
            from_outside(value, NOW)


offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999)), offsets)
def test_any_aware_time_is_either_the_same_instant_in_utc_or_a_value_error(wall, offset):
    value = wall.replace(tzinfo=offset)
    inside = EARLIEST_FROM_OUTSIDE <= value <= NOW + AHEAD_FROM_OUTSIDE
    try:
        kept = from_outside(value, NOW)
    except ValueError:
        assert not inside
    else:
        assert inside and kept == value and kept.tzinfo is UTC


# --- channels that can answer: refused, naming their own field ----------------------------------


def _partner(created_at):
    body = {"report_id": "r-1", "category": "garbage", "description": "Sampah", "created_at": created_at}
    return InboundRequest("POST", "/webhooks/jaki", {}, {}, json.dumps(body).encode(), datetime.now(UTC))


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+00:00", "0001-01-01T00:00:00+07:00", "1999-12-31T23:59:59Z"])
def test_a_partner_is_told_its_created_at_is_out_of_the_window(when):
    with pytest.raises(InvalidReport) as refused:
        PartnerAdapter(Channel.JAKI, "JAKI_WEBHOOK_SECRET").parse(_partner(when))
    assert refused.value.problems == [("created_at", "must not be before 2000-01-01T00:00:00Z")]


def test_a_partner_is_told_its_created_at_is_in_the_future():
    ahead = (datetime.now(UTC) + timedelta(minutes=11)).isoformat()
    with pytest.raises(InvalidReport) as refused:
        PartnerAdapter(Channel.QLUE, "QLUE_WEBHOOK_SECRET").parse(_partner(ahead))
    assert [name for name, _ in refused.value.problems] == ["created_at"]
    assert "in the future" in refused.value.problems[0][1]


def test_every_report_is_held_to_the_window_whatever_built_it():
    with pytest.raises(InvalidReport) as refused:
        build_report(channel=Channel.KELURAHAN, message_id=None, category="garbage", description="x", reported_at=0)
    assert refused.value.problems == [("reported_at", "must not be before 2000-01-01T00:00:00Z")]
    kept = build_report(
        channel=Channel.KELURAHAN,
        message_id=None,
        category="garbage",
        description="x",
        reported_at=datetime(2026, 11, 23, 10, 0, tzinfo=JAKARTA),
    )
    assert kept.reported_at == datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def test_the_desk_form_refuses_reported_at_before_2000():
    form, key = desk.parse(
        {"category": "garbage", "description": "x", "reported_at": "0999-12-31T23:00:00+07:00"}, "k" * 16
    )
    with pytest.raises(InvalidReport) as refused:
        desk.to_report(form, key, Channel.KELURAHAN, "officer-1", [])
    assert [name for name, _ in refused.value.problems] == ["reported_at"]


def test_the_websites_json_and_form_refuse_reported_at_outside_the_window():
    body = json.dumps({"category": "garbage", "description": "x", "reported_at": "1999-12-31T23:59:59+00:00"})
    with pytest.raises(InvalidReport) as refused:
        report_from_json(body.encode(), None)
    assert [name for name, _ in refused.value.problems] == ["reported_at"]
    fields = {"category": "garbage", "description": "x"}
    with pytest.raises(InvalidReport) as refused:
        report_from_form(FormInput(fields={**fields, "reported_at": "2000-01-01T06:59"}), "id")  # 1999 in UTC
    assert [name for name, _ in refused.value.problems] == ["reported_at"]
    with pytest.raises(InvalidReport) as refused:
        report_from_form(FormInput(fields={**fields, "reported_at": "kemarin sore"}), "id")
    assert refused.value.problems == [("reported_at", "must be a date and time, e.g. 2026-11-23T10:00 (Jakarta time)")]
    kept = report_from_form(FormInput(fields={**fields, "reported_at": "2026-11-23T10:00"}), "id")
    assert kept.reported_at == datetime(2026, 11, 23, 3, 0, tzinfo=UTC), "the form's time is Jakarta time"
    assert report_from_form(FormInput(fields={**fields, "reported_at": ""}), "id").reported_at is None


def test_open311_reads_requested_datetime_and_holds_it_to_the_window():
    def report(when):
        posted = open311_wire.PostedRequest(
            {"service_code": "garbage", "lat": "-6.2", "long": "106.8", "requested_datetime": when}
        )
        return open311_wire.to_report(posted, Channel.BALAI_WARGA, "m-1", "id")

    assert report("2026-11-23T10:00:00+07:00").reported_at == datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    with pytest.raises(InvalidReport) as refused:
        report("0001-01-01T00:00:00Z")
    assert [name for name, _ in refused.value.problems] == ["reported_at"]  # named requested_datetime by the service
    with pytest.raises(open311_wire.FormRejected) as rejected:
        report("yesterday")
    assert [name for name, _ in rejected.value.problems] == ["requested_datetime"]


# --- channels that cannot answer: the report is kept, the date dropped and logged ---------------


@pytest.fixture
def log_records():
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    logger = logging.getLogger("chalicelib")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def _dropped(records):
    return [(r.channel, r.message_key) for r in records if r.getMessage() == "provider time dropped"]


def _meta(payload, path):
    body = providers.dumps(payload)
    return InboundRequest("POST", path, {}, {}, body, datetime.now(UTC))


def _whatsapp(timestamp):
    payload = providers.whatsapp_text()
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = timestamp
    (report,) = WhatsAppCloudAdapter().parse(_meta(payload, "/webhooks/whatsapp"))
    return report


def _messenger(timestamp):
    payload = providers.messenger()
    payload["entry"][0]["messaging"][0]["timestamp"] = timestamp
    (report,) = MetaPageAdapter(Channel.FACEBOOK, "FACEBOOK_PAGE_ID").parse(_meta(payload, "/webhooks/facebook"))
    return report


def _tweet(timestamp):
    payload = providers.x_mention()
    payload["tweet_create_events"][0]["timestamp_ms"] = timestamp
    (report,) = XAdapter(Channel.X, "X_USER_ID").parse(_meta(payload, "/webhooks/x"))
    return report


SECONDS = {"whatsapp": 1, "facebook": 1000, "x": 1000}  # WhatsApp sends seconds, Messenger and X milliseconds


@pytest.mark.parametrize(("channel", "parse"), [("whatsapp", _whatsapp), ("facebook", _messenger), ("x", _tweet)])
def test_a_messaging_providers_bad_timestamp_is_dropped_the_message_kept_and_logged(
    channel, parse, log_records, monkeypatch
):
    for name in ("FACEBOOK_PAGE_ID", "X_USER_ID"):
        monkeypatch.delenv(name, raising=False)
    unit = SECONDS[channel]
    recent = int((datetime.now(UTC) - timedelta(minutes=1)).timestamp())
    kept = parse(str(recent * unit) if channel != "facebook" else recent * unit)
    assert kept.reported_at == datetime.fromtimestamp(recent, UTC) and not _dropped(log_records)

    ahead = int((datetime.now(UTC) + timedelta(days=2)).timestamp()) * unit
    for bad in ("0", str(946684799 * unit), str(ahead), "not-a-time", str(10**30)):
        report = parse(bad)
        assert report.reported_at is None, bad  # the case is dated when we received it
        assert report.description  # and the report is still there
        assert _dropped(log_records)[-1] == (channel, report.message_id)
    assert len(_dropped(log_records)) == 5


MAIL = (
    b"From: Siti <siti@example.com>\r\nTo: dki@jakarta.go.id\r\nSubject: Sampah menumpuk\r\n"
    b"Date: %s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSampah di Jl. Sabang belum diangkut.\r\n"
)


def test_an_emails_date_is_kept_when_believable_and_dropped_and_logged_when_not(log_records):
    good = parse_email(MAIL % b"Sat, 05 Dec 2026 08:00:00 +0700", "ses-1", "dki@jakarta.go.id")
    assert good.report.reported_at == datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    for index, header in enumerate(
        (
            b"Fri, 31 Dec 1999 23:59:59 +0000",
            b"Thu, 31 Dec 2099 23:00:00 +0700",
            b"kemarin",
            b"Fri, 1 Jan 2021 01:00 -0000",
        )
    ):
        parsed = parse_email(MAIL % header, f"ses-bad-{index}", "dki@jakarta.go.id")
        assert parsed.report.reported_at is None and parsed.report.description.startswith("Sampah menumpuk")
        assert _dropped(log_records)[-1] == ("email", f"ses-bad-{index}")
    no_date = parse_email(MAIL.replace(b"Date: %s\r\n", b""), "ses-none", "dki@jakarta.go.id")
    assert no_date.report.reported_at is None and len(_dropped(log_records)) == 4, "no header is no problem"
