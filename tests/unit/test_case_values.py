"""The Case aggregate's value objects: the follow-up plan, the privacy level and
the photos (the SLA clock's milestones are in test_sla.py). Each owns one rule
the case, the services and the views used to state on their own."""

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.case_repository import case_to_item, item_to_case
from chalicelib.domain import privacy
from chalicelib.domain.case import Actor, Case
from chalicelib.domain.channels import Channel
from chalicelib.domain.errors import IllegalTransition, RuleViolation
from chalicelib.domain.photos import PhotoRef, Photos
from chalicelib.domain.plan import FollowUpPlan, PlanState
from chalicelib.domain.privacy import PrivacyLevel
from chalicelib.domain.report import build_report
from chalicelib.domain.sla import SlaPolicy
from tests.support.fakes import FakeSealer

T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
OFFICER = Actor("officer", "u-1", "agency_officer", "dinas-lh")
BUREAU = Actor("officer", "u-2", "bureau_verifier", "biro-pemerintahan")


def photo(photo_id: str, kind: str = "report") -> PhotoRef:
    return PhotoRef(photo_id, kind, f"originals/x/{photo_id}.jpg", f"public/x/{photo_id}.jpg", "image/jpeg", 8, 6)


def new_case(photos=()) -> Case:
    report = build_report(
        channel=Channel.JAKI, message_id="m-1", category="water", description="Air mati", reporter={"name": "Siti"}
    )
    return Case.open(report, "4N50G-7M7G1-2X63", T0, list(photos), SlaPolicy(estimates_allowed=True))


def stored(case: Case) -> Case:
    return item_to_case(case_to_item(case, 1, [], sealer=FakeSealer()))


# --- the follow-up plan ----------------------------------------------------------------------------


def test_a_plan_moves_from_submitted_to_verified_or_returned():
    plan = FollowUpPlan("Perbaiki pipa", "dinas-lh", T0, proposed_completion=T0 + timedelta(days=10))
    assert plan.state is PlanState.SUBMITTED and not plan.verified and plan.agreed_completion() is None
    plan.send_back("Tambahkan jadwal", T0 + timedelta(hours=1))
    assert (plan.state, plan.review_comment, plan.reviewed_at) == (
        PlanState.RETURNED,
        "Tambahkan jadwal",
        T0 + timedelta(hours=1),
    )
    plan.verify(T0 + timedelta(hours=2))
    assert plan.verified and plan.agreed_completion() == T0 + timedelta(days=10)


def test_an_agreed_date_counts_only_from_when_it_was_agreed():
    plan = FollowUpPlan("p", "dinas-lh", T0, proposed_completion=T0 + timedelta(days=10))
    plan.verify(T0 + timedelta(days=1))
    assert plan.agreed_completion(since=T0) == T0 + timedelta(days=10)
    assert plan.agreed_completion(since=T0 + timedelta(days=2)) is None  # reopened after the agreement
    assert FollowUpPlan("p", "dinas-lh", T0, state=PlanState.VERIFIED).agreed_completion() is None  # no date


def test_plan_states_are_stored_as_the_strings_cases_already_carry():
    case = new_case()
    case.assign(_agency("dinas-lh"), T0)
    case.submit_plan("Perbaiki pipa", None, SlaPolicy(), T0, OFFICER)
    case.return_plan("Kurang rinci", T0, BUREAU)
    item = case_to_item(case, 1, [], sealer=FakeSealer())
    assert item["plan"]["state"] == "returned" and type(item["plan"]["state"]) is str
    assert stored(case).plan.state is PlanState.RETURNED
    with pytest.raises(ValueError):
        FollowUpPlan("p", "dinas-lh", T0, state="approved")


# --- the privacy level -----------------------------------------------------------------------------


def test_privacy_levels_are_ordered_by_rank_not_by_name():
    assert [level.rank for level in PrivacyLevel] == [0, 1, 2]
    assert privacy.initial("anonymous", False, "regulation_violation") is PrivacyLevel.CONFIDENTIAL
    assert [level for level in PrivacyLevel if level.hidden] == [PrivacyLevel.CONFIDENTIAL]
    assert [level for level in PrivacyLevel if level.forgets_reporter] == [PrivacyLevel.ANONYMOUS]


