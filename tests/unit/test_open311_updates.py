"""FixMyStreet's Open311 client against the services, on fakes: what it posts
(extra attributes, repeated media_url, multipart uploads), the status changes
it fetches back (servicerequestupdates), and the citizens' updates it sends."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.case_stream import change_of
from chalicelib.adapters.images import clean
from chalicelib.domain import request_ids, service_catalogue
from chalicelib.domain.case import SYSTEM, Actor
from chalicelib.domain.events import Envelope
from chalicelib.domain.lifecycle import CaseStatus
from chalicelib.services import open311, replies
from chalicelib.services.open311 import Deps, Open311Error
from chalicelib.services.outbox import messages_for
from tests.support import fixmystreet as fms
from tests.support.fakes import (
    FakeApiKeyStore,
    FakeCaseQueries,
    FakeCaseRepository,
    FakeOpen311Feed,
    FakePhotoStore,
    FixedClock,
)
from tests.support.images import SECRET_MAKE, jpeg_with_metadata, png_bytes
from tests.unit.test_open311_service import CODE_KEY, SETTINGS, issue

FORM = "application/x-www-form-urlencoded"
OFFICER = Actor("officer", "u-1", "agency_officer", "dinas-bina-marga")
START = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def _policy():
    from chalicelib.adapters import reference_data

    return reference_data.sla_catalogue().for_category("damaged_road")


POLICY = _policy()


@pytest.fixture
def deps():
    cases = FakeCaseRepository()
    return Deps(
        settings=SETTINGS,
        cases=cases,
        queries=FakeCaseQueries(cases, workers=1),
        keys=FakeApiKeyStore(),
        photos=FakePhotoStore(),
        clock=FixedClock(START),
        reader=cases,
        feed=FakeOpen311Feed(CODE_KEY),
    )


def report(problem_id=101, **overrides):
    values = {
        "problem_id": problem_id,
        "title": "Lubang besar",
        "detail": "Jalan berlubang di depan halte",
        "name": "Siti Aminah",
        "email": "siti@example.com",
        "lat": -6.2297,
        "lng": 106.8272,
        "service_code": "damaged_road",
        "extra_fields": {"size": "large"},
    }
    values.update(overrides)
    return fms.report_params(**values)


def post(deps, key, params, content_type=FORM, body=None):
    body = body if body is not None else fms.urlencoded(fms.with_credentials(params, key))
    return open311.submit(body, {}, None, "id", deps, content_type=content_type)


def errors_of(refused):
    return refused.value.status, " ".join(description for _, description in refused.value.errors)


# --- what FixMyStreet posts ------------------------------------------------------------------


def test_cobrand_attributes_are_kept_for_officers_and_never_public(deps):
    key = issue(deps)
    params = report(extra_fields={"size": "large", "fms_extra_easting": "530123", "closest_address": "Jl. X"})
    posted = post(deps, key, {**params, "attribute[uprn]": "100023336956"})
    case = deps.cases.get(posted.tracking_code)
    assert case.answers == {"size": "large", "easting": "530123", "closest_address": "Jl. X", "uprn": "100023336956"}
    public = json.dumps(open311.get_request(posted.response[0]["service_request_id"], "en", deps))
    assert "530123" not in public and "100023336956" not in public


def test_a_strict_service_refuses_attributes_it_does_not_ask(deps, monkeypatch):
    from dataclasses import replace

    strict = replace(service_catalogue.service("damaged_road"), strict=True)
    monkeypatch.setitem(service_catalogue._BY_CATEGORY, "damaged_road", strict)
    with pytest.raises(Open311Error) as refused:
        post(deps, issue(deps), report(extra_fields={"size": "large", "uprn": "1"}))
    assert errors_of(refused) == (
        400,
        "attribute[uprn]: is not a question of service damaged_road (a strict service: it takes its own "
        "questions only)",
    )


def test_contact_details_sent_as_attributes_are_not_kept_as_answers(deps):
    # Open311.pm sends last_name both as a field and as attribute[last_name]
    posted = post(deps, issue(deps), report(extra_fields={"size": "small", "last_name": "Aminah"}))
    assert deps.cases.get(posted.tracking_code).answers == {"size": "small"}


@pytest.mark.parametrize(
    "extra, words",
    [
        ({f"a{n}": "x" for n in range(21)}, "attribute[a20]: is one attribute too many"),
        ({"note": "x" * 2001}, "attribute[note]: is longer than 2000 characters"),
        ({"a": "x" * 2000, "b": "x" * 2000, "c": "x"}, "attribute[c]: takes the attributes beyond"),
    ],
)
def test_kept_attributes_are_bounded(deps, extra, words):
    with pytest.raises(Open311Error) as refused:
        post(deps, issue(deps), report(extra_fields={"size": "large", **extra}))
    assert errors_of(refused)[0] == 400 and words in errors_of(refused)[1]


def test_multi_photos_repeats_media_url_and_each_link_is_fetched_later(deps):
    links = [f"https://fixmystreet.example.org/photo/101.{n}.full.jpeg" for n in range(3)]
    posted = post(deps, issue(deps), report(image_urls=links, multi_photos=True))
    case = deps.cases.get(posted.tracking_code)
    assert case.media_urls == links
    assert [(link.source, link.ref) for link in case.pending_media] == [("web", url) for url in links]
    assert case.history[-1].type == "case.photo_pending"


def test_more_photos_than_the_limit_are_refused(deps):
    links = [f"https://fixmystreet.example.org/photo/{n}.jpeg" for n in range(6)]
    with pytest.raises(Open311Error) as refused:
        post(deps, issue(deps), report(image_urls=links, multi_photos=True))
    assert errors_of(refused) == (400, "media_url: at most 5 photos, links and uploaded files together")


@pytest.mark.parametrize(
    "url, words",
    [
        ("http://127.0.0.1/p.jpg", "127.0.0.1 is not a public address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is not a public address"),
        ("http://10.1.2.3/p.jpg", "is not a public address"),
        ("http://[::1]/p.jpg", "is not a public address"),
        ("http://[::ffff:192.168.0.1]/p.jpg", "is not a public address"),
        ("http://localhost/p.jpg", "localhost is not a public host"),
        ("https://photos.example:8443/p.jpg", "only ports 80 and 443"),
        ("https://user:pw@photos.example/p.jpg", "user name or password"),
        ("ftp://photos.example/p.jpg", "not an http(s) URL"),
    ],
)
def test_links_that_could_only_reach_inside_are_refused_at_once(deps, url, words):
    with pytest.raises(Open311Error) as refused:
        post(deps, issue(deps), report(image_urls=[url]))
    assert errors_of(refused)[0] == 400 and words in errors_of(refused)[1]
    assert deps.cases.items == {}


def test_uploaded_photos_are_cleaned_like_every_other(deps):
    key = issue(deps)
    content_type, body = fms.multipart(
        fms.with_credentials(report(image_urls=["https://x.example/1.jpeg"]), key),
        [("image/jpeg", jpeg_with_metadata()), ("image/png", png_bytes())],
        problem_id=101,
    )
    posted = post(deps, key, {}, content_type, body)
    case = deps.cases.get(posted.tracking_code)
    assert [photo.id for photo in case.photos] == ["p1", "p2"] and case.pending_media == []
    assert case.media_urls == []  # Open311.pm sends files instead of links
    public = deps.photos.objects[case.photos[0].public_key]
    assert SECRET_MAKE.encode() not in public and public.startswith(b"\xff\xd8")
    again = post(deps, key, {}, content_type, body)  # a retry of the same upload
    assert (again.created, again.tracking_code) == (False, posted.tracking_code)


def test_a_file_that_is_no_photo_is_refused_naming_its_part(deps):
    key = issue(deps)
    content_type, body = fms.multipart(
        fms.with_credentials(report(), key), [("application/pdf", b"%PDF-1.4")], problem_id=5
    )
    with pytest.raises(Open311Error) as refused:
        post(deps, key, {}, content_type, body)
    assert errors_of(refused) == (400, "photo1: is application/pdf: only JPEG, PNG or WebP photos can be uploaded")


def test_the_photos_of_one_request_share_a_pixel_budget(deps):
    from dataclasses import replace

    deps = replace(deps, settings=replace(SETTINGS, max_pixels_per_request=320 * 240 + 100))
    key = issue(deps)
    content_type, body = fms.multipart(
        fms.with_credentials(report(), key),
        [("image/jpeg", jpeg_with_metadata()), ("image/jpeg", jpeg_with_metadata())],
        problem_id=6,
    )
    with pytest.raises(Open311Error) as refused:
        post(deps, key, {}, content_type, body)
    status, text = errors_of(refused)
    assert status == 400 and text.startswith(
        "photo2: is too large: the photos of this request come to 153,600 pixels, more than 76,900 together"
    )
    assert deps.cases.items == {} and deps.photos.objects == {}


# --- status changes back to FixMyStreet ---------------------------------------------------------


class Ledger:
    """The reply ledger's contract: a reply id goes out once."""

    def __init__(self):
        self.sent = set()

    def claim(self, reply_id):
        return reply_id not in self.sent

    def release(self, reply_id):
        pass

    def done(self, reply_id):
        self.sent.add(reply_id)


