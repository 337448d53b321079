"""A case's whole life through the HTTP API, signed in with Cognito (moto), and
the events behind it delivered by the local event runner."""

import base64
import json
import threading

import pytest
import requests

from tests.integration.conftest import moto_signed_token, partner_body, post_report
from tests.support.images import jpeg_with_metadata, metadata_leaks


def officer_post(stack, headers, code, path, body=None):
    return requests.post(
        f"{stack.api_url}/officer/cases/{code}/{path}",
        headers=headers,
        json=body if body is not None else {},
        timeout=30,
    )


def new_routed_case(stack, runner, **overrides):
    code = post_report(stack, partner_body(**overrides)).json()["tracking_code"]
    runner.drain()
    return code


def public(stack, code):
    return requests.get(f"{stack.api_url}/status/{code}", timeout=10).json()


def test_the_whole_lifecycle(stack, runner, officers, aws):
    code = new_routed_case(stack, runner)
    assert public(stack, code)["agency"]["id"] == "dinas-lh"

    queue = requests.get(f"{stack.api_url}/officer/queue", headers=officers["dinas_lh"], timeout=10).json()
    assert queue["view"] == "family"
    assert code in [row["tracking_code"] for row in queue["items"]]

    step = officer_post(stack, officers["dinas_lh"], code, "delegate", {"agency_id": "sudin-lh-jakpus"})
    assert step.status_code == 200, step.text
    assert step.json()["agency"]["id"] == "sudin-lh-jakpus"
    sudin_queue = requests.get(f"{stack.api_url}/officer/queue", headers=officers["sudin_lh"], timeout=10).json()
    assert sudin_queue["view"] == "agency" and code in [row["tracking_code"] for row in sudin_queue["items"]]

    plan = officer_post(stack, officers["sudin_lh"], code, "plan", {"text": "Truk sampah datang besok 07.00"})
    assert plan.status_code == 200 and plan.json()["status"] == "plan_submitted"
    review = requests.get(f"{stack.api_url}/officer/queue?view=review", headers=officers["bureau"], timeout=10)
    assert code in [row["tracking_code"] for row in review.json()["items"]]
    verified = officer_post(stack, officers["bureau"], code, "plan/verify")
    assert verified.json()["status"] == "in_progress"

    progress = officer_post(stack, officers["sudin_lh"], code, "progress", {"percent": 50, "text": "Separuh diangkut"})
    assert progress.json()["progress"] == 50

    photo = jpeg_with_metadata()
    resolved = officer_post(
        stack,
        officers["sudin_lh"],
        code,
        "resolve",
        {"note": "Sudah bersih", "photo_base64": base64.b64encode(photo).decode()},
    )
    assert resolved.status_code == 200, resolved.text
    view = public(stack, code)
    assert view["status"] == "resolved" and view["can_confirm_or_reopen"]
    texts = [entry["text"] for entry in view["timeline"]]
    assert any("Didelegasikan ke Suku Dinas Lingkungan Hidup Jakarta Pusat" in t for t in texts)
    assert any("Progres 50%" in t for t in texts)
    completion = [p for p in view["photos"] if p["kind"] == "completion"]
    served = requests.get(completion[0]["url"], timeout=10)
    assert served.status_code == 200 and metadata_leaks(served.content) == []

    feedback = requests.post(f"{stack.api_url}/status/{code}/feedback", json={"rating": 5}, timeout=10)
    assert feedback.status_code == 200 and feedback.json()["status"] == "closed"
    assert requests.post(f"{stack.api_url}/status/{code}/reopen", json={"reason": "x"}, timeout=10).status_code == 409


def test_reporter_can_reopen_and_bad_feedback_is_422(stack, runner, officers):
    code = new_routed_case(stack, runner)
    assert requests.post(f"{stack.api_url}/status/{code}/feedback", json={"rating": 5}, timeout=10).status_code == 409
    for path, body in (("plan", {"text": "Segera"}),):
        officer_post(stack, officers["dinas_lh"], code, path, body)
    officer_post(stack, officers["bureau"], code, "plan/verify")
    officer_post(
        stack,
        officers["dinas_lh"],
        code,
        "resolve",
        {"photo_base64": base64.b64encode(jpeg_with_metadata(40, 30)).decode()},
    )
    bad = requests.post(f"{stack.api_url}/status/{code}/feedback", json={"rating": 9}, timeout=10)
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "rating"
    reopened = requests.post(f"{stack.api_url}/status/{code}/reopen", json={"reason": "Masih kotor"}, timeout=10)
    assert reopened.status_code == 200 and reopened.json()["status"] == "in_progress"