def test_only_the_bureau_lowers_a_level():
    anonymous = PrivacyLevel.ANONYMOUS
    assert anonymous.refusal(PrivacyLevel.CONFIDENTIAL, lowering_allowed=False) is None
    assert anonymous.refusal(PrivacyLevel.PUBLIC, lowering_allowed=False) == (
        "only the Bureau may lower a case's privacy level"
    )
    assert anonymous.refusal(PrivacyLevel.PUBLIC, lowering_allowed=True) is None
    assert anonymous.refusal(anonymous, lowering_allowed=True) == "the case is already anonymous"


def test_the_level_is_stored_and_read_back_as_its_string():
    case = new_case()
    case.change_privacy("confidential", "saksi", T0, OFFICER, may_lower=False)
    item = case_to_item(case, 1, [], sealer=FakeSealer())
    assert item["privacy"] == "confidential" and type(item["privacy"]) is str
    assert type(item["card"]["privacy"]) is str
    assert stored(case).privacy is PrivacyLevel.CONFIDENTIAL and stored(case).hidden_from_public
    (event,) = [entry for entry in case.history if entry.type == "case.privacy_changed"]
    assert (type(event.data["previous"]), type(event.data["level"])) == (str, str)
    with pytest.raises(ValueError):
        Case(**{**vars(case), "privacy": "secret"})


# --- the photos ------------------------------------------------------------------------------------


def test_the_next_photo_id_follows_the_highest_one_stored():
    assert Photos().next_ids(3) == ["p1", "p2", "p3"]
    photos = Photos([photo("p1"), photo("p2")])
    assert photos.next_id() == "p3" and photos.next_id(2) == "p5"
    # An id is never given twice, even where the numbering has a gap.
    assert Photos([photo("p1"), photo("p4")]).next_id() == "p5"


def test_every_way_a_photo_arrives_numbers_it_the_same_way():
    case = new_case([photo("p1"), photo("p2")])
    case.assign(_agency("dinas-lh"), T0)
    case.submit_plan("Perbaiki", None, SlaPolicy(), T0, OFFICER)
    case.verify_plan(T0, BUREAU)
    report = build_report(channel=Channel.JAKI, message_id="m-2", category="water", description="lagi")
    case.add_from_reporter(report, T0, [photo(case.photos.next_id())])
    case.resolve(photo(case.photos.next_id(), "completion"), "Selesai", T0, OFFICER)
    assert [p.id for p in case.photos] == ["p1", "p2", "p3", "p4"]
    assert [p.id for p in case.photos.of_kind("completion")] == ["p4"]


def test_a_redacted_photo_gets_a_new_public_copy_and_keeps_its_original():
    case = new_case([photo("p1"), photo("p2")])
    before = case.redact_photo("p2", "public/x/p2-r1.jpg", [[0, 0, 4, 4]], T0, OFFICER)
    assert before == photo("p2")
    assert case.photos.find("p2").public_key == "public/x/p2-r1.jpg"
    assert case.photos.find("p2").original_key == "originals/x/p2.jpg"
    with pytest.raises(RuleViolation):
        case.redact_photo("p9", "public/x/p9.jpg", [], T0, OFFICER)


def test_photos_are_stored_as_before_and_compare_like_the_list_they_were():
    case = new_case([photo("p1")])
    assert case.photos == [photo("p1")] and case.photos != [photo("p2")]
    assert case_to_item(case, 1, [], sealer=FakeSealer())["photos"] == [vars(photo("p1"))]
    again = stored(case)
    assert isinstance(again.photos, Photos) and again.photos == case.photos
    assert Case(**{**vars(case), "photos": [photo("p1")]}).photos.next_id() == "p2"


def _agency(agency_id: str):
    from chalicelib.adapters import reference_data

    return reference_data.agencies().require(agency_id)


# --- what the case allows: one statement of each precondition ----------------------------------------


