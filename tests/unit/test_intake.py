import threading

import pytest

from chalicelib.domain import tracking
from chalicelib.domain.channels import Channel
from chalicelib.domain.errors import InvalidReport
from chalicelib.domain.lifecycle import CaseStatus
from chalicelib.domain.report import build_report
from chalicelib.services.intake import submit_report
from tests.support.fakes import FakeCaseRepository, FakePhotoStore, FixedClock
from tests.support.images import gif_bytes, jpeg_with_metadata, metadata_leaks

KEY = b"unit-test-key"


def report(message_id="JAKI-1", **overrides):
    values = {
        "channel": Channel.JAKI,
        "message_id": message_id,
        "category": "garbage",
        "description": "Sampah menumpuk",
        "reporter": {"name": "Siti", "phone": "+6281234567890"},
    }
    values.update(overrides)
    return build_report(**values)


@pytest.fixture
def deps():
    return {"cases": FakeCaseRepository(), "photos": FakePhotoStore(), "clock": FixedClock(), "code_key": KEY}


def test_a_report_becomes_a_received_case_with_a_valid_code(deps):
    receipt = submit_report(report(), **deps)
    assert receipt.created
    assert tracking.is_valid(receipt.tracking_code)
    stored = deps["cases"].get(receipt.tracking_code)
    assert stored.status is CaseStatus.RECEIVED
    assert stored.version == 1
    assert [entry.type for entry in stored.timeline] == ["case.received"]


def test_the_write_carries_its_event_in_the_outbox(deps):
    receipt = submit_report(report(), **deps)
    item = deps["cases"].items[receipt.tracking_code]
    assert [event["type"] for event in item["outbox"]] == ["case.received"]
    assert item["outbox"][0]["id"] == f"{receipt.tracking_code}:1:0"


def test_one_storage_request_per_report(deps):
    submit_report(report(), **deps)
    assert deps["cases"].requests == 1


def test_a_repeated_delivery_returns_the_same_code_and_stores_nothing_new(deps):
    first = submit_report(report(), **deps)
    deps["clock"].advance(minutes=3)
    again = submit_report(report(description="changed on retry"), **deps)
    assert not again.created
    assert again.tracking_code == first.tracking_code
    assert len(deps["cases"].items) == 1
    assert deps["cases"].get(first.tracking_code).description == "Sampah menumpuk"
    assert deps["cases"].requests == 3  # add, add (condition failed, old item returned), get above


def test_concurrent_deliveries_make_one_case(deps):
    results, barrier = [], threading.Barrier(5)

    def deliver():
        barrier.wait()
        results.append(submit_report(report(), **deps))

    threads = [threading.Thread(target=deliver) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(deps["cases"].items) == 1
    assert len({r.tracking_code for r in results}) == 1
    assert sum(r.created for r in results) == 1


def test_different_messages_get_different_cases(deps):
    codes = {submit_report(report(message_id=f"JAKI-{n}"), **deps).tracking_code for n in range(20)}
    assert len(codes) == 20


def test_same_id_on_another_channel_is_another_case(deps):
    a = submit_report(report(), **deps)
    b = submit_report(report(channel=Channel.QLUE), **deps)
    assert a.tracking_code != b.tracking_code


def test_a_code_collision_moves_to_the_next_candidate(deps):
    # Occupy the first candidate code of JAKI-1 with another message's case.
    squatter = submit_report(report(message_id="OTHER"), **deps)
    item = deps["cases"].items.pop(squatter.tracking_code)
    first_candidate = tracking.derive_code(KEY, "jaki", "JAKI-1", 0)
    item["code"] = first_candidate
    deps["cases"].items[first_candidate] = item

    receipt = submit_report(report(), **deps)
    assert receipt.created
    assert receipt.tracking_code == tracking.derive_code(KEY, "jaki", "JAKI-1", 1)
    # ...and a retry walks the same path to the same case.
    again = submit_report(report(), **deps)
    assert again.tracking_code == receipt.tracking_code and not again.created


def test_reports_without_a_provider_id_get_random_codes(deps):
    a = submit_report(report(message_id=None), **deps)
    b = submit_report(report(message_id=None), **deps)
    assert a.tracking_code != b.tracking_code


def test_anonymous_case_stores_no_identity(deps):
    receipt = submit_report(report(anonymous=True), **deps)
    item = deps["cases"].items[receipt.tracking_code]
    assert "reporter" not in item
    assert "Siti" not in repr(item) and "6281234567890" not in repr(item)


def test_photos_are_cleaned_and_both_copies_stored(deps):
    photo = jpeg_with_metadata()
    receipt = submit_report(report(photos=[{"content_type": "image/jpeg", "data": photo}]), **deps)
    (ref,) = deps["cases"].get(receipt.tracking_code).photos
    assert deps["photos"].objects[ref.original_key] == photo
    assert metadata_leaks(deps["photos"].objects[ref.public_key]) == []


def test_a_bad_photo_rejects_the_report_and_stores_nothing(deps):
    photos = [
        {"content_type": "image/jpeg", "data": jpeg_with_metadata()},
        {"content_type": "image/jpeg", "data": b"definitely not a jpeg"},
        {"content_type": "image/png", "data": gif_bytes()},
    ]
    with pytest.raises(InvalidReport) as error:
        submit_report(report(photos=photos), **deps)
    assert [field for field, _ in error.value.problems] == ["photos.1", "photos.2"]
    assert deps["cases"].items == {} and deps["photos"].objects == {}
