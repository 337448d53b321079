"""Privacy levels: how a case gets its level, who may change it, what the public sees."""

from datetime import UTC, datetime

import pytest

from chalicelib.channels.common import message_report
from chalicelib.domain import privacy
from chalicelib.domain.case import Actor, Case
from chalicelib.domain.channels import Channel
from chalicelib.domain.errors import InvalidReport, RuleViolation
from chalicelib.domain.report import build_report
from chalicelib.services.status import public_view_json

T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
OFFICER = Actor("officer", "u-1", "agency_officer", "dinas-lh")
BUREAU = Actor("officer", "u-2", "bureau_verifier", "biro-pemerintahan")
CONTACT = {"name": "Siti", "phone": "+6281234567890", "email": "siti@example.com"}


def case_of(**values):
    fields = {
        "channel": Channel.JAKI,
        "message_id": "m",
        "category": "garbage",
        "description": "Sampah menumpuk",
        "reporter": CONTACT,
        **values,
    }
    case = Case.open(build_report(**fields), "4N50G-7M7G1-2X63", T0)
    case.pull_events()
    return case


@pytest.mark.parametrize(
    ("values", "level"),
    [
        ({}, "public"),
        ({"anonymous": True}, "anonymous"),
        ({"privacy": "anonymous"}, "anonymous"),
        ({"privacy": "confidential"}, "confidential"),
        ({"privacy": "public", "category": "ppkm_violation"}, "confidential"),
        ({"category": "regulation_violation"}, "confidential"),
        ({"privacy": "confidential", "anonymous": True}, "confidential"),
    ],
)
def test_the_level_a_case_starts_at(values, level):
    assert case_of(**values).privacy == level


def test_asking_for_anonymous_stores_no_contact():
    case = case_of(privacy="anonymous")
    assert case.reporter is None and case.anonymous


def test_an_unknown_level_is_a_named_problem():
    with pytest.raises(InvalidReport) as error:
        case_of(privacy="secret")
    assert [field for field, _ in error.value.problems] == ["privacy"]


@pytest.mark.parametrize(
    ("text", "cleaned", "level"),
    [
        ("RAHASIA pabrik buang limbah ke kali", "pabrik buang limbah ke kali", "confidential"),
        ("pabrik buang limbah ke kali #rahasia", "pabrik buang limbah ke kali", "confidential"),
        ("Anonim: parkir liar di trotoar", "parkir liar di trotoar", "anonymous"),
        ("anonim rahasia kerumunan", "kerumunan", "confidential"),
        ("rahasianya terbongkar, jalan rusak", "rahasianya terbongkar, jalan rusak", None),
        ("sampah menumpuk", "sampah menumpuk", None),
    ],
)
def test_keywords_in_a_message(text, cleaned, level):
    assert privacy.from_keywords(text) == (cleaned, level)


def test_a_messaging_report_takes_the_keyword_and_leaves_it_out_of_the_text():
    report = message_report(
        Channel.SMS_1708,
        "SM1",
        "RAHASIA sampah dibuang ke kali",
        media=[],
        location=None,
        reply_handle={"channel": "sms_1708", "kind": "twilio", "address": "+6281234567890"},
        conversational=True,
        reporter={"phone": "+6281234567890"},
    )
    assert report.privacy == "confidential" and "RAHASIA" not in report.description
    anonymous = message_report(
        Channel.SMS_1708,
        "SM2",
        "ANONIM jalan berlubang",
        media=[],
        location=None,
        reply_handle={"channel": "sms_1708", "kind": "twilio", "address": "+6281234567890"},
        conversational=True,
        reporter={"phone": "+6281234567890"},
    )
    assert anonymous.reporter is None and anonymous.reply_handle is not None  # still answerable


def test_officers_raise_and_only_the_bureau_lowers():
    case = case_of()
    with pytest.raises(RuleViolation, match="reason"):
        case.change_privacy("confidential", " ", T0, OFFICER, may_lower=False)
    case.change_privacy("confidential", "intimidasi", T0, OFFICER, may_lower=False)
    assert case.privacy == "confidential" and case.reporter is not None
    with pytest.raises(RuleViolation, match="Bureau"):
        case.change_privacy("public", "salah", T0, OFFICER, may_lower=False)
    with pytest.raises(RuleViolation, match="already"):
        case.change_privacy("confidential", "lagi", T0, BUREAU, may_lower=True)
    case.change_privacy("anonymous", "tanpa nama", T0, BUREAU, may_lower=True)
    assert case.privacy == "anonymous" and case.reporter is None and case.anonymous
    events = case.pull_events()
    assert [(e.previous, e.level, e.actor_role) for e in events] == [
        ("public", "confidential", "agency_officer"),
        ("confidential", "anonymous", "bureau_verifier"),
    ]
    assert all(entry.type == "case.privacy_changed" for entry in case.history[-2:])
    assert not any(entry.type == "case.privacy_changed" for entry in case.timeline)  # audit, not public


def test_the_public_view_of_a_confidential_case_says_nothing_of_it():
    case = case_of(
        privacy="confidential",
        description="Pabrik X membuang limbah",
        location={"lat": -6.2, "lng": 106.8, "address": "Jl. Penanda 1"},
    )
    view = public_view_json(case, "id", "https://crm.example")
    text = repr(view)
    assert "Pabrik X" not in text and "Penanda" not in text and "-6.2" not in text
    assert view["privacy"] == "confidential" and view["timeline"] == [] and view["photos"] == []
    public = public_view_json(case_of(), "id", "https://crm.example")
    assert set(view) == set(public)  # same shape: clients need no special case
