import hashlib
import json
from dataclasses import asdict

import pytest

from chalicelib.domain import categories, service_catalogue
from chalicelib.domain.errors import InvalidReport

# Fingerprint of the catalogue at CHANGESET. Changing a service, question or
# choice changes it: then bump service_catalogue.CHANGESET (Open311 clients
# refresh their cached service definitions when it moves) and update both.
FINGERPRINT = ("2026-12-05T00:00:00+07:00", "3fae54dd9d6fcdf0")


def fingerprint() -> str:
    text = json.dumps([asdict(service) for service in service_catalogue.services()], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_the_changeset_moves_with_the_catalogue():
    assert (service_catalogue.CHANGESET, fingerprint()) == FINGERPRINT, (
        "the service catalogue changed: bump CHANGESET and record the new fingerprint here"
    )


def test_every_category_is_a_service_with_texts_in_both_languages():
    assert [s.category for s in service_catalogue.services()] == list(categories.ids())
    for service in service_catalogue.services():
        assert all(service.description) and all(service.group) and service.keywords
        for question in service.questions:
            assert all(question.description)
            assert all(all(choice.name) for choice in question.choices)


def test_question_codes_are_unique_within_a_service():
    for service in service_catalogue.services():
        codes = [q.code for q in service.questions]
        assert len(codes) == len(set(codes)), service.category


def test_no_question_asks_about_the_reporter():
    words = ("name", "nama", "phone", "telepon", "email", "nik", "ktp", "alamat rumah")
    for service in service_catalogue.services():
        for question in service.questions:
            text = f"{question.code} {question.description[0]} {question.description[1]}".lower()
            assert not any(word in text.split() for word in words), (service.category, question.code)


def test_answers_are_normalised():
    clean = service_catalogue.check_answers(
        "garbage", {"garbage_type": ["bulky", "household", "bulky"], "amount": [" cart "]}
    )
    assert clean == {"garbage_type": ["bulky", "household"], "amount": "cart"}
    assert service_catalogue.check_answers("flooding", {"depth_cm": ["30.0"]}) == {"depth_cm": "30"}
    assert service_catalogue.check_answers("flooding", {"depth_cm": ["12.5"]}) == {"depth_cm": "12.5"}
    assert service_catalogue.check_answers("water", {"problem": ["leak"], "since": ["2026-11-23T07:00:00+07:00"]}) == {
        "problem": "leak",
        "since": "2026-11-23T07:00:00+07:00",
    }


def test_empty_answers_count_as_not_given():
    assert service_catalogue.check_answers("garbage", {"amount": [""]}) == {}


@pytest.mark.parametrize(
    "category, answers, field, words",
    [
        ("damaged_road", {}, "attribute[size]", "required"),
        ("damaged_road", {"size": ["huge"]}, "attribute[size]", "unknown choice"),
        ("damaged_road", {"size": ["small", "large"]}, "attribute[size]", "one value"),
        ("damaged_road", {"size": ["small"], "colour": ["red"]}, "attribute[colour]", "not a question"),
        ("garbage", {"garbage_type": ["household", "nuclear"]}, "attribute[garbage_type]", "unknown choice"),
        ("flooding", {"depth_cm": ["deep"]}, "attribute[depth_cm]", "number"),
        ("flooding", {"depth_cm": ["nan"]}, "attribute[depth_cm]", "finite"),
        ("water", {"problem": ["leak"], "since": ["2026-11-23T07:00:00"]}, "attribute[since]", "time zone"),
        ("water", {"problem": ["leak"], "since": ["yesterday"]}, "attribute[since]", "ISO 8601"),
        ("illegal_parking", {"plate_number": ["B 1\nXYZ"]}, "attribute[plate_number]", "one line"),
        ("illegal_parking", {"plate_number": ["x" * 201]}, "attribute[plate_number]", "longer"),
        ("fallen_tree", {"safety_notice": ["ok"]}, "attribute[safety_notice]", "not a question"),
        ("other", {"anything": ["1"]}, "attribute[anything]", "not a question"),
    ],
)
def test_bad_answers_name_the_attribute(category, answers, field, words):
    with pytest.raises(InvalidReport) as refused:
        service_catalogue.check_answers(category, answers)
    assert any(name == field and words in message for name, message in refused.value.problems), refused.value.problems


def test_every_problem_is_reported_at_once():
    with pytest.raises(InvalidReport) as refused:
        service_catalogue.check_answers("water", {"since": ["never"], "colour": ["red"]})
    assert {name for name, _ in refused.value.problems} == {
        "attribute[since]",
        "attribute[colour]",
        "attribute[problem]",
    }
