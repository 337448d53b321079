"""Fixtures the reliability and security suites share (imported by their conftests)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module", autouse=True)
def public_base_url(stack):
    """Twilio signs the app's public URL: deliveries made here are signed for the stack's
    (module scope: module fixtures that deliver run before function ones)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PUBLIC_BASE_URL", stack.env["PUBLIC_BASE_URL"])
        yield


@pytest.fixture
def botocore_faults():
    """AWS faults as a botocore hook on this process's clients (install it on the ones to fail)."""
    from infra.local.faults import BotocoreFaults, FaultPlan

    injector = BotocoreFaults(FaultPlan(seed=20261123))
    yield injector
    injector.uninstall()
