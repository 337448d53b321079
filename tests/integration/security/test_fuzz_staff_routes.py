"""Bad input on the staff routes, signed in (Cognito tokens from moto): every
officer and admin route, derived from the route table, answers any body,
query and path with a success or a 4xx JSON error -- never a 500."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.conftest import partner_body, post_report
from tests.support.routes import ADMIN, OFFICER, routes_with
from tests.support.webhooks import Delivery, send

FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=10,
)
fields = st.fixed_dictionaries(
    {},
    optional={
        name: values
        for name in (
            "agency_id",
            "reason",
            "text",
            "comment",
            "percent",
            "note",
            "photo_base64",
            "upload_key",
            "version",
            "primary",
            "category",
            "area",
            "content_type",
            "rating",
        )
    },
)


@pytest.fixture(scope="module")
def fuzz_case(stack):
    return post_report(stack, partner_body()).json()["tracking_code"]


@pytest.mark.parametrize("route", sorted(routes_with(OFFICER, ADMIN)), ids=lambda r: f"{r[0]} {r[1]}")
@FUZZ
@given(data=st.data())
def test_staff_routes_answer_anything_honestly(client, officers, fuzz_case, route, data):
    method, path = route
    who = data.draw(st.sampled_from(sorted(officers) + ["garbage"]))
    headers = dict(officers.get(who, {"Authorization": "Bearer garbage"}))
    if "{code}" in path:
        code = data.draw(st.one_of(st.just(fuzz_case), st.text(min_size=1, max_size=30)))
        path = path.replace("{code}", quote(code, safe=""))
    query = data.draw(
        st.dictionaries(
            st.sampled_from(["view", "agency_id", "status", "category", "kota", "due", "limit", "cursor", "area", "x"]),
            st.text(max_size=20),
            max_size=3,
        )
    )
    if query:
        path += "?" + urlencode(query)
    body = b""
    if method in ("POST", "PUT"):
        headers["Content-Type"] = "application/json"
        body = data.draw(
            st.one_of(
                fields.map(lambda d: json.dumps(d).encode()),
                values.map(lambda d: json.dumps(d).encode()),
                st.binary(max_size=100),
            )
        )
    answer = send(client, Delivery(path, headers, body), method=method)
    assert answer.status < 500, (who, method, path, answer.body[:400])
    if answer.status >= 400:
        assert answer.headers.get("content-type", "").startswith("application/json")
        error = answer.json()["error"]
        assert error["code"] and error["message"]
