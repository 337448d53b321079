"""The garbage collector during a Lambda cold start.

A cold start imports several hundred modules and builds the botocore and pydantic
machinery: millions of allocations that almost all live as long as the process.
CPython's cyclic collector walks them again and again while they are being made
(bench/cold_start.py measured about a third of the first webhook's CPU in it), and
finds nothing to free.

So in a Lambda process (``AWS_LAMBDA_FUNCTION_NAME`` is set by the runtime) the
collector is paused from the top of app.py until the first invocation ends. Then
everything alive is moved to the permanent generation (``gc.freeze``), which later
collections skip, and the collector runs as usual. Reference counting frees almost
everything meanwhile; only cycles wait. The cycles already garbage by then are
frozen with the rest, once (848 objects after the bench's first webhook: some KB,
not worth a full collection on the first request's path).

pydantic looks for plugins at its first model by reading the entry points of
every installed distribution (7 ms with this repository's 114); we use none,
so ``PYDANTIC_DISABLE_PLUGINS`` defaults to ``__all__`` (set it to load one).

A first invocation that is not an HTTP request (a queue batch, a stream batch, a
scheduled sweep over thousands of cases) is bounded by its data, not by API
Gateway's 29 s: the collector resumes before it runs. Elsewhere (tests, the
local stand-in, the benchmarks' floors) nothing changes.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from typing import Any

_paused = False


def begin() -> None:
    """First thing in app.py: no pydantic plugin lookup, and the collector paused in a Lambda process."""
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    pause_collector()


def pause_collector() -> None:
    global _paused
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") and gc.isenabled():
        gc.disable()
        _paused = True


def resume_collector() -> None:
    """Freeze what the cold start built and run the collector again (once; later calls do nothing)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def is_paused() -> bool:
    return _paused


def middleware(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Chalice middleware for every event type, registered first (outermost)."""
    if _paused and not hasattr(event, "lambda_context"):  # not an HTTP request: unbounded work
        resume_collector()
    try:
        return get_response(event)
    finally:
        resume_collector()
