"""The web pages: the officer client and the public pages.

    GET /                          302 -> track
    GET /officer                   CRM Officer (sign-in, queue, case, actions, intake, dashboard)
    GET /track[?code=...]          a reporter follows their report (no sign-in)
    GET /performance               public agency performance (no sign-in)
    GET /map                       public map and list of recent reports (no sign-in)
    GET /reports/{public_id}       one report's public page (no sign-in; confidential: 404)
    GET /static/{version}/{name}   the pages' scripts, styles and icons (chalicelib/web/static)
    (GET /report, the report form, is api/report_form.py; it shares the public layout.)

The public pages share one layout (chalicelib/web/public.html: head, header,
navigation, language switch), filled per page from PUBLIC_PAGES; the officer
client has its own (officer.html).

Every URL the pages use is relative, so they work the same under `chalice
local` (http://127.0.0.1:8000/officer) and behind API Gateway's stage prefix
(https://.../api/officer); a page one level down (reports/{id}) reaches the
others through "../".

Pages with a map (``PublicPage.map``) also allow images from the configured
tile server (MAP_TILE_URL) and one Trusted Types policy, ``default``, which
static/map.js creates before it loads the vendored Leaflet: it passes exactly
the few fixed strings of Leaflet's own markup that Leaflet writes with HTML
sinks, and refuses every other string (docs/architecture.md, "The web pages").

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
import re
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from chalice import Blueprint, Response

from chalicelib.api.http import etag_for, etag_matches, handles_errors, not_found
from chalicelib.api.limits import limited

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


def tile_origin(tile_url: str | None) -> str | None:
    """The origin tiles come from, for img-src: ``https://{s}.tile.example.org/{z}/{x}/{y}.png``
    -> ``https://*.tile.example.org`` (Leaflet's {s} is a subdomain letter)."""
    if not tile_url:
        return None
    origin = _origin(tile_url)
    return re.sub(r"//\{s\}\.", "//*.", origin)


def content_security_policy(settings, env: Mapping[str, str] = os.environ, maps: bool = False) -> str:
    """The policy of every page; ``maps`` adds the tile server and Leaflet's Trusted Types policy."""
    photos = photo_origins(settings.photos_bucket, settings.region, env)
    cognito = _origin(cognito_endpoint(settings.region, env))
    connect = " ".join(dict.fromkeys(["'self'", cognito, *photos]))
    tiles = tile_origin(settings.map_tile_url) if maps else None
    images = " ".join(dict.fromkeys(["'self'", "blob:", *photos, *([tiles] if tiles else [])]))
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
        "trusted-types default" if maps else "trusted-types 'none'",
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


def client_config(
    settings, env: Mapping[str, str] = os.environ, reference: bool = False, maps: bool = False
) -> dict[str, object]:
    """What the page needs before sign-in. All public: a browser sees it anyway.
    With ``reference``, also the catalogues the forms and filters offer; with
    ``maps``, the base layer of the maps."""
    cognito = settings.cognito
    config: dict[str, object] = {
        "stage": settings.stage,
        "region": settings.region,
        "cognito_endpoint": cognito_endpoint(settings.region, env),
        "client_id": cognito.client_id if cognito else None,
    }
    if reference:
        config.update(reference_catalogues())
    if maps:
        config["map"] = map_config(settings)
    return config


def map_config(settings) -> dict[str, object]:
    """The maps' base layer: tiles from MAP_TILE_URL (with MAP_TILE_ATTRIBUTION shown on the
    map), or without one the kecamatan and kota outlines (static area-outlines.json)."""
    from chalicelib.config import ConfigurationError

    url = settings.map_tile_url
    if url is not None:
        if not valid_tile_url(url, allow_http=settings.is_local):
            raise ConfigurationError("MAP_TILE_URL must be an https URL template with {z}, {x} and {y}")
        if not settings.map_tile_attribution:
            raise ConfigurationError("MAP_TILE_ATTRIBUTION must be set with MAP_TILE_URL (tile licences require it)")
    return {"tile_url": url, "attribution": settings.map_tile_attribution if url else None}


_TILE_URL = re.compile(r"^https?://(?:\{s\}\.)?[A-Za-z0-9.-]+(?::[0-9]{1,5})?/[^\s\"'<>\\]*$")


def valid_tile_url(url: str, allow_http: bool = False) -> bool:
    if not _TILE_URL.match(url) or not all(part in url for part in ("{z}", "{x}", "{y}")):
        return False
    return url.startswith("https://") or allow_http


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