def test_officers_of_another_agency_get_403(stack, runner, officers):
    code = new_routed_case(stack, runner)
    other = officers["bina_marga"]
    assert requests.get(f"{stack.api_url}/officer/cases/{code}", headers=other, timeout=10).status_code == 403
    attempt = officer_post(stack, other, code, "plan", {"text": "Saya ambil"})
    assert attempt.status_code == 403 and attempt.json()["error"]["code"] == "forbidden"
    queue = requests.get(f"{stack.api_url}/officer/queue?agency_id=dinas-lh", headers=other, timeout=10)
    assert queue.status_code == 403
    verify = officer_post(stack, officers["dinas_lh"], code, "plan/verify")
    assert verify.status_code == 403  # only the Bureau verifies


def test_illegal_transitions_and_stale_versions_are_409(stack, runner, officers):
    code = new_routed_case(stack, runner)
    early = officer_post(
        stack,
        officers["dinas_lh"],
        code,
        "resolve",
        {"photo_base64": base64.b64encode(jpeg_with_metadata(40, 30)).decode()},
    )
    assert early.status_code == 409 and early.json()["error"]["code"] == "illegal_transition"
    detail = requests.get(f"{stack.api_url}/officer/cases/{code}", headers=officers["dinas_lh"], timeout=10).json()
    version = detail["version"]
    first = officer_post(stack, officers["dinas_lh"], code, "comments", {"text": "a", "version": version})
    stale = officer_post(stack, officers["dinas_lh"], code, "comments", {"text": "b", "version": version})
    assert first.status_code == 200
    assert stale.status_code == 409 and stale.json()["error"]["current_version"] == version + 1


