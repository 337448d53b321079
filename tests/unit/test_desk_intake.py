"""Walk-in reports at a desk: which office records which channel, the desk form,
and the intake service against fakes."""

from __future__ import annotations

import pytest

from chalicelib.adapters import reference_data
from chalicelib.domain import desks
from chalicelib.domain.channels import DESK_CHANNELS, Channel
from chalicelib.domain.errors import Forbidden, InvalidInput, InvalidReport
from chalicelib.domain.permissions import Principal, Role
from chalicelib.services import desk_form as desk
from chalicelib.services.desk_intake import record_walk_in, sniff_content_type
from tests.support.fakes import FakeCaseRepository, FakePhotoStore, FixedClock
from tests.support.images import gif_bytes, jpeg_with_metadata, png_bytes

KEY = "k" * 24
OFFICER = Principal(user_id="officer-1", roles=frozenset({Role.INTAKE_OFFICER}), agency_id="kel-jakpus-gambir-gambir")


def office(agency_id):
    return reference_data.agencies().get(agency_id)


@pytest.mark.parametrize(
    ("agency_id", "expected"),
    [
        ("kel-jakpus-gambir-gambir", ("kelurahan",)),
        ("kec-jakpus-gambir", ("kecamatan",)),
        ("walikota-jakpus", ("walikota", "mass_media")),
        ("biro-pemerintahan", ("pendopo", "mass_media")),
        ("inspektorat", ("inspektorat",)),
        ("dinas-lh", ()),
        ("sudin-lh-jakpus", ()),
        ("pam-jaya", ()),
    ],
)
def test_each_office_records_its_own_desks(agency_id, expected):
    assert tuple(channel.value for channel in desks.desk_channels(office(agency_id))) == expected


def test_every_desk_channel_has_an_office_and_only_desk_channels_are_offered():
    offered = {channel for channels in desks.DESK_CHANNELS_BY_KIND.values() for channel in channels}
    assert offered == DESK_CHANNELS


def test_the_office_desk_is_the_default_and_others_must_be_on_its_list():
    assert desks.choose_channel(office("walikota-jakpus"), None) is Channel.WALIKOTA
    assert desks.choose_channel(office("walikota-jakpus"), "mass_media") is Channel.MASS_MEDIA
    with pytest.raises(InvalidInput) as refused:
        desks.choose_channel(office("kel-jakpus-gambir-gambir"), "pendopo")
    assert refused.value.problems == [("channel", "your office records reports for: kelurahan")]
    with pytest.raises(InvalidInput):
        desks.choose_channel(office("kel-jakpus-gambir-gambir"), "jaki")
    for no_desk in (office("dinas-lh"), None):
        with pytest.raises(Forbidden):
            desks.choose_channel(no_desk, None)


def test_the_idempotency_key_comes_from_the_body_or_the_header():
    body = {"category": "garbage", "description": "Sampah"}
    assert desk.parse({**body, "idempotency_key": KEY})[1] == KEY
    assert desk.parse(body, header_key=KEY)[1] == KEY
    assert desk.parse({**body, "idempotency_key": KEY}, header_key=KEY)[1] == KEY
    for payload, header, field in (
        (body, None, "idempotency_key"),
        ({**body, "idempotency_key": KEY}, "m" * 24, "idempotency_key"),
        (body, "bad key!", "Idempotency-Key"),
        ({**body, "idempotency_key": "x" * 65}, None, "idempotency_key"),
        ([], None, "body"),
    ):
        with pytest.raises(InvalidReport) as refused:
            desk.parse(payload, header_key=header)
        assert refused.value.problems[0][0] == field


def test_the_key_becomes_a_message_id_scoped_to_the_officer():
    form, key = desk.parse({"category": "garbage", "description": "Sampah", "idempotency_key": KEY})
    report = desk.to_report(form, key, Channel.KELURAHAN, "officer-1", [])
    assert report.message_id == f"officer-1:{KEY}" and report.channel is Channel.KELURAHAN


def test_an_address_alone_goes_into_the_text_and_coordinates_make_a_location():
    form, key = desk.parse(
        {
            "category": "garbage",
            "description": "Sampah",
            "idempotency_key": KEY,
            "location": {"address": "Gang Kelinci"},
        }
    )
    report = desk.to_report(form, key, Channel.KELURAHAN, "o", [])
    assert report.location is None and report.description == "Sampah\n\nLokasi: Gang Kelinci"
    form, key = desk.parse(
        {
            "category": "garbage",
            "description": "Sampah",
            "idempotency_key": KEY,
            "location": {"address": "Gang Kelinci", "lat": -6.17, "lng": 106.83},
        }
    )
    report = desk.to_report(form, key, Channel.KELURAHAN, "o", [])
    assert report.location.address == "Gang Kelinci" and report.description == "Sampah"


