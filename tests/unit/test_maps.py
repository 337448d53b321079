"""The maps' web side: the vendored Leaflet is the one recorded, the map pages'
policy (tile origin, the one Trusted Types policy) and nothing more for the
other pages, the tile settings, and the shared layout of the public pages."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from chalicelib.adapters import web_assets
from chalicelib.api import web
from chalicelib.config import ConfigurationError, Settings

WEB = Path(web_assets.WEB_DIR)
VENDORED = {
    "leaflet.js": "db49d009c841f5ca34a888c96511ae936fd9f5533e90d8b2c4d57596f4e5641a",
    "leaflet.css": "a7837102824184820dfa198d1ebcd109ff6d0ff9a2672a074b9a1b4d147d04c6",
    "LICENSE": "53e8dc25862014e4324741ca18fbe3611e11d42ef69f59f86ea8c5389647d4cb",
}
OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
SETTINGS = Settings(
    stage="prod",
    region="ap-southeast-3",
    cases_table="t",
    photos_bucket="crm-prod-photos",
    events_topic_arn=None,
    public_base_url="https://crm.jakarta.go.id",
    photo_url_ttl_seconds=900,
    webhook_max_skew_seconds=300,
    map_tile_url=OSM,
    map_tile_attribution="© OpenStreetMap contributors",
)


def directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ")}


@pytest.mark.parametrize("name", sorted(VENDORED))
def test_the_vendored_leaflet_files_are_unchanged(name):
    assert hashlib.sha256((WEB / "vendor" / name).read_bytes()).hexdigest() == VENDORED[name]
    assert (
        "1.9.4" in (WEB / "vendor" / "VENDORED.md").read_text()
        and VENDORED[name] in (WEB / "vendor" / "VENDORED.md").read_text()
    )


def test_the_trusted_types_policy_passes_only_markup_leaflet_itself_writes():
    allowed = re.search(r"LEAFLET_MARKUP = Object\.freeze\(\[(.*?)\]\)", (WEB / "static" / "map.js").read_text(), re.S)
    strings = re.findall(r"""(?:"([^"]*)"|'([^']*)')\s*,""", allowed.group(1))
    markup = [double or single for double, single in strings]
    library = (WEB / "vendor" / "leaflet.js").read_text()
    assert len(markup) == 4
    for fixed in markup:  # each one a literal of Leaflet's own, never text from a report
        assert f'"{fixed}"' in library or f"'{fixed}'" in library, fixed


def test_leaflet_and_the_outlines_are_served_as_static_files():
    files = web_assets.load()
    assert {"leaflet.js", "leaflet.css", "area-outlines.json", "map.js"} <= set(files.static)
    outlines = json.loads(files.static["area-outlines.json"].body)
    assert {feature["properties"]["level"] for feature in outlines["features"]} == {"kota", "kecamatan"}
    assert files.static["area-outlines.json"].content_type.startswith("application/json")


def test_a_name_served_from_two_places_is_refused(tmp_path):
    for folder in ("static", "vendor"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "leaflet.js").write_text(folder)
    for page in web_assets.PAGES:
        (tmp_path / f"{page}.html").write_text("<p>")
    with pytest.raises(ValueError, match="leaflet.js"):
        web_assets.load(tmp_path)


def test_map_pages_add_the_tile_origin_and_leaflets_policy_and_other_pages_do_not():
    plain = directives(web.content_security_policy(SETTINGS, env={}))
    mapped = directives(web.content_security_policy(SETTINGS, env={}, maps=True))
    assert plain["trusted-types"] == ["'none'"] and "https://tile.openstreetmap.org" not in plain["img-src"]
    assert mapped["trusted-types"] == ["default"] and mapped["require-trusted-types-for"] == ["'script'"]
    assert mapped["img-src"][-1] == "https://tile.openstreetmap.org"
    assert mapped["script-src"] == ["'self'"] and mapped["style-src"] == ["'self'"]
    assert mapped["connect-src"] == plain["connect-src"]  # tiles are images, never fetched by script
    offline = directives(web.content_security_policy(replace(SETTINGS, map_tile_url=None), env={}, maps=True))
    assert offline["img-src"] == plain["img-src"]


def test_tile_settings_are_checked():
    assert web.tile_origin("https://{s}.tile.example.org/{z}/{x}/{y}.png") == "https://*.tile.example.org"
    assert web.map_config(SETTINGS) == {"tile_url": OSM, "attribution": "© OpenStreetMap contributors"}
    assert web.map_config(replace(SETTINGS, map_tile_url=None)) == {"tile_url": None, "attribution": None}
    for bad in (
        "http://tile.example.org/{z}/{x}/{y}.png",  # not https outside local
        "https://tile.example.org/{z}/{x}.png",
        "javascript:alert(1)//{z}/{x}/{y}",
        'https://tile.example.org/{z}/{x}/{y}.png" onerror="x',
        "https://tile.example.org:99999999/{z}/{x}/{y}",
    ):
        with pytest.raises(ConfigurationError, match="MAP_TILE_URL"):
            web.map_config(replace(SETTINGS, map_tile_url=bad))
    with pytest.raises(ConfigurationError, match="MAP_TILE_ATTRIBUTION"):
        web.map_config(replace(SETTINGS, map_tile_attribution=None))
    local = replace(SETTINGS, stage="local", map_tile_url="http://127.0.0.1:9000/{z}/{x}/{y}.png")
    assert web.map_config(local)["tile_url"].startswith("http://")


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts, self.styles, self.links, self.current = [], 0, [], []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes)
        if tag == "style" or "style" in attributes:
            self.styles += 1
        if tag == "a" and attributes.get("aria-current") == "page":
            self.current.append(attributes["href"])
        for name in ("src", "href"):
            value = attributes.get(name) or ""
            if "static/v1/" in value:
                self.links.append(value.split("static/v1/", 1)[1])


@pytest.mark.parametrize("name", sorted(web.PUBLIC_PAGES))
def test_every_public_page_shares_the_layout_and_references_shipped_files(name):
    files = web_assets.load()
    root = "../" if name == "report-view" else ""
    html = web.render_public(name, "v1", files.pages["public"], {"a": 1}, root=root)
    page = _Page()
    page.feed(html)
    assert page.styles == 0 and all(s.get("src") or s.get("type") == "application/json" for s in page.scripts)
    assert page.links and all(link in files.static for link in page.links), page.links
    spec = web.PUBLIC_PAGES[name]
    assert page.current == ([f"{root}{spec.nav}"] if spec.nav else [])
    assert ("leaflet.css" in page.links) is spec.map and f"{root}static/v1/{spec.script}" in html
    assert '<header class="topbar">' in html and html.count("<nav") == 1


def test_the_layout_is_filled_in_one_pass_so_text_never_becomes_a_slot():
    files = web_assets.load()
    html = web.render_public(
        "report", "v1", files.pages["public"], {"x": "</script>"}, main="<p>{{config}} {{static}}</p>"
    )
    assert "<p>{{config}} {{static}}</p>" in html and html.count("</script>") == 2  # the module and the data
    assert "\\u003c/script\\u003e" in html


def test_the_navigation_texts_are_the_pages_own():
    texts = (WEB / "static" / "i18n.js").read_text()
    for _page, key, text_id, text_en in web.NAVIGATION:
        assert f'"{key}": ["{text_id}", "{text_en}"]' in texts, key
