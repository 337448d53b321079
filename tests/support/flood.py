"""Many routed open cases at once, written straight to a table: the data sets of the
duplicate-search integration test and the routing benchmark.

Each case is a real case item (made by the domain and the repository's item
mapping, so it carries the geo-index keys and card routing gives it) plus the
signature items routing files for it. Writing them with BatchWriteItem instead
of routing each one keeps a data set of thousands quick to build; what is
measured afterwards is routing one more case through the real code.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.adapters import reference_data
from chalicelib.adapters.case_indexes import GEOHASH_PRECISION
from chalicelib.adapters.case_repository import case_to_item, serialize
from chalicelib.adapters.duplicate_index import signature_items
from chalicelib.domain import duplicates, geo
from chalicelib.domain.case import SYSTEM, Case
from chalicelib.domain.channels import Channel
from chalicelib.domain.report import build_report
from chalicelib.domain.sla import SlaPolicy

CITY = ((-6.37, -6.09), (106.69, 106.97))  # DKI Jakarta's mainland, roughly
SPOT = (-6.1754, 106.8272)  # Medan Merdeka


@dataclass(frozen=True)
class Place:
    lat: float
    lng: float


def around(rng: random.Random, lat: float, lng: float, metres: float) -> Place:
    """A point uniformly within ``metres`` of (lat, lng)."""
    distance, bearing = metres * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    d_lat = distance * math.cos(bearing) / 111_320
    d_lng = distance * math.sin(bearing) / (111_320 * math.cos(math.radians(lat)))
    return Place(round(lat + d_lat, 6), round(lng + d_lng, 6))


def in_cell(rng: random.Random, lat: float, lng: float, metres: float = 60) -> Place:
    """A point within ``metres`` of (lat, lng) and in the same geohash-7 cell (~153 m square):
    one spot, one geo-index partition."""
    cell = geo.geohash(lat, lng, GEOHASH_PRECISION)
    while True:
        place = around(rng, lat, lng, metres)
        if geo.geohash(place.lat, place.lng, GEOHASH_PRECISION) == cell:
            return place


def anywhere(rng: random.Random) -> Place:
    (south, north), (west, east) = CITY
    return Place(round(rng.uniform(south, north), 6), round(rng.uniform(west, east), 6))


def routed_case(code: str, category: str, text: str, place: Place, created: datetime) -> Case:
    report = build_report(
        channel=Channel.QLUE,
        message_id=f"FLOOD-{code}",
        category=category,
        description=text,
        location={"lat": place.lat, "lng": place.lng},
    )
    case = Case.open(report, code, created, policy=SlaPolicy())
    case.locate(reference_data.areas().locate(place.lat, place.lng))
    case.assign(reference_data.agencies().get("dinas-lh"), created + timedelta(seconds=30), SYSTEM, how="routing")
    case.pull_events()
    return case


def items_of(case: Case) -> list[dict[str, Any]]:
    """The case item as routing leaves it, and its signature items."""
    text = case.description[: duplicates.COMPARED_CHARS]
    bands = duplicates.band_keys(text)
    return [
        case_to_item(case, 2, []),
        *signature_items(case.tracking_code, case.category, bands, text, case.created_at),
    ]


def bulk_write(client: Any, table: str, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), 25):
        pending = [{"PutRequest": {"Item": serialize(item)}} for item in items[start : start + 25]]
        while pending:
            response = client.batch_write_item(RequestItems={table: pending})
            pending = response.get("UnprocessedItems", {}).get(table, [])


def clone_table(client: Any, source: str, name: str) -> str:
    """An empty table with the same keys and indexes as ``source`` (a test's own data set)."""
    described = client.describe_table(TableName=source)["Table"]
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=described["AttributeDefinitions"],
        KeySchema=described["KeySchema"],
        GlobalSecondaryIndexes=[
            {"IndexName": index["IndexName"], "KeySchema": index["KeySchema"], "Projection": index["Projection"]}
            for index in described.get("GlobalSecondaryIndexes", [])
        ],
    )
    return name


class ItemsRead:
    """What DynamoDB read for this client: ScannedCount of every Query (filtered-out items
    included), items returned by GetItem and BatchGetItem. Register on ``after-call.dynamodb``."""

    def __init__(self) -> None:
        self.items = 0
        self.requests: dict[str, int] = {}

    def __call__(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.requests[model.name] = self.requests.get(model.name, 0) + 1
        if model.name in ("Query", "Scan"):
            self.items += parsed.get("ScannedCount", 0)
        elif model.name == "GetItem":
            self.items += 1 if "Item" in parsed else 0
        elif model.name == "BatchGetItem":
            self.items += sum(len(found) for found in parsed.get("Responses", {}).values())

    def take(self) -> int:
        items, self.items, self.requests = self.items, 0, {}
        return items
