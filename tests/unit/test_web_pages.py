"""The web client's files and the security policy they are served with."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from chalicelib.adapters import web_assets
from chalicelib.api import web
from chalicelib.config import CognitoSettings, Settings

WEB = Path(web_assets.WEB_DIR)

SETTINGS = Settings(
    stage="prod",
    region="ap-southeast-3",
    cases_table="t",
    photos_bucket="crm-prod-photos-1-x",
    events_topic_arn=None,
    public_base_url="https://crm.jakarta.go.id",
    photo_url_ttl_seconds=900,
    webhook_max_skew_seconds=300,
    cognito=CognitoSettings(region="ap-southeast-3", user_pool_id="ap-southeast-3_abc", client_id="client123"),
)


def directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ")}


def test_in_aws_the_policy_allows_exactly_this_api_the_regional_cognito_and_the_photo_bucket():
    policy = directives(web.content_security_policy(SETTINGS, env={}))
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == [
        "'self'",
        "https://cognito-idp.ap-southeast-3.amazonaws.com",
        "https://crm-prod-photos-1-x.s3.amazonaws.com",
        "https://crm-prod-photos-1-x.s3.ap-southeast-3.amazonaws.com",
    ]
    assert policy["img-src"] == [
        "'self'",
        "blob:",
        "https://crm-prod-photos-1-x.s3.amazonaws.com",
        "https://crm-prod-photos-1-x.s3.ap-southeast-3.amazonaws.com",
    ]
    assert policy["frame-ancestors"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["require-trusted-types-for"] == ["'script'"] and policy["trusted-types"] == ["'none'"]
    assert "upgrade-insecure-requests" in policy
    assert "unsafe-inline" not in web.content_security_policy(SETTINGS, env={})


def test_locally_the_policy_and_sign_in_point_at_the_configured_endpoint():
    local = replace(SETTINGS, stage="local", public_base_url="http://127.0.0.1:8000")
    env = {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}
    policy = directives(web.content_security_policy(local, env=env))
    assert policy["connect-src"] == ["'self'", "http://127.0.0.1:4566"]
    assert policy["img-src"] == ["'self'", "blob:", "http://127.0.0.1:4566"]
    assert "upgrade-insecure-requests" not in policy
    assert web.client_config(local, env=env)["cognito_endpoint"] == "http://127.0.0.1:4566/"
    per_service = {
        **env,
        "AWS_ENDPOINT_URL_COGNITO_IDP": "http://127.0.0.1:9229",
        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000/",
    }
    policy = directives(web.content_security_policy(local, env=per_service))
    assert policy["connect-src"] == ["'self'", "http://127.0.0.1:9229", "http://127.0.0.1:9000"]


def test_the_page_config_is_public_and_cannot_close_its_script_block():
    config = web.client_config(SETTINGS, env={}, reference=True)
    assert config["client_id"] == "client123"
    assert config["cognito_endpoint"] == "https://cognito-idp.ap-southeast-3.amazonaws.com/"
    assert {c["id"] for c in config["categories"]} >= {"garbage", "damaged_road"}
    assert {"code": "31.71", "name": "Jakarta Pusat"} in config["kota"]
    page = web.render_page(
        '<script type="application/json" id="c">{{config}}</script>{{static}}',
        "v1",
        {"evil": "</script><script>alert(1)</script> & more"},
    )
    assert page.count("</script>") == 1 and page.endswith("static/v1")
    data = page[page.index(">") + 1 : page.index("</script>")]
    assert json.loads(data) == {"evil": "</script><script>alert(1)</script> & more"}


class _Scripts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts, self.inline_styles, self.handlers, self.references = [], 0, [], []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes)
        if tag == "style" or "style" in attributes:
            self.inline_styles += 1
        self.handlers += [name for name in attributes if name.startswith("on")]
        for name in ("src", "href"):
            if (attributes.get(name) or "").startswith("{{static}}/"):
                self.references.append(attributes[name].removeprefix("{{static}}/"))


@pytest.mark.parametrize("page", web_assets.PAGES)
def test_pages_have_no_inline_code_and_reference_only_files_that_exist(page):
    parser = _Scripts()
    parser.feed((WEB / f"{page}.html").read_text())
    for script in parser.scripts:
        assert script.get("src") or script.get("type") == "application/json", script
    assert parser.inline_styles == 0 and parser.handlers == []
    files = web_assets.load()
    assert parser.references and all(name in files.static for name in parser.references)


def test_scripts_never_build_html_from_strings():
    sinks = re.compile(
        r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|"
        r"setAttribute\(\s*[\"']style|\.srcdoc"
    )
    for path in sorted((WEB / "static").glob("*.js")):
        found = sinks.findall(path.read_text())
        assert found == [], f"{path.name}: {found}"


def test_static_imports_resolve_to_shipped_files():
    files = web_assets.load()
    for name, asset in files.static.items():
        if name.endswith(".js"):
            for imported in re.findall(r'from\s+"\./([a-z0-9-]+\.js)"', asset.body):
                assert imported in files.static, f"{name} imports {imported}"


def test_the_static_version_changes_with_any_file(tmp_path):
    (tmp_path / "static").mkdir()
    for page in web_assets.PAGES:
        (tmp_path / f"{page}.html").write_text("<p>")
    (tmp_path / "static" / "a.js").write_text("1")
    (tmp_path / "static" / "notes.txt").write_text("not served")
    before = web_assets.load(tmp_path)
    assert set(before.static) == {"a.js"}
    (tmp_path / "static" / "a.js").write_text("2")
    assert web_assets.load(tmp_path).version != before.version


@pytest.mark.parametrize("name", ["../app.py", "..", ".env", "style.CSS", "a/b.js", "x.html", "x.py", "%2e%2e"])
def test_only_plain_names_of_known_types_are_served(name):
    assert not web_assets.STATIC_NAME.match(name)
