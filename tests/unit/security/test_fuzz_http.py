"""Bad input everywhere, through the HTTP layer (chalice.test.Client on the
real app, in-memory fakes behind it): whatever arrives, the answer is a
success or a 4xx JSON error naming the problem -- never a 500.

Every public and partner route of the app is fuzzed by
``test_every_public_route_answers_anything_honestly`` (derived from the route
table: a new route is included by classifying it); staff routes are fuzzed
signed in, on moto (tests/integration/security/test_fuzz_staff_routes.py).
Every webhook channel needs a wire-format strategy in ``WIRE_DOCUMENTS``.
"""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain import categories
from tests.support.images import jpeg_with_metadata
from tests.support.routes import API_KEY, PARTNER, PUBLIC, app_routes, routes_with
from tests.support.webhooks import PROFILES, Delivery, Report, send

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# --- values -----------------------------------------------------------------------------

huge_text = st.builds(lambda n, c: c * n, st.integers(1_000, 100_000), st.characters(codec="utf-8"))
text = st.one_of(st.text(max_size=40), huge_text, st.sampled_from(["", " ", "\x00", "null", "🙂" * 50, "\u202e"]))
numbers = st.one_of(st.integers(), st.floats(), st.integers(-(10**30), 10**30), st.sampled_from([1e308, -0.0]))
json_values = st.recursive(
    st.none() | st.booleans() | numbers | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=15,
)
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)


def _dumps(document) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8", "surrogatepass")


# --- wire formats, per webhook channel ----------------------------------------------------

partner_documents = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "report_id": st.one_of(json_values, st.text(max_size=300)),
            "category": st.one_of(json_values, st.sampled_from(categories.ids())),
            "description": json_values,
            "location": st.one_of(
                json_values,
                st.fixed_dictionaries({}, optional={"lat": json_values, "lng": json_values, "address": json_values}),
            ),
            "reporter": st.one_of(
                json_values,
                st.fixed_dictionaries(
                    {},
                    optional={
                        "name": json_values,
                        "phone": json_values,
                        "email": json_values,
                        "anonymous": json_values,
                    },
                ),
            ),
            "photos": st.one_of(
                json_values,
                st.lists(
                    st.fixed_dictionaries({}, optional={"content_type": json_values, "data_base64": json_values}),
                    max_size=7,
                ),
            ),
            "created_at": json_values,
            "language": json_values,
        },
    ),
).map(_dumps)


def _mutated(document: object, replacement: st.SearchStrategy) -> st.SearchStrategy:
    """A provider's document with any of its values (at any depth) replaced, or removed."""
    paths: list[tuple] = []

    def walk(node, path):
        paths.append(path)
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in children:
            walk(child, (*path, key))

    walk(document, ())

    def apply(changes):
        result = json.loads(json.dumps(document))
        for path, value, remove in changes:
            if not path:
                return value
            try:
                parent = result
                for key in path[:-1]:
                    parent = parent[key]
                if remove and isinstance(parent, dict):
                    del parent[path[-1]]
                else:
                    parent[path[-1]] = value
            except (KeyError, IndexError, TypeError):
                continue
        return result

    change = st.tuples(st.sampled_from(paths), replacement, st.booleans())
    return st.lists(change, min_size=1, max_size=4).map(apply)


def _messaging_documents(channel: str) -> st.SearchStrategy:
    profile = PROFILES[channel]
    document = json.loads(profile.encode(Report("FUZZ-1", reporter={"name": "Siti", "phone": "+6281234567890"})))
    return st.one_of(json_values, _mutated(document, json_values)).map(_dumps)


def _twilio_forms() -> st.SearchStrategy:
    from urllib.parse import parse_qsl

    fields = dict(parse_qsl(PROFILES["sms_1708"].encode(Report("FUZZ-1")).decode()))
    names = st.one_of(
        st.sampled_from([*fields, "NumMedia", "MediaUrl0", "MediaContentType0", "MessageStatus"]), st.text(max_size=20)
    )
    values = st.one_of(text, st.sampled_from(["", "1", "11", "-1", "https://api.twilio.com/x", "image/jpeg"]))
    return st.dictionaries(names, values, max_size=8).map(lambda extra: urlencode({**fields, **extra}).encode())


WIRE_DOCUMENTS = {
    "jaki": partner_documents,
    "qlue": partner_documents,
    "sms_1708": _twilio_forms(),
    **{channel: _messaging_documents(channel) for channel in ("whatsapp", "facebook", "governor_social", "x")},
}

