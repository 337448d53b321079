"""Administration: routing rules (category + area -> agency).

GET    /admin/routing-rules              the effective rules (seed + edits), marked by source
PUT    /admin/routing-rules              {"category", "area", "agency_id"}: add or change a rule
DELETE /admin/routing-rules?category=&area=   drop an edit (the seed rule, if any, applies again)
"""

from __future__ import annotations

from collections.abc import Mapping

from chalice import Blueprint

from chalicelib.api import auth
from chalicelib.api.http import ApiError, handles_errors, json_response, read_body

bp = Blueprint(__name__)


def _admin():
    from chalicelib.domain.permissions import Role

    principal = auth.principal_of(bp.current_request)
    auth.require_role(principal, Role.ADMIN)
    return principal


@bp.route("/admin/routing-rules", methods=["GET"], authorizer=auth.cognito)
@handles_errors
def list_rules():
    from chalicelib.bootstrap import services
    from chalicelib.services.routing_rules import rules_view

    _admin()
    return json_response({"rules": rules_view(services().routing)}, headers={"Cache-Control": "no-store"})


@bp.route("/admin/routing-rules", methods=["PUT"], authorizer=auth.cognito, content_types=["*/*"])
@handles_errors
def put_rule():
    import json

    from chalicelib.bootstrap import services
    from chalicelib.domain.clock import to_utc_text
    from chalicelib.domain.errors import InvalidInput
    from chalicelib.services import routing_rules
    from chalicelib.services.commands import RoutingRuleCommand
    from chalicelib.services.lifecycle import parse

    principal = _admin()
    try:
        payload = json.loads(read_body(bp.current_request, ("application/json",)) or b"{}")
    except (ValueError, RecursionError):
        raise InvalidInput([("body", "is not valid JSON")]) from None
    command = parse(RoutingRuleCommand, payload)
    app = services()
    rules = routing_rules.put_rule(app.routing, command, principal.user_id, to_utc_text(app.clock()))
    return json_response({"rules": rules})


@bp.route("/admin/routing-rules", methods=["DELETE"], authorizer=auth.cognito)
@handles_errors
def delete_rule():
    from chalicelib.bootstrap import services
    from chalicelib.domain import categories
    from chalicelib.services import routing_rules

    _admin()
    query: Mapping[str, str] = bp.current_request.query_params or {}
    if not query.get("category"):
        raise ApiError(
            422,
            "validation_failed",
            "Say which rule: ?category=...&area=...",
            details=[{"field": "category", "message": "is required"}],
        )
    # Checked before they become a key: DynamoDB refuses sort keys over 1 KB (a 500 before).
    if categories.get(query["category"]) is None or len(query.get("area") or "") > 120:
        field = "category" if categories.get(query["category"]) is None else "area"
        raise ApiError(
            422,
            "validation_failed",
            f"No rule can have this {field}.",
            details=[
                {"field": field, "message": "unknown category" if field == "category" else "at most 120 characters"}
            ],
        )
    return json_response(
        {"rules": routing_rules.delete_rule(services().routing, query["category"], query.get("area") or None)}
    )
