"""One action on many cases (POST /officer/cases/bulk): set the priority of, assign or
delegate up to 50 cases the officer selected in the queue.

Each case goes through ``lifecycle.perform``, the single-case routes' use case: the
same command, the same rights (checked per case), one read and one conditional write
each. A case that fails is reported with the error the single route would answer
and never stops the others; a case the officer may not even open is reported as not
found, so a bulk request confirms no case they may not see.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.adapters import reference_data
from chalicelib.domain import permissions
from chalicelib.domain.errors import Forbidden
from chalicelib.domain.permissions import Principal
from chalicelib.logs import case_id, get_logger
from chalicelib.services import commands as c
from chalicelib.services import responses as r
from chalicelib.services.lifecycle import OPERATIONS, CaseNotFound, Deps, load, parse, perform

log = get_logger("bulk")

ACTIONS = {"priority": "set_priority", "assign": "assign", "delegate": "delegate"}  # action -> lifecycle operation

# An exception -> (error code, message), as the API answers it on the single-case route.
Describe = Callable[[Exception], tuple[str, str]]


def _hidden(error: Exception, code: str, principal: Principal, deps: Deps) -> Exception:
    """A refusal on a case the officer may not open reads as one on a case that does not exist."""
    if not isinstance(error, Forbidden):
        return error
    case = load(code, deps.cases)
    directory = reference_data.agencies()
    if permissions.allowed(principal, "view", case.agency_id, case.collaborators, directory):
        return error
    return CaseNotFound(code)


def apply_bulk(payload: Any, principal: Principal, deps: Deps, describe: Describe) -> r.BulkOutcome:
    command = parse(c.BulkCommand, payload)
    operation = ACTIONS[command.action]
    arguments = command.arguments()
    parse(OPERATIONS[operation][0], arguments)  # the arguments are refused once (422), not per case
    results = []
    for code in command.codes:
        try:
            case = perform(code, operation, arguments, principal, deps)
        except Exception as error:  # noqa: BLE001 - each case's failure is its own row of the answer
            try:
                error = _hidden(error, code, principal, deps)
            except Exception as again:  # noqa: BLE001 - reading the case again failed too
                error = again
            name, message = describe(error)
            log.info("bulk item refused", extra={"case_id": case_id(code), "operation": operation, "error": name})
            results.append(r.BulkResult(code=code, ok=False, error=name, message=message))
        else:
            results.append(r.BulkResult(code=code, ok=True, version=case.version))
    succeeded = sum(1 for result in results if result.ok)
    return r.BulkOutcome(action=command.action, succeeded=succeeded, failed=len(results) - succeeded, results=results)
