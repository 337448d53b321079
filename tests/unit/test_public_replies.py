"""Replies on public surfaces (a comment under a Facebook post) never carry the tracking code."""

import pytest

from chalicelib.adapters import http_client, meta_graph
from chalicelib.adapters.http_client import HttpResponse, ProviderRejected
from chalicelib.config import Settings
from chalicelib.domain import events, receipts, request_ids, tracking
from chalicelib.domain.case import Case
from chalicelib.domain.channels import Channel
from chalicelib.domain.messages import Notice, ReplyHandle
from chalicelib.domain.report import build_report
from chalicelib.services import replies
from tests.support.event_messages import envelope, example
from tests.support.fakes import FakeReplyLedger, FakeReplySender, FixedClock

BASE = "https://crm.example"
KEY = b"k" * 32
CODE = tracking.derive_code(KEY, "facebook", "4455667788_1234567890")
PAGE = "112233445566778"
COMMENT = "4455667788_1234567890"
PUBLIC_ID = request_ids.public_id(CODE, KEY)


def comment_case(address=COMMENT):
    report = build_report(
        channel=Channel.FACEBOOK,
        message_id=address,
        category="street_light",
        description="Lampu mati",
        reply_handle={"channel": Channel.FACEBOOK, "kind": "meta_comment", "address": address, "via": PAGE},
    )
    return Case.open(report, CODE, FixedClock()())


def event(cls, **data):
    return envelope(example(cls, **data), CODE, id=f"{CODE}:2:{cls.type}", status="assigned")


@pytest.mark.parametrize(
    "kind, data",
    [
        (events.CaseReceived, {}),
        (events.ReporterAdded, {}),
        (events.CaseAssigned, {}),
        (events.ProgressPosted, {"percent": 40}),
        (events.CaseResolved, {}),
        (events.CaseClosed, {}),
        (events.CaseReopened, {}),
        (events.PlanVerified, {"expected_completion": "2026-11-30T03:00:00.000000Z"}),
    ],
)
def test_the_public_text_of_a_comment_reply_has_no_tracking_code(kind, data):
    outgoing = replies.event_outgoing(event(kind, **data), comment_case(), BASE, KEY)
    assert CODE in outgoing.text  # the private message keeps it
    assert CODE not in outgoing.public_text and CODE.replace("-", "") not in outgoing.public_text.replace("-", "")
    assert f"{BASE}/status/{PUBLIC_ID}" in outgoing.public_text
    assert request_ids.tracking_code_of(PUBLIC_ID, KEY) == CODE  # the link opens the case, read-only


def test_other_reply_kinds_have_no_public_text():
    case = comment_case()
    case.reply_handle = ReplyHandle(channel=Channel.FACEBOOK, kind="messenger", address="psid-1", via=PAGE)
    assert replies.event_outgoing(event(events.CaseReceived), case, BASE, KEY).public_text is None


def test_notices_under_a_comment_say_nothing_private_in_public():
    handle = comment_case().reply_handle
    for outcome in (receipts.STATUS, receipts.UNKNOWN_CODE, receipts.RATE_LIMITED, receipts.FULL):
        notice = Notice(outcome, None, CODE, "id", id="r1")
        outgoing = replies.notice_outgoing(notice, handle, comment_case(), BASE, KEY)
        assert CODE not in outgoing.public_text


def test_delivery_hands_the_public_text_to_the_sender():
    sender = FakeReplySender()
    outgoing = replies.event_outgoing(event(events.CaseReceived), comment_case(), BASE, KEY)
    assert replies.deliver(outgoing, ledger=FakeReplyLedger(), sender_for=sender) == replies.SENT
    assert CODE in sender.sent[0][1] and sender.public and CODE not in sender.public[0]


@pytest.fixture
def graph(monkeypatch):
    calls, refuse = [], set()

    def request(provider, method, url, **kwargs):
        calls.append((url, kwargs["json_body"]))
        if any(url.endswith(path) for path in refuse):
            raise ProviderRejected(provider, 400, "refused")
        return HttpResponse(200, {}, b"{}")

    monkeypatch.setattr(http_client, "request", request)
    monkeypatch.setenv("META_ACCESS_TOKEN", "token")
    settings = Settings(
        stage="test",
        region="ap-southeast-3",
        cases_table="t",
        photos_bucket="b",
        events_topic_arn=None,
        public_base_url=BASE,
        photo_url_ttl_seconds=60,
        webhook_max_skew_seconds=300,
    )
    return meta_graph.GraphSender(settings), calls, refuse


