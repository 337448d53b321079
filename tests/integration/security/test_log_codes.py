"""No log line carries a tracking code (issue 19): a case's whole way through
the app -- intake, a repeated delivery, routing, the reply to the reporter, a status
read, an officer's view and action -- with every log line captured at DEBUG
(and stdout, where the EMF metric lines go), then searched for the codes.

The real app in this process on the moto server, and the local event runner for
the workers, so the workers' lines (bound per message) are captured too.
"""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from chalicelib.domain.request_ids import public_id
from tests.support.webhooks import PROFILES, Report, send, unique_id


@pytest.fixture
def log_lines(app_env):
    from chalicelib.logs import ROOT_LOGGER, JsonFormatter, get_logger

    get_logger("test")  # the root is configured before the level is changed
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger(ROOT_LOGGER)
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def leaks(text: str, code: str) -> bool:
    """The code in any spelling a line could carry: any case, with or without dashes."""
    squeezed = re.sub(r"[^0-9a-z]", "", text.lower())
    return code.lower() in text.lower() or code.replace("-", "").lower() in squeezed


def test_a_case_from_intake_to_an_officers_action_leaves_no_tracking_code_in_the_logs(
    client, runner, officers, code_key, log_lines, capsys
):
    codes = []
    for channel in ("jaki", "sms_1708"):
        profile = PROFILES[channel]
        report = Report(
            unique_id(f"LOGS-{channel}"),
            reporter={"name": "Penulis Log", "phone": "+6281233334444"},
        )
        answer = send(client, profile.delivery(report))
        assert answer.status == profile.created_status, answer.body
        assert send(client, profile.delivery(report)).status == 200  # a repeat is logged too
        codes.append(profile.tracking_code(report, answer, code_key))
    runner.drain()  # routing, replies
    officer_of = {"dinas-lh": "dinas_lh", "dinas-bina-marga": "bina_marga"}
    for code in codes:
        status = client.http.get(f"/status/{code}")
        assert status.status_code == 200
        headers = officers[officer_of[json.loads(status.body)["agency"]["id"]]]
        assert client.http.get(f"/officer/cases/{code}", headers=headers).status_code == 200
        plan = client.http.post(
            f"/officer/cases/{code}/plan",
            headers={**headers, "Content-Type": "application/json"},
            body=b'{"text": "Truk datang besok"}',
        )
        assert plan.status_code == 200, plan.body
        runner.drain()
    text = log_lines.getvalue() + capsys.readouterr().out
    assert "case opened" in text and "case routed" in text and "case updated" in text
    for code in codes:
        assert public_id(code, code_key) in text, "the case was not logged by its public id"
        assert not leaks(text, code), code
