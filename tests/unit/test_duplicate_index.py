"""The duplicate index's batch calls: what DynamoDB leaves unprocessed is asked again, then 503."""

from datetime import UTC, datetime

import pytest

from chalicelib.adapters import aws
from chalicelib.adapters import duplicate_index as module
from chalicelib.adapters.duplicate_index import DuplicateIndex, signature_items
from chalicelib.domain import duplicates

CREATED = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
TEXT = "Sampah menumpuk di depan pasar"


class ThrottledClient:
    """Leaves the first ``refusals`` requests' items unprocessed, as a hot partition does."""

    def __init__(self, refusals: int):
        self.refusals = refusals
        self.calls: list[int] = []

    def batch_write_item(self, RequestItems):
        (requests,) = RequestItems.values()
        self.calls.append(len(requests))
        if self.refusals:
            self.refusals -= 1
            return {"UnprocessedItems": RequestItems}
        return {"UnprocessedItems": {}}

    def batch_get_item(self, RequestItems):
        ((table, request),) = RequestItems.items()
        self.calls.append(len(request["Keys"]))
        if self.refusals:
            self.refusals -= 1
            return {"Responses": {table: []}, "UnprocessedKeys": RequestItems}
        found = [
            {"type": {"S": "case"}, "code": {"S": key["PK"]["S"][5:]}, "status": {"S": "assigned"}}
            for key in request["Keys"]
        ]
        return {"Responses": {table: found}, "UnprocessedKeys": {}}


@pytest.fixture
def throttled(monkeypatch):
    def make(refusals):
        client = ThrottledClient(refusals)
        monkeypatch.setattr(aws, "client", lambda _service: client)
        monkeypatch.setattr(module.time, "sleep", lambda _seconds: None)
        return client

    return make


def test_a_signature_is_one_item_per_band_that_expires_after_the_window():
    items = signature_items("CODE-1", "garbage", duplicates.band_keys(TEXT), TEXT, CREATED)
    assert len(items) == duplicates.BANDS == len({item["PK"] for item in items})
    assert all(item["SK"] == "2026-11-23T03:00:00.000000Z#CODE-1" and item["summary"] == TEXT for item in items)
    assert {item["expires_at"] for item in items} == {int((CREATED + duplicates.SIMILAR_WINDOW).timestamp())}


def test_unprocessed_signature_items_are_written_again_then_the_call_gives_up(throttled):
    client = throttled(refusals=2)
    DuplicateIndex("t").record_signature("CODE-1", "garbage", duplicates.band_keys(TEXT), TEXT, CREATED)
    assert client.calls == [duplicates.BANDS] * 3
    throttled(refusals=99)
    with pytest.raises(aws.ServiceUnavailable):  # the followups message is retried by SQS
        DuplicateIndex("t").record_signature("CODE-1", "garbage", duplicates.band_keys(TEXT), TEXT, CREATED)


def test_unprocessed_status_reads_are_asked_again(throttled):
    client = throttled(refusals=1)
    assert DuplicateIndex("t").still_open(["A", "B", "A"]) == {"A", "B"}
    assert client.calls == [2, 2]
