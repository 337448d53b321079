"""What happens to a case right after events about it: routing a new case, and
recording a merge on the primary case."""

from __future__ import annotations

from typing import Any


def handle_batch(records) -> dict[str, Any]:
    from chalicelib.workers.sqs import process

    return process(records, handle_message, "case_followups")


def handle_message(message: dict[str, Any]) -> None:
    from chalicelib.bootstrap import services
    from chalicelib.services import metrics
    from chalicelib.services.routing import absorb_duplicate, route_case

    app = services()
    if message["type"] == "case.received":
        route_case(
            message["tracking_code"],
            cases=app.cases,
            duplicate_index=app.duplicate_index,
            rules=app.routing,
            clock=app.clock,
            predict=lambda agency, category, reported: metrics.predict_completion(
                app.metrics, agency, category, reported
            ),
        )
    elif message["type"] == "case.merged":
        absorb_duplicate(message["data"]["primary"], message["tracking_code"], cases=app.cases, clock=app.clock)
