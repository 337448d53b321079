"""Every officer operation x role x case state, through the lifecycle service.

The expected answers are written out by hand below (who may do what, and in
which states each operation exists), not derived from the code under test.
"""

import base64
from datetime import timedelta

import pytest

from chalicelib.adapters import reference_data
from chalicelib.domain.case import SYSTEM, Actor, Case, PhotoRef
from chalicelib.domain.channels import Channel
from chalicelib.domain.errors import ConcurrentUpdate, Forbidden, IllegalTransition
from chalicelib.domain.lifecycle import CaseStatus
from chalicelib.domain.permissions import Principal, Role
from chalicelib.domain.report import build_report
from chalicelib.domain.sla import SlaPolicy
from chalicelib.services.lifecycle import Deps, perform
from tests.support.fakes import FakeCaseRepository, FakePhotoStore, FixedClock
from tests.support.images import jpeg_with_metadata

DIRECTORY = reference_data.agencies()
HOLDER = "dinas-lh"
COLLABORATOR = "dinas-sda"

PRINCIPALS = {
    "holder": Principal("u-holder", frozenset({Role.AGENCY_OFFICER}), HOLDER),
    "sub_agency": Principal("u-sub", frozenset({Role.AGENCY_OFFICER}), "sudin-lh-jakpus"),
    "other_agency": Principal("u-other", frozenset({Role.AGENCY_OFFICER}), "dinas-bina-marga"),
    "collaborator": Principal("u-collab", frozenset({Role.AGENCY_OFFICER}), COLLABORATOR),
    "bureau": Principal("u-bureau", frozenset({Role.BUREAU_VERIFIER}), "biro-pemerintahan"),
    "supervisor": Principal("u-sup", frozenset({Role.SUPERVISOR}), "inspektorat"),
    "admin": Principal("u-admin", frozenset({Role.ADMIN}), None),
    "intake": Principal("u-intake", frozenset({Role.INTAKE_OFFICER}), "kel-jakpus-gambir-gambir"),
}

# Who may (by role and relation to the case), written out.
MAY = {
    "assign": {"bureau", "supervisor"},
    "delegate": {"holder"},
    "transfer": {"holder", "bureau", "supervisor"},
    "add_collaborator": {"holder", "bureau"},
    "submit_plan": {"holder"},
    "verify_plan": {"bureau"},
    "return_plan": {"bureau"},
    "post_progress": {"holder", "collaborator"},
    "comment": {"holder", "collaborator", "bureau", "supervisor"},
    "resolve": {"holder"},
    "reject": {"holder", "bureau"},
    "merge": {"holder", "bureau"},
}
HELD = {"assigned", "plan_submitted", "in_progress"}
OPEN = {"received"} | HELD
# In which states each operation exists, written out.
STATES = {
    "assign": {"received"},
    "delegate": HELD,
    "transfer": HELD,
    "add_collaborator": HELD,
    "submit_plan": {"assigned"},
    "verify_plan": {"plan_submitted"},
    "return_plan": {"plan_submitted"},
    "post_progress": {"in_progress"},
    "comment": OPEN | {"resolved", "closed", "rejected", "merged"},
    "resolve": {"in_progress"},
    "reject": OPEN,
    "merge": OPEN,
}
PHOTO = base64.b64encode(jpeg_with_metadata(32, 24)).decode()
PAYLOADS = {
    "assign": {"agency_id": HOLDER},
    "delegate": {"agency_id": "sudin-lh-jakpus"},
    "transfer": {"agency_id": "dinas-bina-marga", "reason": "Jalan, bukan sampah"},
    "add_collaborator": {"agency_id": "dinas-pertamanan"},
    "submit_plan": {"text": "Angkut besok pagi"},
    "verify_plan": {},
    "return_plan": {"comment": "Tambahkan jadwal"},
    "post_progress": {"percent": 40, "text": "Separuh jalan"},
    "comment": {"text": "Catatan"},
    "resolve": {"note": "Bersih", "photo_base64": PHOTO},
    "reject": {"reason": "spam"},
    "merge": {"primary": "PRIMARY"},
}
OFFICER = Actor("officer", "u-holder", "agency_officer", HOLDER)
BUREAU = Actor("officer", "u-bureau", "bureau_verifier", "biro-pemerintahan")


