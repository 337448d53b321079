"""Mail SES found a virus in (X-SES-Virus-Verdict: FAIL) is dropped unread, logged
without its sender and counted, and that count has an alarm (infra/observability.py)."""

import json
from types import SimpleNamespace

import pytest

from chalicelib.channels.email import InfectedMail, parse_email
from chalicelib.workers.email_intake import take_in
from infra import observability
from tests.support.log_lines import captured_lines

SENDER = "penyerang@example.net"


def mail(**headers: str) -> bytes:
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return (
        f"{extra}From: Warga <{SENDER}>\r\nTo: dki@jakarta.go.id\r\nSubject: Jalan rusak\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nJalan berlubang di depan sekolah.\r\n"
    ).encode()


def test_a_virus_verdict_is_told_apart_from_spam():
    with pytest.raises(InfectedMail):
        parse_email(mail(**{"X-SES-Virus-Verdict": "FAIL"}), "ses-v", "dki@jakarta.go.id")
    assert parse_email(mail(**{"X-SES-Spam-Verdict": "FAIL"}), "ses-s", "dki@jakarta.go.id") is None
    passing = mail(**{"X-SES-Virus-Verdict": "PASS", "X-SES-Spam-Verdict": "PASS"})
    assert parse_email(passing, "ses-p", "dki@jakarta.go.id") is not None


def test_a_virus_mail_is_dropped_logged_without_its_sender_and_counted(capsys):
    app = SimpleNamespace(settings=SimpleNamespace(email_from_address="dki@jakarta.go.id"))  # nothing else is reached
    with captured_lines() as lines:
        assert take_in(mail(**{"X-SES-Virus-Verdict": "FAIL"}), "ses-virus-1", app) is None
    (line,) = [line for line in lines() if "virus" in line["message"]]
    assert line["message_id"] == "ses-virus-1" and line["level"] == "WARNING"
    assert "penyerang" not in json.dumps(lines())
    metrics = [json.loads(out) for out in capsys.readouterr().out.splitlines() if out.startswith('{"_aws"')]
    assert [m[observability.INBOUND_VIRUS_METRIC] for m in metrics] == [1]
    assert "penyerang" not in json.dumps(metrics)


def test_the_alarm_watches_that_count():
    alarm = observability.ses_alarms()["InboundVirusMailAlarm"]["Properties"]
    assert alarm["MetricName"] == observability.INBOUND_VIRUS_METRIC
    assert alarm["Namespace"] == {"Fn::Sub": "CRM/${Stage}"}  # where chalicelib/cloudwatch.py writes
    assert alarm["Statistic"] == "Sum" and alarm["Threshold"] == observability.INBOUND_VIRUS_MAILS
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
