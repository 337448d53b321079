"""The officer client's server side (issue 20): search, counts of the whole filtered
queue, the CSV export and bulk actions, against the fakes (the case lists port is the
adapter itself on an in-memory table)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters import reference_data
from chalicelib.adapters.case_queries import read_card
from chalicelib.api.http import to_api_error
from chalicelib.domain import request_ids, search, tracking
from chalicelib.domain.case import SYSTEM, Case
from chalicelib.domain.channels import Channel
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.permissions import Principal, Role
from chalicelib.domain.report import build_report
from chalicelib.services import officer_queue as oq
from chalicelib.services.bulk import apply_bulk
from chalicelib.services.lifecycle import Deps
from tests.support.fakes import FakeCaseQueries, FakeCaseRepository, FakePhotoStore, FixedClock

T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
KEY = b"unit-tracking-key"
MONAS = {"lat": -6.1754, "lng": 106.8272}
LH = Principal("u-lh", frozenset({Role.AGENCY_OFFICER}), "dinas-lh")
BINA_MARGA = Principal("u-bm", frozenset({Role.AGENCY_OFFICER}), "dinas-bina-marga")


@pytest.fixture
def cases():
    return FakeCaseRepository()


def put(cases, n, *, description="Sampah menumpuk", address=None, agency="dinas-lh", category="garbage", at=T0):
    location = {**MONAS, "address": address} if address else MONAS
    report = build_report(
        channel=Channel.JAKI, message_id=f"m{n}", category=category, description=description, location=location
    )
    case = Case.open(report, tracking.new_code(), at, policy=reference_data.sla_catalogue().for_category(category))
    case.area = reference_data.areas().locate(MONAS["lat"], MONAS["lng"])
    case.assign(reference_data.agencies().require(agency), at, SYSTEM)
    cases.add(case)
    return case.tracking_code


def describe(error):
    answer = to_api_error(error)
    return answer.code, answer.message


# --- words ---------------------------------------------------------------------------------


def test_words_are_folded_once_and_kept_within_their_budget():
    assert search.fold("Jalan MÉRDEKA no.12-A, RT 03/RW 05") == "jalan merdeka no 12 a rt 03 rw 05"
    assert search.searchable("Lubang besar lubang", "Jl. Kebon Sirih") == "lubang besar jl kebon sirih"
    long = search.searchable(" ".join(f"kata{n}" for n in range(200)))
    assert len(long) <= search.WORDS_CHARS and long.endswith(long.split()[-1])
    assert search.matches(search.query_words("LUBANG sirih"), "jalan berlubang kebon sirih")
    assert not search.matches(search.query_words("lubang monas"), "jalan berlubang kebon sirih")


@pytest.mark.parametrize("text", ["a" * 101, "<script>", "x;drop", "50%", "a\x00b"])
def test_a_query_out_of_its_domain_is_refused(text):
    assert not search.valid_query(text)


def test_the_card_carries_description_and_address_words_and_the_deadlines(cases):
    code = put(cases, 1, description="Pohon tumbang di trotoar", address="Jl. Cikini Raya")
    card = read_card(cases.items[code]["card"])
    assert "tumbang" in card.words and "cikini" in card.words
    assert card.coordinate_by and card.resolve_by and card.coordinate_by < card.resolve_by
    old = {**cases.items[code]["card"]}
    for field in ("words", "coordinate_by", "resolve_by"):
        old.pop(field)
    assert read_card(old).words == "pohon tumbang di trotoar"  # written before: the summary's words


# --- search and counts ---------------------------------------------------------------------


def test_words_find_cases_by_description_or_address_across_the_whole_queue(cases):
    for n in range(30):
        put(cases, n, description=f"Sampah ke-{n}")
    wanted = put(cases, 99, description="Got mampet berbau", address="Jl. Kebon Kacang")
    also = put(cases, 98, description="Saluran", address="Gang Kebon Kacang III")
    lists = FakeCaseQueries(cases)
    chosen = oq.QueueFilter("agency", "dinas-lh", q="mampet")
    page = oq.queue_page(lists, chosen, limit=5, cursor=None, now=T0, language="id")
    assert [row.tracking_code for row in page.items] == [wanted]
    assert page.counts.total == 1 and page.cursor is None and page.jump is None
    page = oq.queue_page(
        lists, oq.QueueFilter("agency", "dinas-lh", q="kebon KACANG"), limit=5, cursor=None, now=T0, language="id"
    )
    assert sorted(row.tracking_code for row in page.items) == sorted([wanted, also])


def test_counts_cover_the_whole_filtered_queue_not_the_page(cases):
    for n in range(12):
        put(cases, n, at=T0 - timedelta(days=n))  # older reports: earlier deadlines, some passed
    put(cases, 50, agency="dinas-bina-marga", category="damaged_road")
    lists = FakeCaseQueries(cases)
    now = T0 + timedelta(hours=3)
    page = oq.queue_page(lists, oq.QueueFilter("agency", "dinas-lh"), limit=5, cursor=None, now=now, language="id")
    assert page.count == 5 and page.cursor and lists.requests == 1  # page and counts from one Query
    seen, cursor = [row.tracking_code for row in page.items], page.cursor
    while cursor:
        more = oq.queue_page(
            lists, oq.QueueFilter("agency", "dinas-lh"), limit=5, cursor=cursor, now=now, language="id"
        )
        seen, cursor = seen + [row.tracking_code for row in more.items], more.cursor
    assert len(seen) == len(set(seen)) == 12
    assert page.counts.total == 12 and sum(page.counts.by_status.values()) == 12
    breached = oq.queue_page(
        lists, oq.QueueFilter("agency", "dinas-lh", due="breached"), limit=100, cursor=None, now=now, language="id"
    )
    soon = oq.queue_page(
        lists, oq.QueueFilter("agency", "dinas-lh", due="soon"), limit=100, cursor=None, now=now, language="id"
    )
    assert page.counts.breached == breached.count == breached.counts.total > 0
    assert page.counts.due_soon == soon.count
    later = oq.queue_page(
        lists, oq.QueueFilter("agency", "dinas-lh"), limit=5, cursor=page.cursor, now=now, language="id"
    )
    assert later.counts is None and later.count == 5


def test_counting_stops_at_its_budget_and_says_so(cases, monkeypatch):
    for n in range(6):
        put(cases, n)
    monkeypatch.setattr(oq, "SCAN_BUDGET", 4)
    page = oq.queue_page(
        FakeCaseQueries(cases), oq.QueueFilter("agency", "dinas-lh"), limit=2, cursor=None, now=T0, language="id"
    )
    assert page.truncated and page.counts.total == 4


def test_a_code_or_public_id_jumps_only_to_a_case_the_officer_may_open(cases):
    mine = put(cases, 1)
    theirs = put(cases, 2, agency="dinas-bina-marga", category="damaged_road")
    lists = FakeCaseQueries(cases)
    for text in (mine, mine.lower().replace("-", ""), request_ids.public_id(mine, KEY)):
        case = oq.find_case(text, LH, cases, KEY)
        assert case is not None and case.tracking_code == mine
        page = oq.queue_page(
            lists, oq.QueueFilter("agency", "dinas-lh", q=text), limit=5, cursor=None, now=T0, language="id", jump=case
        )
        assert page.jump == mine and [row.tracking_code for row in page.items] == [mine]
    assert oq.find_case(theirs, LH, cases, KEY) is None
    assert oq.find_case(request_ids.public_id(theirs, KEY), LH, cases, KEY) is None
    assert oq.find_case(theirs, BINA_MARGA, cases, KEY) is not None


# --- CSV -----------------------------------------------------------------------------------


def test_the_export_has_the_meeting_columns_and_the_filtered_rows(cases):
    codes = [put(cases, n) for n in range(3)]
    put(cases, 9, agency="dinas-bina-marga", category="damaged_road")
    export = oq.export_csv(FakeCaseQueries(cases), oq.QueueFilter("agency", "dinas-lh"), T0, "en", KEY)
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert list(rows[0]) == list(oq.EXPORT_COLUMNS) and export.rows == 3 and not export.truncated
    assert sorted(row["tracking_code"] for row in rows) == sorted(codes)
    row = rows[0]
    assert row["public_id"] == request_ids.public_id(row["tracking_code"], KEY)
    assert row["kelurahan"] == "Gambir" and row["kota"] == "Jakarta Pusat"
    assert row["breached"] == "no" and row["received_at"] == "2026-11-23 10:00"
    assert row["coordinate_due"] > row["received_at"] and row["resolve_due"] > row["coordinate_due"]


def test_a_cell_a_spreadsheet_would_run_gets_an_apostrophe():
    assert oq._cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert [oq._cell(v) for v in ("+1", "-1", "@x", "ok")] == ["'+1", "'-1", "'@x", "ok"]


def test_the_export_is_bounded_and_says_when_rows_were_left_out(cases, monkeypatch):
    for n in range(4):
        put(cases, n)
    monkeypatch.setattr(oq, "EXPORT_ROWS", 3)
    export = oq.export_csv(FakeCaseQueries(cases), oq.QueueFilter("agency", "dinas-lh"), T0, "id", KEY)
    assert export.rows == 3 and export.truncated and export.text.count("\r\n") == 4


# --- bulk ----------------------------------------------------------------------------------


def deps_for(cases):
    return Deps(cases=cases, photos=FakePhotoStore(), clock=FixedClock(T0 + timedelta(hours=1)))


def test_bulk_priority_applies_to_each_case_and_reports_the_one_it_may_not_touch(cases):
    mine = [put(cases, n) for n in range(3)]
    theirs = put(cases, 9, agency="dinas-bina-marga", category="damaged_road")
    body = {"action": "priority", "codes": [*mine, theirs, "NOPE"], "priority": "urgent", "reason": "Banjir"}
    outcome = apply_bulk(body, LH, deps_for(cases), describe)
    assert (outcome.succeeded, outcome.failed) == (3, 2)
    assert [(r.code, r.ok, r.error) for r in outcome.results] == [
        *[(code, True, None) for code in mine],
        (theirs, False, "not_found"),  # as if it did not exist: never confirms another agency's case
        ("NOPE", False, "not_found"),
    ]
    assert all(cases.get(code).priority == "urgent" for code in mine)
    assert cases.get(theirs).priority == "normal"


def test_bulk_refuses_what_it_cannot_be_given_before_touching_any_case(cases):
    code = put(cases, 1)
    for body in (
        {"action": "priority", "codes": [], "priority": "urgent", "reason": "x"},
        {"action": "priority", "codes": [f"C{n}" for n in range(51)], "priority": "urgent", "reason": "x"},
        {"action": "priority", "codes": [code, code.lower()], "priority": "urgent", "reason": "x"},
        {"action": "priority", "codes": [code], "priority": "urgent"},  # no reason
        {"action": "close", "codes": [code]},
        {"action": "delegate", "codes": [code]},  # no agency
    ):
        with pytest.raises(InvalidInput):
            apply_bulk(body, LH, deps_for(cases), describe)
    assert cases.get(code).version == 1


def test_bulk_delegate_follows_the_single_case_rules(cases):
    codes = [put(cases, n) for n in range(2)]
    outcome = apply_bulk(
        {"action": "delegate", "codes": codes, "agency_id": "sudin-lh-jakpus"}, LH, deps_for(cases), describe
    )
    assert outcome.succeeded == 2 and all(cases.get(c).agency_id == "sudin-lh-jakpus" for c in codes)
    again = apply_bulk(
        {"action": "delegate", "codes": codes, "agency_id": "dinas-bina-marga"}, LH, deps_for(cases), describe
    )
    assert again.failed == 2 and {r.error for r in again.results} <= {
        "rule_violation",
        "forbidden",
        "illegal_transition",
    }