def test_two_officers_at_once_one_wins(stack, runner, officers):
    code = new_routed_case(stack, runner)
    version = requests.get(f"{stack.api_url}/officer/cases/{code}", headers=officers["dinas_lh"], timeout=10).json()[
        "version"
    ]
    barrier, answers = threading.Barrier(2), []

    def act(headers, body):
        barrier.wait()
        answers.append(officer_post(stack, headers, code, "transfer", body).status_code)

    # Both may transfer any case, whoever wins: the loser's answer is then the version conflict
    # alone. (A holder racing the Bureau may instead read the case after it has left its agency,
    # and be refused it: 403, not 409; which one depends only on timing.)
    threads = [
        threading.Thread(
            target=act,
            args=(officers["supervisor"], {"agency_id": "dinas-sda", "reason": "Genangan", "version": version}),
        ),
        threading.Thread(
            target=act,
            args=(officers["bureau"], {"agency_id": "dinas-bina-marga", "reason": "Jalan", "version": version}),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200, 409]


def test_validation_errors_name_the_field(stack, runner, officers):
    code = new_routed_case(stack, runner)
    bad = officer_post(stack, officers["dinas_lh"], code, "progress", {"percent": 150, "text": ""})
    assert bad.status_code == 422
    assert {d["field"] for d in bad.json()["error"]["details"]} == {"percent", "text"}
    unknown = officer_post(stack, officers["dinas_lh"], code, "transfer", {"agency_id": "nope", "reason": "x"})
    assert unknown.status_code == 422
    not_json = requests.post(
        f"{stack.api_url}/officer/cases/{code}/comments",
        data="{",
        headers={**officers["dinas_lh"], "Content-Type": "application/json"},
        timeout=10,
    )
    assert not_json.status_code == 422
    missing = requests.get(f"{stack.api_url}/officer/cases/AAAAA-AAAAA-AAAA", headers=officers["dinas_lh"], timeout=10)
    assert missing.status_code == 404


@pytest.mark.parametrize("kind", ["missing", "garbage", "expired", "other_audience", "other_pool", "bad_signature"])
def test_bad_tokens_are_401(stack, kind):
    if kind == "missing":
        response = requests.get(f"{stack.api_url}/officer/queue", timeout=10)
        assert response.status_code == 401
        return
    if kind == "garbage":
        token = "not.a.jwt"
    elif kind == "expired":
        token = moto_signed_token(stack, exp=1_700_000_000, iat=1_699_990_000)
    elif kind == "other_audience":
        token = moto_signed_token(stack, aud="someone-else")
    elif kind == "other_pool":
        token = moto_signed_token(stack, iss="https://cognito-idp.ap-southeast-3.amazonaws.com/ap-southeast-3_other")
    else:
        good = moto_signed_token(stack)
        head, body, signature = good.split(".")
        token = ".".join([head, body, signature[::-1]])
    response = requests.get(f"{stack.api_url}/officer/queue", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 401
    assert response.json()["error"]["code"] in ("unauthorized", "token_expired")


def test_a_valid_token_without_an_officer_role_is_403(stack):
    token = moto_signed_token(stack, **{"cognito:groups": ["citizens"]})
    response = requests.get(f"{stack.api_url}/officer/queue", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 403


def test_triage_and_admin_routing_rules(stack, runner, officers):
    code = new_routed_case(stack, runner, category="other")
    triage = requests.get(f"{stack.api_url}/officer/queue?view=triage", headers=officers["bureau"], timeout=10)
    assert code in [row["tracking_code"] for row in triage.json()["items"]]
    assert (
        requests.get(f"{stack.api_url}/officer/queue?view=triage", headers=officers["dinas_lh"], timeout=10).status_code
        == 403
    )
    assigned = officer_post(stack, officers["bureau"], code, "assign", {"agency_id": "dinas-citata"})
    assert assigned.status_code == 200 and assigned.json()["status"] == "assigned"

    rule = {"category": "other", "area": "31.71", "agency_id": "walikota-jakpus"}
    assert (
        requests.put(
            f"{stack.api_url}/admin/routing-rules", json=rule, headers=officers["bureau"], timeout=10
        ).status_code
        == 403
    )
    saved = requests.put(f"{stack.api_url}/admin/routing-rules", json=rule, headers=officers["admin"], timeout=10)
    assert saved.status_code == 200
    assert {"category": "other", "area": "31.71", "agency_id": "walikota-jakpus", "source": "admin"} in saved.json()[
        "rules"
    ]
    bad = requests.put(
        f"{stack.api_url}/admin/routing-rules",
        json={**rule, "agency_id": "nope"},
        headers=officers["admin"],
        timeout=10,
    )
    assert bad.status_code == 422
    # The in-process router caches rules for a minute; a new process sees the edit.
    from chalicelib.services.routing import forget_cached_rules

    forget_cached_rules()
    routed = new_routed_case(stack, runner, category="other")
    assert public(stack, routed)["agency"]["id"] == "walikota-jakpus"
    requests.delete(
        f"{stack.api_url}/admin/routing-rules?category=other&area=31.71", headers=officers["admin"], timeout=10
    )


def test_officer_view_shows_contact_only_to_those_allowed(stack, runner, officers):
    body = partner_body(reporter={"name": "Siti Kontak", "phone": "+6281277771111", "anonymous": False})
    code = post_report(stack, body).json()["tracking_code"]
    runner.drain()
    officer_post(stack, officers["dinas_lh"], code, "collaborators", {"agency_id": "dinas-sda"})
    holder = requests.get(f"{stack.api_url}/officer/cases/{code}", headers=officers["dinas_lh"], timeout=10).json()
    collaborator = requests.get(f"{stack.api_url}/officer/cases/{code}", headers=officers["sda"], timeout=10).json()
    assert holder["reporter"]["name"] == "Siti Kontak"
    assert collaborator["reporter"] is None and "Siti Kontak" not in json.dumps(collaborator)
    assert "post_progress" not in collaborator["available_operations"]  # not in progress yet
    assert "submit_plan" in holder["available_operations"]


def test_notifications_inbox(stack, runner, officers):
    code = new_routed_case(stack, runner)
    officer_post(stack, officers["dinas_lh"], code, "plan", {"text": "Segera"})
    runner.drain()
    inbox = requests.get(f"{stack.api_url}/officer/notifications", headers=officers["bureau"], timeout=10).json()
    assert any(item["tracking_code"] == code and item["event_type"] == "plan.submitted" for item in inbox["items"])
    lh_inbox = requests.get(f"{stack.api_url}/officer/notifications", headers=officers["dinas_lh"], timeout=10)
    assert any(
        item["tracking_code"] == code and item["event_type"] == "case.assigned" for item in lh_inbox.json()["items"]
    )


def test_metrics_answer_from_counters(stack, runner, officers):
    before = requests.get(f"{stack.api_url}/metrics/agencies", timeout=10).json()
    lh_before = next((r for r in before["agencies"] if r["agency_id"] == "dinas-lh"), {"received": 0})
    code = new_routed_case(stack, runner)
    officer_post(stack, officers["dinas_lh"], code, "reject", {"reason": "spam"})
    runner.drain()
    after = requests.get(f"{stack.api_url}/metrics/agencies", timeout=10).json()
    lh_after = next(r for r in after["agencies"] if r["agency_id"] == "dinas-lh")
    assert lh_after["received"] == lh_before["received"] + 1
    assert "Siti" not in json.dumps(after)
    detail = requests.get(f"{stack.api_url}/metrics/agencies/dinas-lh", timeout=10)
    assert detail.status_code == 200 and detail.json()["agency"]["name"] == "Dinas Lingkungan Hidup"
    assert requests.get(f"{stack.api_url}/metrics/agencies?from=yesterday", timeout=10).status_code == 422
    assert requests.get(f"{stack.api_url}/metrics/agencies/nope", timeout=10).status_code == 404