def case_at(status: str) -> Case:
    case = new_case([photo("p1")])
    if status == "received":
        return case
    case.assign(_agency("dinas-lh"), T0)
    if status in ("rejected", "merged"):
        case.reject("spam", None, T0, OFFICER) if status == "rejected" else case.merge_into(
            "EW30M-QXH6Y-RXE4", T0, OFFICER
        )
        return case
    if status == "assigned":
        return case
    case.submit_plan("Perbaiki pipa", None, SlaPolicy(), T0, OFFICER)
    if status == "plan_submitted":
        return case
    case.verify_plan(T0, BUREAU)
    if status == "in_progress":
        return case
    case.resolve(photo("p2", "completion"), "Selesai", T0, OFFICER)
    if status == "resolved":
        return case
    case.give_feedback(5, None, T0)
    return case


# Each operation done with arguments that are right whatever the case's state.
DO = {
    "assign": lambda case: case.assign(_agency("dinas-sda"), T0, BUREAU, how="triage"),
    "delegate": lambda case: case.delegate(_agency("sudin-lh-jakpus"), _directory(), T0, OFFICER),
    "transfer": lambda case: case.transfer(_agency("dinas-bina-marga"), "salah dinas", T0, BUREAU),
    "add_collaborator": lambda case: case.add_collaborator(_agency("dinas-sda"), T0, OFFICER),
    "submit_plan": lambda case: case.submit_plan("Rencana", None, SlaPolicy(), T0, OFFICER),
    "verify_plan": lambda case: case.verify_plan(T0, BUREAU),
    "return_plan": lambda case: case.return_plan("Kurang rinci", T0, BUREAU),
    "post_progress": lambda case: case.post_progress(50, "Separuh", T0, OFFICER),
    "comment": lambda case: case.comment("Dicek", T0, OFFICER),
    "resolve": lambda case: case.resolve(photo(case.photos.next_id(), "completion"), "Selesai", T0, OFFICER),
    "reject": lambda case: case.reject("spam", None, T0, OFFICER),
    "merge": lambda case: case.merge_into("EW30M-QXH6Y-RXE4", T0, OFFICER),
    "set_privacy": lambda case: case.change_privacy("confidential", "saksi", T0, OFFICER, may_lower=False),
    "set_priority": lambda case: case.set_priority("urgent", "bahaya", SlaPolicy(), T0, BUREAU),
}
STATUSES = ["received", "assigned", "plan_submitted", "in_progress", "resolved", "closed", "rejected", "merged"]


def test_every_operation_is_described_here():
    from chalicelib.domain.permissions import OPERATIONS

    assert set(DO) == set(OPERATIONS) - {"view", "view_contact"}


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("operation", sorted(DO))
def test_the_case_offers_exactly_what_its_methods_accept(status, operation):
    case = case_at(status)
    assert case.status.value == status
    refused = case.refusal(operation)
    assert case.can(operation) is (refused is None)
    if refused is None:
        DO[operation](case)  # accepted: raises nothing
    elif (operation, status) == ("delegate", "received"):
        # No holder yet, so no sub-agency to delegate to: the method says that first.
        with pytest.raises(RuleViolation, match="not a sub-agency of None"):
            DO[operation](case)
    else:
        with pytest.raises(type(refused)) as raised:
            DO[operation](case)
        assert str(raised.value) == str(refused)


def test_what_the_case_allows_by_status():
    allowed = {status: sorted(op for op in DO if case_at(status).can(op)) for status in STATUSES}
    always = ["comment", "set_privacy"]
    assert allowed == {
        "received": sorted(["assign", "reject", "merge", "set_priority", *always]),
        "assigned": sorted(
            ["delegate", "transfer", "add_collaborator", "submit_plan", "reject", "merge", "set_priority", *always]
        ),
        "plan_submitted": sorted(
            ["delegate", "transfer", "add_collaborator", "verify_plan", "return_plan", "reject", "merge"]
            + ["set_priority", *always]
        ),
        "in_progress": sorted(
            ["delegate", "transfer", "add_collaborator", "post_progress", "resolve", "reject", "merge"]
            + ["set_priority", *always]
        ),
        "resolved": always,
        "closed": always,
        "rejected": always,
        "merged": always,
    }


def test_a_case_an_agency_holds_is_not_offered_for_assignment():
    case = new_case()
    case.agency_id = "dinas-lh"  # received, yet held: assigning it again would hide a transfer
    assert not case.can("assign")
    with pytest.raises(IllegalTransition):
        DO["assign"](case)


def _directory():
    from chalicelib.adapters import reference_data

    return reference_data.agencies()