PHOTO = jpeg_with_metadata(32, 24)
reports = st.builds(
    Report,
    message_id=st.one_of(st.text(max_size=300), st.just("")),
    description=text,
    category=st.one_of(st.sampled_from(categories.ids()), text),
    reporter=st.one_of(
        st.none(),
        st.fixed_dictionaries(
            {},
            optional={
                "name": st.one_of(st.none(), text),
                "phone": st.one_of(st.none(), text, st.just("+6281234567890")),
                "email": st.one_of(st.none(), text, st.just("siti@example.com")),
            },
        ),
    ),
    anonymous=st.booleans(),
    photos=st.lists(st.one_of(st.binary(max_size=200), st.just(PHOTO), st.just(PHOTO[:200])), max_size=2).map(tuple),
    location=st.one_of(st.none(), st.fixed_dictionaries({"lat": numbers, "lng": numbers}, optional={"address": text})),
)


# --- the checks -----------------------------------------------------------------------------


# Pages a person reaches from a link in an e-mail or SMS, or a report's public page (a link
# shared or followed from the map): their errors are pages too.
LINK_PAGES = frozenset({"/alerts/confirm", "/alerts/unsubscribe"})
LINK_PAGE_PREFIXES = ("/reports/",)


def assert_honest(answer, allowed=frozenset({200, 201, 302, 304}), path=""):
    assert answer.status < 500, (answer.status, answer.body[:500])
    if answer.status in allowed:
        return
    assert 400 <= answer.status < 500, answer.status
    if "x-amzn-errortype" in answer.headers:  # API Gateway's own answer (no token): {"message": ...}
        assert isinstance(answer.json()["message"], str)
        return
    content_type = answer.headers.get("content-type", "")
    link_page = path in LINK_PAGES or path.startswith(LINK_PAGE_PREFIXES)
    if link_page and content_type.startswith("text/html"):  # a person followed a link: a page
        assert b"<html" in answer.body and b"<script>" not in answer.body, answer.body[:300]
        return
    if path == "/open311" or path.startswith("/open311/"):  # GeoReport v2's own error format, as asked for
        if content_type.startswith(("text/xml", "application/xml")):
            assert b"<errors>" in answer.body and b"<description>" in answer.body, answer.body[:300]
            return
        errors = answer.json()
        if isinstance(errors, list):
            assert errors and all(isinstance(e["code"], int) and isinstance(e["description"], str) for e in errors), (
                errors
            )
            return  # else: refused before the Open311 view (method, media type), in our format
    assert content_type.startswith("application/json"), answer.headers
    error = answer.json()["error"]
    assert isinstance(error["code"], str) and error["code"] and isinstance(error["message"], str)


def test_every_webhook_channel_has_a_wire_fuzzer():
    assert set(WIRE_DOCUMENTS) == set(PROFILES)


@pytest.mark.parametrize("channel", list(PROFILES))
@FUZZ
@given(raw=st.data())
def test_webhooks_answer_any_signed_document_honestly(app_client, channel, raw):
    profile = PROFILES[channel]
    body = raw.draw(st.one_of(WIRE_DOCUMENTS[channel], st.binary(max_size=2_000)))
    assert_honest(send(app_client, profile.signed(body)))


@pytest.mark.parametrize("channel", list(PROFILES))
@FUZZ
@given(report=reports)
def test_webhooks_answer_any_report_in_the_wire_format_honestly(app_client, channel, report):
    assert_honest(send(app_client, PROFILES[channel].delivery(report)))


@pytest.mark.parametrize("channel", list(PROFILES))
@FUZZ
@given(
    headers=st.dictionaries(
        st.sampled_from(
            [
                "X-CRM-Timestamp",
                "X-CRM-Signature",
                "Content-Type",
                "X-Correlation-Id",
                "Content-Encoding",
                "X-Twilio-Signature",
                "X-Twilio-Webhooks-Signature-Settings",
                "X-Hub-Signature-256",
                "x-twitter-webhooks-signature",
            ]
        ),
        header_text,
        max_size=5,
    )
)
def test_webhooks_answer_any_headers_honestly(app_client, channel, headers):
    profile = PROFILES[channel]
    good = profile.delivery(Report("FUZZ-HEADERS"))
    answer = send(app_client, Delivery(good.path, {**good.headers, **headers}, good.body))
    assert_honest(answer)


