"""The app's log lines as the formatter writes them (JSON objects), captured in this process.

``caplog`` sees LogRecords, not the fields ``logs.bind`` adds at formatting time
(function name, request id, cold start, correlation id): this captures the lines
themselves."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Callable, Iterator

from chalicelib.logs import ROOT_LOGGER, JsonFormatter, get_logger


@contextlib.contextmanager
def captured_lines(level: int = logging.INFO) -> Iterator[Callable[[], list[dict]]]:
    """``with captured_lines() as lines: ...; lines()`` -> every line logged meanwhile, parsed."""
    get_logger("tests")  # the app's root logger is configured (level, its own handler) first
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger(ROOT_LOGGER)
    previous = root.level
    root.addHandler(handler)
    root.setLevel(min(previous, level))
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