def relay(deps, code, follower=None):
    """What the outbox relay and the reply worker do with the case's latest write
    (``follower``: tell the reporter of this duplicate merged into the case instead)."""
    for raw in messages_for(change_of("MODIFY", deps.cases.items[code], None)):
        message = Envelope.from_message(raw)  # as the reply worker reads it off the queue
        case = deps.cases.open_sealed(deps.cases.get(message.tracking_code), "reply_handle")
        if follower is None:
            outgoing = replies.event_outgoing(message, case, "https://crm.example", CODE_KEY)
        else:
            duplicate = deps.cases.open_sealed(deps.cases.get(follower), "reply_handle")
            outgoing = replies.follower_outgoing(message, case, duplicate, "https://crm.example", CODE_KEY)
        if outgoing is not None:
            replies.deliver(outgoing, ledger=Ledger(), sender_for=lambda handle: deps.feed)


def act(deps, code, do):
    case = deps.cases.get(code)
    do(case, deps.clock())
    deps.cases.save(case)
    relay(deps, code)
    deps.clock.advance(hours=5)


def work_through(deps, code):
    from chalicelib.adapters import reference_data
    from chalicelib.adapters.images import clean as clean_image

    agencies = reference_data.agencies()
    act(deps, code, lambda case, now: case.assign(agencies.require("dinas-bina-marga"), now, SYSTEM))
    act(deps, code, lambda case, now: case.submit_plan("Tambal", None, POLICY, now, OFFICER))
    act(deps, code, lambda case, now: case.verify_plan(now, Actor("officer", "b-1", "bureau_verifier")))
    photo = deps.photos.store(code, "p9", "completion", clean_image(jpeg_with_metadata()))
    act(deps, code, lambda case, now: case.resolve(photo, "Sudah ditambal", now, OFFICER))
    return photo


