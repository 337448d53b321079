"""The case lifecycle as one explicit state machine.

    received -> assigned -> plan_submitted -> in_progress -> resolved -> closed
                    ^            |                ^             |
                    +-- return --+                +-- reopen ---+
    (received | assigned | plan_submitted | in_progress) -> rejected | merged

Every change of a case's state goes through ``transition`` so that no service
can invent an edge. Who may take an action (role, agency scope) is decided by
the services on top of this; this module only knows which edges exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .errors import IllegalTransition


class CaseStatus(StrEnum):
    RECEIVED = "received"  # diterima: taken in, not yet with an agency
    ASSIGNED = "assigned"  # didisposisikan: an agency (OPD) holds it
    PLAN_SUBMITTED = "plan_submitted"  # rencana tindak lanjut awaits the Bureau
    IN_PROGRESS = "in_progress"  # dalam proses: plan verified, work under way
    RESOLVED = "resolved"  # selesai: completion photo uploaded
    CLOSED = "closed"  # ditutup: confirmed by the reporter or after 7 days
    REJECTED = "rejected"  # ditolak: out of scope, emergency (112) or spam
    MERGED = "merged"  # digabung: duplicate of another case


OPEN_STATUSES = frozenset(
    {
        CaseStatus.RECEIVED,
        CaseStatus.ASSIGNED,
        CaseStatus.PLAN_SUBMITTED,
        CaseStatus.IN_PROGRESS,
    }
)
FINAL_STATUSES = frozenset({CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.MERGED})


class Action(StrEnum):
    ASSIGN = "assign"  # routing or triage gives the case to an agency
    DELEGATE = "delegate"  # Dinas -> Suku Dinas, down the agency tree
    TRANSFER = "transfer"  # to another agency, with a reason (dialihkan)
    SUBMIT_PLAN = "submit_plan"
    VERIFY_PLAN = "verify_plan"  # the Government Bureau accepts the plan
    RETURN_PLAN = "return_plan"  # ... or sends it back with a comment
    POST_PROGRESS = "post_progress"
    RESOLVE = "resolve"
    REOPEN = "reopen"  # the reporter says it is not done
    CLOSE = "close"  # the reporter confirms, or 7 days pass
    REJECT = "reject"
    MERGE = "merge"


@dataclass(frozen=True)
class Edge:
    sources: frozenset[CaseStatus]
    target: CaseStatus | None  # None: the state does not change


# An agency holds the case and works on it.
HELD_STATUSES = frozenset({CaseStatus.ASSIGNED, CaseStatus.PLAN_SUBMITTED, CaseStatus.IN_PROGRESS})

TRANSITIONS: dict[Action, Edge] = {
    Action.ASSIGN: Edge(frozenset({CaseStatus.RECEIVED}), CaseStatus.ASSIGNED),
    Action.DELEGATE: Edge(HELD_STATUSES, CaseStatus.ASSIGNED),
    Action.TRANSFER: Edge(HELD_STATUSES, CaseStatus.ASSIGNED),
    Action.SUBMIT_PLAN: Edge(frozenset({CaseStatus.ASSIGNED}), CaseStatus.PLAN_SUBMITTED),
    Action.VERIFY_PLAN: Edge(frozenset({CaseStatus.PLAN_SUBMITTED}), CaseStatus.IN_PROGRESS),
    Action.RETURN_PLAN: Edge(frozenset({CaseStatus.PLAN_SUBMITTED}), CaseStatus.ASSIGNED),
    Action.POST_PROGRESS: Edge(frozenset({CaseStatus.IN_PROGRESS}), None),
    Action.RESOLVE: Edge(frozenset({CaseStatus.IN_PROGRESS}), CaseStatus.RESOLVED),
    Action.REOPEN: Edge(frozenset({CaseStatus.RESOLVED}), CaseStatus.IN_PROGRESS),
    Action.CLOSE: Edge(frozenset({CaseStatus.RESOLVED}), CaseStatus.CLOSED),
    Action.REJECT: Edge(OPEN_STATUSES, CaseStatus.REJECTED),
    Action.MERGE: Edge(OPEN_STATUSES, CaseStatus.MERGED),
}


def refusal(current: CaseStatus, action: Action) -> IllegalTransition | None:
    """None if ``action`` is an edge from ``current``, else the error saying so."""
    if current in TRANSITIONS[action].sources:
        return None
    allowed = ", ".join(sorted(a.value for a in allowed_actions(current))) or "none"
    return IllegalTransition(f"cannot {action.value} a case that is {current.value} (allowed: {allowed})")


def transition(current: CaseStatus, action: Action) -> CaseStatus:
    """The status after ``action``, or IllegalTransition if the edge does not exist."""
    refused = refusal(current, action)
    if refused is not None:
        raise refused
    return TRANSITIONS[action].target or current


def allowed_actions(current: CaseStatus) -> frozenset[Action]:
    return frozenset(action for action, edge in TRANSITIONS.items() if current in edge.sources)


def is_open(status: CaseStatus) -> bool:
    return status in OPEN_STATUSES
