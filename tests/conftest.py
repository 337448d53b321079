"""Shared test set-up: every test starts from clean process-wide caches."""

from __future__ import annotations

import pytest

from chalicelib import bootstrap


@pytest.fixture(autouse=True)
def _fresh_caches():
    bootstrap.reset()
    yield
    bootstrap.reset()