def test_an_anonymous_reporter_leaves_no_contact():
    form, key = desk.parse(
        {
            "category": "garbage",
            "description": "Sampah",
            "idempotency_key": KEY,
            "anonymous": True,
            "reporter": {"name": "Budi", "phone": "+6281234567890"},
        }
    )
    assert desk.to_report(form, key, Channel.KELURAHAN, "o", []).reporter is None


def test_content_types_are_read_from_the_bytes():
    assert sniff_content_type(jpeg_with_metadata()) == "image/jpeg"
    assert sniff_content_type(png_bytes()) == "image/png"
    assert sniff_content_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_content_type(gif_bytes()) is None


@pytest.fixture
def deps():
    uploads = {
        f"uploads/{OFFICER.user_id}/{'a' * 32}": jpeg_with_metadata(),
        f"uploads/{OFFICER.user_id}/{'b' * 32}": gif_bytes(),
        f"uploads/someone-else/{'c' * 32}": jpeg_with_metadata(),
    }
    return {
        "read_upload": uploads.__getitem__,
        "cases": FakeCaseRepository(),
        "photos": FakePhotoStore(),
        "clock": FixedClock(),
        "code_key": b"unit-key",
    }


FORM = {
    "category": "garbage",
    "description": "Sampah di depan kantor kelurahan",
    "idempotency_key": KEY,
    "reporter": {"name": "Pak Joko", "phone": "081298765432"},
}


def test_a_walk_in_opens_one_case_however_often_the_form_is_sent(deps):
    first = record_walk_in(FORM, OFFICER, office(OFFICER.agency_id), header_key=None, **deps)
    again = record_walk_in(FORM, OFFICER, office(OFFICER.agency_id), header_key=None, **deps)
    assert first.created and not again.created and again.tracking_code == first.tracking_code
    case = deps["cases"].get(first.tracking_code)
    assert case.channel is Channel.KELURAHAN and case.source_key == f"kelurahan:officer-1:{KEY}"
    assert deps["cases"].open_sealed(case).reporter.phone == "+6281298765432"  # stored sealed
    other = record_walk_in(
        {**FORM, "idempotency_key": "z" * 24}, OFFICER, office(OFFICER.agency_id), header_key=None, **deps
    )
    assert other.tracking_code != first.tracking_code


def test_uploaded_photos_must_be_the_officers_own_images(deps):
    good = f"uploads/{OFFICER.user_id}/{'a' * 32}"
    receipt = record_walk_in(
        {**FORM, "upload_keys": [good]}, OFFICER, office(OFFICER.agency_id), header_key=None, **deps
    )
    assert [photo.kind for photo in deps["cases"].get(receipt.tracking_code).photos] == ["report"]
    with pytest.raises(InvalidReport) as refused:
        record_walk_in(
            {
                **FORM,
                "idempotency_key": "y" * 24,
                "upload_keys": [f"uploads/someone-else/{'c' * 32}", f"uploads/{OFFICER.user_id}/{'b' * 32}"],
            },
            OFFICER,
            office(OFFICER.agency_id),
            header_key=None,
            **deps,
        )
    assert refused.value.problems == [
        ("upload_keys.0", "is not an upload of yours"),
        ("upload_keys.1", "is not a JPEG, PNG or WebP image"),
    ]


def test_an_office_without_a_desk_records_nothing(deps):
    with pytest.raises(Forbidden):
        record_walk_in(FORM, OFFICER, office("dinas-lh"), header_key=None, **deps)
    assert deps["cases"].items == {}


def test_a_reporter_who_leaves_an_e_mail_gets_updates_there_and_an_anonymous_one_does_not():
    body = {
        "category": "garbage",
        "description": "Sampah",
        "idempotency_key": KEY,
        "reporter": {"name": "Budi", "email": "Budi@Example.COM", "phone": "081298765432"},
    }
    form, key = desk.parse(body)
    handle = desk.to_report(form, key, Channel.KECAMATAN, "o", []).reply_handle
    assert (handle.channel, handle.kind, handle.address) == (Channel.KECAMATAN, "email", "Budi@example.com")
    form, key = desk.parse({**body, "reporter": {"phone": "081298765432"}})
    assert desk.to_report(form, key, Channel.KECAMATAN, "o", []).reply_handle is None
    form, key = desk.parse({**body, "anonymous": True})
    assert desk.to_report(form, key, Channel.KECAMATAN, "o", []).reply_handle is None
