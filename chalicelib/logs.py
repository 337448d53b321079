"""Structured JSON logs, one object per line, with a correlation id.

A few lines of stdlib instead of Powertools Logger: measured with
`python -X importtime`, Powertools' logger adds ~60-90 ms to a cold start
for what this formatter does.

Never pass reporter details (name, phone, e-mail, message text) to a logger:
log channels and ids instead. tests/ capture logs to check it.

Never log a tracking code either: whoever holds one may confirm or reopen the
case, and logs are read by more people than the reporter. A case is logged by
its public id (``case_id(code)``, the Open311 id: the code encrypted under
TRACKING_CODE_KEY, so only the system maps it back). As a last guard the
formatter replaces anything shaped like a tracking code (``XXXXX-XXXXX-XXXX``
with a valid check symbol, any case) in the finished line -- an event id, a
table key, an exception's text -- by ``public:<id>``.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import re
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar("crm_log_context", default=_EMPTY)

_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


# A tracking code as written anywhere (tracking.ALPHABET plus the look-alikes O, I, L; any case),
# not inside a longer run of letters and digits. Only those with a valid check symbol are replaced.
_CODE_SHAPE = re.compile(r"(?<![0-9A-Za-z])[0-9A-Ya-y]{5}-[0-9A-Ya-y]{5}-[0-9A-Ya-y]{4}(?![0-9A-Za-z])")


def case_id(tracking_code: str | None) -> str:
    """How a log line names a case: its public id, never its tracking code ("?"
    when it cannot be computed here -- still never the code)."""
    from chalicelib.domain import tracking
    from chalicelib.domain.request_ids import public_id

    code = tracking.normalize(tracking_code) if isinstance(tracking_code, str) else None
    if code is None:
        return "?"
    try:
        from chalicelib.config import settings

        return public_id(code, settings().tracking_code_key)
    except Exception:  # noqa: BLE001 - naming a case in a log line must never fail the line
        return "?"


def without_codes(text: str) -> str:
    """``text`` with every tracking code replaced by ``public:<id>`` of its case."""
    from chalicelib.domain import tracking

    def replace(match: re.Match) -> str:
        found = match.group(0)
        return "public:" + case_id(found) if tracking.normalize(found) else found

    return _CODE_SHAPE.sub(replace, text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return without_codes(self._format(record))

    def _format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_context.get())
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


# Not "crm": Chalice names the app's own logger after app_name ("crm") and
# sets it to ERROR, which would silence everything below it.
ROOT_LOGGER = "chalicelib"
_configured = False


def get_logger(name: str) -> logging.Logger:
    global _configured
    if not _configured:
        root = logging.getLogger(ROOT_LOGGER)
        if not root.handlers:
            handler = logging.StreamHandler(sys.stdout)
            handler.setFormatter(JsonFormatter())
            root.addHandler(handler)
            root.propagate = False
        root.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())
        _configured = True
    return logging.getLogger(f"{ROOT_LOGGER}.{name}")


def bind(**values: Any) -> contextvars.Token:
    """Add fields (correlation_id, case_id...) to every log line after this."""
    return _context.set({**_context.get(), **values})


def reset(token: contextvars.Token) -> None:
    _context.reset(token)


def current(name: str) -> Any:
    return _context.get().get(name)


# --- which invocation and which unit of work a line belongs to ---------------------------
#
# Every line carries ``function_name``, ``request_id`` (Lambda's aws_request_id),
# ``cold_start`` (true during the first invocation of this process) and
# ``correlation_id``: bound once per invocation by ``invocation_middleware`` (app.py
# registers it for every event type), and per item by the batch primitive
# (services/batch.py). The API's correlation id (the X-Correlation-Id header, api/http.py)
# is written with the events the request records and travels with them (the outbox, SNS
# and SQS message attributes) into every worker's lines: docs/operations.md.

CORRELATION_ID_MAX = 100
_CORRELATION_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-")
_cold_start = True


def correlation_id() -> str | None:
    """The correlation id of the unit of work in progress (an API request, a message, a run)."""
    value = _context.get().get("correlation_id")
    return value if isinstance(value, str) else None


def valid_correlation_id(value: Any) -> str | None:
    """``value`` if it can be a correlation id (1-100 of ``A-Za-z0-9._:-``), else None."""
    if isinstance(value, str) and 0 < len(value) <= CORRELATION_ID_MAX and _CORRELATION_CHARS.issuperset(value):
        return value
    return None


def new_correlation_id() -> str:
    import secrets

    return secrets.token_hex(8)


@contextlib.contextmanager
def bound(**values: Any) -> Iterator[None]:
    """``bind`` for the lines inside the block only."""
    token = bind(**values)
    try:
        yield
    finally:
        reset(token)


def invocation_fields(context: Any) -> dict[str, Any]:
    """The per-invocation fields of Lambda's context object; the first call in a process is the cold start."""
    global _cold_start
    cold, _cold_start = _cold_start, False
    fields: dict[str, Any] = {"cold_start": cold}
    for field, attribute in (("function_name", "function_name"), ("request_id", "aws_request_id")):
        value = getattr(context, attribute, None)
        if isinstance(value, str) and value:
            fields[field] = value
    return fields


def invocation_middleware(event: Any, get_response: Any) -> Any:
    """Chalice middleware for every event type: bind the invocation's fields for its lines.

    An HTTP request's correlation id is bound by api/http.py's middleware (the header's,
    or the request's own). Any other invocation -- a batch of messages or stream records, a
    scheduled run -- gets its own, the Lambda request id (a fresh one each run); the batch
    primitive then binds each item's own id over it."""
    is_http = hasattr(event, "lambda_context")
    context = event.lambda_context if is_http else getattr(event, "context", None)
    fields = invocation_fields(context)
    if not is_http:
        fields["correlation_id"] = fields.get("request_id") or new_correlation_id()
    with bound(**fields):
        return get_response(event)
