"""GET /health: is the API up (and, with ?deep=1, can it reach its storage)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import handles_errors, json_response

bp = Blueprint(__name__)

VERSION = "0.1.0"


@bp.route("/health", methods=["GET"])
@handles_errors
def health():
    from chalicelib.config import settings

    config = settings()
    body = {"status": "ok", "service": "crm", "stage": config.stage, "version": VERSION}
    if (bp.current_request.query_params or {}).get("deep") in ("1", "true"):
        body["checks"] = _dependency_checks(config)
        if any(result != "ok" for result in body["checks"].values()):
            body["status"] = "degraded"
            return json_response(body, 503)
    return json_response(body)


def _dependency_checks(config) -> dict[str, str]:
    from chalicelib.adapters import aws

    checks = {}
    probes = {
        "dynamodb": lambda: aws.client("dynamodb").describe_table(TableName=config.cases_table),
        "s3": lambda: aws.client("s3").head_bucket(Bucket=config.photos_bucket),
    }
    for name, probe in probes.items():
        try:
            probe()
            checks[name] = "ok"
        except Exception as error:  # noqa: BLE001 - reported, not raised
            checks[name] = f"unavailable: {type(error).__name__}"
    return checks
