"""Open311 use cases against the in-memory fakes: posting, idempotency, keys,
the public mapping of a case, listing by day, tokens."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters import reference_data
from chalicelib.config import Settings
from chalicelib.domain import request_ids
from chalicelib.domain.case import SYSTEM, Actor, PhotoRef
from chalicelib.domain.channels import Channel
from chalicelib.services import api_keys, open311
from chalicelib.services.open311 import Deps, Open311Error
from tests.support.fakes import FakeApiKeyStore, FakeCaseQueries, FakeCaseRepository, FakePhotoStore, FixedClock

SECRET = "unit-open311-secret"
CODE_KEY = b"unit-tracking-key"
FORM = "application/x-www-form-urlencoded"
MARKERS = (
    "Rahasia",
    "Pelapor",
    "rahasia.pelapor@example.com",
    "+6281299990000",
    "device-secret-1",
    "account-secret-2",
    "https://private.example/photo.jpg",
)
OFFICER = Actor("officer", "u-1", "agency_officer", "dinas-bina-marga")


class StubSettings(Settings):
    def secret(self, name):
        return {"OPEN311_API_KEY_SECRET": SECRET, "TRACKING_CODE_KEY": CODE_KEY.decode()}.get(name)


SETTINGS = StubSettings(
    stage="local",
    region="ap-southeast-3",
    cases_table="t",
    photos_bucket="b",
    events_topic_arn=None,
    public_base_url="https://crm.example",
    photo_url_ttl_seconds=900,
    webhook_max_skew_seconds=300,
)


@pytest.fixture
def deps():
    cases = FakeCaseRepository()
    return Deps(
        settings=SETTINGS,
        cases=cases,
        queries=FakeCaseQueries(cases, workers=1),
        keys=FakeApiKeyStore(),
        photos=FakePhotoStore(),
        clock=FixedClock(datetime(2026, 11, 23, 3, 0, tzinfo=UTC)),
        reader=cases,
    )


def issue(deps, channel=Channel.BALAI_WARGA, name="RW app"):
    _, raw = api_keys.issue(
        deps.keys,
        api_keys.IssueKeyCommand(name=name, channel=channel),
        "admin-1",
        "2026-11-23T03:00:00.000000Z",
        SECRET,
    )
    return raw


def form(key, **fields):
    values = {
        "api_key": key,
        "service_code": "damaged_road",
        "lat": "-6.2297",
        "long": "106.8272",
        "description": "Jalan berlubang",
        "attribute[size]": "large",
        **fields,
    }
    from urllib.parse import urlencode

    return urlencode(values).encode()


def post(deps, body, idempotency=None, language="id", extensions=False):
    return open311.submit(body, {}, idempotency, language, deps, extensions=extensions)


def status_of(error_info):
    return error_info.value.status, " ".join(description for _, description in error_info.value.errors)


# --- keys -----------------------------------------------------------------------------------


def test_keys_are_stored_as_a_keyed_hash_only(deps):
    raw = issue(deps)
    (stored,) = deps.keys.all()
    assert raw.startswith("crm311_") and raw not in json.dumps(vars(stored))
    assert stored.digest == api_keys.digest(raw, SECRET) != api_keys.digest(raw, "another secret")
    assert api_keys.authenticate(deps.keys, raw, SECRET).channel is Channel.BALAI_WARGA


@pytest.mark.parametrize(
    "given, reason",
    [
        (None, "required"),
        ("", "required"),
        ("xyz", "not valid"),
        ("crm311_0000000000_" + "A" * 43, "not valid"),
    ],
)
def test_bad_keys_are_refused(deps, given, reason):
    issue(deps)
    with pytest.raises(api_keys.KeyRefused, match=reason):
        api_keys.authenticate(deps.keys, given, SECRET)


def test_a_key_with_the_right_id_but_wrong_secret_is_refused(deps):
    raw = issue(deps)
    forged = raw[:-1] + ("A" if raw[-1] != "A" else "B")
    with pytest.raises(api_keys.KeyRefused):
        api_keys.authenticate(deps.keys, forged, SECRET)


def test_a_revoked_key_is_refused_at_once(deps):
    raw = issue(deps)
    (stored,) = deps.keys.all()
    deps.keys.revoke(stored.key_id, "admin-1", "2026-11-24T00:00:00.000000Z")
    with pytest.raises(open311.Open311Error) as refused:
        post(deps, form(raw))
    assert status_of(refused) == (403, "api_key was revoked: cannot create a service request")


def test_desk_channels_cannot_be_bound_to_a_key(deps):
    from chalicelib.domain.errors import InvalidInput

    with pytest.raises(InvalidInput):
        issue(deps, channel=Channel.KELURAHAN)


# --- posting ----------------------------------------------------------------------------------


def test_a_post_opens_a_case_on_balai_warga_or_the_keys_channel(deps):
    posted = post(deps, form(issue(deps)))
    assert posted.created
    case = deps.cases.get(posted.tracking_code)
    assert case.channel is Channel.BALAI_WARGA and case.answers == {"size": "large"}
    (answer,) = posted.response
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}  # the spec's fields only
    assert request_ids.tracking_code_of(answer["service_request_id"], CODE_KEY) == posted.tracking_code
    bound = post(deps, form(issue(deps, Channel.QLUE, "Qlue")))
    assert deps.cases.get(bound.tracking_code).channel is Channel.QLUE


def test_extensions_give_the_reporters_app_the_tracking_code(deps):
    posted = post(deps, form(issue(deps)), extensions=True)
    assert posted.response[0]["extended_attributes"] == {
        "tracking_code": posted.tracking_code,
        "status_url": f"https://crm.example/status/{posted.tracking_code}",
    }


def test_the_reporters_details_are_kept_privately(deps):
    body = form(
        issue(deps),
        first_name=MARKERS[0],
        last_name=MARKERS[1],
        email=MARKERS[2],
        phone=MARKERS[3],
        device_id=MARKERS[4],
        account_id=MARKERS[5],
        media_url=MARKERS[6],
    )
    posted = post(deps, body)
    stored = deps.cases.get(posted.tracking_code)
    assert MARKERS[4] not in repr(stored)  # sealed at rest (adapters/sealing.py)
    case = deps.cases.open_sealed(stored)
    assert case.reporter.name == "Rahasia Pelapor" and case.reporter.device_id == MARKERS[4]
    assert case.media_urls == [MARKERS[6]]
    assert posted.response[0]["account_id"] == MARKERS[5]  # echoed to the app that sent it, as the spec says
    public = json.dumps(
        [
            open311.get_request(posted.response[0]["service_request_id"], "id", deps),
            open311.list_requests({}, "en", deps),
        ]
    )
    assert not any(marker in public for marker in MARKERS)


def test_a_retried_post_is_the_same_case_and_another_day_is_another(deps):
    key = issue(deps)
    first = post(deps, form(key))
    again = post(deps, form(key))
    assert (again.created, again.tracking_code) == (False, first.tracking_code)
    assert again.response == first.response
    deps.clock.advance(days=1)
    assert post(deps, form(key)).tracking_code != first.tracking_code


def test_an_idempotency_key_holds_across_days_and_separates_identical_reports(deps):
    key = issue(deps)
    first = post(deps, form(key), idempotency="order-1")
    deps.clock.advance(days=3)
    assert post(deps, form(key), idempotency="order-1").tracking_code == first.tracking_code
    assert post(deps, form(key), idempotency="order-2").tracking_code != first.tracking_code


def test_an_idempotency_key_reused_for_another_request_is_refused(deps):
    key = issue(deps)
    post(deps, form(key), idempotency="order-1")
    with pytest.raises(Open311Error) as refused:
        post(deps, form(key, description="Something else"), idempotency="order-1")
    assert status_of(refused)[0] == 400 and "already used" in status_of(refused)[1]


def test_two_partners_with_the_same_idempotency_key_get_two_cases(deps):
    one = post(deps, form(issue(deps, name="A")), idempotency="1")
    two = post(deps, form(issue(deps, name="B")), idempotency="1")
    assert one.tracking_code != two.tracking_code


@pytest.mark.parametrize(
    "fields, status, words",
    [
        ({"service_code": ""}, 400, "service_code is required"),
        ({"service_code": "potholes"}, 404, "service_code 'potholes' was not found"),
        ({"jurisdiction_id": "bandung.go.id"}, 404, "jurisdiction_id"),
        ({"lat": "", "long": ""}, 400, "location"),
        ({"attribute[size]": "huge"}, 400, "attribute[size]: unknown choice"),
        ({"email": "nope"}, 400, "email:"),
        ({"phone": "12"}, 400, "phone:"),
        ({"media_url": "ftp://x"}, 400, "media_url:"),
    ],
)
def test_bad_posts_get_the_specs_errors(deps, fields, status, words):
    with pytest.raises(Open311Error) as refused:
        post(deps, form(issue(deps), **fields))
    assert status_of(refused)[0] == status and words in status_of(refused)[1]


def test_the_jurisdiction_may_be_given_in_any_case(deps):
    assert post(deps, form(issue(deps), jurisdiction_id="Jakarta.go.id")).created


def test_nothing_is_stored_for_a_refused_post(deps):
    with pytest.raises(Open311Error):
        post(deps, form(issue(deps), **{"attribute[size]": ""}))
    assert deps.cases.items == {}


# --- tokens ----------------------------------------------------------------------------------


def test_a_token_is_the_idempotency_key_it_was_posted_with(deps):
    key = issue(deps)
    posted = post(deps, form(key), idempotency="order-7")
    assert open311.resolve_token("order-7", key, deps) == [
        {"service_request_id": posted.response[0]["service_request_id"], "token": "order-7"}
    ]
    with pytest.raises(Open311Error) as unknown:
        open311.resolve_token("order-8", key, deps)
    assert status_of(unknown)[0] == 404
    with pytest.raises(Open311Error) as other_partner:
        open311.resolve_token("order-7", issue(deps, name="other"), deps)
    assert status_of(other_partner)[0] == 404
    with pytest.raises(Open311Error) as no_key:
        open311.resolve_token("order-7", None, deps)
    assert status_of(no_key)[0] == 403


# --- the public view of a request ----------------------------------------------------------------


def test_a_request_is_mapped_from_the_public_view(deps):
    posted = post(deps, form(issue(deps), address_string="Jl. Gatot Subroto"), language="en")
    (request,) = open311.get_request(posted.response[0]["service_request_id"], "en", deps)
    assert request["status"] == "open" and request["service_code"] == "damaged_road"
    assert request["service_name"] == "Damaged road" and request["description"] == "Jalan berlubang"
    assert request["requested_datetime"] == "2026-11-23T10:00:00+07:00"
    assert request["expected_datetime"] == "2026-11-30T10:00:00+07:00"
    assert (request["lat"], request["long"], request["address"]) == (-6.2297, 106.8272, "Jl. Gatot Subroto")
    assert request["status_notes"].startswith("Received.")
    assert request["agency_responsible"] is None and request["media_url"] is None
    assert "within 7 days" in request["service_notice"]
    assert posted.tracking_code not in json.dumps(request)


def test_the_public_list_masks_contact_details_typed_into_the_request(deps):
    description = "Jalan berlubang. Hubungi Budi 0812-3456-7890 / budi@gmail.com"
    post(deps, form(issue(deps), description=description, address_string="Jl. Sabang 15, WA +62 857 1234 5678"))
    (request,) = open311.list_requests({}, "id", deps)
    assert request["description"] == "Jalan berlubang. Hubungi Budi [nomor disembunyikan] / [email disembunyikan]"
    for private in ("0812-3456-7890", "budi@gmail.com", "857 1234 5678"):
        assert private not in json.dumps(request)


def test_statuses_map_to_open_and_closed_with_notes(deps):
    directory = reference_data.agencies()
    posted = post(deps, form(issue(deps)))
    case = deps.cases.get(posted.tracking_code)
    case.assign(directory.require("dinas-bina-marga"), deps.clock(), SYSTEM)
    case.submit_plan("Tambal", None, reference_data.sla_catalogue().for_category("damaged_road"), deps.clock(), OFFICER)
    case.verify_plan(deps.clock(), Actor("officer", "u-2", "bureau_verifier", "biro-pemerintahan"))
    case.resolve(
        PhotoRef("p1", "completion", "originals/x/p1.jpg", "public/x/p1.jpg", "image/jpeg", 8, 8),
        "Sudah ditambal",
        deps.clock(),
        OFFICER,
    )
    deps.cases.save(case)
    (request,) = open311.get_request(posted.response[0]["service_request_id"], "en", deps)
    assert request["status"] == "closed"
    assert request["status_notes"] == "Resolved. Resolved. Sudah ditambal"
    assert request["agency_responsible"] == directory.require("dinas-bina-marga").name
    assert request["media_url"] == f"https://crm.example/open311/v2/media/{request['service_request_id']}/p1"
    photo = open311.photo_of(request["service_request_id"], "p1", deps)
    assert photo.public_key == "public/x/p1.jpg"


def test_a_merged_request_points_at_the_primary_by_its_public_id(deps):
    key = issue(deps)
    primary = post(deps, form(key, description="Lubang besar"))
    duplicate = post(deps, form(key, description="Lubang"))
    case = deps.cases.get(duplicate.tracking_code)
    case.merge_into(primary.tracking_code, deps.clock(), OFFICER)
    deps.cases.save(case)
    (request,) = open311.get_request(duplicate.response[0]["service_request_id"], "en", deps)
    assert request["status"] == "closed"
    assert primary.response[0]["service_request_id"] in request["status_notes"]
    assert primary.tracking_code not in json.dumps(request)


def test_unknown_and_malformed_ids_are_404(deps):
    for rid in ("nope", request_ids.public_id("4N50G-7M7G1-2X63", CODE_KEY), "0" * 26):
        with pytest.raises(Open311Error) as missing:
            open311.get_request(rid, "id", deps)
        assert status_of(missing)[0] == 404


# --- listing ---------------------------------------------------------------------------------------


def several(deps, days=3, per_day=2):
    key = issue(deps)
    ids = []
    for day in range(days):
        if day:
            deps.clock.advance(days=1)
        for n in range(per_day):
            posted = post(deps, form(key, description=f"Lubang {day}-{n}"))
            ids.append(posted.response[0]["service_request_id"])
            deps.clock.advance(minutes=1)
    return ids


def test_listing_is_newest_first_over_the_default_window(deps):
    ids = several(deps)
    listed = open311.list_requests({}, "id", deps)
    assert [request["service_request_id"] for request in listed] == list(reversed(ids))


def test_listing_by_window_status_code_and_page(deps):
    ids = several(deps)
    first_day = {"start_date": "2026-11-23T00:00:00+07:00", "end_date": "2026-11-23T23:59:59+07:00"}
    assert {r["service_request_id"] for r in open311.list_requests(first_day, "id", deps)} == set(ids[:2])
    assert {
        r["service_request_id"]
        for r in open311.list_requests({"start_date": "2026-11-23", "end_date": "2026-11-23"}, "id", deps)
    } == set(ids[:2])
    assert open311.list_requests({"status": "closed"}, "id", deps) == []
    assert len(open311.list_requests({"status": "open,closed"}, "id", deps)) == len(ids)
    assert open311.list_requests({"service_code": "garbage"}, "id", deps) == []
    page = open311.list_requests({"page": "2", "page_size": "4"}, "id", deps)
    assert [r["service_request_id"] for r in page] == list(reversed(ids))[4:6]


def test_listing_by_ids_overrides_everything_else(deps):
    ids = several(deps, days=1)
    wanted = f"{ids[1]},nonsense,{ids[0]}"
    listed = open311.list_requests({"service_request_id": wanted, "status": "closed"}, "id", deps)
    assert [r["service_request_id"] for r in listed] == [ids[1], ids[0]]


def test_listing_reads_a_bounded_number_of_index_partitions(deps):
    several(deps, days=2, per_day=3)
    before = deps.queries.requests
    open311.list_requests({"page_size": "2"}, "id", deps)
    assert deps.queries.requests - before == 4  # the newest day's four shards fill the page
    before = deps.queries.requests
    open311.list_requests({}, "id", deps)
    assert deps.queries.requests - before == 4 * 91  # fewer than 1,000 cases: every day of the window
    before = deps.queries.requests
    assert len(open311.list_requests({}, "id", deps)) == 6
    # Past days found empty are not asked again: only the two days with cases, and the window's first
    # day, which the window covers only in part.
    assert deps.queries.requests - before == 4 * 3


def test_a_day_is_remembered_as_empty_only_once_it_is_over(deps):
    before = deps.queries.requests
    open311.list_requests({"start_date": "2026-11-23T00:00:00+07:00"}, "id", deps)
    open311.list_requests({"start_date": "2026-11-23T00:00:00+07:00"}, "id", deps)
    assert deps.queries.requests - before == 2 * 4  # today may still get cases: asked both times
    posted = post(deps, form(issue(deps)))  # later the same day
    deps.clock.advance(days=2)
    listed = open311.list_requests({"start_date": "2026-11-20T00:00:00+07:00"}, "id", deps)
    assert [r["service_request_id"] for r in listed] == [posted.response[0]["service_request_id"]]


def test_a_partly_covered_day_is_not_remembered_as_empty(deps):
    deps.clock.advance(days=5)
    open311.list_requests(
        {"start_date": "2026-11-23T12:00:00+07:00", "end_date": "2026-11-23T13:00:00+07:00"}, "id", deps
    )
    deps.clock.now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # a case at 10:00 that day
    posted = post(deps, form(issue(deps)))
    deps.clock.advance(days=5)
    listed = open311.list_requests(
        {"start_date": "2026-11-23T00:00:00+07:00", "end_date": "2026-11-23T23:59:59+07:00"}, "id", deps
    )
    assert [r["service_request_id"] for r in listed] == [posted.response[0]["service_request_id"]]


@pytest.mark.parametrize(
    "query, words",
    [
        ({"start_date": "yesterday"}, "start_date must be a W3C date-time"),
        ({"start_date": "2026-11-01T00:00:00"}, "time zone"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"}, "90 days"),
        ({"start_date": "2026-11-02T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"}, "before start_date"),
        ({"status": "pending"}, "status must be"),
        ({"service_code": "potholes"}, "service_code 'potholes' was not found"),
        ({"page": "0"}, "page must be"),
        ({"page": "\u00b2"}, "page must be"),  # "²".isdigit() is true; int() refuses it
        ({"page_size": "9" * 5000}, "page_size must be"),  # int() refuses over 4,300 digits
        ({"page_size": "1001"}, "page_size must be"),
        ({"page": "11", "page_size": "1000"}, "page * page_size"),
        ({"service_request_id": ",".join(["x"] * 101)}, "at most 100"),
        ({"end_date": "0001-01-10"}, "between the years"),
        ({"start_date": "0001-01-01T00:00:00Z"}, "between the years"),
        ({"start_date": "9999-12-31T23:59:59-05:00"}, "between the years"),
    ],
)
def test_bad_listing_arguments_are_400(deps, query, words):
    with pytest.raises(Open311Error) as refused:
        open311.list_requests(query, "id", deps)
    assert status_of(refused)[0] == 400 and words in status_of(refused)[1]


def test_only_a_start_date_means_the_90_days_after_it(deps):
    listing = open311.parse_listing({"start_date": "2026-01-01T00:00:00Z"}, datetime(2026, 11, 23, tzinfo=UTC))
    assert listing.end - listing.start == timedelta(days=90)
    recent = open311.parse_listing({"start_date": "2026-11-20T00:00:00Z"}, datetime(2026, 11, 23, tzinfo=UTC))
    assert recent.end == datetime(2026, 11, 23, tzinfo=UTC)


# --- services -------------------------------------------------------------------------------------


def test_services_and_definitions():
    services = open311.service_list("en")
    road = next(s for s in services if s["service_code"] == "damaged_road")
    assert road == {
        "service_code": "damaged_road",
        "service_name": "Damaged road",
        "description": "Potholes, sunken or broken road surface.",
        "metadata": True,
        "type": "realtime",
        "keywords": "jalan rusak, jalan berlubang, pothole, road",
        "group": "Streets and sidewalks",
    }
    assert next(s for s in services if s["service_code"] == "other")["metadata"] is False
    definition = open311.service_definition("damaged_road", "en")
    assert [(a["code"], a["order"], a["required"]) for a in definition["attributes"]] == [
        ("size", 1, True),
        ("lane_blocked", 2, False),
    ]
    with pytest.raises(Open311Error):
        open311.service_definition("potholes", "en")


def test_the_address_runs_from_specific_to_general_without_repeating_itself():
    view = {
        "location": {"address": "Jl. Gatot Subroto, Setiabudi"},
        "area": {"kelurahan": "Karet Kuningan", "kecamatan": "Setiabudi", "kota": "Jakarta Selatan"},
    }
    assert open311._address(view) == "Jl. Gatot Subroto, Setiabudi, Karet Kuningan, Jakarta Selatan"
    assert open311._address({"location": None, "area": None}) is None
