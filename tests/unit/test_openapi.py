"""The OpenAPI document: complete (every route of the app, nothing else), valid
OpenAPI 3.1, secured as the routes are, with examples that fit their schemas."""

import json

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from chalicelib.api import openapi

HOW_TO = (
    "describe it in chalicelib/api/openapi/<area>.py (OPERATIONS, keyed by method and path as in "
    "@bp.route; see spec.py)"
)


@pytest.fixture(scope="module")
def app():
    import app as application

    return application.app


@pytest.fixture(scope="module")
def document(app):
    return openapi.build(app, "https://crm.example/api")


def test_every_route_is_described_and_every_description_has_its_route(app):
    undocumented, stale = openapi.coverage(app)
    assert not undocumented, f"routes without an OpenAPI description: {undocumented}; {HOW_TO}"
    assert not stale, f"descriptions of routes that do not exist: {stale}"


def test_a_route_added_without_a_description_is_caught(app):
    from chalice import Blueprint, Chalice

    import app as application

    extra = Blueprint("late")

    @extra.route("/officer/walk-in", methods=["POST"])
    def walk_in():
        return {}

    copy = Chalice(app_name="copy")
    for path, methods in application.app.routes.items():
        copy.routes[path] = dict(methods)
    copy.register_blueprint(extra)
    undocumented, _ = openapi.coverage(copy)
    assert undocumented == [("POST", "/officer/walk-in")]


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    validate(document)
    json.dumps(document)  # plain JSON all the way down


def test_each_route_is_served_under_its_documented_paths(app, document):
    for (method, path), described in openapi.operations().items():
        for operation in described:
            documented = operation.path or path
            assert method.lower() in document["paths"][documented], (method, documented)
    assert {"/webhooks/jaki", "/webhooks/sms_1708", "/webhooks/x"} <= set(document["paths"])


def test_signed_in_routes_say_so_and_public_ones_need_nothing(app, document):
    schemes = set(document["components"]["securitySchemes"])
    for (method, path), entry in openapi.routes(app).items():
        for operation in _operations_of(document, method, path):
            assert {name for requirement in operation["security"] for name in requirement} <= schemes
            if entry.authorizer is not None:
                assert operation["security"] == [{openapi.BEARER: []}], path
                assert {"401", "403"} <= set(operation["responses"]), path
            elif path.startswith("/webhooks/") and method == "POST":
                assert operation["security"], path  # every provider signs its deliveries
            elif path.endswith("requests.json") and method == "POST":
                assert operation["security"] == [{openapi.OPEN311_KEY: []}]
            else:
                assert operation["security"] in ([], [{openapi.OPEN311_KEY: []}]), path


def test_every_webhook_channel_is_documented_with_its_own_format(document):
    from chalicelib.channels.registry import webhook_channels

    for channel in webhook_channels():
        assert document["paths"][f"/webhooks/{channel}"]["post"]["requestBody"]["content"], channel
    assert list(document["paths"]["/webhooks/sms_1708"]["post"]["requestBody"]["content"]) == [
        "application/x-www-form-urlencoded"
    ]
    assert document["paths"]["/webhooks/x"]["get"]["responses"]["200"]["content"]["application/json"]
    assert "405" in document["paths"]["/webhooks/jaki"]["get"]["responses"]


def test_officer_action_bodies_come_from_the_command_models(document):
    body = document["paths"]["/officer/cases/{code}/transfer"]["post"]["requestBody"]["content"]
    assert body["application/json"]["schema"] == {"$ref": "#/components/schemas/TransferCommand"}
    transfer = document["components"]["schemas"]["TransferCommand"]
    assert set(transfer["required"]) == {"agency_id", "reason"}
    assert transfer["additionalProperties"] is False


def test_open311_is_documented_in_both_formats(document):
    paths = document["paths"]
    for path in (
        "/open311/v2/services/{service_code}",
        "/open311/v2/requests/{service_request_id}",
        "/open311/v2/tokens/{token}",
    ):
        assert f"{path}.json" in paths and f"{path}.xml" in paths
    assert "text/xml" in paths["/open311/v2/requests.xml"]["post"]["responses"]["201"]["content"]
    form = paths["/open311/v2/requests.json"]["post"]["requestBody"]["content"]
    assert list(form) == ["application/x-www-form-urlencoded"]


def _operations_of(document, method, path):
    return [
        document["paths"][operation.path or path][method.lower()] for operation in openapi.operations()[(method, path)]
    ]


def _examples(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for media in (operation.get("requestBody") or {}).get("content", {}).values():
                if "example" in media:
                    yield f"{method} {path} request", media
            for status, response in operation["responses"].items():
                for media in response.get("content", {}).values():
                    if "example" in media:
                        yield f"{method} {path} {status}", media


def test_every_example_fits_its_schema(document):
    checked = 0
    for where, media in _examples(document):
        schema = {**media["schema"], "components": document["components"]}
        errors = list(Draft202012Validator(schema).iter_errors(media["example"]))
        if media["schema"].get("type") == "string":
            continue  # XML and HTML examples are text
        assert not errors, f"{where}: {errors[0].message}"
        checked += 1
    assert checked > 20


def test_the_served_document_is_cached_and_names_this_server(monkeypatch):
    from chalice.test import Client

    import app as application

    monkeypatch.setenv("PUBLIC_BASE_URL", "https://crm.example/api")
    with Client(application.app) as client:
        response = client.http.get("/openapi.json")
    assert response.status_code == 200
    assert json.loads(response.body)["servers"] == [{"url": "https://crm.example/api"}]


def test_every_rate_limited_route_documents_its_429_with_retry_after(app, document):
    from chalicelib.api.limits import route_limit

    limited = 0
    for (method, path), described in openapi.operations().items():
        entry = app.routes[path][method]
        limit = route_limit(entry.view_function)
        for operation in described:
            responses = document["paths"][operation.path or path][method.lower()]["responses"]
            if limit is None:
                assert "429" not in responses or path.startswith("/open311"), (method, path)
                continue
            limited += 1
            assert "Retry-After" in responses["429"]["headers"], (method, path)
            if limit.fail_closed:
                assert "503" in responses, (method, path)
    assert limited >= 25
    form = document["paths"]["/report"]["post"]["responses"]["429"]
    assert list(form["content"]) == ["text/html"]
    open311 = document["paths"]["/open311/v2/services.xml"]["get"]["responses"]["429"]
    assert "application/xml" in open311["content"] or "text/xml" in open311["content"]
