"""Logs name a case by its public id, never by its tracking code.

A tracking code lets its holder confirm or reopen a case, and logs are read by
more people than the reporter. Call sites log ``case_id`` (the public id); the
formatter replaces whatever code still reaches a line (an event id, a table
key, an exception's text) by ``public:<id>``.
"""

from __future__ import annotations

import io
import json
import logging

import pytest

from chalicelib import logs
from chalicelib.domain import tracking
from chalicelib.domain.request_ids import public_id

KEY = "unit-log-key"


@pytest.fixture
def captured(monkeypatch):
    monkeypatch.setenv("TRACKING_CODE_KEY", KEY)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logger = logs.get_logger("test-case-names")
    root = logging.getLogger(logs.ROOT_LOGGER)
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.DEBUG)
    yield logger, stream
    root.removeHandler(handler)
    root.setLevel(level)


def test_case_id_is_the_public_id_of_the_case(monkeypatch):
    monkeypatch.setenv("TRACKING_CODE_KEY", KEY)
    code = tracking.new_code()
    assert logs.case_id(code) == public_id(code, KEY.encode())
    assert logs.case_id(code.lower().replace("-", " ")) == public_id(code, KEY.encode())  # as a person typed it
    assert logs.case_id("not a code") == "?"


def test_without_a_key_a_case_is_named_by_a_placeholder_never_by_its_code(monkeypatch):
    monkeypatch.delenv("TRACKING_CODE_KEY", raising=False)
    monkeypatch.setenv("STAGE", "prod")
    code = tracking.new_code()
    assert logs.case_id(code) == "?"
    assert code not in logs.without_codes(f"case {code}")


def test_every_field_message_bound_value_and_exception_loses_the_code(captured):
    logger, stream = captured
    codes = [tracking.new_code() for _ in range(5)]
    token = logs.bind(event_id=f"{codes[0]}:3:0")
    try:
        logger.debug("asked about %s", codes[1].lower(), extra={"key": {"PK": f"CASE#{codes[2]}"}})
        try:
            raise KeyError(f"no case {codes[3]}")
        except KeyError:
            logger.exception("failed", extra={"payload": [codes[4]]})
    finally:
        logs.reset(token)
    text = stream.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) == 2
    for code in codes:
        assert code.lower() not in text.lower(), code
        assert code.replace("-", "").lower() not in text.lower().replace("-", ""), code
        assert f"public:{public_id(code, KEY.encode())}" in text
    assert lines[0]["event_id"] == f"public:{public_id(codes[0], KEY.encode())}:3:0"


def test_lookalikes_that_are_not_codes_are_left_alone(captured):
    logger, stream = captured
    code = tracking.new_code()
    wrong_check = code[:-1] + next(s for s in tracking.ALPHABET if s != code[-1])
    others = [wrong_check, "ABCDE-FGHJK-MNPQ0-1", "2026-12-05", "PQRST-UVWXY-Z123"]
    logger.info("ordinary text", extra={"values": others})
    logged = json.loads(stream.getvalue())
    assert logged["values"] == others