def updates(deps, key, start=START, end=None, language="en", **extra):
    query = {
        "api_key": key,
        "start_date": start.isoformat(),
        "end_date": (end or deps.clock()).isoformat(),
        **extra,
    }
    return open311.list_updates(query, language, deps)


def test_the_window_gives_each_status_change_in_order_with_the_completion_photo(deps):
    key = issue(deps)
    posted = post(deps, key, report())
    code, request_id = posted.tracking_code, posted.response[0]["service_request_id"]
    photo = work_through(deps, code)
    act(deps, code, lambda case, now: case.give_feedback(5, "Terima kasih", now))
    listed = updates(deps, key)
    assert [(u["external_status_code"], u["status"]) for u in listed] == [
        ("assigned", "open"),
        ("in_progress", "open"),
        ("resolved", "closed"),
        ("closed", "closed"),
    ]
    assert {u["service_request_id"] for u in listed} == {request_id}
    assert listed[0]["description"] == "Report assigned to Dinas Bina Marga."
    resolved = listed[2]
    assert resolved["media_url"] == f"https://crm.example/open311/v2/media/{request_id}/{photo.id}"
    assert [u["media_url"] for u in listed if u is not resolved] == [None, None, None]
    assert [u["updated_datetime"] for u in listed] == sorted(u["updated_datetime"] for u in listed)
    assert len({u["update_id"] for u in listed}) == 4
    assert code not in json.dumps(listed) and "Terima kasih" not in json.dumps(listed)


