"""The SLA sweep (every 5 minutes): act on the cases whose next milestone is due.

It reads only due cases (``CaseQueries.due``: the write-sharded due index, up
to now), then each due case is loaded, told the time
(Case.apply_due_milestones) and saved conditionally. A concurrent sweep
or officer action wins the race and this sweep skips that case (the next
sweep sees the new state), so nothing is ever notified twice.

Each case is handled on its own (services/batch.py): one that cannot be read
or saved never stops the others. It stays due and is retried on the next run;
after ``SCHEDULED_MAX_RUNS`` failed runs it is quarantined and taken off the
due index, so it stops being re-read (an operator replays it; docs/security.md
"Poison records"). AWS being unavailable is retried without counting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chalicelib import cloudwatch
from chalicelib.adapters import reference_data
from chalicelib.adapters.aws import ServiceUnavailable
from chalicelib.adapters.case_queries import CaseQueries
from chalicelib.adapters.case_repository import CaseRepository
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import ConcurrentUpdate
from chalicelib.logs import get_logger
from chalicelib.services.batch import SCHEDULED_MAX_RUNS, Batch, Quarantine

log = get_logger("sla")

SOURCE = "sla_sweep"
CHANGED, SKIPPED, MISSING = "changed", "skipped", "missing"


@dataclass
class SweepResult:
    due: int = 0
    changed: int = 0
    skipped: int = 0
    failed: int = 0  # retried on the next run
    quarantined: int = 0  # taken off the due index in this run


def sweep(
    *,
    cases: CaseRepository,
    queries: CaseQueries,
    clock: Clock,
    quarantine: Quarantine,
    public_name: Callable[[str], str],
) -> SweepResult:
    """``public_name(code)``: how logs and quarantine records name a case (its public id)."""
    now = clock()
    catalogue = reference_data.sla_catalogue()

    def one(code: str) -> str:
        case = cases.get(code)
        if case is None:
            return MISSING
        done = case.apply_due_milestones(catalogue.for_category(case.category), now)
        if not done:
            return SKIPPED
        try:
            cases.save(case)
        except ConcurrentUpdate:
            return SKIPPED
        for milestone in done:
            if milestone.is_breach:  # the CloudWatch alarm watches these
                cloudwatch.count("SlaBreaches", agency_id=case.agency_id or "triage")
        return CHANGED

    batch = Batch(
        source=SOURCE,
        store=quarantine,
        clock=clock,
        bound=SCHEDULED_MAX_RUNS,
        key=public_name,
        uncounted=(ServiceUnavailable,),
        on_quarantine=cases.leave_due_index,
    )
    outcome = batch.run(queries.due(now), one)
    result = SweepResult(
        due=outcome.done + len(outcome.failed) + len(outcome.quarantined),
        changed=outcome.results.count(CHANGED),
        skipped=outcome.results.count(SKIPPED),
        failed=len(outcome.failed),
        quarantined=len(outcome.quarantined),
    )
    log.info("sla sweep", extra=vars(result))
    cloudwatch.count("SweepItemsRead", result.due)  # due cases read this run (ops dashboard)
    return result
