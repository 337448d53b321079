"""One reset for tests (bootstrap.reset): the composition and every process-wide cache."""

from __future__ import annotations

import importlib
from weakref import WeakKeyDictionary

from chalicelib import bootstrap, config
from chalicelib.adapters import aws, secret_store
from chalicelib.services import public_map, routing
from tests.support.fakes import FakeCaseRepository


class _Port:
    """Something the map's snapshots are keyed by."""


def test_every_listed_cache_has_its_clearing_function():
    for module, clear in bootstrap.CACHES:
        assert callable(getattr(importlib.import_module(module), clear)), (module, clear)


def test_reset_forgets_the_services_the_settings_and_every_cache(monkeypatch):
    monkeypatch.setenv("CRM_STAGE", "local")
    fake = FakeCaseRepository()
    assert bootstrap.override(cases=fake).cases is fake
    before = config.settings()
    routing._rules_cache["crm-local-cases"] = (0.0, [])
    aws._clients["s3"] = object()
    secret_store._cache["ref:x"] = (0.0, "secret")
    port = _Port()
    snapshots: WeakKeyDictionary = public_map._SNAPSHOTS
    snapshots[port] = object()

    bootstrap.reset()

    assert config.settings() is not before
    assert bootstrap.services().cases is not fake
    assert routing._rules_cache == {} and aws._clients == {} and secret_store._cache == {}
    assert port not in snapshots
