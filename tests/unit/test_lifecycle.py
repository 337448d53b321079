import pytest

from chalicelib.domain.errors import IllegalTransition
from chalicelib.domain.lifecycle import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    TRANSITIONS,
    Action,
    CaseStatus,
    allowed_actions,
    transition,
)

HELD = (CaseStatus.ASSIGNED, CaseStatus.PLAN_SUBMITTED, CaseStatus.IN_PROGRESS)
EXPECTED = {
    (CaseStatus.RECEIVED, Action.ASSIGN): CaseStatus.ASSIGNED,
    (CaseStatus.ASSIGNED, Action.SUBMIT_PLAN): CaseStatus.PLAN_SUBMITTED,
    (CaseStatus.PLAN_SUBMITTED, Action.VERIFY_PLAN): CaseStatus.IN_PROGRESS,
    (CaseStatus.PLAN_SUBMITTED, Action.RETURN_PLAN): CaseStatus.ASSIGNED,
    (CaseStatus.IN_PROGRESS, Action.POST_PROGRESS): CaseStatus.IN_PROGRESS,
    (CaseStatus.IN_PROGRESS, Action.RESOLVE): CaseStatus.RESOLVED,
    (CaseStatus.RESOLVED, Action.CLOSE): CaseStatus.CLOSED,
    (CaseStatus.RESOLVED, Action.REOPEN): CaseStatus.IN_PROGRESS,
    **{(s, Action.DELEGATE): CaseStatus.ASSIGNED for s in HELD},
    **{(s, Action.TRANSFER): CaseStatus.ASSIGNED for s in HELD},
    **{(s, Action.REJECT): CaseStatus.REJECTED for s in OPEN_STATUSES},
    **{(s, Action.MERGE): CaseStatus.MERGED for s in OPEN_STATUSES},
}


@pytest.mark.parametrize("status", list(CaseStatus))
@pytest.mark.parametrize("action", list(Action))
def test_every_status_action_pair(status, action):
    if (status, action) in EXPECTED:
        assert transition(status, action) is EXPECTED[(status, action)]
    else:
        with pytest.raises(IllegalTransition) as refused:
            transition(status, action)
        assert status.value in str(refused.value) and action.value in str(refused.value)


def test_all_eight_states_exist():
    assert {s.value for s in CaseStatus} == {
        "received",
        "assigned",
        "plan_submitted",
        "in_progress",
        "resolved",
        "closed",
        "rejected",
        "merged",
    }


def test_final_states_have_no_way_out():
    for status in FINAL_STATUSES:
        assert allowed_actions(status) == frozenset()


def test_every_action_has_an_edge():
    assert set(TRANSITIONS) == set(Action)


def test_refusal_names_what_is_allowed():
    with pytest.raises(IllegalTransition, match="allowed: close, reopen"):
        transition(CaseStatus.RESOLVED, Action.ASSIGN)