@FUZZ
@given(channel=st.text(min_size=1, max_size=80), body=st.binary(max_size=200))
def test_any_webhook_path_is_answered_honestly(app_client, channel, body):
    path = "/webhooks/" + quote(channel, safe="")
    assert_honest(send(app_client, Delivery(path, {"Content-Type": "application/json"}, body)))


@pytest.fixture
def stored_code(app_client):
    answer = send(app_client, PROFILES["jaki"].delivery(Report("FUZZ-STORED", photos=(PHOTO,))))
    return answer.json()["tracking_code"]


def _query(values: dict[str, str]) -> str:
    return ("?" + urlencode(values)) if values else ""


status_headers = st.fixed_dictionaries(
    {}, optional={"Accept-Language": header_text, "If-None-Match": header_text, "X-Correlation-Id": header_text}
)


path_values = {
    "{channel}": st.one_of(st.sampled_from(sorted(PROFILES)), st.text(min_size=1, max_size=30)),
    "{tracking_code}": st.one_of(st.just("STORED"), st.text(min_size=1, max_size=40)),
    "{photo_id}": st.one_of(st.just("p1"), st.text(min_size=1, max_size=20)),
    "{agency_id}": st.one_of(st.sampled_from(["dinas-lh", "biro-pemerintahan"]), st.text(min_size=1, max_size=30)),
    "{service_code}": st.one_of(
        st.sampled_from(["garbage.json", "garbage.xml", "garbage", "x.yaml"]), st.text(min_size=1, max_size=30)
    ),
    "{service_request_id}": st.one_of(st.sampled_from(["0" * 26 + ".json", "x.xml"]), st.text(min_size=1, max_size=40)),
    "{token}": st.text(min_size=1, max_size=40),
    "{public_id}": st.one_of(st.just("STORED"), st.sampled_from(["0" * 26]), st.text(min_size=1, max_size=40)),
    "{asset}": st.one_of(st.sampled_from(["swagger-ui.css", "swagger-ui-bundle.js"]), st.text(min_size=1, max_size=30)),
    "{version}": st.text(min_size=1, max_size=20),
    "{name}": st.one_of(st.sampled_from(["officer.js", "app.css"]), st.text(min_size=1, max_size=30)),
}
bodies = st.one_of(json_values.map(_dumps), st.binary(max_size=300))


# Open311's routes need its partner-key store and batch reader, which the fakes
# here do not have: schemathesis fuzzes them on moto (tests/integration/test_api_fuzz.py).
FUZZED_HERE = sorted(route for route in routes_with(PUBLIC, PARTNER, API_KEY) if not route[1].startswith("/open311/"))


@pytest.mark.parametrize("route", FUZZED_HERE, ids=lambda r: f"{r[0]} {r[1]}")
@FUZZ
@given(data=st.data())
def test_every_public_route_answers_anything_honestly(app_client, stored_code, monkeypatch, route, data):
    from chalicelib.api import health

    monkeypatch.setattr(health, "_dependency_checks", lambda: {"dynamodb": "ok", "s3": "ok"})
    method, path = route
    for name, strategy in path_values.items():
        if name in path:
            value = data.draw(strategy)
            path = path.replace(name, quote(stored_code if value == "STORED" else value, safe=""))
    names = ["lang", "from", "to", "deep", "x", "category", "status", "kota", "days", "page", "page_size", "lat", "lng"]
    query = data.draw(st.dictionaries(st.sampled_from(names), st.text(max_size=20), max_size=4))
    headers = data.draw(status_headers)
    headers["Content-Type"] = data.draw(st.one_of(st.just("application/json"), header_text))
    body = data.draw(bodies) if method in ("POST", "PUT") else b""
    assert_honest(send(app_client, Delivery(path + _query(query), headers, body), method=method), path=path)


@FUZZ
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
    route=st.sampled_from(sorted(path for _, path in app_routes() if not path.startswith("/open311"))),
    content_type=header_text,
)
def test_wrong_methods_and_content_types_get_our_json_errors(app_client, method, route, content_type):
    path = (
        route.replace("{channel}", "jaki")
        .replace("{tracking_code}", "K7QM4-XPA9R-TD2W")
        .replace("{photo_id}", "p1")
        .replace("{code}", "K7QM4-XPA9R-TD2W")
        .replace("{agency_id}", "dinas-lh")
    )
    answer = send(app_client, Delivery(path, {"Content-Type": content_type}, b"{}"), method=method)
    assert_honest(answer, path=path)
