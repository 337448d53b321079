"""The public map's use cases on the in-memory fakes: what may be shown (never a
confidential or merged case, never a reporter detail or a tracking code), the
filters and caps, the half-minute snapshot, nearby reports, the area lookup,
and a list that survives an unreadable card."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters import reference_data
from chalicelib.adapters.case_indexes import card, index_attributes
from chalicelib.domain import request_ids, tracking
from chalicelib.domain.case import SYSTEM, Actor, Case
from chalicelib.domain.channels import Channel
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.report import build_report
from chalicelib.services import public_map
from chalicelib.services.public_map import Deps, MapFilters
from tests.support.fakes import FakeCaseQueries, FakeCaseRepository, FixedClock

CODE_KEY = b"unit-map-key"
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 in Jakarta
GAMBIR = (-6.1754, 106.8272)  # Kelurahan Gambir, Jakarta Pusat
NAME, PHONE = "Penanda Peta Rahasia", "+6281298765432"
BUREAU = Actor("officer", "u-9", "bureau_verifier", "biro-pemerintahan")


class Ticks:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def world():
    cases = FakeCaseRepository()
    ticks = Ticks()
    clock = FixedClock(NOW)
    deps = Deps(
        lists=FakeCaseQueries(cases, workers=1),
        get_many=cases.get_many,
        clock=clock,
        code_key=CODE_KEY,
        base_url="https://crm.example",
        monotonic=ticks,
    )
    public_map.forget_snapshots()
    yield cases, deps, ticks, clock
    public_map.forget_snapshots()


def open_case(
    cases,
    n,
    *,
    category="garbage",
    where=GAMBIR,
    ago=timedelta(hours=1),
    privacy=None,
    routed=True,
    description="Sampah menumpuk di trotoar, hubungi 0812-9876-5432",
):
    report = build_report(
        channel=Channel.JAKI,
        message_id=f"m-{n}",
        category=category,
        description=description,
        location={"lat": where[0], "lng": where[1], "address": "Jl. Medan Merdeka"} if where else None,
        reporter={"name": NAME, "phone": PHONE},
        privacy=privacy,
    )
    code = tracking.derive_code(CODE_KEY, "jaki", f"m-{n}")
    case = Case.open(report, code, NOW - ago)
    if routed:
        case.locate(reference_data.areas().locate(*where) if where else None)
        case.assign(reference_data.agencies().require("dinas-lh"), NOW - ago, SYSTEM)
    cases.add(case)
    return case


def public(case):
    return request_ids.public_id(case.tracking_code, CODE_KEY)


def ids(answer):
    return [point[0] for point in answer["points"]]


def test_the_card_carries_the_point_the_map_draws():
    report = build_report(
        channel=Channel.JAKI, message_id="m", category="garbage", description="x", location={"lat": -6.2, "lng": 106.8}
    )
    assert card(Case.open(report, "4N50G-7M7G1-2X63", NOW), None)["location"] == {"lat": -6.2, "lng": 106.8}
    unlocated = build_report(channel=Channel.JAKI, message_id="m", category="garbage", description="x")
    assert card(Case.open(unlocated, "4N50G-7M7G1-2X63", NOW), None)["location"] is None


def test_points_are_public_cases_by_public_id_newest_first_never_confidential_or_merged(world):
    cases, deps, _, _ = world
    older = open_case(cases, 1, ago=timedelta(days=2))
    newer = open_case(cases, 2, ago=timedelta(hours=2))
    anonymous = open_case(cases, 3, privacy="anonymous")
    hidden = open_case(cases, 4, privacy="confidential")
    whistle = open_case(cases, 5, category="ppkm_violation")  # confidential by its category
    merged = open_case(cases, 6)
    merged.merge_into(newer.tracking_code, NOW, BUREAU)
    cases.save(merged)
    unlocated = open_case(cases, 7, where=None, routed=False, ago=timedelta(minutes=30))

    answer = public_map.points(MapFilters(), deps)
    assert ids(answer) == [public(anonymous), public(newer), public(older)]
    assert answer["fields"] == ["id", "lat", "lng", "category", "status"]
    assert answer["points"][0][1:] == [-6.1754, 106.8272, "garbage", "assigned"]
    assert answer["total"] == 3 and answer["truncated"] is False
    text = json.dumps(answer)
    for case in (older, newer, anonymous, hidden, whistle, merged, unlocated):
        assert case.tracking_code not in text
    assert public(hidden) not in text and public(whistle) not in text and public(merged) not in text
    listed = public_map.reports_page(MapFilters(), 1, 20, "id", deps)
    assert [report["id"] for report in listed["reports"]] == [
        public(unlocated),
        public(anonymous),
        public(newer),
        public(older),
    ]  # the list also holds reports without a place


def test_filters_window_and_cap(world, monkeypatch):
    cases, deps, _, _ = world
    road = open_case(cases, 1, category="damaged_road", where=(-6.2297, 106.8272))  # Jakarta Selatan
    garbage = open_case(cases, 2)
    old = open_case(cases, 3, ago=timedelta(days=5))
    done = open_case(cases, 4, ago=timedelta(minutes=5))
    done.reject("spam", "iklan", NOW, Actor("officer", "u-1", "agency_officer", "dinas-lh"))
    cases.save(done)
    everything = ids(public_map.points(MapFilters(), deps))
    assert everything == [public(done), public(road), public(garbage), public(old)]
    assert ids(public_map.points(MapFilters(category="damaged_road"), deps)) == [public(road)]
    assert ids(public_map.points(MapFilters(kota="31.71"), deps)) == [public(done), public(garbage), public(old)]
    assert ids(public_map.points(MapFilters(status="closed"), deps)) == [public(done)]
    assert public(done) not in ids(public_map.points(MapFilters(status="open"), deps))
    assert ids(public_map.points(MapFilters(days=1), deps)) == everything[:3]

    monkeypatch.setattr(public_map, "MAX_POINTS", 2)
    capped = public_map.points(MapFilters(), deps)
    assert ids(capped) == everything[:2] and capped["total"] == 4 and capped["truncated"] is True


def test_a_new_report_shows_once_the_half_minute_snapshot_is_renewed(world):
    cases, deps, ticks, _ = world
    first = open_case(cases, 1)
    assert ids(public_map.points(MapFilters(), deps)) == [public(first)]
    second = open_case(cases, 2, ago=timedelta(minutes=1))
    ticks.now += public_map.SNAPSHOT_SECONDS - 1
    assert ids(public_map.points(MapFilters(), deps)) == [public(first)]  # the cached read
    ticks.now += 1
    assert ids(public_map.points(MapFilters(), deps)) == [public(second), public(first)]


def test_the_list_is_cut_from_the_public_view_and_rechecks_privacy(world):
    cases, deps, _, _ = world
    shown = open_case(cases, 1, description="Sampah menumpuk, telepon saya di 0812-9876-5432 " + "x" * 300)
    raised = open_case(cases, 2)
    public_map.reports_page(MapFilters(), 1, 20, "en", deps)  # the snapshot holds both
    raised.change_privacy("confidential", "the reporter asked", NOW, BUREAU, may_lower=True)
    cases.save(raised)
    page = public_map.reports_page(MapFilters(), 1, 20, "en", deps)
    assert [report["id"] for report in page["reports"]] == [public(shown)]  # re-read: now confidential
    report = page["reports"][0]
    assert report["url"] == f"https://crm.example/reports/{public(shown)}"
    assert report["category"] == {"id": "garbage", "name": "Garbage"} and report["status"] == "assigned"
    assert report["area"] == {"kota": "Jakarta Pusat", "kecamatan": "Gambir", "kelurahan": "Gambir"}
    assert len(report["summary"]) == public_map.SUMMARY_CHARS and report["summary"].endswith("…")
    text = json.dumps(page)
    assert "9876" not in text and NAME not in text and shown.tracking_code not in text
    second = public_map.reports_page(MapFilters(), 2, 1, "en", deps)
    assert second["page"] == 2 and second["total"] == 2 and second["reports"] == []  # the raised one


def test_an_unreadable_card_is_skipped_logged_and_counted(world, caplog, capsys):
    cases, deps, _, _ = world
    good = open_case(cases, 1)
    broken = open_case(cases, 2)
    cases.items[broken.tracking_code]["card"]["status"] = "lost"
    cases.items[broken.tracking_code]["card"]["location"] = {"lat": "north"}
    listed = public_map.recent(deps.lists, NOW - timedelta(days=7), NOW, 100)
    assert [row.code for row in listed.cards] == [good.tracking_code]
    (skipped,) = [record for record in caplog.records if record.getMessage() == "unreadable item skipped"]
    assert skipped.list == public_map.LIST and skipped.key["PK"] != f"CASE#{broken.tracking_code}"  # its public id
    assert '"UnreadableItems":1' in capsys.readouterr().out  # counted, for the alarm
    assert ids(public_map.points(MapFilters(), deps)) == [public(good)]


def test_recent_stops_at_its_limit_and_says_so(world):
    cases, deps, _, _ = world
    for n in range(5):
        open_case(cases, n, ago=timedelta(days=n, hours=1))
    listed = public_map.recent(deps.lists, NOW - timedelta(days=7), NOW, 3)
    assert len(listed.cards) == 3 and listed.complete is False
    # Exactly at the limit with days still unread: there may be more, so not complete.
    assert public_map.recent(deps.lists, NOW - timedelta(days=7), NOW, 5).complete is False
    assert public_map.recent(deps.lists, NOW - timedelta(days=7), NOW, 6).complete is True
    # Read once, the window's past empty days are known to stay empty: nothing is left unread.
    assert public_map.recent(deps.lists, NOW - timedelta(days=7), NOW, 5).complete is True


def test_nearby_offers_open_public_reports_of_the_category_within_100_m(world):
    cases, deps, _, _ = world
    near = open_case(cases, 1, where=(-6.1757, 106.8275))  # ~47 m
    nearer = open_case(cases, 2, where=(-6.1755, 106.8272))  # ~11 m
    open_case(cases, 3, where=(-6.1770, 106.8272))  # ~180 m
    open_case(cases, 4, category="damaged_road")
    open_case(cases, 5, privacy="confidential")
    open_case(cases, 6, routed=False)  # not in the geo index until routed
    closed = open_case(cases, 7)
    closed.reject("spam", "iklan", NOW, Actor("officer", "u-1", "agency_officer", "dinas-lh"))
    cases.save(closed)
    answer = public_map.nearby(*GAMBIR, "garbage", "id", deps)
    assert [(report["id"], report["distance_m"]) for report in answer["reports"]] == [
        (public(nearer), 11),
        (public(near), 47),
    ]
    assert answer["radius_m"] == 100 and NAME not in json.dumps(answer)
    with pytest.raises(InvalidInput):
        public_map.nearby(*GAMBIR, None, "id", deps)


def test_the_area_lookup_names_the_kelurahan_and_says_when_a_point_is_outside():
    inside = public_map.area_at(*GAMBIR)
    assert inside["inside"] is True
    assert inside["kelurahan"] == {"code": "31.71.01.1001", "name": "Gambir"}
    assert inside["kota"] == {"code": "31.71", "name": "Jakarta Pusat"}
    outside = public_map.area_at(-6.9175, 107.6191)  # Bandung
    assert outside["inside"] is False and outside["kelurahan"] is None and outside["kota"] is None


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({"category": "volcano"}, {"category"}),
        ({"status": "pending"}, {"status"}),
        ({"kota": "31.99"}, {"kota"}),
        ({"days": "8"}, {"days"}),
        ({"days": "0", "status": "x"}, {"days", "status"}),
        ({"days": "²"}, {"days"}),
    ],
)
def test_bad_filters_are_named(query, fields):
    with pytest.raises(InvalidInput) as refused:
        public_map.parse_filters(query)
    assert {field for field, _ in refused.value.problems} == fields


def test_good_filters_and_pages_are_read():
    assert public_map.parse_filters({"category": "garbage", "status": "open", "kota": "31.71", "days": "3"}) == (
        MapFilters("garbage", "open", "31.71", 3)
    )
    assert public_map.parse_filters({"category": " ", "days": ""}) == MapFilters()
    assert public_map.parse_page({"page": "2", "page_size": "50"}) == (2, 50)
    for bad in ({"page": "0"}, {"page_size": "51"}, {"page": "-1"}, {"page": "1e3"}):
        with pytest.raises(InvalidInput):
            public_map.parse_page(bad)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"lat": "-6.2"},
        {"lat": "x", "lng": "106"},
        {"lat": "91", "lng": "0"},
        {"lat": "0", "lng": "-180.5"},
        {"lat": "nan", "lng": "1"},
        {"lat": "inf", "lng": "1"},
        {"lat": "1" * 40, "lng": "1"},
    ],
)
def test_points_outside_the_earth_or_unreadable_are_refused(query):
    with pytest.raises(InvalidInput):
        public_map.parse_point(query)


def test_a_public_page_answers_only_to_a_public_id_and_never_for_a_confidential_case(world):
    cases, _, _, _ = world
    shown = open_case(cases, 1)
    hidden = open_case(cases, 2, privacy="confidential")
    assert public_map.public_case(public(shown), cases, CODE_KEY).tracking_code == shown.tracking_code
    assert public_map.public_case(shown.tracking_code, cases, CODE_KEY) is None  # the reporter's key
    assert public_map.public_case(public(hidden), cases, CODE_KEY) is None
    assert public_map.public_case("0" * 26, cases, CODE_KEY) is None


def test_index_attributes_put_every_case_in_the_day_index_with_its_point():
    report = build_report(
        channel=Channel.JAKI, message_id="m", category="garbage", description="x", location={"lat": -6.2, "lng": 106.8}
    )
    attributes = index_attributes(Case.open(report, "4N50G-7M7G1-2X63", NOW), 1)
    assert attributes["day_pk"].startswith("DAY#2026-11-23#") and attributes["card"]["location"]["lat"] == -6.2
