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

import contextvars
import json
import logging
import os
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar("crm_log_context", default=_EMPTY)

_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


# A tracking code as written anywhere (tracking.ALPHABET plus the look-alikes O, I, L; any case),
# not inside a longer run of letters and digits. Only those with a valid check symbol are replaced.
_CODE_SHAPE = re.compile(r"(?<![0-9A-Za-z])[0-9A-Ya-y]{5}-[0-9A-Ya-y]{5}-[0-9A-Ya-y]{4}(?![0-9A-Za-z])")


def case_id(tracking_code: str) -> str:
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
