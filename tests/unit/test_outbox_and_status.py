import json
from datetime import UTC, datetime

from chalicelib.adapters.case_repository import case_to_item
from chalicelib.adapters.case_stream import change_of
from chalicelib.domain.case import Actor, Case
from chalicelib.domain.channels import Channel
from chalicelib.domain.report import build_report
from chalicelib.services.outbox import messages_for, relay
from chalicelib.services.status import public_view_json
from tests.support.fakes import FakePublisher, FakeSealer

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
OFFICER = Actor("officer", "u", "agency_officer", "dinas-lh")
MARKERS = ("Siti Rahasia", "+6281299990000", "rahasia@example.com")


def new_case():
    report = build_report(
        channel=Channel.QLUE,
        message_id="Q-1",
        category="damaged_road",
        description="Jalan berlubang",
        location={"lat": -6.2, "lng": 106.8},
        reporter={"name": MARKERS[0], "phone": MARKERS[1], "email": MARKERS[2]},
    )
    return Case.open(report, "4N50G-7M7G1-2X63", NOW)


def inserted(case):
    return change_of("INSERT", case_to_item(case, 1, case.pull_events(), FakeSealer()), None)


def test_an_insert_relays_its_outbox_event_with_filterable_case_facts():
    (message,) = messages_for(inserted(new_case()))
    assert message["id"] == "4N50G-7M7G1-2X63:1:0"
    assert message["type"] == "case.received"
    assert message["tracking_code"] == "4N50G-7M7G1-2X63"
    assert message["case"] == {"channel": "qlue", "category": "damaged_road", "agency_id": None, "status": "received"}


def test_relayed_messages_carry_no_reporter_identity():
    text = json.dumps(messages_for(inserted(new_case())))
    assert not any(marker in text for marker in MARKERS)


def test_writes_that_do_not_advance_the_version_relay_nothing():
    item = case_to_item(new_case(), 1, [], FakeSealer())
    assert messages_for(change_of("MODIFY", item, item)) == []
    assert messages_for(change_of("REMOVE", None, item)) == []
    assert messages_for(change_of("INSERT", {"type": "claim", "version": 1}, None)) == []


def test_relay_publishes_everything_in_one_call():
    publisher = FakePublisher()
    assert relay([inserted(new_case()), inserted(new_case())], publisher).published == 2
    assert len(publisher.published) == 2


def test_public_view_has_the_contract_fields_and_no_identity():
    view = public_view_json(new_case(), "id", "https://crm.example")
    assert {
        "tracking_code",
        "status",
        "category",
        "agency",
        "created_at",
        "updated_at",
        "expected_completion",
        "timeline",
    } <= set(view)
    assert view["created_at"] == "2026-11-23T10:00:00+07:00"
    assert view["timeline"][0]["text"] == "Laporan diterima melalui aplikasi Qlue."
    assert not any(marker in json.dumps(view) for marker in MARKERS)


def test_public_view_speaks_english_when_asked():
    view = public_view_json(new_case(), "en", "https://crm.example")
    assert view["status_label"] == "Received"
    assert view["category"]["name"] == "Damaged road"
    assert view["timeline"][0]["text"] == "Report received via the Qlue app."


def test_a_merged_case_points_at_its_primary_by_public_id_only():
    from chalicelib.domain import request_ids
    from chalicelib.domain.case import Actor

    key = b"k" * 32
    case = new_case()
    from chalicelib.domain import tracking

    case.merge_into(tracking.new_code(), NOW, Actor("officer", "u", "bureau_verifier", "biro-pemerintahan"))
    primary = case.merged_into
    view = public_view_json(case, "id", "https://crm.example", code_key=key)
    assert primary not in json.dumps(view)
    assert view["merged_into"] == request_ids.public_id(primary, key)
    assert request_ids.public_id(primary, key) in view["timeline"][-1]["text"]
    without_key = public_view_json(case, "en", "https://crm.example")
    assert primary not in json.dumps(without_key) and without_key["merged_into"] is None


def test_public_view_masks_phone_numbers_and_e_mail_addresses_in_free_text():
    report = build_report(
        channel=Channel.EMAIL,
        message_id="E-1",
        category="garbage",
        description="Sampah menumpuk sejak 12-11-2026.\nBudi Santoso / HP 0812-3456-7890 / budi@gmail.com",
        location={"lat": -6.2, "lng": 106.8, "address": "Jl. Sabang No. 15, RT 03/RW 05, telp 021-3822255"},
    )
    case = Case.open(report, "4N50G-7M7G1-2X63", NOW)
    from chalicelib.adapters import reference_data
    from chalicelib.domain.sla import SlaPolicy

    case.assign(reference_data.agencies().require("dinas-lh"), NOW)
    case.submit_plan("Angkut sampah", None, SlaPolicy(), NOW, OFFICER)
    case.verify_plan(NOW, Actor("officer", "u-2", "bureau_verifier", "biro-pemerintahan"))
    case.post_progress(40, "Pelapor dihubungi di +62 812 3456 7890, sedang diangkut", NOW, OFFICER)
    for language in ("id", "en"):
        view = json.dumps(public_view_json(case, language, "https://crm.example"))
        for private in ("0812-3456-7890", "budi@gmail.com", "021-3822255", "+62 812 3456 7890"):
            assert private not in view
    view = public_view_json(case, "id", "https://crm.example")
    assert view["description"] == (
        "Sampah menumpuk sejak 12-11-2026.\nBudi Santoso / HP [nomor disembunyikan] / [email disembunyikan]"
    )
    assert view["location"]["address"] == "Jl. Sabang No. 15, RT 03/RW 05, telp [nomor disembunyikan]"
    assert view["timeline"][-1]["text"] == "Progres 40%: Pelapor dihubungi di [nomor disembunyikan], sedang diangkut"
    assert "[number hidden]" in public_view_json(case, "en", "https://crm.example")["description"]
    assert case.description.endswith("HP 0812-3456-7890 / budi@gmail.com")  # the case (officers) keeps it all


def test_officers_still_read_the_whole_description():
    from chalicelib.domain.permissions import Principal, Role
    from chalicelib.services.views import officer_view

    report = build_report(
        channel=Channel.EMAIL,
        message_id="E-2",
        category="garbage",
        description="Sampah. HP 0812-3456-7890",
        location={"lat": -6.2, "lng": 106.8},
    )
    case = Case.open(report, "4N50G-7M7G1-2X63", NOW)
    principal = Principal("u", frozenset({Role.BUREAU_VERIFIER}), "biro-pemerintahan")
    view = officer_view(case, principal, "id", "https://crm.example", photo_url=lambda photo: "")
    assert view.description == "Sampah. HP 0812-3456-7890"
