"""The officer client's server side over HTTP against the local stack (issue 20): counts of a
queue larger than a page, search, bulk actions with a case of another agency, the CSV export."""

from __future__ import annotations

import csv
import io
import time

import requests

from tests.integration.conftest import partner_body, post_report


def _cases(stack, runner, word: str, n: int, category: str = "garbage") -> list[str]:
    codes = []
    for i in range(n):
        created = post_report(
            stack, partner_body(category=category, description=f"Laporan {word} nomor {i} di depan pasar")
        )
        assert created.status_code == 201, created.text
        codes.append(created.json()["tracking_code"])
    runner.drain()  # routed: garbage to the Dinas LH, damaged roads to Bina Marga
    return codes


def _queue(stack, headers, **params):
    answer = requests.get(f"{stack.api_url}/officer/queue", params=params, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_counts_are_the_whole_filtered_queue_and_match_every_page_read(stack, runner, officers):
    word = f"hitung{time.time_ns()}"
    mine = _cases(stack, runner, word, 12)
    first = _queue(stack, officers["dinas_lh"], view="agency", limit=5)
    assert first["count"] == 5 and first["cursor"] and first["truncated"] is False
    seen, cursor = [row["tracking_code"] for row in first["items"]], first["cursor"]
    while cursor:
        page = _queue(stack, officers["dinas_lh"], view="agency", limit=5, cursor=cursor)
        assert page["counts"] is None  # only the first page counts
        seen += [row["tracking_code"] for row in page["items"]]
        cursor = page["cursor"]
    assert first["counts"]["total"] == len(seen) == len(set(seen)) >= 12 and set(mine) <= set(seen)
    assert sum(first["counts"]["by_status"].values()) == len(seen)
    breached = _queue(stack, officers["dinas_lh"], view="agency", due="breached", limit=100)
    assert first["counts"]["breached"] == breached["counts"]["total"]

    found = _queue(stack, officers["dinas_lh"], view="agency", q=word.upper(), limit=5)
    assert found["counts"]["total"] == 12 and found["count"] == 5 and found["cursor"] is None
    assert {row["tracking_code"] for row in found["items"]} <= set(mine)


def test_a_code_jumps_to_a_case_only_for_an_officer_who_may_open_it(stack, runner, officers):
    word = f"lompat{time.time_ns()}"
    [road] = _cases(stack, runner, word, 1, category="damaged_road")
    theirs = _queue(stack, officers["bina_marga"], view="agency", q=road)
    assert theirs["jump"] == road and [row["tracking_code"] for row in theirs["items"]] == [road]
    for text in (road, road.replace("-", "").lower(), word):
        other = _queue(stack, officers["dinas_lh"], view="agency", q=text)
        assert other["jump"] is None and other["items"] == [] and other["counts"]["total"] == 0
    for bad in ("x" * 101, "<script>", "50%"):
        refused = requests.get(
            f"{stack.api_url}/officer/queue", params={"q": bad}, headers=officers["dinas_lh"], timeout=10
        )
        assert refused.status_code == 422 and refused.json()["error"]["details"][0]["field"] == "q"


def test_bulk_priority_changes_the_cases_it_may_and_reports_the_one_it_may_not(stack, runner, officers):
    word = f"massal{time.time_ns()}"
    mine = _cases(stack, runner, word, 3)
    [road] = _cases(stack, runner, word, 1, category="damaged_road")
    url = f"{stack.api_url}/officer/cases/bulk"
    body = {"action": "priority", "codes": [*mine, road], "priority": "urgent", "reason": "Banjir"}
    answer = requests.post(url, json=body, headers=officers["dinas_lh"], timeout=60)
    assert answer.status_code == 200, answer.text
    outcome = answer.json()
    assert (outcome["succeeded"], outcome["failed"]) == (3, 1)
    assert [(r["code"], r["ok"], r["error"]) for r in outcome["results"]] == [
        *[(code, True, None) for code in mine],
        (road, False, "not_found"),
    ]
    urgent = _queue(stack, officers["dinas_lh"], view="agency", q=word, priority="urgent")
    assert sorted(row["tracking_code"] for row in urgent["items"]) == sorted(mine)
    case = requests.get(f"{stack.api_url}/officer/cases/{road}", headers=officers["bina_marga"], timeout=10).json()
    assert case["priority"] == "normal"

    for bad in (
        {**body, "codes": []},
        {**body, "codes": [f"C{n}" for n in range(51)]},
        {**body, "codes": [road, road]},
    ):
        refused = requests.post(url, json=bad, headers=officers["dinas_lh"], timeout=10)
        assert refused.status_code == 422, refused.text


def test_the_csv_export_holds_the_filtered_rows(stack, runner, officers):
    word = f"ekspor{time.time_ns()}"
    mine = _cases(stack, runner, word, 4)
    requests.post(
        f"{stack.api_url}/officer/cases/{mine[0]}/priority",
        json={"priority": "low", "reason": "=SUM(A1)"},
        headers=officers["dinas_lh"],
        timeout=10,
    ).raise_for_status()
    answer = requests.get(
        f"{stack.api_url}/officer/queue.csv",
        params={"view": "agency", "q": word, "priority": "normal", "lang": "en"},
        headers=officers["dinas_lh"],
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert not answer.content.startswith(b"\xef\xbb\xbf") and answer.headers["X-Export-Truncated"] == "false"
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8"))))
    listed = _queue(stack, officers["dinas_lh"], view="agency", q=word, priority="normal", limit=100)
    assert sorted(row["tracking_code"] for row in rows) == sorted(r["tracking_code"] for r in listed["items"])
    assert sorted(row["tracking_code"] for row in rows) == sorted(mine[1:])
    assert {row["kelurahan"] for row in rows} == {"Gambir"} and {row["breached"] for row in rows} <= {"yes", "no"}
    assert answer.headers["X-Export-Rows"] == "3"
    refused = requests.get(
        f"{stack.api_url}/officer/queue.csv", params={"due": "late"}, headers=officers["dinas_lh"], timeout=10
    )
    assert refused.status_code == 422
