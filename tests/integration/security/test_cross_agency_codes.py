"""An officer never holds another agency's tracking code (issue 19).

A case of agency B is related to a case of agency A in every way the system
relates cases (a duplicate candidate, a merge, the merge's history entries);
then every officer GET route (tests/support/routes.py) is called as an officer
of A and each answer is searched for B's code in any spelling. B is named by
its public id and agency instead. And ``merge`` needs the right on both cases.
"""

from __future__ import annotations

import json
import re

import pytest

from chalicelib.domain.request_ids import public_id
from tests.integration.conftest import partner_body, signed_headers, unique
from tests.support.routes import OFFICER, ROUTES


def report(client, runner, category):
    raw = json.dumps(partner_body(unique("XAGENCY"), category=category)).encode()
    answer = client.http.post("/webhooks/jaki", body=raw, headers=signed_headers(raw))
    assert answer.status_code == 201, answer.body
    runner.drain()
    return json.loads(answer.body)["tracking_code"]


def act(client, headers, code, operation, body):
    return client.http.post(
        f"/officer/cases/{code}/{operation}",
        headers={**headers, "Content-Type": "application/json"},
        body=json.dumps(body).encode(),
    )


def leaks(text: str, code: str) -> bool:
    squeezed = re.sub(r"[^0-9a-z]", "", text.lower())
    return code.lower() in text.lower() or code.replace("-", "").lower() in squeezed


@pytest.fixture
def related(client, runner, officers):
    from chalicelib.bootstrap import services

    mine = report(client, runner, "garbage")  # Dinas LH
    theirs = report(client, runner, "damaged_road")  # Dinas Bina Marga
    other_mine = report(client, runner, "garbage")
    cases = services().cases
    case = cases.get(mine)
    case.duplicate_candidates = [theirs]  # as the duplicate search writes them
    cases.save(case)
    merged = act(client, officers["bureau"], other_mine, "merge", {"primary": theirs})  # A's other case into B's
    assert merged.status_code == 200, merged.body
    folded = act(client, officers["bureau"], theirs, "merge", {"primary": mine})  # ...and B's case into A's
    assert folded.status_code == 200, folded.body
    runner.drain()
    return mine, other_mine, theirs


def test_no_officer_get_route_shows_an_officer_a_code_of_a_case_they_may_not_open(client, officers, related, code_key):
    mine, other_mine, theirs = related
    headers = officers["dinas_lh"]
    answers = {}
    for (method, path), spec in ROUTES.items():
        if spec.access != OFFICER or method != "GET":
            continue
        for code in (mine, other_mine):
            response = client.http.get(path.replace("{code}", code), headers=headers)
            assert response.status_code == 200, (path, response.status_code)
            answers[(path, code)] = response.body.decode()
    assert {path for path, _ in answers} >= {"/officer/cases/{code}", "/officer/cases/{code}/history"}
    for where, body in answers.items():
        assert not leaks(body, theirs), where
    view = json.loads(answers[("/officer/cases/{code}", mine)])
    named = {"public_id": public_id(theirs, code_key), "agency": "Dinas Bina Marga"}
    assert view["duplicate_candidates"] == [named] and view["merged_cases"] == [named]
    assert json.loads(answers[("/officer/cases/{code}", other_mine)])["merged_into"] == named
    # Whoever may open both cases sees the codes.
    bureau = json.loads(client.http.get(f"/officer/cases/{mine}", headers=officers["bureau"]).body)
    assert bureau["duplicate_candidates"] == [theirs] and bureau["merged_cases"] == [theirs]


def test_merging_into_another_agencys_case_is_403(client, runner, officers):
    mine = report(client, runner, "garbage")
    theirs = report(client, runner, "damaged_road")
    refused = act(client, officers["dinas_lh"], mine, "merge", {"primary": theirs})
    assert refused.status_code == 403, refused.body
    assert json.loads(refused.body)["error"]["code"] == "forbidden"
    own = report(client, runner, "garbage")
    assert act(client, officers["dinas_lh"], mine, "merge", {"primary": own}).status_code == 200


def test_a_notification_about_a_case_transferred_away_names_it_by_public_id(client, runner, officers, code_key):
    """Planted marker: Dinas LH was told of its new case; once the case is transferred to
    Bina Marga, LH may not open it, and its inbox no longer shows that case's code (not in
    the entry, its event id, or the page's cursor)."""
    import base64

    planted = report(client, runner, "garbage")  # assigned to Dinas LH: an entry in its inbox
    moved = act(client, officers["dinas_lh"], planted, "transfer", {"agency_id": "dinas-bina-marga", "reason": "jalan"})
    assert moved.status_code == 200, moved.body
    runner.drain()
    inbox = client.http.get("/officer/notifications", headers=officers["dinas_lh"])
    assert inbox.status_code == 200
    body = json.loads(inbox.body)
    cursor = base64.urlsafe_b64decode(body["cursor"].encode()).decode() if body["cursor"] else ""
    assert not leaks(inbox.body.decode(), planted) and not leaks(cursor, planted)
    named = {"public_id": public_id(planted, code_key), "agency": "Dinas Bina Marga"}
    about = [item for item in body["items"] if item["tracking_code"] == named]
    assert about and all(item["event_id"].startswith(named["public_id"]) for item in about)
    # Bina Marga, which holds it now, is told by its code.
    theirs = json.loads(client.http.get("/officer/notifications", headers=officers["bina_marga"]).body)
    assert any(item["tracking_code"] == planted for item in theirs["items"])
