"""The response models (services/responses.py) are what the API answers.

The case views build their model (public, officer, queue, history), so what
they send is what the OpenAPI document says by construction; here every one of
them, for cases in every kind of state, is serialised as the API does and read
back against its model (times, enums and the fields left out when absent
survive the trip). The answers still built as dicts (Open311, metrics,
webhook receipts) are checked against their models, which forbid extra
fields: a field added without its description fails here."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import BaseModel, ValidationError

from chalicelib.adapters import reference_data
from chalicelib.adapters.case_history import HistoryPage
from chalicelib.adapters.case_queries import read_card
from chalicelib.adapters.case_repository import case_to_item
from chalicelib.api.http import json_body
from chalicelib.config import Settings
from chalicelib.domain import permissions
from chalicelib.domain.case import SYSTEM, Actor, Case, PhotoRef
from chalicelib.domain.channels import Channel
from chalicelib.domain.lifecycle import CaseStatus
from chalicelib.domain.permissions import Principal, Role
from chalicelib.domain.report import build_report
from chalicelib.domain.sla import SlaPolicy
from chalicelib.services import open311
from chalicelib.services import responses as r
from chalicelib.services.status import public_view
from chalicelib.services.views import history_page_view, officer_view, queue_page, queue_row, queue_rows
from tests.support.fakes import FakeSealer

T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
DIRECTORY = reference_data.agencies()
OFFICER = Actor("officer", "u-1", "agency_officer", "dinas-lh")
BUREAU = Actor("officer", "u-2", "bureau_verifier", "biro-pemerintahan")
PRINCIPALS = [
    Principal("u-1", frozenset({Role.AGENCY_OFFICER}), "dinas-lh"),
    Principal("u-2", frozenset({Role.BUREAU_VERIFIER}), "biro-pemerintahan"),
    Principal("u-3", frozenset({Role.ADMIN}), None),
]


def photo(photo_id, kind):
    return PhotoRef(photo_id, kind, f"originals/x/{photo_id}.jpg", f"public/x/{photo_id}.jpg", "image/jpeg", 8, 6)


def case_in(state: str) -> Case:
    report = build_report(
        channel=Channel.BALAI_WARGA,
        message_id=f"m-{state}",
        category="water",
        description="Air tidak mengalir",
        location={"lat": -6.2, "lng": 106.8, "address": "Jl. Kebon Sirih"} if state != "received" else None,
        reporter={"name": "Siti", "email": "siti@example.com", "device_id": "d-1"} if state != "anonymous" else None,
        anonymous=state == "anonymous",
        answers={"problem": "leak"},
        media_urls=["https://p.example/1.jpg"],
    )
    case = Case.open(report, "4N50G-7M7G1-2X63", T0, [photo("p1", "report")])
    if state in ("received", "anonymous"):
        return case
    policy = SlaPolicy(estimates_allowed=True)
    case.assign(DIRECTORY.require("dinas-lh"), T0, SYSTEM)
    if state == "rejected":
        case.reject("spam", "iklan", T0, OFFICER)
        return case
    if state == "merged":
        case.merge_into("EW30M-QXH6Y-RXE4", T0, OFFICER)
        return case
    case.add_collaborator(DIRECTORY.require("dinas-sda"), T0, OFFICER)
    case.submit_plan("Perbaiki pipa", T0 + timedelta(days=10), policy, T0, OFFICER)
    if state == "planned":
        return case
    case.verify_plan(T0, BUREAU)
    case.post_progress(40, "Pipa diganti", T0, OFFICER)
    if state == "in_progress":
        return case
    case.resolve(photo("p2", "completion"), "Selesai", T0, OFFICER)
    if state == "resolved":
        return case
    case.give_feedback(4, "Terima kasih", T0 + timedelta(days=1))
    return case


STATES = ["received", "anonymous", "rejected", "merged", "planned", "in_progress", "resolved", "closed"]


def check(model: type[BaseModel], value):
    try:
        return model.model_validate(value)
    except ValidationError as error:  # pragma: no cover - the message is the point
        pytest.fail(f"{model.__name__} does not describe the view:\n{error}")


def sent(model: type[BaseModel], view) -> dict:
    """The view as the API sends it, checked against its model; returns the JSON."""
    assert isinstance(view, model)
    body = json.loads(json_body(view))
    check(model, body)
    return body


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("language", ["id", "en"])
def test_public_view(state, language):
    body = sent(r.PublicStatus, public_view(case_in(state), language, "https://crm.example"))
    assert body["created_at"] == "2026-11-23T10:00:00+07:00"  # times go out in Jakarta, to the second


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("principal", PRINCIPALS, ids=lambda p: p.main_role.value)
def test_officer_view(state, principal):
    case = case_in(state)
    case.version = 3
    body = sent(
        r.OfficerCase,
        officer_view(
            case,
            principal,
            "id",
            "https://crm.example",
            photo_url=lambda p: f"https://s3/{p.public_key}",
            original_url=lambda p: f"https://s3/{p.original_key}",
        ),
    )
    may_see_contact = permissions.allowed(principal, "view_contact", case.agency_id, case.collaborators, DIRECTORY)
    # Left out, not null, for those who may not see them; only what the reporter gave.
    assert all(("original_url" in photo) is may_see_contact for photo in body["photos"])
    if state != "anonymous":
        assert (body["reporter"] == {"name": "Siti", "email": "siti@example.com", "device_id": "d-1"}) is (
            may_see_contact
        )


@pytest.mark.parametrize("state", STATES)
def test_queue_row(state):
    case = case_in(state)
    item = case_to_item(case, 2, [], sealer=FakeSealer())
    sent(r.QueueRow, queue_row(read_card(item["card"]), "en", T0 + timedelta(hours=1)))


def test_queue_page_and_history_page():
    case = case_in("closed")
    item = case_to_item(case, 2, [], sealer=FakeSealer())
    rows = queue_rows(
        [read_card(item["card"])], "en", T0
    )  # unreadable cards: the port skips them (test_unreadable_items)
    body = sent(r.QueuePage, queue_page("agency", rows, "next"))
    assert (body["count"], body["cursor"], len(body["items"])) == (1, "next", 1)

    page = HistoryPage(entries=list(enumerate(case.history))[-3:], cursor=7, total=10, skipped=0)
    body = sent(r.HistoryPage, history_page_view(case, page, "en"))
    last = len(case.history) - 1
    assert [line["seq"] for line in body["items"]] == [last - 2, last - 1, last] and body["cursor"] == "7"
    assert list(body["items"][0])[0] == "seq"  # first, as the page has always sent it


@pytest.mark.parametrize("state", STATES)
def test_open311_request(state):
    from tests.support.fakes import FakeCaseRepository

    class Stub(Settings):
        def secret(self, name):
            return "k"

    settings = Stub(
        stage="local",
        region="r",
        cases_table="t",
        photos_bucket="b",
        events_topic_arn=None,
        public_base_url="https://crm.example",
        photo_url_ttl_seconds=1,
        webhook_max_skew_seconds=1,
    )
    deps = open311.Deps(
        settings=settings, cases=FakeCaseRepository(), queries=None, keys=None, photos=None, clock=lambda: T0
    )
    request = check(r.Open311Request, open311.request_view(case_in(state), "en", deps))
    assert request.status == ("open" if state in ("received", "anonymous", "planned", "in_progress") else "closed")


def test_open311_documents():
    for service in open311.service_list("en"):
        check(r.Open311Service, service)
    for service in open311.service_list("id"):
        check(r.Open311ServiceDefinition, open311.service_definition(service["service_code"], "id"))

    settings = Settings(
        stage="prod",
        region="r",
        cases_table="t",
        photos_bucket="b",
        events_topic_arn=None,
        public_base_url="https://crm.example",
        photo_url_ttl_seconds=1,
        webhook_max_skew_seconds=1,
    )
    check(r.Open311Discovery, open311.discovery(settings))


def test_metrics_views():
    from chalicelib.services.metrics import agency_detail, dashboard
    from tests.support.fakes import FakeMetricsStore

    store = FakeMetricsStore()
    check(r.MetricsDashboard, dashboard(store, None, None, date(2026, 11, 23)))
    check(r.AgencyMetrics, agency_detail(store, "dinas-lh", None, None, date(2026, 11, 23)))


def test_webhook_receipt():
    from chalicelib.channels.partner import PartnerAdapter
    from chalicelib.domain.receipts import Receipt

    settings = Settings(
        stage="local",
        region="r",
        cases_table="t",
        photos_bucket="b",
        events_topic_arn=None,
        public_base_url="https://crm.example",
        photo_url_ttl_seconds=1,
        webhook_max_skew_seconds=1,
    )
    reply = PartnerAdapter(Channel.JAKI, "JAKI_WEBHOOK_SECRET").reply(
        [Receipt("4N50G-7M7G1-2X63", True, case_in("received"))], settings
    )
    check(r.WebhookReceipt, reply.body)


def test_models_refuse_fields_they_do_not_describe():
    view = public_view(case_in("received"), "id", "https://crm.example").model_dump(mode="json")
    with pytest.raises(ValidationError):
        r.PublicStatus.model_validate({**view, "reporter": {"name": "Siti"}})


def test_no_public_model_can_carry_a_reporter():
    public = [r.PublicStatus, r.Open311Request, r.Open311Created, r.QueueRow, r.WebhookReceipt]
    for model in public:
        fields = set(model.model_fields)
        assert not fields & {"reporter", "name", "phone", "email", "device_id", "media_urls"}, model.__name__


def test_case_statuses_are_all_described():
    assert set(r.PublicStatus.model_fields["status"].annotation) == set(CaseStatus)
