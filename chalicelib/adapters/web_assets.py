"""The web client's files (chalicelib/web/), read from the deployment package.

No build step: the HTML pages and the static files (ES modules, CSS, SVG) are
served as they are in the repository, with two more sources under the same
flat names: the vendored map library (web/vendor/: leaflet.js, leaflet.css,
unchanged from npm; see VENDORED.md there) and the kecamatan and kota outlines
the maps draw when no tile server is configured (data/area_outlines.geojson,
served as area-outlines.json). Static URLs carry a version, a digest of
all static files, so browsers may keep them for a year and still fetch new
ones after a deploy:

    static/<version>/officer.js     Cache-Control: public, max-age=31536000, immutable

The files are read once per process (a Lambda container); locally
(CRM_STAGE=local) on every request, so edits show without a restart.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

WEB_DIR = Path(__file__).resolve().parents[1] / "web"

CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml; charset=utf-8",
    ".json": "application/json; charset=utf-8",
}
# Only plain names of known types: no directories, no dot files, no traversal.
STATIC_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*\.(?:js|css|svg|json)$")
PAGES = ("officer", "public")  # officer.html; public.html, the layout of every public page
VENDOR = "vendor"
# Served name -> a file outside static/ (relative to the web directory).
DATA_FILES = {"area-outlines.json": Path("..") / "data" / "area_outlines.geojson"}


@dataclass(frozen=True)
class Asset:
    body: str
    content_type: str
    etag: str


@dataclass(frozen=True)
class WebFiles:
    version: str
    static: dict[str, Asset]
    pages: dict[str, str]  # page name -> HTML template


def _etag(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest()[:24] + '"'


def _sources(root: Path) -> list[tuple[str, Path]]:
    """(served name, file) of every static file, sorted by name."""
    found: dict[str, Path] = {}
    vendored = sorted((root / VENDOR).iterdir()) if (root / VENDOR).is_dir() else []
    data = [root / path for path in DATA_FILES.values() if (root / path).is_file()]
    names = {path: name for name, path in ((name, root / path) for name, path in DATA_FILES.items())}
    for path in [*sorted((root / "static").iterdir()), *vendored, *data]:
        name = names.get(path, path.name)
        if not STATIC_NAME.match(name):
            continue
        if name in found:
            raise ValueError(f"two static files are served as {name}: {found[name]} and {path}")
        found[name] = path
    return sorted(found.items())


def load(root: Path = WEB_DIR) -> WebFiles:
    digest = hashlib.sha256()
    static: dict[str, Asset] = {}
    for name, path in _sources(root):
        data = path.read_bytes()
        digest.update(name.encode() + b"\0" + data + b"\0")
        static[name] = Asset(data.decode("utf-8"), CONTENT_TYPES[Path(name).suffix], _etag(data))
    pages = {name: (root / f"{name}.html").read_text(encoding="utf-8") for name in PAGES}
    return WebFiles(version=digest.hexdigest()[:12], static=static, pages=pages)


@lru_cache(maxsize=1)
def _cached() -> WebFiles:
    return load()


def files(reload: bool = False) -> WebFiles:
    return load() if reload else _cached()
