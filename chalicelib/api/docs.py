"""The API's own documentation.

    GET /openapi.json      the OpenAPI 3.1 document, generated from the app (api/openapi/)
    GET /docs              it, rendered by the vendored Swagger UI (chalicelib/web/apidocs/)
    GET /docs/{asset}      the viewer's files

Nothing is loaded from another site at run time; the page's Content Security
Policy allows scripts, styles and fetches from this origin only. The
document is built on first request and kept for the life of the process.
"""

from __future__ import annotations

import json
import os
from functools import cache

from chalice import Blueprint, Response

from chalicelib.api.http import handles_errors, not_found

bp = Blueprint(__name__)

ASSETS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "web", "apidocs")
ASSET_TYPES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "crm-docs.js": "text/javascript; charset=utf-8",
    "LICENSE": "text/plain; charset=utf-8",
    "NOTICE": "text/plain; charset=utf-8",
    "swagger-ui-bundle.js.LICENSE.txt": "text/plain; charset=utf-8",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CRM API</title>
<link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
<noscript>The API documentation needs JavaScript.
The document itself is at <a href="openapi.json">openapi.json</a>.</noscript>
<div id="api-docs"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/crm-docs.js"></script>
</body>
</html>
"""


@cache
def _document(server_url: str) -> str:
    from chalicelib.api import openapi
    from chalicelib.api.health import VERSION

    return json.dumps(openapi.build(bp.current_app, server_url, VERSION), ensure_ascii=False)


@bp.route("/openapi.json", methods=["GET"], cors=True)
@handles_errors
def openapi_document():
    from chalicelib.config import settings

    return Response(
        body=_document(settings().public_base_url),
        status_code=200,
        headers={"Content-Type": "application/json; charset=utf-8", "Cache-Control": "public, max-age=300"},
    )


@bp.route("/docs", methods=["GET"])
@handles_errors
def docs_page():
    return Response(
        body=PAGE,
        status_code=200,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": CSP,
            "Cache-Control": "public, max-age=300",
        },
    )


@bp.route("/docs/{asset}", methods=["GET"])
@handles_errors
def docs_asset(asset):
    content_type = ASSET_TYPES.get(asset)
    if content_type is None:
        raise not_found("No such file.")
    with open(os.path.join(ASSETS, asset), encoding="utf-8") as file:
        body = file.read()
    return Response(
        body=body,
        status_code=200,
        headers={
            "Content-Type": content_type,
            "Content-Security-Policy": CSP,
            "Cache-Control": "public, max-age=86400",
        },
    )