def test_the_receipt_goes_privately_to_the_commenter_and_a_neutral_line_in_public(graph):
    sender, calls, _ = graph
    outgoing = replies.event_outgoing(event(events.CaseReceived), comment_case(), BASE, KEY)
    sender.send(outgoing.handle, outgoing.text, code=CODE, event=outgoing.event, public_text=outgoing.public_text)
    (private_url, private), (public_url, public) = calls
    assert private_url.endswith(f"/v21.0/{PAGE}/messages")
    assert private == {"recipient": {"comment_id": COMMENT}, "message": {"text": outgoing.text}}
    assert CODE in private["message"]["text"]
    assert public_url.endswith(f"/v21.0/{COMMENT}/comments") and CODE not in public["message"]
    assert PUBLIC_ID in public["message"]


def test_a_visitor_post_gets_a_private_reply_by_post_id(graph):
    sender, calls, _ = graph
    post = f"{PAGE}_4455667788"
    outgoing = replies.event_outgoing(event(events.CaseReceived), comment_case(post), BASE, KEY)
    sender.send(outgoing.handle, outgoing.text, code=CODE, event=outgoing.event, public_text=outgoing.public_text)
    assert calls[0][1]["recipient"] == {"post_id": post}


def test_later_updates_go_in_public_only_and_without_the_code(graph):
    sender, calls, _ = graph
    outgoing = replies.event_outgoing(event(events.CaseClosed), comment_case(), BASE, KEY)
    sender.send(outgoing.handle, outgoing.text, code=CODE, event=outgoing.event, public_text=outgoing.public_text)
    assert [url.rsplit("/", 1)[-1] for url, _ in calls] == ["comments"]
    assert CODE not in calls[0][1]["message"]


def test_a_refused_private_reply_still_answers_in_public_and_never_posts_the_code(graph):
    sender, calls, refuse = graph
    refuse.add("/messages")
    outgoing = replies.event_outgoing(event(events.CaseReceived), comment_case(), BASE, KEY)
    sender.send(outgoing.handle, outgoing.text, code=CODE, event=outgoing.event, public_text=outgoing.public_text)
    assert len(calls) == 2 and CODE not in calls[1][1]["message"]
    calls.clear()
    with pytest.raises(ProviderRejected):  # no public text: nothing is posted in public at all
        sender.send(outgoing.handle, outgoing.text, code=CODE, event=outgoing.event)
    assert all(not url.endswith("/comments") for url, _ in calls)


def test_a_public_x_mention_is_answered_by_direct_message_not_by_a_reply_tweet(graph, monkeypatch):
    from datetime import UTC, datetime

    from chalicelib.adapters import x_api
    from chalicelib.channels.base import InboundRequest
    from chalicelib.channels.x import XAdapter
    from tests.support import providers

    monkeypatch.delenv("X_USER_ID", raising=False)
    monkeypatch.setenv("X_ACCESS_TOKEN", "token")
    _, calls, _ = graph
    mention = providers.x_mention("@DKIJakarta lampu mati di Jl. Sabang")
    body = providers.dumps(mention)
    (report,) = XAdapter(Channel.X, "X_USER_ID").parse(
        InboundRequest("POST", "/webhooks/x", {}, {}, body, datetime.now(UTC))
    )
    outgoing = replies.Outgoing("r1", report.reply_handle, f"Kode laporan: {CODE}", CODE, event(events.CaseReceived))
    assert outgoing.handle.kind not in replies.PUBLIC_REPLY_KINDS
    settings = Settings(
        stage="test",
        region="ap-southeast-3",
        cases_table="t",
        photos_bucket="b",
        events_topic_arn=None,
        public_base_url=BASE,
        photo_url_ttl_seconds=60,
        webhook_max_skew_seconds=300,
    )
    x_api.XSender(settings).send(outgoing.handle, outgoing.text, code=CODE, event=outgoing.event)
    author = mention["tweet_create_events"][0]["user"]["id_str"]
    assert [url for url, _ in calls] == [f"https://api.x.com/2/dm_conversations/with/{author}/messages"]