def relation_of(name: str, status: str) -> str | None:
    if status == "received" and name in ("holder", "collaborator"):
        return None  # nobody holds or collaborates on an unassigned case
    return name


def build(status: str, clock: FixedClock, code: str) -> Case:
    report = build_report(channel=Channel.JAKI, message_id=code, category="garbage", description="Sampah")
    case = Case.open(report, code, clock(), policy=SlaPolicy())
    now = clock()
    if status == "received":
        return case
    case.assign(DIRECTORY.require(HOLDER), now, SYSTEM)
    case.add_collaborator(DIRECTORY.require(COLLABORATOR), now, OFFICER)
    if status in ("plan_submitted", "in_progress", "resolved", "closed"):
        case.submit_plan("x", None, SlaPolicy(), now, OFFICER)
    if status in ("in_progress", "resolved", "closed"):
        case.verify_plan(now, BUREAU)
    if status in ("resolved", "closed"):
        case.resolve(PhotoRef("p1", "completion", "o", "p", "image/jpeg", 1, 1), "", now, OFFICER)
    if status == "closed":
        case.give_feedback(4, None, now + timedelta(hours=1))
    if status == "rejected":
        case.reject("spam", None, now, BUREAU)
    if status == "merged":
        case.merge_into("AAAAA-AAAAA-AAAA", now, BUREAU)
    return case


STATUSES = [status.value for status in CaseStatus]
CASES = [(op, who, status) for op in MAY for who in PRINCIPALS for status in STATUSES]


@pytest.mark.parametrize("operation, who, status", CASES)
def test_operation_by_role_in_state(operation, who, status):
    from chalicelib.domain import tracking

    clock = FixedClock()
    cases = FakeCaseRepository()
    code = tracking.new_code()
    cases.add(build(status, clock, code))
    primary = build("assigned", clock, tracking.new_code())
    cases.add(primary)
    payload = dict(PAYLOADS[operation])
    if operation == "merge":
        payload["primary"] = primary.tracking_code
    deps = Deps(cases=cases, photos=FakePhotoStore(), clock=clock)

    relation = relation_of(who, status)
    permitted = relation is not None and relation in MAY[operation]
    if not permitted:
        with pytest.raises(Forbidden):
            perform(code, operation, payload, PRINCIPALS[who], deps)
        assert cases.get(code).version == 1  # nothing changed
    elif status not in STATES[operation]:
        with pytest.raises(IllegalTransition):
            perform(code, operation, payload, PRINCIPALS[who], deps)
        assert cases.get(code).version == 1
    else:
        after = perform(code, operation, payload, PRINCIPALS[who], deps)
        assert after.version == 2


def test_viewing_follows_the_same_relations():
    from chalicelib.domain import permissions

    for who, principal in PRINCIPALS.items():
        expected = who in {"holder", "collaborator", "bureau", "supervisor", "admin"}
        assert permissions.allowed(principal, "view", HOLDER, [COLLABORATOR], DIRECTORY) is expected, who


def test_a_stale_version_is_refused_with_the_current_one():
    clock = FixedClock()
    cases = FakeCaseRepository()
    cases.add(build("assigned", clock, "4N50G-7M7G1-2X63"))
    deps = Deps(cases=cases, photos=FakePhotoStore(), clock=clock)
    perform("4N50G-7M7G1-2X63", "comment", {"text": "a", "version": 1}, PRINCIPALS["holder"], deps)
    with pytest.raises(ConcurrentUpdate) as refused:
        perform("4N50G-7M7G1-2X63", "comment", {"text": "b", "version": 1}, PRINCIPALS["holder"], deps)
    assert refused.value.current_version == 2
