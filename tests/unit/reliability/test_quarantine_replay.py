"""Replaying a quarantined stream record (infra/quarantine.py) once the cause is fixed, on fakes."""

import pytest

from chalicelib import bootstrap
from chalicelib.services import outbox
from infra import quarantine as operator
from tests.support.fakes import FakePublisher, FakeQuarantine
from tests.unit.reliability.test_relay_partial_batch import case_image, record


@pytest.fixture
def world():
    publisher, store = FakePublisher(), FakeQuarantine()
    bootstrap.override(events=publisher, quarantine=store)
    return publisher, store


def test_a_stream_record_quarantined_by_a_bug_is_published_by_its_replay(world, monkeypatch):
    from chalicelib.workers.outbox_relay import relay_records

    publisher, store = world
    built = outbox.messages_for

    def buggy(change):
        raise KeyError("a field this version of the relay expects")

    monkeypatch.setattr(outbox, "messages_for", buggy)
    assert relay_records([record("7", case_image("A"))]) == {"batchItemFailures": []}
    assert publisher.published == [] and set(store.quarantined()) == {("relay_case_events", "7")}
    with pytest.raises(operator.ReplayFailed):  # not fixed yet: the record stays
        operator.replay("relay_case_events", "7")
    assert store.items[("relay_case_events", "7")]["state"] == "quarantined"

    monkeypatch.setattr(outbox, "messages_for", built)  # the fix is deployed
    assert operator.replay("relay_case_events", "7") == {
        "source": "relay_case_events",
        "key": "7",
        "replayed": "events published",
    }
    assert [message["tracking_code"] for message in publisher.published] == ["A"]
    assert store.items[("relay_case_events", "7")]["state"] == "replayed"
    with pytest.raises(operator.ReplayFailed):  # once only
        operator.replay("relay_case_events", "7")


def test_unknown_sources_and_keys_are_refused(world):
    with pytest.raises(operator.ReplayFailed):
        operator.replay("relay_case_events", "no-such-key")
    _, store = world
    store.items[("no_such_handler", "k")] = {"state": "quarantined", "attempts": 1}
    with pytest.raises(operator.ReplayFailed, match="not an entry point"):
        operator.replay("no_such_handler", "k")