def test_a_repeated_event_is_the_same_update(deps):
    key = issue(deps)
    code = post(deps, key, report()).tracking_code
    work_through(deps, code)
    before = updates(deps, key)
    relay(deps, code)  # the relay delivers the last write's events again
    assert updates(deps, key) == before


def test_the_window_and_pages_bound_the_answer(deps):
    key = issue(deps)
    code = post(deps, key, report()).tracking_code
    work_through(deps, code)
    every = updates(deps, key)
    middle = datetime.fromisoformat(every[1]["updated_datetime"])
    assert [u["update_id"] for u in updates(deps, key, start=middle)] == [u["update_id"] for u in every[1:]]
    assert [u["update_id"] for u in updates(deps, key, end=middle)] == [u["update_id"] for u in every[:2]]
    assert updates(deps, key, page="2", page_size="2") == every[2:]
    assert updates(deps, key, start=START - timedelta(days=30), end=START - timedelta(days=29)) == []


def test_a_confidential_request_gives_no_updates(deps):
    key = issue(deps)
    code = post(deps, key, report()).tracking_code
    work_through(deps, code)
    assert updates(deps, key)
    act(deps, code, lambda case, now: case.change_privacy("confidential", "Pelapor terancam", now, OFFICER, True))
    assert updates(deps, key) == []


def test_another_key_sees_nothing_of_these_requests(deps):
    mine, theirs = issue(deps, name="A"), issue(deps, name="B")
    code = post(deps, mine, report()).tracking_code
    work_through(deps, code)
    assert updates(deps, mine) and updates(deps, theirs) == []


@pytest.mark.parametrize(
    "query, status, words",
    [
        ({}, 403, "api_key is required"),
        ({"api_key": "KEY", "start_date": "2026-11-23T00:00:00Z"}, 400, "together"),
        ({"api_key": "KEY", "start_date": "2026-01-01T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"}, 400, "90 days"),
        ({"api_key": "KEY", "start_date": "2026-11-23T00:00:00", "end_date": "2026-11-24T00:00:00Z"}, 400, "zone"),
        ({"api_key": "KEY", "start_date": "2026-11-24T00:00:00Z", "end_date": "2026-11-23T00:00:00Z"}, 400, "before"),
        ({"api_key": "KEY", "page_size": "0"}, 400, "page_size"),
    ],
)
def test_bad_update_queries_get_the_specs_errors(deps, query, status, words):
    key = issue(deps)
    query = {name: key if value == "KEY" else value for name, value in query.items()}
    with pytest.raises(Open311Error) as refused:
        open311.list_updates(query, "en", deps)
    assert errors_of(refused)[0] == status and words in errors_of(refused)[1]


