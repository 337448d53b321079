"""Who may do what to which case.

Roles come from the identity provider's groups; an officer's agency from a
user attribute. An agency officer works only on cases their agency holds --
for a Dinas, also those its Suku Dinas hold -- or collaborates on. The Bureau
(Biro Pemerintahan) triages and reviews plans for every agency; supervisors
(and the Inspectorate) see everything. Every check here is plain data, so the
authorization matrix test can walk all of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .agencies import AgencyDirectory
from .errors import Forbidden


class Role(StrEnum):
    INTAKE_OFFICER = "intake_officer"  # petugas loket: records walk-in reports
    AGENCY_OFFICER = "agency_officer"  # petugas OPD
    BUREAU_VERIFIER = "bureau_verifier"  # Biro Pemerintahan
    SUPERVISOR = "supervisor"  # pimpinan / Inspektorat
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    user_id: str
    roles: frozenset[Role]
    agency_id: str | None
    email: str | None = None

    def has(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def main_role(self) -> Role | None:
        for role in (Role.ADMIN, Role.SUPERVISOR, Role.BUREAU_VERIFIER, Role.AGENCY_OFFICER, Role.INTAKE_OFFICER):
            if role in self.roles:
                return role
        return None


# Case operations and who may do them. "holder": an agency officer whose agency
# holds the case (or is above the holder); "collaborator": an agency officer of
# a collaborating agency.
OPERATIONS: dict[str, frozenset[str]] = {
    "view": frozenset({"holder", "collaborator", "bureau", "supervisor", "admin"}),
    "view_contact": frozenset({"holder", "bureau", "supervisor"}),
    "assign": frozenset({"bureau", "supervisor"}),
    "delegate": frozenset({"holder"}),
    "transfer": frozenset({"holder", "bureau", "supervisor"}),
    "add_collaborator": frozenset({"holder", "bureau"}),
    "submit_plan": frozenset({"holder"}),
    "verify_plan": frozenset({"bureau"}),
    "return_plan": frozenset({"bureau"}),
    "post_progress": frozenset({"holder", "collaborator"}),
    "comment": frozenset({"holder", "collaborator", "bureau", "supervisor"}),
    "resolve": frozenset({"holder"}),
    "reject": frozenset({"holder", "bureau"}),
    "merge": frozenset({"holder", "bureau"}),
    # Raising the privacy level; lowering it needs the Bureau (domain/privacy.py).
    "set_privacy": frozenset({"holder", "bureau", "supervisor"}),
    # Urgent / normal / low: the Bureau or the agency holding the case (domain/sla.py).
    "set_priority": frozenset({"holder", "bureau"}),
}


def relations(
    principal: Principal, holder: str | None, collaborators: list[str], directory: AgencyDirectory
) -> set[str]:
    """What the principal is to a case held by ``holder``."""
    found: set[str] = set()
    if principal.has(Role.AGENCY_OFFICER) and principal.agency_id:
        if holder and directory.is_within(holder, principal.agency_id):
            found.add("holder")
        if any(directory.is_within(agency, principal.agency_id) for agency in collaborators):
            found.add("collaborator")
    if principal.has(Role.BUREAU_VERIFIER):
        found.add("bureau")
    if principal.has(Role.SUPERVISOR):
        found.add("supervisor")
    if principal.has(Role.ADMIN):
        found.add("admin")
    return found


def allowed(
    principal: Principal, operation: str, holder: str | None, collaborators: list[str], directory: AgencyDirectory
) -> bool:
    return bool(OPERATIONS[operation] & relations(principal, holder, collaborators, directory))


def require(
    principal: Principal, operation: str, holder: str | None, collaborators: list[str], directory: AgencyDirectory
) -> None:
    if not allowed(principal, operation, holder, collaborators, directory):
        raise Forbidden(f"you may not {operation.replace('_', ' ')} this case")
