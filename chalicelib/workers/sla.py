"""The scheduled SLA sweep."""

from __future__ import annotations


def run_sweep():
    from chalicelib.bootstrap import services
    from chalicelib.services.sla_sweep import sweep

    app = services()
    return sweep(cases=app.cases, queries=app.queries, clock=app.clock)
