"""WhatsApp Cloud API replies outside the 24-hour customer-service window: Meta
fails free-form text there (error 131047, usually in a later status webhook), so
the update template goes instead -- chosen up front from when the person last
wrote, and also when Meta refuses a text at once."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters import http_client, meta_graph
from chalicelib.adapters.http_client import HttpResponse, ProviderRejected
from chalicelib.config import Settings
from chalicelib.domain.channels import Channel
from chalicelib.domain.events import CaseResolved
from chalicelib.domain.messages import ReplyHandle
from tests.support.event_messages import envelope, example

CODE = "K7QM4-XPA9R-TD2W"
TEXT = "Laporan K7QM4-XPA9R-TD2W selesai ditangani.\nFoto penyelesaian:    https://crm/status/x"
HANDLE = ReplyHandle(channel=Channel.WHATSAPP, kind="whatsapp", address="6281234567890", via="1065")
RESOLVED = envelope(example(CaseResolved), CODE)  # not an answer to the person's own message
WINDOW_CLOSED = json.dumps(
    {
        "error": {
            "message": "(#131047) Re-engagement message",
            "type": "OAuthException",
            "code": 131047,
            "error_data": {"details": "more than 24 hours"},
        }
    }
)


@pytest.fixture
def graph(monkeypatch):
    calls, answers = [], []

    def request(provider, method, url, **kwargs):
        calls.append(kwargs["json_body"])
        answer = answers.pop(0) if answers else None
        if answer is not None:
            raise ProviderRejected(provider, 400, answer)
        return HttpResponse(200, {}, b'{"messages": [{"id": "wamid.out"}]}')

    monkeypatch.setattr(http_client, "request", request)
    monkeypatch.setenv("META_ACCESS_TOKEN", "token")
    settings = Settings(
        stage="test",
        region="ap-southeast-3",
        cases_table="t",
        photos_bucket="b",
        events_topic_arn=None,
        public_base_url="https://crm",
        photo_url_ttl_seconds=60,
        webhook_max_skew_seconds=300,
        whatsapp_update_template="crm_status_update",
    )
    return settings, calls, answers


def sent_types(settings, calls, last_message_at):
    sender = meta_graph.GraphSender(settings, last_message_at=lambda handle: last_message_at)
    sender.send(HANDLE, TEXT, code=CODE, event=RESOLVED)
    return [call["type"] for call in calls]


def test_the_window_is_judged_before_sending_from_the_person_s_last_message(graph):
    settings, calls, _ = graph
    now = datetime.now(UTC)
    assert sent_types(settings, calls, now - timedelta(hours=3)) == ["text"]
    calls.clear()
    assert sent_types(settings, calls, now - timedelta(hours=30)) == ["template"]  # no doomed text first
    calls.clear()
    assert sent_types(settings, calls, None) == ["template"]  # nothing from them for over a day
    calls.clear()
    assert sent_types(settings, calls, now - timedelta(hours=23, minutes=55)) == ["template"]  # the margin
    calls.clear()
    assert sent_types(replace(settings, whatsapp_update_template=None), calls, None) == ["text"]


def test_inside_the_window_the_text_goes_as_it_is(graph):
    settings, calls, _ = graph
    meta_graph.GraphSender(settings).send(HANDLE, TEXT, code=CODE, event=RESOLVED)
    (sent,) = calls
    assert sent["type"] == "text" and sent["text"]["body"] == TEXT and sent["to"] == "6281234567890"


@pytest.mark.parametrize("language, template_language", [("id", "id"), ("en", "en")])
def test_outside_the_window_the_update_template_carries_the_code_and_the_text(graph, language, template_language):
    settings, calls, answers = graph
    answers.append(WINDOW_CLOSED)
    meta_graph.GraphSender(settings).send(HANDLE, TEXT, code=CODE, event=RESOLVED, language=language)
    free_form, template = calls
    assert free_form["type"] == "text"
    assert template["type"] == "template" and template["to"] == "6281234567890"
    assert template["template"]["name"] == "crm_status_update"
    assert template["template"]["language"] == {"code": template_language}
    (body,) = template["template"]["components"]
    code, text = (parameter["text"] for parameter in body["parameters"])
    assert code == CODE and text.startswith("Laporan K7QM4-XPA9R-TD2W selesai ditangani. Foto")
    assert "\n" not in text and "    " not in text  # Meta refuses such parameters


def test_other_refusals_and_no_template_configured_are_refusals_as_before(graph):
    settings, calls, answers = graph
    answers.append(json.dumps({"error": {"code": 131026, "message": "Message undeliverable"}}))
    with pytest.raises(ProviderRejected):
        meta_graph.GraphSender(settings).send(HANDLE, TEXT, code=CODE, event=None)
    assert len(calls) == 1
    answers.append(WINDOW_CLOSED)
    with pytest.raises(ProviderRejected):
        meta_graph.GraphSender(replace(settings, whatsapp_update_template=None)).send(
            HANDLE, TEXT, code=CODE, event=None
        )
    assert len(calls) == 2
    answers.append("not json at all")
    with pytest.raises(ProviderRejected):
        meta_graph.GraphSender(settings).send(HANDLE, TEXT, code=CODE, event=None)