def _config_json(config: Mapping[str, object]) -> str:
    data = json.dumps(config, ensure_ascii=False, separators=(",", ":"))
    return data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_page(template: str, version: str, config: Mapping[str, object]) -> str:
    """The page with its static URLs and its configuration (a JSON data block, never run)."""
    return template.replace("{{static}}", f"static/{version}").replace("{{config}}", _config_json(config))


# --- the public pages' shared layout (web/public.html) --------------------------------------


@dataclass(frozen=True)
class PublicPage:
    title: tuple[str, str]  # Bahasa Indonesia, English
    title_key: str  # the same text in static/i18n.js (the page re-translates itself)
    description: tuple[str, str]
    script: str
    preload: tuple[str, ...] = ("common.js", "i18n.js")
    nav: str | None = None  # the navigation link marked as the current page
    map: bool = False  # Leaflet's stylesheet, the tile server and Leaflet's Trusted Types policy
    narrow: bool = False
    reference: bool = False  # categories and kota in the page's configuration


MAP_SCRIPTS = ("common.js", "i18n.js", "map.js")
PUBLIC_PAGES = {
    "track": PublicPage(
        ("Lacak laporan Anda", "Track your report"),
        "track.title",
        ("Lacak laporan Anda ke Pemprov DKI Jakarta dengan kode laporan.", "Follow your report by its tracking code."),
        "track.js",
        nav="track",
        narrow=True,
    ),
    "report": PublicPage(
        ("Laporkan masalah di Jakarta", "Report a problem in Jakarta"),
        "report.title",
        ("Laporkan masalah non-darurat di Jakarta.", "Report a non-emergency problem in Jakarta."),
        "report.js",
        MAP_SCRIPTS,
        nav="report",
        map=True,
        narrow=True,
        reference=True,
    ),
    "map": PublicPage(
        ("Peta laporan warga", "Map of reports"),
        "map.title",
        ("Laporan warga Jakarta tujuh hari terakhir, di peta.", "Citizens' reports in Jakarta of the last 7 days."),
        "reports-map.js",
        MAP_SCRIPTS,
        nav="map",
        map=True,
        reference=True,
    ),
    "report-view": PublicPage(
        ("Laporan warga", "A citizen's report"),
        "view.title",
        ("Status dan perkembangan laporan warga.", "The status and progress of a citizen's report."),
        "report-view.js",
        MAP_SCRIPTS,
        map=True,
        narrow=True,
    ),
    "performance": PublicPage(
        ("Kinerja instansi", "Agency performance"),
        "perf.title",
        (
            "Kinerja instansi Pemprov DKI Jakarta dalam menindaklanjuti laporan warga.",
            "How Jakarta's agencies follow up citizens' reports.",
        ),
        "performance.js",
        ("common.js", "i18n.js", "dashboard.js", "charts.js"),
        nav="performance",
    ),
}
# (page, i18n key, Bahasa Indonesia, English): the same texts as static/i18n.js.
NAVIGATION = (
    ("track", "nav.track", "Lacak laporan", "Track a report"),
    ("report", "nav.report", "Laporkan", "Report a problem"),
    ("map", "nav.map", "Peta laporan", "Map of reports"),
    ("performance", "nav.performance", "Kinerja instansi", "Agency performance"),
)
NOSCRIPT = (
    '<noscript><p class="alert alert-error">Halaman ini memerlukan JavaScript. / '
    "This page needs JavaScript.</p></noscript>"
)
_SLOT = re.compile(r"\{\{([a-z_]+)\}\}")


def render_public(
    name: str,
    version: str,
    layout: str,
    config: Mapping[str, object],
    *,
    language: str = "id",
    main: str = NOSCRIPT,
    root: str = "",
) -> str:
    """A public page: the shared layout filled in one pass (text put into a slot is never
    read again as a slot). ``main`` is HTML the caller escaped; ``root`` leads from the
    page's URL back to the API's root ("../" one level down)."""
    page = PUBLIC_PAGES[name]
    en = language == "en"
    static = f"{root}static/{version}"
    head = [f'<link rel="stylesheet" href="{static}/leaflet.css">'] if page.map else []
    head += [f'<link rel="modulepreload" href="{static}/{module}">' for module in page.preload]
    head.append(f'<script type="module" src="{static}/{page.script}"></script>')
    links = []
    for target, key, text_id, text_en in NAVIGATION:
        current = ' aria-current="page"' if target == page.nav else ""
        # The form is rendered by the server in one language: scripts keep its link in the reader's.
        follow = f' data-lang-link="{root}{target}"' if target == "report" else ""
        href = f"{root}{target}?lang=en" if follow and en else f"{root}{target}"
        text = text_en if en else text_id
        links.append(f'      <a href="{href}"{current}{follow} data-i18n="{key}">{text}</a>')
    if name == "report":  # a server-rendered form: the other language is another page
        other = "id" if en else "en"
        toggle = (
            f'<a id="lang-toggle" class="button ghost small" href="?lang={other}" hreflang="{other}" '
            f'lang="{other}">{"Bahasa Indonesia" if en else "English"}</a>'
        )
    else:
        toggle = (
            '<button type="button" id="lang-toggle" class="button ghost small" data-i18n="lang.toggle" '
            'data-i18n-label="lang.toggle.label">English</button>'
        )
    slots = {
        "lang": "en" if en else "id",
        "description": escape(page.description[1 if en else 0]),
        "title_key": page.title_key,
        "title": escape(page.title[1 if en else 0]),
        "static": static,
        "head": "\n".join(head),
        "config": _config_json(config),
        "skip": "Skip to content" if en else "Lewati ke isi",
        "root": root,
        "nav_label": "Sections" if en else "Bagian",
        "nav": "\n".join(links),
        "toggle": toggle,
        "main_class": "container narrow-page" if page.narrow else "container",
        "main": main,
    }
    return _SLOT.sub(lambda match: slots[match.group(1)], layout)


