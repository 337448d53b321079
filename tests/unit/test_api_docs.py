"""GET /docs: the vendored viewer, unchanged, under a strict Content Security Policy."""

import hashlib
from pathlib import Path

import pytest
from chalice.test import Client

from chalicelib.api import docs

# swagger-ui-dist 5.35.0 from the npm registry (see chalicelib/web/apidocs/VENDORED.md).
VENDORED = {
    "swagger-ui-bundle.js": "e6a898692f2d768e807c3ba4626068a69a2c5dd960dd6c76f3e4d3a3de180af2",
    "swagger-ui.css": "5ed08757e53da3e026d6cbecc61fe5d43585c9560b302d534ad56692519a273d",
    "swagger-ui-bundle.js.LICENSE.txt": "37eb6e7e59aed57b2c1acf076574b818ea07b74265717e0bd67b59e0baf9abbb",
    "LICENSE": "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30",
    "NOTICE": "0d20d1adef18aee3f40dd258172155521ce702ac445cb5f7b7d60ed32dad2fb2",
}


@pytest.fixture
def client():
    import app

    with Client(app.app) as test_client:
        yield test_client


def test_the_vendored_files_are_the_published_ones():
    for name, digest in VENDORED.items():
        assert hashlib.sha256((Path(docs.ASSETS) / name).read_bytes()).hexdigest() == digest, name


def test_the_page_loads_only_this_origin(client):
    response = client.http.get("/docs")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    page = response.body.decode()
    assert "<script>" not in page and "style=" not in page and "http" not in page.replace("http-equiv", "")


def test_the_viewer_calls_no_outside_validator():
    assert "validatorUrl: null" in (Path(docs.ASSETS) / "crm-docs.js").read_text()


@pytest.mark.parametrize("asset", list(docs.ASSET_TYPES))
def test_every_asset_is_served_with_its_type(client, asset):
    response = client.http.get(f"/docs/{asset}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == docs.ASSET_TYPES[asset]


@pytest.mark.parametrize("asset", ["VENDORED.md", "..%2F..%2Fconfig.py", "docs.py", "swagger-ui.css.map"])
def test_nothing_else_is_served(client, asset):
    assert client.http.get(f"/docs/{asset}").status_code == 404