def test_a_merged_duplicate_hears_of_its_primary_by_its_own_id(deps):
    key = issue(deps)
    primary = post(deps, key, report(1)).tracking_code
    duplicate = post(deps, key, report(2, detail="Lubang yang sama")).tracking_code
    act(deps, duplicate, lambda case, now: case.merge_into(primary, now, OFFICER))
    act(deps, primary, lambda case, now: case.absorb(duplicate, now))
    from chalicelib.adapters import reference_data

    agencies = reference_data.agencies()
    for do in (
        lambda case, now: case.assign(agencies.require("dinas-bina-marga"), now, SYSTEM),
        lambda case, now: case.submit_plan("Tambal", None, POLICY, now, OFFICER),
        lambda case, now: case.verify_plan(now, Actor("officer", "b-1", "bureau_verifier")),
        lambda case, now: case.resolve(
            deps.photos.store(primary, "p9", "completion", clean(jpeg_with_metadata())), "Selesai", now, OFFICER
        ),
    ):
        case = deps.cases.get(primary)
        do(case, deps.clock())
        deps.cases.save(case)
        relay(deps, primary, follower=duplicate)  # the reply worker tells the duplicate's reporter too
        deps.clock.advance(hours=5)
    listed = updates(deps, key)
    theirs = [u for u in listed if u["service_request_id"] == request_ids.public_id(duplicate, CODE_KEY)]
    assert [u["external_status_code"] for u in theirs] == ["merged", "assigned", "in_progress", "resolved"]
    assert request_ids.public_id(primary, CODE_KEY) in theirs[0]["description"]
    assert theirs[-1]["media_url"].startswith(
        f"https://crm.example/open311/v2/media/{request_ids.public_id(primary, CODE_KEY)}/"
    )
    assert primary not in json.dumps(listed)


# --- citizens' updates from FixMyStreet ------------------------------------------------------------


def post_update(deps, key, request_id, comment_id=7001, content_type=FORM, body=None, **overrides):
    values = {
        "comment_id": comment_id,
        "service_request_id": request_id,
        "text": "Masih berlubang, tolong cepat",
        "name": "Budi Santoso",
        "email": "budi@example.com",
        "confirmed": "2026-11-23T10:30:00+07:00",
        "problem_open": True,
    }
    values.update(overrides)
    body = body if body is not None else fms.urlencoded(fms.with_credentials(fms.update_params(**values), key))
    return open311.post_update(content_type, body, {}, "id", deps)


def test_an_update_is_added_once_however_often_it_is_posted(deps):
    key = issue(deps)
    posted = post(deps, key, report())
    request_id = posted.response[0]["service_request_id"]
    first = post_update(deps, key, request_id)
    again = post_update(deps, key, request_id)
    assert (first.created, again.created) == (True, False) and first.response == again.response
    case = deps.cases.get(posted.tracking_code)
    assert case.description.count("Masih berlubang, tolong cepat") == 1
    assert [entry.type for entry in case.history].count("case.reporter_added") == 1
    assert "budi@example.com" not in json.dumps(deps.cases.items[posted.tracking_code], default=str)


def test_an_update_may_bring_photos_by_link_or_upload(deps):
    key = issue(deps)
    posted = post(deps, key, report())
    request_id = posted.response[0]["service_request_id"]
    post_update(deps, key, request_id, photo_urls=["https://fixmystreet.example.org/c/7001.0.full.jpeg"])
    params = fms.with_credentials(
        fms.update_params(
            comment_id=7002,
            service_request_id=request_id,
            text="Foto terbaru",
            name="Budi",
            email="b@example.com",
            confirmed="2026-11-23T11:00:00+07:00",
            problem_open=True,
        ),
        key,
    )
    content_type, body = fms.multipart(params, [("image/jpeg", jpeg_with_metadata())], problem_id=7002)
    post_update(deps, key, request_id, content_type=content_type, body=body)
    case = deps.cases.get(posted.tracking_code)
    assert [link.ref for link in case.pending_media] == ["https://fixmystreet.example.org/c/7001.0.full.jpeg"]
    assert [photo.id for photo in case.photos] == ["p1"]


def resolve(deps, code):
    from chalicelib.adapters import reference_data

    case = deps.cases.get(code)
    now = deps.clock()
    case.assign(reference_data.agencies().require("dinas-bina-marga"), now, SYSTEM)
    case.submit_plan("Tambal", None, POLICY, now, OFFICER)
    case.verify_plan(now, Actor("officer", "b-1", "bureau_verifier"))
    case.resolve(deps.photos.store(code, "p1", "completion", clean(jpeg_with_metadata())), "Selesai", now, OFFICER)
    deps.cases.save(case)