def public_page_body(name: str, *, language: str = "id", main: str = NOSCRIPT, root: str = "", extra=None) -> str:
    """A public page, with this deployment's static version and configuration."""
    from chalicelib.adapters import web_assets
    from chalicelib.config import settings

    config = settings()
    page = PUBLIC_PAGES[name]
    web = web_assets.files(reload=config.is_local)
    data = {**client_config(config, reference=page.reference, maps=page.map), **(extra or {})}
    return render_public(name, web.version, web.pages["public"], data, language=language, main=main, root=root)


def public_headers(name: str, cache: str = "no-cache") -> dict[str, str]:
    from chalicelib.config import settings

    policy = content_security_policy(settings(), maps=PUBLIC_PAGES[name].map)
    return {**HTML_HEADERS, "Cache-Control": cache, "Content-Security-Policy": policy}


def _html_answer(body: str, page_headers: dict[str, str], status: int = 200) -> Response:
    etag = etag_for(body)
    headers: dict[str, str | list[str]] = {**page_headers, "ETag": etag}
    if status == 200 and etag_matches(bp.current_request.headers.get("if-none-match"), etag):
        return Response(body="", status_code=304, headers=headers)
    return Response(body=body, status_code=status, headers=headers)


def _page(name: str) -> Response:
    from chalicelib.adapters import web_assets
    from chalicelib.config import settings

    config = settings()
    web = web_assets.files(reload=config.is_local)
    officer = name == "officer"  # its queue has a map view
    body = render_page(web.pages[name], web.version, client_config(config, reference=officer, maps=officer))
    headers = {**HTML_HEADERS, "Content-Security-Policy": content_security_policy(config, maps=officer)}
    return _html_answer(body, headers)


def _public(name: str, **options) -> Response:
    status = options.pop("status", 200)
    return _html_answer(public_page_body(name, **options), public_headers(name), status)


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
    return _public("track")


@bp.route("/performance", methods=["GET"])
@handles_errors
def performance_page():
    return _public("performance")


@bp.route("/map", methods=["GET"])
@handles_errors
def map_page():
    return _public("map")


NO_SUCH_REPORT = (
    '<h1>Laporan tidak ditemukan</h1><p class="alert alert-error" role="alert">'
    "Tidak ada laporan publik dengan nomor ini. Laporan yang dirahasiakan tidak ditampilkan. / "
    '<span lang="en">No public report has this id. Confidential reports are not shown.</span></p>'
    '<p><a href="../map" data-i18n="view.to_map">Lihat peta laporan</a></p>'
)


@bp.route("/reports/{public_id}", methods=["GET"])
@handles_errors
@limited(bp, "public_map")
def report_view_page(public_id):
    """One report's public page (its public id: Open311's service_request_id)."""
    from chalicelib.bootstrap import services
    from chalicelib.services.public_map import public_case

    app = services()
    case = public_case(public_id, app.cases, app.settings.tracking_code_key)
    if case is None:
        return _public("report-view", root="../", main=NO_SUCH_REPORT, status=404)
    return _public("report-view", root="../", extra={"report_id": public_id})


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
    headers: dict[str, str | list[str]] = {
        "Content-Type": asset.content_type,
        "Cache-Control": cache,
        "ETag": asset.etag,
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "same-origin",
    }
    if etag_matches(bp.current_request.headers.get("if-none-match"), asset.etag):
        return Response(body="", status_code=304, headers=headers)
    return Response(body=asset.body, status_code=200, headers=headers)
