"""areas.packed.json: areas.geojson in the form a cold start reads fastest.

The first report with a location used to parse the 340 KB GeoJSON (14,000
coordinates as decimal text, 7-12 ms) and walk every ring for its bounding box
(another few ms), to answer one point. Here the same areas are

    {"format": "crm-areas/1", "from": "areas.geojson", "scale": 100000,
     "areas": [{"level", "code", "name", "parent",
                "boxes": [[min lng, min lat, max lng, max lat] x scale, one per polygon],
                "polygons": [[ring, hole...], ...]}]}

with each ring the base64 of its points as little-endian int32 pairs (lng, lat) x
scale. Parsing it is a few short strings per area; the boxes file every area in
the lookup grid at once, and an area's rings are decoded when it is first tested
(domain.areas.PolygonsOnDemand), so a first lookup decodes two or three areas.

The coordinates are the GeoJSON's, which infra/geodata.py rounds to 5 decimals:
n / 100000 is the double nearest to that decimal, the very float json.loads makes
of it, so an index read from either file is the same (tests/unit/test_packed_areas.py
checks that, and that this file is ``pack(areas.geojson)``). ``pack`` refuses a
coordinate with more decimals. infra/geodata.py writes both files; AREAS_GEOJSON
(another GeoJSON of the same shape) is read as GeoJSON, at the old speed.
"""

from __future__ import annotations

import base64
import json
import sys
from array import array

from chalicelib.domain.areas import LEVELS, Area, AreaIndex, PolygonsOnDemand, geojson_polygons, ring_box, union_box

FORMAT = "crm-areas/1"
SCALE = 100_000  # 5 decimals (infra/geodata.py DECIMALS)
_INT32 = 2**31
_INT32_CODE = next(code for code in "il" if array(code).itemsize == 4)  # "i" on every platform Lambda runs


def _scaled(value: float, code: str) -> int:
    number = round(value * SCALE)
    if number / SCALE != value or not -_INT32 <= number < _INT32:
        raise ValueError(f"area {code}: coordinate {value!r} is not a multiple of 1/{SCALE}")
    return number


def _encode_ring(ring, code: str) -> str:
    numbers = array(_INT32_CODE, (_scaled(value, code) for point in ring for value in point[:2]))
    if sys.byteorder == "big":
        numbers.byteswap()
    return base64.b64encode(numbers.tobytes()).decode("ascii")


def _decode_ring(text: str) -> list[list[float]]:
    numbers = array(_INT32_CODE)
    numbers.frombytes(base64.b64decode(text, validate=True))
    if sys.byteorder == "big":
        numbers.byteswap()
    if len(numbers) % 2 or len(numbers) < 8:
        raise ValueError("a packed ring needs at least 4 points")
    lngs, lats = numbers[0::2], numbers[1::2]
    return [[lng / SCALE, lat / SCALE] for lng, lat in zip(lngs, lats, strict=True)]


def pack(document: dict) -> str:
    """The packed file for a GeoJSON FeatureCollection of areas (infra/geodata.py)."""
    areas = []
    for feature in document.get("features", []):
        properties = feature.get("properties") or {}
        code = str(properties.get("code"))
        entry = {
            "level": properties.get("level"),
            "code": code,
            "name": str(properties.get("name", code)),
            "parent": properties.get("parent"),
        }
        polygons = geojson_polygons(feature)
        if polygons:
            entry["boxes"] = [[_scaled(value, code) for value in ring_box(polygon[0])] for polygon in polygons]
            entry["polygons"] = [[_encode_ring(ring, code) for ring in polygon] for polygon in polygons]
        areas.append(entry)
    head = {"format": FORMAT, "from": "areas.geojson", "source": document.get("source"), "scale": SCALE}
    return one_per_line(head, "areas", areas)


def one_per_line(head: dict, key: str, items: list) -> str:
    """Compact JSON: ``head`` with ``key`` holding ``items``, one item per line (readable
    diffs, small files; infra/geodata.py writes the GeoJSON files the same way)."""
    lines = [json.dumps(item, ensure_ascii=False, separators=(",", ":")) for item in items]
    opening = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
    return f'{opening},"{key}":[\n' + ",\n".join(lines) + "\n]}\n"


def index_from_packed(text: str) -> AreaIndex:
    document = json.loads(text)
    if document.get("format") != FORMAT or document.get("scale") != SCALE:
        raise ValueError(f"not a {FORMAT} file with scale {SCALE}")
    return AreaIndex(_area(entry) for entry in document["areas"])


def _area(entry: dict) -> Area:
    level, code = entry.get("level"), str(entry.get("code"))
    if level not in LEVELS:
        raise ValueError(f"area {code!r} has unknown level {level!r}")
    packed = entry.get("polygons") or []
    raw_boxes = entry.get("boxes") or []
    if len(raw_boxes) != len(packed) or (level == "kelurahan" and not packed):
        raise ValueError(f"area {code!r}: one box per polygon, and a kelurahan needs one")
    boxes = tuple((x0 / SCALE, y0 / SCALE, x1 / SCALE, y1 / SCALE) for x0, y0, x1, y1 in raw_boxes)

    def decode() -> tuple:
        return tuple(tuple(_decode_ring(ring) for ring in polygon) for polygon in packed)

    return Area(
        level,
        code,
        str(entry.get("name", code)),
        entry.get("parent"),
        PolygonsOnDemand(len(packed), decode) if packed else (),
        union_box(boxes) if boxes else None,
        boxes,
    )
