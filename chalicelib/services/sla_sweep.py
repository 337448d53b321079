"""The SLA sweep (every 5 minutes): act on the cases whose next milestone is due.

It reads only due cases: each write-sharded partition of the sparse due index
is queried for sort keys up to now, then each due case is loaded, told the
time (Case.apply_due_milestones) and saved conditionally. A concurrent sweep
or officer action wins the race and this sweep skips that case (the next
sweep sees the new state), so nothing is ever notified twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import cloudwatch
from chalicelib.adapters import reference_data
from chalicelib.adapters.case_indexes import due_partitions
from chalicelib.adapters.case_queries import CaseQueries
from chalicelib.adapters.case_repository import CaseRepository
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import ConcurrentUpdate
from chalicelib.logs import get_logger

log = get_logger("sla")


@dataclass
class SweepResult:
    due: int = 0
    changed: int = 0
    skipped: int = 0


def sweep(*, cases: CaseRepository, queries: CaseQueries, clock: Clock) -> SweepResult:
    now = clock()
    result = SweepResult()
    catalogue = reference_data.sla_catalogue()
    for partition in due_partitions():
        for code in queries.due_codes(partition, now):
            result.due += 1
            case = cases.get(code)
            if case is None:
                continue
            done = case.apply_due_milestones(catalogue.for_category(case.category), now)
            if not done:
                result.skipped += 1
                continue
            try:
                cases.save(case)
                result.changed += 1
            except ConcurrentUpdate:
                result.skipped += 1
                continue
            for milestone in done:
                if milestone.endswith(".breach"):  # the CloudWatch alarm watches these
                    cloudwatch.count("SlaBreaches", agency_id=case.agency_id or "triage")
    log.info("sla sweep", extra={"due": result.due, "changed": result.changed, "skipped": result.skipped})
    return result
