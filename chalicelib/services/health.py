"""The deep health check: every storage probe, each answered ok or why not."""

from __future__ import annotations

from collections.abc import Callable, Mapping


def dependency_checks(probes: Mapping[str, Callable[[], object]]) -> dict[str, str]:
    """``ok``, or ``unavailable: <error type>`` (never the error's text), per probe."""
    checks = {}
    for name, probe in probes.items():
        try:
            probe()
            checks[name] = "ok"
        except Exception as error:  # noqa: BLE001 - reported, not raised
            checks[name] = f"unavailable: {type(error).__name__}"
    return checks
