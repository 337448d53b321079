"""Priorities and response templates over HTTP against the local stack."""

import time

import requests

from tests.integration.conftest import partner_body, post_report


def _case(stack, runner) -> str:
    created = post_report(stack, partner_body(description=f"Sampah menumpuk {time.time_ns()}"))
    assert created.status_code == 201, created.text
    runner.drain()  # routed to the Dinas LH
    return created.json()["tracking_code"]


def test_the_holder_sets_a_priority_it_is_audited_and_the_queue_shows_it(stack, app_env, runner, officers):
    code = _case(stack, runner)
    url = f"{stack.api_url}/officer/cases/{code}/priority"
    before = requests.get(f"{stack.api_url}/officer/cases/{code}", headers=officers["dinas_lh"], timeout=10).json()
    assert before["priority"] == "normal" and "set_priority" in before["available_operations"]

    assert (
        requests.post(
            url, json={"priority": "critical", "reason": "x"}, headers=officers["dinas_lh"], timeout=10
        ).status_code
        == 422
    )
    assert requests.post(url, json={"priority": "urgent"}, headers=officers["dinas_lh"], timeout=10).status_code == 422
    assert (
        requests.post(
            url, json={"priority": "urgent", "reason": "x"}, headers=officers["bina_marga"], timeout=10
        ).status_code
        == 403
    )
    assert (
        requests.post(
            url, json={"priority": "urgent", "reason": "x"}, headers=officers["supervisor"], timeout=10
        ).status_code
        == 403
    )

    urgent = requests.post(
        url,
        json={"priority": "urgent", "reason": "Menutup saluran air", "version": before["version"]},
        headers=officers["dinas_lh"],
        timeout=10,
    )
    assert urgent.status_code == 200, urgent.text
    view = urgent.json()
    assert view["priority"] == "urgent"
    assert view["sla"]["coordinate_by"] < before["sla"]["coordinate_by"]
    assert view["sla"]["resolve_by"] < before["sla"]["resolve_by"]
    audit = [h for h in view["history"] if h["type"] == "case.priority_changed"]
    assert [(h["data"]["previous"], h["data"]["priority"], h["public"]) for h in audit] == [("normal", "urgent", False)]
    status = requests.get(f"{stack.api_url}/status/{code}", timeout=10)
    assert "Menutup saluran air" not in status.text and "priority" not in status.text

    queue = requests.get(
        f"{stack.api_url}/officer/queue",
        params={"view": "agency", "priority": "urgent"},
        headers=officers["dinas_lh"],
        timeout=10,
    )
    assert queue.status_code == 200, queue.text
    rows = {row["tracking_code"]: row for row in queue.json()["items"]}
    assert code in rows and rows[code]["priority"] == "urgent"
    assert all(row["priority"] == "urgent" for row in rows.values())
    low = requests.get(
        f"{stack.api_url}/officer/queue",
        params={"view": "agency", "priority": "low"},
        headers=officers["dinas_lh"],
        timeout=10,
    ).json()
    assert code not in {row["tracking_code"] for row in low["items"]}
    assert (
        requests.get(
            f"{stack.api_url}/officer/queue", params={"priority": "soon"}, headers=officers["dinas_lh"], timeout=10
        ).status_code
        == 422
    )

    by_bureau = requests.post(
        url, json={"priority": "low", "reason": "Sudah ditangani darurat"}, headers=officers["bureau"], timeout=10
    )
    assert by_bureau.status_code == 200, by_bureau.text
    assert by_bureau.json()["sla"]["resolve_by"] == before["sla"]["resolve_by"]  # low never lengthens


def test_agency_officers_keep_their_templates_and_get_them_filled_in(stack, app_env, runner, officers):
    base = f"{stack.api_url}/officer/templates"
    tid = f"diangkut-{time.time_ns() % 10**9}"
    good = {
        "category": "garbage",
        "title": "Diangkut",
        "text_id": "Laporan {tracking_code}: {agency} mengangkut sampah ({category}) sebelum {expected_date}. {{ok}}",
        "text_en": "Report {tracking_code}: {agency} collects it by {expected_date}.",
    }

    unknown = requests.put(
        f"{base}/{tid}",
        json={**good, "text_en": "Dear {name}, {tracking_code}"},
        headers=officers["dinas_lh"],
        timeout=10,
    )
    assert unknown.status_code == 422 and "{name}" in unknown.text
    brace = requests.put(
        f"{base}/{tid}", json={**good, "text_id": "kurung { sendiri"}, headers=officers["dinas_lh"], timeout=10
    )
    assert brace.status_code == 422 and "text_id" in brace.text
    assert (
        requests.put(
            f"{base}/{tid}", json={**good, "category": "no_such"}, headers=officers["dinas_lh"], timeout=10
        ).status_code
        == 422
    )
    assert requests.put(f"{base}/Bad_Id", json=good, headers=officers["dinas_lh"], timeout=10).status_code == 422
    assert (
        requests.put(
            f"{base}/{tid}", json={**good, "agency_id": "dinas-lh"}, headers=officers["bina_marga"], timeout=10
        ).status_code
        == 403
    )
    assert requests.put(f"{base}/{tid}", json=good, headers=officers["bureau"], timeout=10).status_code == 403

    saved = requests.put(f"{base}/{tid}", json=good, headers=officers["dinas_lh"], timeout=10)
    assert saved.status_code == 200, saved.text
    assert saved.json()["agency_id"] == "dinas-lh"
    listed = requests.get(base, headers=officers["dinas_lh"], timeout=10).json()
    assert tid in {t["id"] for t in listed["items"]}
    assert tid not in {t["id"] for t in requests.get(base, headers=officers["bina_marga"], timeout=10).json()["items"]}

    code = _case(stack, runner)
    rendered = requests.get(f"{stack.api_url}/officer/cases/{code}/templates", headers=officers["dinas_lh"], timeout=10)
    assert rendered.status_code == 200, rendered.text
    mine = next(t for t in rendered.json()["items"] if t["id"] == tid)
    assert mine["text"]["id"].startswith(f"Laporan {code}: Dinas Lingkungan Hidup mengangkut sampah (")
    assert mine["text"]["id"].endswith(". {ok}") and "{" not in mine["text"]["en"]
    other = requests.get(f"{stack.api_url}/officer/cases/{code}/templates", headers=officers["bina_marga"], timeout=10)
    assert other.status_code == 403

    assert requests.delete(f"{base}/{tid}", headers=officers["dinas_lh"], timeout=10).status_code == 200
    assert requests.delete(f"{base}/{tid}", headers=officers["dinas_lh"], timeout=10).status_code == 404
