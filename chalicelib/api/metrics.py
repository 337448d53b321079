"""Public agency performance (the "indicator of civil servants' work"). No PII:
only counters per agency.

    GET /metrics/agencies?from=YYYY-MM-DD&to=YYYY-MM-DD        every agency, one row each
    GET /metrics/agencies/{agency_id}?from=&to=                 one agency, with a daily series
"""

from __future__ import annotations

from collections.abc import Mapping

from chalice import Blueprint

from chalicelib.api.http import handles_errors, json_response, not_found
from chalicelib.api.limits import limited

bp = Blueprint(__name__)


def _today():
    from chalicelib.bootstrap import services
    from chalicelib.domain.clock import JAKARTA

    return services().clock().astimezone(JAKARTA).date()


@bp.route("/metrics/agencies", methods=["GET"], cors=True)
@handles_errors
@limited(bp, "metrics")
def all_agencies():
    from chalicelib.bootstrap import services
    from chalicelib.services.metrics import dashboard

    query: Mapping[str, str] = bp.current_request.query_params or {}
    body = dashboard(services().metrics, query.get("from"), query.get("to"), _today())
    return json_response(body, headers={"Cache-Control": "public, max-age=60"})


@bp.route("/metrics/agencies/{agency_id}", methods=["GET"], cors=True)
@handles_errors
@limited(bp, "metrics")
def one_agency(agency_id):
    from chalicelib.bootstrap import services
    from chalicelib.services.metrics import agency_detail

    query: Mapping[str, str] = bp.current_request.query_params or {}
    body = agency_detail(services().metrics, agency_id, query.get("from"), query.get("to"), _today())
    if body is None:
        raise not_found("No such agency.")
    return json_response(body, headers={"Cache-Control": "public, max-age=60"})
