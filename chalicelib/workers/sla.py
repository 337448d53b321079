"""The scheduled SLA sweep."""

from __future__ import annotations


def run_sweep():
    from chalicelib.bootstrap import services
    from chalicelib.domain.request_ids import public_id
    from chalicelib.services.sla_sweep import sweep

    app = services()
    return sweep(
        cases=app.cases,
        queries=app.queries,
        clock=app.clock,
        quarantine=app.quarantine,
        # Only a failing case is named (the key is read then, from the secret store).
        public_name=lambda code: public_id(code, app.settings.tracking_code_key),
    )
