"""GET /health: is the API up (and, with ?deep=1, can it reach its storage)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalice import Blueprint

from chalicelib.api.http import handles_errors, json_response

bp = Blueprint(__name__)

VERSION = "0.1.0"


@bp.route("/health", methods=["GET"])
@handles_errors
def health():
    from chalicelib.config import settings

    config = settings()
    body: dict[str, Any] = {"status": "ok", "service": "crm", "stage": config.stage, "version": VERSION}
    query: Mapping[str, str] = bp.current_request.query_params or {}
    if query.get("deep") in ("1", "true"):
        body["checks"] = _dependency_checks()
        if any(result != "ok" for result in body["checks"].values()):
            body["status"] = "degraded"
            return json_response(body, 503)
    return json_response(body)


def _dependency_checks() -> dict[str, str]:
    from chalicelib.bootstrap import services
    from chalicelib.services.health import dependency_checks

    return dependency_checks(services().storage_probes().probes())
