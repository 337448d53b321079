"""An officer's inbox names a case they may not open (any more) by its public id and
agency, never its tracking code: in the entry, its event id, the codes in its detail,
and the stored sort key a page's cursor is made of."""

import json
from datetime import UTC, datetime

from chalicelib.adapters import aws
from chalicelib.adapters.notification_store import NotificationStore
from chalicelib.adapters.table import Page
from chalicelib.api.http import json_body
from chalicelib.domain.case import Case
from chalicelib.domain.channels import Channel
from chalicelib.domain.permissions import Principal, Role
from chalicelib.domain.report import build_report
from chalicelib.domain.request_ids import public_id
from chalicelib.services.views import inbox_page
from tests.support.fakes import FakeCaseRepository

T0 = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
KEY = b"k" * 32
LH = Principal("u-1", frozenset({Role.AGENCY_OFFICER}), "dinas-lh")
MINE, THEIRS = "4N50G-7M7G1-2X63", "EW30M-QXH6Y-RXE4"


def cases() -> FakeCaseRepository:
    repository = FakeCaseRepository()
    for code, agency in ((MINE, "dinas-lh"), (THEIRS, "dinas-bina-marga")):
        report = build_report(channel=Channel.JAKI, message_id=code, category="garbage", description="Sampah")
        case = Case.open(report, code, T0)
        case.agency_id = agency
        repository.add(case)
    return repository


def entry(code: str, event_type: str = "case.assigned", **detail) -> dict:
    return {
        "event_id": f"{code}:2:0",
        "occurred_at": "2026-12-05T03:00:00.000000Z",
        "event_type": event_type,
        "tracking_code": code,
        "title": "Laporan baru untuk instansi Anda",
        "category": "garbage",
        "detail": detail,
    }


class Reader:
    """DynamoCaseReader's get_many over the fake repository, counting its batches."""

    def __init__(self, repository):
        self.repository, self.batches = repository, []

    def get_many(self, codes, list_name="cases"):
        self.batches.append(sorted(set(codes)))
        return {code: case for code in codes if (case := self.repository.get(code)) is not None}


def test_a_case_the_officer_may_not_open_comes_by_public_id_with_its_codes_in_the_detail():
    page = Page([entry(MINE, "case.duplicates_found", candidates=[THEIRS]), entry(THEIRS)], "next")
    repository = cases()
    reader = Reader(repository)
    body = json.loads(json_body(inbox_page("dinas-lh", page, LH, repository, reader, KEY)))
    other = {"public_id": public_id(THEIRS, KEY), "agency": "Dinas Bina Marga"}
    mine, theirs = body["items"]
    assert mine["tracking_code"] == MINE and mine["event_id"] == f"{MINE}:2:0"
    assert mine["detail"]["candidates"] == [other]
    assert theirs["tracking_code"] == other and theirs["event_id"] == f"{other['public_id']}:2:0"
    assert THEIRS not in json.dumps(body) and THEIRS.replace("-", "") not in json.dumps(body)
    assert reader.batches == [sorted([MINE, THEIRS])]  # one BatchGetItem for the page


def test_without_a_batch_reader_each_case_is_read_and_a_missing_one_is_named_too():
    page = Page([entry("0PKGC-G9CY8-0EHH")], None)  # no such case any more
    body = json.loads(json_body(inbox_page("dinas-lh", page, LH, cases(), None, KEY)))
    assert body["items"][0]["tracking_code"] == {"public_id": public_id("0PKGC-G9CY8-0EHH", KEY), "agency": None}


def test_the_stored_sort_key_and_so_a_page_cursor_hold_no_code(monkeypatch):
    written = []

    class Client:
        def put_item(self, **request):
            written.append(request["Item"])

    monkeypatch.setattr(aws, "client", lambda service: Client())
    NotificationStore("cases").add("dinas-lh", f"{THEIRS}:2:0", "2026-12-05T03:00:00.000000Z", entry(THEIRS), T0)
    (item,) = written
    assert item["SK"]["S"].startswith("2026-12-05T03:00:00.000000Z#") and THEIRS not in item["SK"]["S"]


def test_an_entry_without_detail_or_with_an_odd_attribute_still_reads():
    from chalicelib.adapters.notification_store import _entry

    stored = {**entry(MINE), "PK": "INBOX#dinas-lh", "SK": "x", "type": "notification", "stray": 1}
    del stored["detail"]
    page = Page([_entry(stored)], None)
    body = json.loads(json_body(inbox_page("dinas-lh", page, LH, cases(), None, KEY)))
    assert body["items"][0]["detail"] == {} and "stray" not in body["items"][0]
