"""Area alerts: collecting matching events (SQS) and the daily digests (schedule)."""

from __future__ import annotations

from typing import Any

QUEUE = "alerts"


def collect_batch(records) -> dict[str, Any]:
    from chalicelib.adapters import reference_data
    from chalicelib.bootstrap import services
    from chalicelib.domain.request_ids import public_id
    from chalicelib.services.handlers import AlertPorts
    from chalicelib.services.status import public_view_json
    from chalicelib.workers.sqs import dispatch

    app = services()
    key = app.settings.tracking_code_key

    def view(case):
        # The public allow-list, named by the public id (never the reporter's tracking code).
        return public_view_json(
            case, "id", app.settings.public_base_url, public_id=public_id(case.tracking_code, key), code_key=key
        )

    def locate(lat: float, lng: float):
        return reference_data.areas().locate(lat, lng)  # the area index loads on first use only

    ports = AlertPorts(
        store=app.alerts_context().store, cases=app.cases, public_view=view, locate=locate, clock=app.clock
    )
    answer, _results = dispatch(records, QUEUE, ports, "collect_alerts")
    return answer


def send_digests() -> dict[str, int]:
    from chalicelib.bootstrap import services
    from chalicelib.domain.request_ids import tracking_code_of
    from chalicelib.services.alerts import send_digests as send

    app = services()
    key = app.settings.tracking_code_key

    def still_public(public_id: str) -> bool:
        code = tracking_code_of(public_id, key)
        case = app.cases.get(code) if code else None
        return case is not None and not case.hidden_from_public

    return send(app.alerts_context(), app.clock(), still_public, app.quarantine)
