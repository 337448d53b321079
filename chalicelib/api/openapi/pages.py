"""The web pages (api/web.py): the officer client, the citizens' tracking page,
the public performance page, and their static files. HTML and files, not JSON."""

from __future__ import annotations

from chalicelib.api.openapi.spec import Operation, Param, Reply

TAGS = ("public",)
HTML = Reply(
    "The page (HTML; strict Content-Security-Policy)",
    schema={"type": "string"},
    media_type="text/html",
    headers={
        "Content-Security-Policy": "Scripts and styles from this origin only; connect-src this API, "
        "Cognito and the photo bucket",
        "ETag": "Of the page",
    },
)

OPERATIONS = {
    ("GET", "/"): Operation(
        summary="Home: redirects to the tracking page",
        tags=TAGS,
        responses={302: Reply("To track", headers={"Location": "track"})},
        uses_aws=False,
    ),
    ("GET", "/officer"): Operation(
        summary="CRM Officer, the officers' web client (sign-in in the page)",
        tags=TAGS,
        responses={200: HTML, 304: Reply("Not modified (If-None-Match)")},
        uses_aws=False,
    ),
    ("GET", "/track"): Operation(
        summary="The citizens' tracking page",
        tags=TAGS,
        params=(Param("code", "query", {"type": "string", "maxLength": 40}, "A tracking code to show at once."),),
        responses={200: HTML, 304: Reply("Not modified (If-None-Match)")},
        uses_aws=False,
    ),
    ("GET", "/performance"): Operation(
        summary="Public agency performance",
        tags=TAGS,
        responses={200: HTML, 304: Reply("Not modified (If-None-Match)")},
        uses_aws=False,
    ),
    ("GET", "/static/{version}/{name}"): Operation(
        summary="The pages' scripts, styles and icon, the map library and the area outlines (JSON)",
        description="Cached for a year under the current version; another version gets today's file, no-cache.",
        tags=TAGS,
        params=(
            Param("version", "path", {"type": "string", "maxLength": 40}, required=True),
            Param(
                "name", "path", {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*[.](js|css|svg|json)$"}, required=True
            ),
        ),
        responses={
            200: Reply(
                "The file",
                schema={"type": "string"},
                media_type="text/javascript",
                also=(
                    ("text/css", {"type": "string"}),
                    ("image/svg+xml", {"type": "string"}),
                    ("application/json", {"type": "object"}),
                ),
            ),
            304: Reply("Not modified (If-None-Match)"),
        },
        errors=(404,),
        uses_aws=False,
    ),
}
