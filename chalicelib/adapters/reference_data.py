"""The seed files shipped with the code (chalicelib/data/), loaded once per process.

agencies.json          the agency tree (Dinas, Suku Dinas, offices, Bureau, Inspectorate)
areas.geojson          DKI Jakarta's 267 kelurahan polygons, 44 kecamatan and 6 kota by code
                       (about 340 KB; see data/README.md)
areas.packed.json      the same areas as the lookup loads them on the first located report
                       (adapters/packed_areas.py: 3-5 ms, where the GeoJSON took ~20)
area_outlines.geojson  kecamatan and kota outlines, for maps only (never read by the lookup)
routing_rules.json     category (+ area) -> agency, overlaid by admins' edits in the table
sla_policy.json        time limits per category

AREAS_GEOJSON may point at another GeoJSON file of the same shape (newer boundaries); it is
read as GeoJSON (run infra/geodata.py to ship new boundaries packed).
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from chalicelib.domain.agencies import AgencyDirectory, directory_from
from chalicelib.domain.areas import AreaIndex, index_from_geojson
from chalicelib.domain.routing import RoutingRule
from chalicelib.domain.sla import SlaCatalogue, catalogue_from

DATA = Path(__file__).resolve().parents[1] / "data"


def _load(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def agencies() -> AgencyDirectory:
    return directory_from(_load("agencies.json"))


@lru_cache(maxsize=1)
def areas() -> AreaIndex:
    path = os.environ.get("AREAS_GEOJSON")
    if path:
        return index_from_geojson(json.loads(Path(path).read_text(encoding="utf-8")))
    from chalicelib.adapters.packed_areas import index_from_packed

    return index_from_packed((DATA / "areas.packed.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def area_outlines() -> dict[str, dict]:
    """Kecamatan and kota outlines as GeoJSON Features by code (for drawing them)."""
    return {feature["properties"]["code"]: feature for feature in _load("area_outlines.geojson")["features"]}


@lru_cache(maxsize=1)
def seed_routing_rules() -> tuple[RoutingRule, ...]:
    return tuple(
        RoutingRule(rule["category"], rule.get("area"), rule.get("agency"))
        for rule in _load("routing_rules.json")["rules"]
    )


@lru_cache(maxsize=1)
def sla_catalogue() -> SlaCatalogue:
    return catalogue_from(_load("sla_policy.json"))
