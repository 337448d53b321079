"""What happens to a case right after events about it: routing a new case, and
recording a merge on the primary case (the followups queue's handlers in
services/handlers.py)."""

from __future__ import annotations

from typing import Any

QUEUE = "followups"


def handle_batch(records) -> dict[str, Any]:
    from chalicelib.bootstrap import services
    from chalicelib.services.handlers import FollowupPorts
    from chalicelib.workers.sqs import dispatch

    app = services()
    ports = FollowupPorts(
        cases=app.cases,
        duplicate_index=app.duplicate_index,
        routing=app.routing,
        metrics=app.metrics,
        clock=app.clock,
    )
    answer, _results = dispatch(records, QUEUE, ports, "case_followups")
    return answer
