"""Agency counters from the domain events, and the daily carry-over rollup."""

from __future__ import annotations

from typing import Any


def handle_batch(records) -> dict[str, Any]:
    from chalicelib.bootstrap import services
    from chalicelib.services.metrics import record_event
    from chalicelib.workers.sqs import process

    store = services().metrics
    return process(records, lambda message: record_event(message, store), "agency_metrics")


def rollup() -> int:
    from chalicelib.bootstrap import services
    from chalicelib.domain.clock import JAKARTA
    from chalicelib.services.metrics import rollup as roll

    app = services()
    return roll(app.metrics, app.clock().astimezone(JAKARTA).date(), app.quarantine, app.clock)
