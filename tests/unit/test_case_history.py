"""A case's history out of the case item (adapters/case_history.py), on the
in-memory repository, which stores the window and the history items the way
DynamoCaseRepository does (tests/integration/test_case_history.py runs the
same claims against the moto server)."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters import case_history
from chalicelib.adapters.case_repository import case_pk, case_to_item
from chalicelib.adapters.case_stream import change_of
from chalicelib.adapters.item_size import KB, MAX_ITEM_BYTES, item_bytes, value_bytes, write_units
from chalicelib.domain.case import SYSTEM, Actor, Case
from chalicelib.domain.channels import Channel
from chalicelib.domain.errors import ConcurrentUpdate, InvalidInput
from chalicelib.domain.report import build_report
from chalicelib.services.outbox import messages_for
from chalicelib.services.status import PUBLIC_TIMELINE_LIMIT, public_view, timeline_of
from chalicelib.services.views import history_request
from tests.support.fakes import FakeCaseRepository

T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
CODE = "4N50G-7M7G1-2X63"
OFFICER = Actor("officer", "6f1c2a9e-0d4b-4c47-9a51-3f0e8e7d2b10", "agency_officer", "dinas-lh")
BUREAU = Actor("officer", "0b7e4c1d-5a2f-4e8b-9c3d-7f6a1b2c3d4e", "bureau_verifier", "biro-pemerintahan")
LONG_COMMENT = "Catatan koordinasi lapangan. " * 69  # 2,001 characters: cut to the 2,000 maximum below
ITEM_BOUND = 12 * KB  # the bound this design keeps a case item under (docs/data-model.md)


class Recorder:
    """Acts on one stored case through the repository (load, change, save), and
    keeps every entry it recorded: the history as the old layout had it."""

    def __init__(self, repository: FakeCaseRepository, code: str = CODE):
        self.repository, self.code, self.now = repository, code, T0
        report = build_report(
            channel=Channel.JAKI,
            message_id=f"m-{code}",
            category="garbage",
            description="Sampah menumpuk",
            location={"lat": -6.1754, "lng": 106.8272, "address": "Jl. Medan Merdeka Barat"},
        )
        case = Case.open(report, code, T0)
        self.all = list(case.history)
        repository.add(case)

    def act(self, change) -> Case:
        self.now += timedelta(minutes=1)
        case = self.repository.get(self.code)
        before = case.history_total
        change(case, self.now)
        self.all.extend(case.history[before - case.history_start :])
        self.repository.save(case)
        return case

    def comment(self, text: str = "Sudah dicek") -> Case:
        return self.act(lambda case, now: case.comment(text[:2000], now, OFFICER))

    def assign(self) -> Case:
        from chalicelib.adapters import reference_data

        return self.act(lambda case, now: case.assign(reference_data.agencies().require("dinas-lh"), now, SYSTEM))

    def start_work(self) -> Case:
        """Assigned, planned, verified: in progress (progress posts are public lines)."""
        from chalicelib.domain.sla import SlaPolicy

        self.assign()
        self.act(lambda case, now: case.submit_plan("Angkut besok pagi", None, SlaPolicy(), now, OFFICER))
        return self.act(lambda case, now: case.verify_plan(now, BUREAU))

    def progress(self, percent: int) -> Case:
        return self.act(lambda case, now: case.post_progress(percent, f"Dikerjakan {percent}%", now, OFFICER))

    def item(self) -> dict:
        return self.repository.items[self.code]


def every_entry(repository: FakeCaseRepository, code: str, limit: int = 37) -> list:
    """The whole history through the officer paging, oldest first."""
    case = repository.get(code)
    pages, before = [], None
    while True:
        page = repository.history_page(case, before, limit)
        assert page.skipped == 0
        pages.append(page.entries)
        if page.cursor is None:
            break
        assert page.cursor < (before or case.history_total)  # always moves back
        before = page.cursor
    return [pair for entries in reversed(pages) for pair in entries]


def old_timeline(entries) -> list:
    return [line for line in (entry.public_entry() for entry in entries) if line is not None]


# --- the item stays small ----------------------------------------------------------------


def test_a_case_item_stays_under_its_bound_whatever_its_history():
    """The bug: the whole history lived on the item, so ~185 comments of 2,000
    characters pushed it past 400 KB and the case could never be saved again."""
    recorder = Recorder(FakeCaseRepository())
    recorder.assign()
    sizes = []
    for _ in range(300):
        recorder.comment(LONG_COMMENT)
        sizes.append(item_bytes(recorder.item()))
    assert max(sizes) <= ITEM_BOUND, max(sizes)
    assert max(sizes[-50:]) <= max(sizes[:50]) + 0  # flat: no growth with length
    assert sum(len(item["entries"]) for item in recorder.repository.history.values()) + len(
        recorder.item()["history"]
    ) == len(recorder.all)


def test_the_window_keeps_to_its_bounds_and_a_save_never_moves_out_its_own_entries():
    recorder = Recorder(FakeCaseRepository())
    for n in range(120):
        case = recorder.comment("x" * (n * 37 % 1900 + 1))
        window = recorder.item()["history"]
        newest = window[-1]
        assert newest["data"]["text"] == case.history[-1].data["text"]  # this save's entry stayed
        older = window[:-1]  # stored before this save: within the bounds
        assert len(older) <= case_history.WINDOW_MAX_ENTRIES
        assert sum(1 + value_bytes(entry) for entry in older) <= case_history.WINDOW_MAX_BYTES
        assert recorder.item().get("history_start", 0) + len(window) == len(recorder.all)


def test_a_short_case_keeps_its_whole_history_on_the_item_and_writes_nothing_else():
    repository = FakeCaseRepository()
    recorder = Recorder(repository)
    recorder.start_work()  # a typical life: received, assigned, plan, verified, progress, a few notes
    for percent in (30, 60, 90):
        recorder.progress(percent)
    for _ in range(4):
        recorder.comment("Koordinasi dengan kelurahan, truk dijadwalkan besok pagi")
    assert repository.history == {}
    item = recorder.item()
    assert len(item["history"]) == len(recorder.all) == 11
    assert "history_start" not in item and "older_public" not in item


# --- nothing is lost ---------------------------------------------------------------------


def test_the_officer_pages_through_the_whole_history_in_order():
    recorder = Recorder(FakeCaseRepository())
    recorder.start_work()
    for n in range(400):
        if n % 25 == 0:
            recorder.progress(min(99, n // 5))
        recorder.comment(f"komentar {n} " + "y" * (n % 300))
    found = every_entry(recorder.repository, CODE)
    assert [seq for seq, _ in found] == list(range(len(recorder.all)))
    assert [entry for _, entry in found] == recorder.all


def test_the_public_timeline_is_what_it_was_before_the_history_moved_out():
    repository = FakeCaseRepository()
    recorder = Recorder(repository)
    recorder.start_work()
    for n in range(150):
        if n % 10 == 0:
            recorder.progress(n // 2)
        recorder.comment(f"catatan internal {n} " + "z" * 200)
    case = repository.get(CODE)
    assert not case.timeline_complete  # the received, assigned and early progress lines left the item
    whole = replace(case, history=recorder.all, history_start=0, older_public=0)
    assert timeline_of(case, repository) == whole.timeline == old_timeline(recorder.all)
    new = public_view(case, "id", "https://crm.test", timeline=timeline_of(case, repository))
    assert new == public_view(whole, "id", "https://crm.test")
    assert [line.type for line in new.timeline][:2] == ["case.received", "case.assigned"]


def test_the_public_timeline_shows_the_newest_lines_up_to_its_limit():
    repository = FakeCaseRepository()
    recorder = Recorder(repository)
    recorder.start_work()
    for n in range(PUBLIC_TIMELINE_LIMIT + 30):
        recorder.progress(n % 100)
    case = repository.get(CODE)
    lines = timeline_of(case, repository)
    assert len(lines) == PUBLIC_TIMELINE_LIMIT
    assert lines == old_timeline(recorder.all)[-PUBLIC_TIMELINE_LIMIT:]
    assert timeline_of(case, repository, limit=1) == lines[-1:]


def test_a_status_read_of_a_short_case_reads_nothing_but_the_case():
    repository = FakeCaseRepository()
    recorder = Recorder(repository)
    recorder.assign()
    repository.requests = 0
    case = repository.get(CODE)
    timeline_of(case, repository)
    assert repository.requests == 1


def test_a_case_stored_in_the_old_layout_reads_and_updates():
    repository = FakeCaseRepository()
    recorder = Recorder(repository)
    recorder.start_work()
    case = repository.get(CODE)
    for n in range(150):  # 150 long comments, all on the item, as before this change
        case.comment(f"lama {n} " + LONG_COMMENT[:1500], T0 + timedelta(hours=1, minutes=n), OFFICER)
        recorder.all.append(case.history[-1])
    case.post_progress(60, "Enam puluh persen", T0 + timedelta(hours=4), OFFICER)
    recorder.all.append(case.history[-1])
    old_item = case_to_item(case, case.version + 1, case.pull_events())
    assert "history_start" not in old_item and len(old_item["history"]) == len(recorder.all)
    assert item_bytes(old_item) > 200 * KB
    repository.items[CODE] = old_item

    loaded = repository.get(CODE)
    assert loaded.history == recorder.all and loaded.history_start == 0 and loaded.timeline_complete
    assert timeline_of(loaded, repository) == old_timeline(recorder.all)

    recorder.comment("setelah pindah")  # the first save moves the old entries out, in several items
    assert item_bytes(recorder.item()) <= ITEM_BOUND
    assert len(repository.history) > 2
    assert all(item_bytes(item) <= case_history.CHUNK_MAX_BYTES + KB for item in repository.history.values())
    assert [entry for _, entry in every_entry(repository, CODE)] == recorder.all
    assert timeline_of(repository.get(CODE), repository) == old_timeline(recorder.all)


def test_a_save_that_loses_its_race_leaves_no_gap_and_no_repeat():
    repository = FakeCaseRepository()
    recorder = Recorder(repository)
    for n in range(18):
        recorder.comment(f"awal {n}")
    first, second = repository.get(CODE), repository.get(CODE)
    first.comment("pemenang", T0 + timedelta(hours=2), OFFICER)
    second.comment("kalah " + "w" * 1990, T0 + timedelta(hours=2), OFFICER)  # moves more entries out
    repository.save(first)
    recorder.all.append(first.history[-1])
    with pytest.raises(ConcurrentUpdate):
        repository.save(second)  # its history items were written before the case write failed
    for n in range(60):
        recorder.comment(f"lanjut {n}")
    assert [entry for _, entry in every_entry(repository, CODE, limit=7)] == recorder.all


def test_a_history_item_is_only_ever_replaced_by_a_wider_copy():
    repository = FakeCaseRepository()
    recorder = Recorder(repository)
    for n in range(40):
        recorder.comment(f"isi {n} " + "v" * 150)
    (key, stored), *_ = sorted(repository.history.items())
    narrower = {**stored, "until": stored["until"] - 1, "entries": stored["entries"][:-1]}
    repository.put_history(narrower)  # a late write of a smaller range changes nothing
    assert repository.history[key] == stored
    assert [entry for _, entry in every_entry(repository, CODE)] == recorder.all


def test_an_unreadable_history_item_is_skipped_logged_and_counted(caplog):
    repository = FakeCaseRepository()
    recorder = Recorder(repository)
    for n in range(80):
        recorder.comment(f"isi {n} " + "u" * 150)
    key = sorted(repository.history)[0]
    repository.history[key]["entries"][0] = {"seq": "not a number"}
    case = repository.get(CODE)
    with caplog.at_level(logging.WARNING, logger="crm.case_history"):
        page = repository.history_page(case, None, 1000)
    assert page.skipped == 1
    assert [record for record in caplog.records if getattr(record, "sk", None) == key[1]]
    assert len(page.entries) < len(recorder.all) and page.entries[-1][1] == recorder.all[-1]


def test_history_items_are_not_relayed_as_events():
    repository = FakeCaseRepository()
    recorder = Recorder(repository)
    for n in range(40):
        recorder.comment(f"isi {n} " + "t" * 150)
    for item in repository.history.values():
        assert item["PK"] == case_pk(CODE) and item["type"] == case_history.HISTORY_TYPE
        assert messages_for(change_of("INSERT", item, None)) == []


# --- the officer's paging parameters ----------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [{"cursor": "abc"}, {"cursor": "0"}, {"cursor": "-3"}, {"cursor": "1" * 11}, {"cursor": "٣"}, {"limit": "0"}],
)
def test_bad_paging_parameters_are_refused(query):
    with pytest.raises(InvalidInput):
        history_request(query)


def test_paging_parameters():
    assert history_request({}) == (None, 50)
    assert history_request({"cursor": "120", "limit": "200"}) == (120, 200)
    with pytest.raises(InvalidInput):
        history_request({"limit": "201"})


# --- sizes as DynamoDB counts them -------------------------------------------------------


def test_item_sizes_follow_dynamodb_rules():
    assert item_bytes({"PK": "CASE#A"}) == 2 + 6
    assert value_bytes(True) == value_bytes(None) == 1
    assert value_bytes(123456) == 4 and value_bytes(1000) == 2 and value_bytes(-6.1754) == 4
    assert value_bytes(["ab", "c"]) == 3 + (1 + 2) + (1 + 1)
    assert value_bytes({"k": "vv"}) == 3 + 1 + 1 + 2
    assert value_bytes("é") == 2
    assert write_units(1) == 1 and write_units(1024) == 1 and write_units(1025) == 2
    assert write_units(100, old_bytes=3000) == 3 and write_units(1025, transactional=True) == 4
    assert MAX_ITEM_BYTES == 400 * KB
