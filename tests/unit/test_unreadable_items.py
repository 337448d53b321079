"""Issue 17: one unreadable stored item never turns a list or a page into a
500. Lists skip it, log it with its key and count it (EMF ``UnreadableItems``,
dimension ``list``); a single read of it is a clear 503. Against the fakes,
which read items through the same functions as DynamoDB's adapters."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel

from chalicelib.adapters import metrics_store, reference_data
from chalicelib.adapters.unreadable import UnreadableItem, read_one, readable, table_key
from chalicelib.api.http import to_api_error
from chalicelib.domain.case import SYSTEM
from chalicelib.domain.channels import Channel
from chalicelib.domain.report import build_report
from chalicelib.services import open311, views
from chalicelib.services.intake import submit_report
from chalicelib.services.metrics import dashboard
from chalicelib.services.open311 import Deps
from tests.support.fakes import FakeCaseQueries, FakeCaseRepository, FakePhotoStore, FixedClock, InMemoryTable
from tests.unit.test_open311_service import SETTINGS

CODE_KEY = b"unit-tracking-key"
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


@pytest.fixture
def log_records():
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    logger = logging.getLogger("chalicelib")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def skipped(records):
    return [(r.list, r.key, r.problem) for r in records if r.getMessage() == "unreadable item skipped"]


def emf(capsys):
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    return [(line["list"], line["UnreadableItems"]) for line in lines if "UnreadableItems" in line]


# --- the helper -------------------------------------------------------------------------------


def test_a_list_keeps_what_it_can_read_and_reports_the_rest(log_records, capsys):
    items = [{"PK": "A", "SK": "1", "n": "1"}, {"PK": "B", "SK": "2", "n": "x"}, {"PK": "C", "SK": "3"}]
    assert readable(items, lambda item: int(item["n"]), "numbers") == [1]
    assert [(name, key) for name, key, _ in skipped(log_records)] == [
        ("numbers", {"PK": "B", "SK": "2"}),
        ("numbers", {"PK": "C", "SK": "3"}),
    ]
    assert skipped(log_records)[1][2] == "KeyError: missing 'n'"
    assert emf(capsys) == [("numbers", 2)], "one metric line per list read, counting its skipped items"
    assert readable(items[:1], lambda item: int(item["n"]), "numbers") == [1]
    assert emf(capsys) == [], "nothing skipped, nothing counted"


def test_errors_that_are_not_about_the_item_are_not_swallowed():
    from chalicelib.adapters.aws import ServiceUnavailable

    def outage(item):
        raise ServiceUnavailable("dynamodb", "ThrottlingException")

    with pytest.raises(ServiceUnavailable):
        readable([{"PK": "A"}], outage, "numbers")


def test_one_item_is_a_clear_error_logged_without_the_stored_values(log_records, capsys):
    class Point(BaseModel):
        lat: float

    with pytest.raises(UnreadableItem) as unreadable:
        read_one({"PK": "CASE#X", "SK": "CASE", "lat": "Jl. Rahasia 7"}, lambda item: Point(lat=item["lat"]), "case")
    assert unreadable.value.key == table_key({"PK": "CASE#X", "SK": "CASE"})
    assert "CASE#X" not in str(unreadable.value.key)  # a case is named by its public id, never its code
    ((name, key, problem),) = skipped(log_records)
    assert name == "case" and "lat" in problem and "Rahasia" not in problem
    assert emf(capsys) == [("case", 1)]
    error = to_api_error(unreadable.value)
    assert (error.status, error.code) == (503, "record_unreadable")


# --- cases: the repository, Open311's listing, the officer queue --------------------------------


@pytest.fixture
def deps():
    cases = FakeCaseRepository()
    return Deps(
        settings=SETTINGS,
        cases=cases,
        queries=FakeCaseQueries(cases, workers=1),
        keys=None,
        photos=FakePhotoStore(),
        clock=FixedClock(NOW),
        reader=cases,
    )


def _report(deps, n: int) -> str:
    report = build_report(
        channel=Channel.JAKI, message_id=f"r-{n}", category="garbage", description=f"Sampah {n}", anonymous=True
    )
    receipt = submit_report(report, cases=deps.cases, photos=deps.photos, clock=deps.clock, code_key=CODE_KEY)
    deps.clock.advance(minutes=1)
    return receipt.tracking_code


CORRUPTIONS = {
    "a year stored without its zeros": lambda item: item.update(created_at="1-01-01T00:00:00.000000Z"),
    "no code": lambda item: item.pop("code"),
    "an sla that is not a map": lambda item: item.update(sla="broken"),
    "an unknown status": lambda item: item.update(status="lost"),
}


@pytest.mark.parametrize("corrupt", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_open311_lists_every_readable_case_and_skips_the_broken_one(deps, corrupt, log_records, capsys):
    codes = [_report(deps, n) for n in range(3)]
    corrupt(deps.cases.items[codes[1]])
    listed = open311.list_requests({}, "id", deps)
    assert [r["description"] for r in listed] == ["Sampah 2", "Sampah 0"]
    assert [(name, key) for name, key, _ in skipped(log_records)] == [
        ("open311_requests", table_key({"PK": f"CASE#{codes[1]}", "SK": "CASE"}))
    ]
    assert emf(capsys) == [("open311_requests", 1)]
    by_ids = ",".join(r["service_request_id"] for r in listed)
    assert len(open311.list_requests({"service_request_id": by_ids}, "id", deps)) == 2
    with pytest.raises(UnreadableItem):
        deps.cases.get(codes[1])  # alone: the API's 503


def test_a_broken_index_card_is_skipped_by_the_listing_and_the_queue(deps, log_records):
    codes = [_report(deps, n) for n in range(3)]
    deps.cases.items[codes[0]]["card"] = "broken"
    deps.cases.items[codes[2]]["card"].pop("code")
    listed = open311.list_requests({}, "id", deps)
    assert [r["description"] for r in listed] == ["Sampah 1"]
    assert len(skipped(log_records)) == 2

    # The officer queue: the three cases held by an agency (saving rewrites their cards), one card broken.
    for code in codes:
        case = deps.cases.get(code)
        case.assign(reference_data.agencies().require("dinas-lh"), NOW, SYSTEM)
        deps.cases.save(case)
    deps.cases.items[codes[1]]["card"]["created_at"] = "1-01-01T00:00:00.000000Z"
    page = deps.queries.queue("agency", "dinas-lh")
    rows = views.queue_rows(page.items, "id", NOW)
    assert sorted(row.tracking_code for row in rows) == sorted([codes[0], codes[2]])
    assert skipped(log_records)[-1][:2] == ("officer_queue", table_key({"PK": f"CASE#{codes[1]}", "SK": "CASE"}))


def test_the_listing_reads_a_card_only_for_what_selects_a_case(deps, log_records):
    """Open311 reads each listed case whole: a card damaged in a field the listing does not
    select on (its date) still lists the case, which the officer queue skips (test above)."""
    codes = [_report(deps, n) for n in range(2)]
    deps.cases.items[codes[1]]["card"]["created_at"] = "1-01-01T00:00:00.000000Z"
    listed = open311.list_requests({}, "id", deps)
    assert [r["description"] for r in listed] == ["Sampah 1", "Sampah 0"]
    assert skipped(log_records) == []


def test_a_readable_case_at_the_end_of_time_is_still_shown(deps):
    (code,) = [_report(deps, 0)]
    deps.cases.items[code]["created_at"] = "9999-12-31T23:00:00.000000Z"  # no Jakarta date exists for it
    (listed,) = open311.list_requests({"service_request_id": open311.request_ids.public_id(code, CODE_KEY)}, "id", deps)
    assert listed["requested_datetime"] == "9999-12-31T23:00:00+00:00"


# --- the agency dashboard -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "corrupt",
    [
        {"received": "banyak"},
        {"received": {"n": 1}},
        {"ch_x": 1},
        {"SK": "dinas-broken#1"},
        {"received": True},
    ],
)
def test_the_dashboard_skips_an_unreadable_counter_item(corrupt, log_records, capsys):
    good = {"PK": "METRICS#2026-11", "SK": "dinas-lh#20", "received": 3, "resolved": 1, "applied": {"e1"}}
    bad = {"PK": "METRICS#2026-11", "SK": "dinas-sda#20", "received": 2, **corrupt}
    store = metrics_store.MetricsStore("unused", table=InMemoryTable([good, bad]))  # the adapter's own reading
    body = dashboard(store, "2026-11-01", "2026-11-30", NOW.date())
    assert [row["agency_id"] for row in body["agencies"]] == ["dinas-lh"]
    assert body["total"]["received"] == 3
    assert skipped(log_records)[0][:2] == ("agency_metrics", {"PK": "METRICS#2026-11", "SK": bad["SK"]})
    assert ("agency_metrics", 1) in emf(capsys)
    month = metrics_store.split([good])
    assert month.days == {("dinas-lh", "20"): {"received": 3, "resolved": 1}} and month.carry == {}


def test_a_case_key_is_logged_by_its_public_id_which_maps_back_to_the_case(monkeypatch):
    from chalicelib.domain import tracking
    from chalicelib.domain.request_ids import tracking_code_of

    key = b"unreadable-log-test-key"
    monkeypatch.setenv("TRACKING_CODE_KEY", key.decode())
    code = tracking.derive_code(key, "qlue", "m-1")
    logged = table_key({"PK": f"CASE#{code}", "SK": "CASE", "description": "x"})
    assert code not in json.dumps(logged)
    assert logged["SK"] == "CASE" and logged["PK"].startswith("CASE#public:")
    assert tracking_code_of(logged["PK"].removeprefix("CASE#public:"), key) == code