def test_open_on_a_resolved_request_reopens_it_within_seven_days(deps):
    key = issue(deps)
    posted = post(deps, key, report())
    resolve(deps, posted.tracking_code)
    deps.clock.advance(days=6, hours=23)
    answer = post_update(deps, key, posted.response[0]["service_request_id"], text="Belum diperbaiki")
    case = deps.cases.get(posted.tracking_code)
    assert answer.reopened and case.status is CaseStatus.IN_PROGRESS and case.reopen_count == 1
    assert case.history[-1].type == "case.reopened" and case.history[-1].data["reason"] == "Belum diperbaiki"
    again = post_update(deps, key, posted.response[0]["service_request_id"], text="Belum diperbaiki")
    assert not again.created and deps.cases.get(posted.tracking_code).reopen_count == 1


def test_open_after_the_seven_days_is_refused(deps):
    key = issue(deps)
    posted = post(deps, key, report())
    resolve(deps, posted.tracking_code)
    deps.clock.advance(days=7, minutes=1)
    with pytest.raises(Open311Error) as refused:
        post_update(deps, key, posted.response[0]["service_request_id"])
    assert errors_of(refused) == (
        400,
        "status=OPEN cannot reopen this request: the 7 days to reopen this case have passed",
    )
    assert deps.cases.get(posted.tracking_code).status is CaseStatus.RESOLVED


def test_closed_on_a_resolved_request_is_refused_clearly(deps):
    key = issue(deps)
    posted = post(deps, key, report())
    resolve(deps, posted.tracking_code)
    with pytest.raises(Open311Error) as refused:
        post_update(deps, key, posted.response[0]["service_request_id"], problem_open=False, text="Terima kasih")
    assert errors_of(refused)[0] == 400 and "status=OPEN reopens it within 7 days" in errors_of(refused)[1]


@pytest.mark.parametrize(
    "overrides, status, words",
    [
        ({"service_request_id": "0" * 26}, 404, "was not found among this api_key's requests"),
        ({"comment_id": ""}, 400, "update_id: is required"),
        ({"confirmed": "yesterday"}, 400, "updated_datetime: must be a W3C date-time"),
        ({"confirmed": "2031-01-01T00:00:00Z"}, 400, "updated_datetime: is in the future"),
        ({"text": "x" * 4001}, 400, "description: is longer than 4000 characters"),
        ({"text": "", "problem_open": False}, 400, "nothing to add"),
    ],
)
def test_bad_updates_get_the_specs_errors(deps, overrides, status, words):
    key = issue(deps)
    request_id = post(deps, key, report()).response[0]["service_request_id"]
    with pytest.raises(Open311Error) as refused:
        post_update(deps, key, overrides.pop("service_request_id", request_id), **overrides)
    assert errors_of(refused)[0] == status and words in errors_of(refused)[1]


def test_a_status_that_is_not_open311s_is_refused(deps):
    key = issue(deps)
    request_id = post(deps, key, report()).response[0]["service_request_id"]
    body = fms.urlencoded(
        {"api_key": key, "service_request_id": request_id, "update_id": "1", "status": "maybe", "description": "x"}
    )
    with pytest.raises(Open311Error) as refused:
        open311.post_update(FORM, body, {}, "id", deps)
    assert errors_of(refused) == (400, "status: must be OPEN or CLOSED (or one of open311-adapter's extended statuses)")


def test_only_the_key_that_posted_a_request_may_update_it(deps):
    mine, theirs = issue(deps, name="A"), issue(deps, name="B")
    request_id = post(deps, mine, report()).response[0]["service_request_id"]
    with pytest.raises(Open311Error) as refused:
        post_update(deps, theirs, request_id)
    assert errors_of(refused)[0] == 404
    with pytest.raises(Open311Error) as refused:
        post_update(deps, "crm311_0000000000_" + "A" * 43, request_id)
    assert errors_of(refused)[0] == 403
