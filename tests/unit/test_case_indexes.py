"""Which secondary-index keys a case item carries, and when."""

from datetime import UTC, datetime

from chalicelib.adapters import reference_data
from chalicelib.adapters.case_indexes import index_attributes
from chalicelib.domain.case import Case
from chalicelib.domain.channels import Channel
from chalicelib.domain.report import build_report

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def reported(**extra):
    report = build_report(
        channel=Channel.JAKI,
        message_id="J-1",
        category="flooding",
        description="Banjir",
        location={"lat": -6.2, "lng": 106.8},
        **extra,
    )
    return Case.open(report, "4N50G-7M7G1-2X63", NOW)


def test_intake_writes_no_geo_key_so_a_flood_in_one_cell_cannot_throttle_it():
    case = reported()
    at_intake = index_attributes(case, 1)
    assert "geo_pk" not in at_intake and at_intake["day_pk"].startswith("DAY#2026-11-23#")  # day: 4 shards
    case.assign(reference_data.agencies().get("dinas-sda"), NOW)
    routed = index_attributes(case, 2)
    assert routed["geo_pk"].startswith("GEO#flooding#") and routed["geo_sk"].endswith("#4N50G-7M7G1-2X63")


def test_a_case_in_triage_is_found_nearby_too_and_one_without_a_location_is_not():
    case = reported()
    case.send_to_triage(NOW, "no rule")
    assert "geo_pk" in index_attributes(case, 2)
    no_location = Case.open(
        build_report(channel=Channel.JAKI, message_id="J-2", category="flooding", description="Banjir"),
        "4N50G-7M7G1-2X64",
        NOW,
    )
    no_location.send_to_triage(NOW, "no rule")
    assert "geo_pk" not in index_attributes(no_location, 2)
