"""The web pages: the officer client and the public tracking and performance pages.

    GET /                          302 -> track
    GET /officer                   CRM Officer (sign-in, queue, case, actions, intake, dashboard)
    GET /track[?code=...]          a reporter follows their report (no sign-in)
    GET /performance               public agency performance (no sign-in)
    GET /static/{version}/{name}   the pages' scripts, styles and icons (chalicelib/web/static)

Every URL the pages use is relative, so they work the same under `chalice
local` (http://127.0.0.1:8000/officer) and behind API Gateway's stage prefix
(https://.../api/officer).

Every HTML response carries a strict Content-Security-Policy: scripts and
styles only from this origin (no inline code at all), Trusted Types enforced
(no HTML-string sinks), and network access only to this API, the Cognito
endpoint (sign-in) and the photo bucket (presigned upload and photo links).
The last two come from configuration: the moto server locally, the regional
AWS endpoints in AWS. The page gets its sign-in settings (Cognito endpoint,
region, app client id: all public values) in a JSON data block
(<script type="application/json" id="crm-config">, which is never executed).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

from chalice import Blueprint, Response

from chalicelib.api.http import etag_for, etag_matches, handles_errors, not_found

bp = Blueprint(__name__)

STATIC_MAX_AGE = 31536000  # a year: static URLs change with their content


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def cognito_endpoint(region: str, env: Mapping[str, str] = os.environ) -> str:
    """Where the browser signs in: the same endpoint boto3 would use."""
    custom = env.get("AWS_ENDPOINT_URL_COGNITO_IDP") or env.get("AWS_ENDPOINT_URL")
    return custom.rstrip("/") + "/" if custom else f"https://cognito-idp.{region}.amazonaws.com/"


def photo_origins(bucket: str, region: str, env: Mapping[str, str] = os.environ) -> list[str]:
    """Where presigned photo uploads go and presigned photo links point."""
    custom = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    if custom:
        return [_origin(custom)]
    # boto3 signs virtual-hosted URLs on the global name; S3 may redirect to the regional one.
    return [f"https://{bucket}.s3.amazonaws.com", f"https://{bucket}.s3.{region}.amazonaws.com"]


def content_security_policy(settings, env: Mapping[str, str] = os.environ) -> str:
    photos = photo_origins(settings.photos_bucket, settings.region, env)
    cognito = _origin(cognito_endpoint(settings.region, env))
    connect = " ".join(dict.fromkeys(["'self'", cognito, *photos]))
    images = " ".join(["'self'", "blob:", *photos])
    directives = [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src {images}",
        f"connect-src {connect}",
        "font-src 'self'",
        "manifest-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "require-trusted-types-for 'script'",
        "trusted-types 'none'",
    ]
    if settings.public_base_url.startswith("https://"):
        directives.append("upgrade-insecure-requests")
    return "; ".join(directives)


HTML_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(self), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}


def client_config(settings, env: Mapping[str, str] = os.environ, reference: bool = False) -> dict[str, object]:
    """What the page needs before sign-in. All public: a browser sees it anyway.
    With ``reference``, also the catalogues the officer client's forms offer."""
    cognito = settings.cognito
    config: dict[str, object] = {
        "stage": settings.stage,
        "region": settings.region,
        "cognito_endpoint": cognito_endpoint(settings.region, env),
        "client_id": cognito.client_id if cognito else None,
    }
    if reference:
        config.update(reference_catalogues())
    return config


def reference_catalogues() -> dict[str, object]:
    """Categories (with whether an agreed estimate is allowed), cities and channel names."""
    from chalicelib.adapters import reference_data
    from chalicelib.domain import categories
    from chalicelib.domain.channels import DISPLAY_NAMES

    sla = reference_data.sla_catalogue()
    return {
        "categories": [
            {
                "id": c.id,
                "name": {"id": c.name_id, "en": c.name_en},
                "estimates": sla.for_category(c.id).estimates_allowed,
            }
            for c in categories.CATALOGUE
        ],
        "kota": [{"code": a.code, "name": a.name} for a in reference_data.areas().areas if a.level == "kota"],
        "channels": {channel.value: {"id": names[0], "en": names[1]} for channel, names in DISPLAY_NAMES.items()},
    }


def render_page(template: str, version: str, config: Mapping[str, object]) -> str:
    """The page with its static URLs and its configuration (a JSON data block, never run)."""
    data = json.dumps(config, ensure_ascii=False, separators=(",", ":"))
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return template.replace("{{static}}", f"static/{version}").replace("{{config}}", data)


def _page(name: str) -> Response:
    from chalicelib.adapters import web_assets
    from chalicelib.config import settings

    config = settings()
    web = web_assets.files(reload=config.is_local)
    body = render_page(web.pages[name], web.version, client_config(config, reference=name == "officer"))
    etag = etag_for(body)
    headers = {**HTML_HEADERS, "Content-Security-Policy": content_security_policy(config), "ETag": etag}
    if etag_matches(bp.current_request.headers.get("if-none-match"), etag):
        return Response(body="", status_code=304, headers=headers)
    return Response(body=body, status_code=200, headers=headers)


@bp.route("/", methods=["GET"])
@handles_errors
def home():
    return Response(body="", status_code=302, headers={"Location": "track", "Cache-Control": "no-cache"})


@bp.route("/officer", methods=["GET"])
@handles_errors
def officer_client():
    return _page("officer")


@bp.route("/track", methods=["GET"])
@handles_errors
def track_page():
    return _page("track")


@bp.route("/performance", methods=["GET"])
@handles_errors
def performance_page():
    return _page("performance")


@bp.route("/static/{version}/{name}", methods=["GET"])
@handles_errors
def static_file(version, name):
    from chalicelib.adapters import web_assets
    from chalicelib.config import settings

    web = web_assets.files(reload=settings().is_local)
    asset = web.static.get(name) if web_assets.STATIC_NAME.match(name) else None
    if asset is None:
        raise not_found("No such file.")
    # An old version's URL (a page cached before a deploy) gets today's file, briefly cached.
    cache = f"public, max-age={STATIC_MAX_AGE}, immutable" if version == web.version else "no-cache"
    headers = {
        "Content-Type": asset.content_type,
        "Cache-Control": cache,
        "ETag": asset.etag,
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "same-origin",
    }
    if etag_matches(bp.current_request.headers.get("if-none-match"), asset.etag):
        return Response(body="", status_code=304, headers=headers)
    return Response(body=asset.body, status_code=200, headers=headers)
