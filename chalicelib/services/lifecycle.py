"""Officers act on cases; reporters confirm or reopen.

    load the case (GetItem) -> check the version the officer saw -> check who
    may do it (permissions) -> the Case changes itself and raises events ->
    save (one PutItem, conditional on the version read; events in the outbox)

So every action is one read and one conditional write; two officers acting at
once on one case: the first wins, the second gets 409 with the new version.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from chalicelib.adapters import reference_data
from chalicelib.adapters.case_repository import CaseRepository
from chalicelib.adapters.images import UnreadableImage, clean
from chalicelib.adapters.photo_store import PhotoStore
from chalicelib.domain import permissions, tracking
from chalicelib.domain.agencies import UnknownAgency
from chalicelib.domain.case import Actor, Case
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import ConcurrentUpdate, InvalidInput, RuleViolation
from chalicelib.domain.permissions import Principal, Role
from chalicelib.domain.photos import COMPLETION
from chalicelib.domain.report import problems_from
from chalicelib.logs import case_id, get_logger
from chalicelib.services import commands as c

log = get_logger("lifecycle")


class CaseNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Deps:
    cases: CaseRepository
    photos: PhotoStore
    clock: Clock
    read_upload: Callable[[str], bytes] | None = None  # officer uploads (S3), for completion photos


def parse(model: type[BaseModel], payload: Any) -> Any:
    try:
        return model.model_validate(payload if payload is not None else {})
    except ValidationError as error:
        raise InvalidInput(problems_from(error)) from None


def load(code_text: str, cases: CaseRepository) -> Case:
    code = tracking.normalize(code_text)
    case = cases.get(code) if code else None
    if case is None:
        raise CaseNotFound(code_text)
    return case


def actor_of(principal: Principal) -> Actor:
    role = principal.main_role
    return Actor("officer", principal.user_id, role.value if role else None, principal.agency_id)


def _agency(agency_id: str):
    try:
        return reference_data.agencies().require(agency_id)
    except UnknownAgency:
        raise InvalidInput([("agency_id", f"no agency {agency_id!r}")]) from None


def _policy(case: Case):
    return reference_data.sla_catalogue().for_category(case.category)


def _completion_photo(case: Case, command: c.ResolveCommand, principal: Principal, deps: Deps):
    if bool(command.photo_base64) == bool(command.upload_key):
        raise InvalidInput([("photo_base64", "send the completion photo inline or as upload_key (exactly one)")])
    if command.photo_base64:
        try:
            data = base64.b64decode("".join(command.photo_base64.split()), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput([("photo_base64", "is not valid base64")]) from None
    else:
        assert command.upload_key is not None
        if not command.upload_key.startswith(f"uploads/{principal.user_id}/") or deps.read_upload is None:
            raise InvalidInput([("upload_key", "is not an upload of yours")])
        data = deps.read_upload(command.upload_key)
    try:
        image = clean(data)
    except UnreadableImage as error:
        raise InvalidInput([("photo", str(error))]) from None
    return deps.photos.store(case.tracking_code, case.photos.next_id(), COMPLETION, image)


# operation -> (command model, what it does to the case)
def _assign(case, cmd, principal, deps, now):
    case.assign(_agency(cmd.agency_id), now, actor_of(principal), how="triage")


def _delegate(case, cmd, principal, deps, now):
    case.delegate(_agency(cmd.agency_id), reference_data.agencies(), now, actor_of(principal))


def _transfer(case, cmd, principal, deps, now):
    case.transfer(_agency(cmd.agency_id), cmd.reason, now, actor_of(principal))


def _collaborate(case, cmd, principal, deps, now):
    case.add_collaborator(_agency(cmd.agency_id), now, actor_of(principal))


def _plan(case, cmd, principal, deps, now):
    case.submit_plan(cmd.text, cmd.completion(), _policy(case), now, actor_of(principal))


def _verify(case, cmd, principal, deps, now):
    case.verify_plan(now, actor_of(principal))


def _return(case, cmd, principal, deps, now):
    case.return_plan(cmd.comment, now, actor_of(principal))


def _progress(case, cmd, principal, deps, now):
    case.post_progress(cmd.percent, cmd.text, now, actor_of(principal))


def _comment(case, cmd, principal, deps, now):
    case.comment(cmd.text, now, actor_of(principal))


def _resolve(case, cmd, principal, deps, now):
    case.require("resolve")  # refuse before storing a photo for nothing
    photo = _completion_photo(case, cmd, principal, deps)
    case.resolve(photo, cmd.note, now, actor_of(principal))


def _reject(case, cmd, principal, deps, now):
    case.reject(cmd.reason, cmd.note, now, actor_of(principal))


def _merge(case, cmd, principal, deps, now):
    primary = load(cmd.primary, deps.cases)
    # Merging changes both cases: the officer needs the right on the primary too (else
    # an officer could fold their case into another agency's and hand it the work).
    permissions.require(principal, "merge", primary.agency_id, primary.collaborators, reference_data.agencies())
    if not primary.takes_duplicates:
        raise RuleViolation(f"{primary.tracking_code} cannot take duplicates (it is {primary.status.value})")
    case.merge_into(primary.tracking_code, now, actor_of(principal))


def _privacy(case, cmd, principal, deps, now):
    case.change_privacy(cmd.level, cmd.reason, now, actor_of(principal), may_lower=principal.has(Role.BUREAU_VERIFIER))


def _priority(case, cmd, principal, deps, now):
    case.set_priority(cmd.priority, cmd.reason, _policy(case), now, actor_of(principal))


OPERATIONS: dict[str, tuple[type[c.Command], Callable[..., None]]] = {
    "assign": (c.AssignCommand, _assign),
    "delegate": (c.DelegateCommand, _delegate),
    "transfer": (c.TransferCommand, _transfer),
    "add_collaborator": (c.CollaboratorCommand, _collaborate),
    "submit_plan": (c.PlanCommand, _plan),
    "verify_plan": (c.ReviewCommand, _verify),
    "return_plan": (c.ReturnPlanCommand, _return),
    "post_progress": (c.ProgressCommand, _progress),
    "comment": (c.CommentCommand, _comment),
    "resolve": (c.ResolveCommand, _resolve),
    "reject": (c.RejectCommand, _reject),
    "merge": (c.MergeCommand, _merge),
    "set_privacy": (c.PrivacyCommand, _privacy),
    "set_priority": (c.PriorityCommand, _priority),
}


def perform(code_text: str, operation: str, payload: Any, principal: Principal, deps: Deps) -> Case:
    """Run one officer operation on one case; returns the saved case."""
    model, apply = OPERATIONS[operation]
    command = parse(model, payload)
    case = load(code_text, deps.cases)
    permissions.require(principal, operation, case.agency_id, case.collaborators, reference_data.agencies())
    if command.version is not None and command.version != case.version:
        raise ConcurrentUpdate(case.version)
    apply(case, command, principal, deps, deps.clock())
    deps.cases.save(case)
    log.info(
        "case updated",
        extra={
            "case_id": case_id(case.tracking_code),
            "operation": operation,
            "status": case.status.value,
            "version": case.version,
        },
    )
    return case


def view_for_officer(code_text: str, principal: Principal, cases: CaseRepository) -> Case:
    case = load(code_text, cases)
    permissions.require(principal, "view", case.agency_id, case.collaborators, reference_data.agencies())
    return case


# --- the reporter, holding the tracking code --------------------------------------------


def give_feedback(code_text: str, payload: Any, cases: CaseRepository, clock: Clock) -> Case:
    command = parse(c.FeedbackCommand, payload)
    case = load(code_text, cases)
    case.give_feedback(command.rating, command.comment, clock())
    cases.save(case)
    return case


def reopen(code_text: str, payload: Any, cases: CaseRepository, clock: Clock) -> Case:
    command = parse(c.ReopenCommand, payload)
    case = load(code_text, cases)
    case.reopen(command.reason, _policy(case), clock())
    cases.save(case)
    return case
