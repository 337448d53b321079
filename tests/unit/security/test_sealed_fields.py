"""Private case fields are sealed by construction: declared in one place
(case_repository.SEALED_FIELDS), never stored in the clear, opaque once read."""

import dataclasses
import json
import re
from datetime import UTC, datetime

import pytest

from chalicelib.adapters.case_repository import SEALED_FIELDS, case_to_item, item_to_case, sealing_context
from chalicelib.domain.case import Case
from chalicelib.domain.channels import Channel
from chalicelib.domain.report import build_report
from chalicelib.domain.sealed import Sealed
from chalicelib.services.status import public_view_json
from tests.support.fakes import FakeCaseRepository, FakeSealer

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
CONTACT = {"name": "Siti Rahasia", "phone": "+6281299990000", "email": "rahasia@example.com"}

# Case attributes whose names say they identify or reach the reporter.
PRIVATE_NAME = re.compile(r"reporter|contact|phone|e_?mail|handle|sender|address_of|identity", re.IGNORECASE)


def new_case(code="K7QM4-XPA9R-TD2W", **overrides):
    values = {
        "channel": Channel.JAKI,
        "message_id": "J-1",
        "category": "garbage",
        "description": "Sampah",
        "reporter": CONTACT,
        **overrides,
    }
    return Case.open(build_report(**values), code, NOW)


def test_every_sealed_field_is_a_case_attribute():
    names = {field.name for field in dataclasses.fields(Case)}
    assert set(SEALED_FIELDS) <= names


def test_every_case_attribute_that_names_the_reporter_is_sealed():
    private = {field.name for field in dataclasses.fields(Case) if PRIVATE_NAME.search(field.name)}
    assert private - set(SEALED_FIELDS) == set(), "add these to case_repository.SEALED_FIELDS"


def test_a_contact_is_never_mapped_to_an_item_without_a_sealer():
    with pytest.raises(ValueError, match="reporter must be sealed"):
        case_to_item(new_case(), 1, [])


def test_the_item_holds_a_token_and_the_read_case_a_sealed_value():
    sealer = FakeSealer()
    item = case_to_item(new_case(), 1, [], sealer)
    assert isinstance(item["reporter"], str) and not any(value in json.dumps(item) for value in CONTACT.values())
    case = item_to_case(item)
    assert isinstance(case.reporter, Sealed)
    assert case.reporter.token not in repr(case) and "Siti" not in repr(case)
    assert sealer.seals == 1


def test_a_read_case_is_written_back_with_the_same_token_and_no_sealing():
    repository = FakeCaseRepository()
    repository.add(new_case())
    token = repository.items["K7QM4-XPA9R-TD2W"]["reporter"]
    case = repository.get("K7QM4-XPA9R-TD2W")
    case.description = "Sampah, sudah tiga hari"
    repository.save(case)
    assert repository.items["K7QM4-XPA9R-TD2W"]["reporter"] == token
    assert repository.sealer.seals == 1


def test_open_sealed_reveals_the_contact_and_only_for_its_case():
    repository = FakeCaseRepository()
    repository.add(new_case())
    opened = repository.open_sealed(repository.get("K7QM4-XPA9R-TD2W"))
    assert opened.reporter.model_dump(exclude_none=True) == CONTACT
    stolen = repository.get("K7QM4-XPA9R-TD2W")
    moved = dataclasses.replace(stolen, tracking_code="AAAAA-AAAAA-AAAA")
    from chalicelib.adapters.sealing import SealBroken

    with pytest.raises(SealBroken):
        repository.open_sealed(moved)


def test_anonymous_cases_have_nothing_to_seal():
    sealer = FakeSealer()
    item = case_to_item(new_case(anonymous=True), 1, [], sealer)
    assert "reporter" not in item and sealer.seals == 0


def test_public_views_of_read_cases_carry_no_token():
    repository = FakeCaseRepository()
    repository.add(new_case())
    view = json.dumps(public_view_json(repository.get("K7QM4-XPA9R-TD2W"), "id", "https://crm.example"))
    assert "fake-sealed" not in view and "Siti" not in view


def test_the_sealing_context_binds_the_tracking_code():
    assert sealing_context("K7QM4-XPA9R-TD2W") == {
        "purpose": "crm/case-private-fields",
        "tracking_code": "K7QM4-XPA9R-TD2W",
    }
