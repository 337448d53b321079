"""Agency counters from the domain events, and the daily carry-over rollup."""

from __future__ import annotations

from typing import Any

QUEUE = "metrics"


def handle_batch(records) -> dict[str, Any]:
    from chalicelib.bootstrap import services
    from chalicelib.services.handlers import MetricsPorts
    from chalicelib.workers.sqs import dispatch

    answer, _results = dispatch(records, QUEUE, MetricsPorts(metrics=services().metrics), "agency_metrics")
    return answer


def rollup() -> int:
    from chalicelib.bootstrap import services
    from chalicelib.domain.clock import JAKARTA
    from chalicelib.services.metrics import rollup as roll

    app = services()
    return roll(app.metrics, app.clock().astimezone(JAKARTA).date(), app.quarantine, app.clock)
