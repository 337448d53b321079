"""Administrative areas: kota (city; Kepulauan Seribu is a kabupaten) ->
kecamatan (sub-district) -> kelurahan (urban village), and where a point is.

Codes are Kemendagri's: ``31.71`` Jakarta Pusat, ``31.71.01`` Kecamatan Gambir,
``31.71.01.1001`` Kelurahan Gambir. A code's parent is the code without its
last part, so a routing rule for a kota covers every kecamatan and kelurahan
in it (domain/routing.py).

Only kelurahan carry polygons for the lookup (chalicelib/data/areas.geojson,
shipped packed: adapters/packed_areas.py);
a point's kecamatan and kota follow from its kelurahan's code, so the three
levels always agree. The boundaries are the city's real ones, simplified
(see chalicelib/data/README.md); kecamatan and kota outlines for drawing are
in chalicelib/data/area_outlines.geojson, which the lookup never reads.

The service area (``AreaIndex.serves``) is the province plus SERVICE_BUFFER_M:
a point outside every kelurahan but that close to one (the coast, a pier, a
port terminal on reclaimed land, an islet of Kepulauan Seribu the data leave
out) belongs to the nearest kelurahan. Anything further is refused on every
channel (services/intake.py).

Lookup: a grid of 0.01-degree cells over the province; each cell lists the
kelurahan with a polygon whose bounding box meets it. A point is tested
against its cell's few candidates (the even-odd ray test, after a
bounding-box check), never against all 267; only a point inside none of
them (the sea, a border) looks at the cells within the buffer, measuring
distances to the nearest borders.
Pure Python: shapely pulls in GEOS and NumPy, too heavy for a Lambda cold
start for this.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

LEVELS = ("kota", "kecamatan", "kelurahan")

# How far outside the province's kelurahan a point is still served: the
# coastline of the data is a few metres to a few hundred metres from today's
# (port terminals and reclaimed land reach ~500 m past it), and GPS adds tens
# of metres. It also accepts points this close to the land border with
# Tangerang, Depok and Bekasi; an officer can reject or transfer those.
SERVICE_BUFFER_M = 1_000.0
CELL_DEGREES = 0.01  # about 1.1 km: a cell meets one to ten kelurahan (1.7 on average)
METRES_PER_DEGREE = 111_320.0

Point = Sequence[float]  # [lng, lat] as in GeoJSON
Ring = Sequence[Point]  # closed, as in GeoJSON: the last point repeats the first
Polygon = Sequence[Ring]  # outer ring, then holes


@dataclass(frozen=True)
class AreaPath:
    """Where a point is; each level's code, or None if outside every polygon."""

    kota: str | None = None
    kecamatan: str | None = None
    kelurahan: str | None = None

    def codes(self) -> list[str]:
        """Most specific first."""
        return [code for code in (self.kelurahan, self.kecamatan, self.kota) if code]

    def as_dict(self) -> dict[str, str | None]:
        return {"kota": self.kota, "kecamatan": self.kecamatan, "kelurahan": self.kelurahan}

    @classmethod
    def from_dict(cls, data: dict | None) -> AreaPath:
        data = data or {}
        return cls(data.get("kota"), data.get("kecamatan"), data.get("kelurahan"))


class PolygonsOnDemand(Sequence[Polygon]):
    """An area's polygons, decoded on first use (adapters/packed_areas.py): a cold start
    files every area in the grid by its boxes and decodes only the areas it tests.
    Equal to any sequence of the same polygons, e.g. the GeoJSON's."""

    __slots__ = ("_count", "_decode", "_polygons")

    def __init__(self, count: int, decode: Callable[[], Sequence[Polygon]]):
        self._count = count
        self._decode = decode
        self._polygons: Sequence[Polygon] | None = None

    def _all(self) -> Sequence[Polygon]:
        polygons = self._polygons
        if polygons is None:  # two threads may both decode: the same polygons, either kept
            polygons = self._decode()
            if len(polygons) != self._count:
                raise ValueError(f"{len(polygons)} polygons decoded, {self._count} announced")
            self._polygons = polygons
        return polygons

    @property
    def decoded(self) -> bool:
        return self._polygons is not None

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Polygon: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Polygon]: ...
    def __getitem__(self, index: Any) -> Any:
        return self._all()[index]

    def __iter__(self) -> Iterator[Polygon]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    __hash__ = None  # type: ignore[assignment]  # like the lists it holds

    def __repr__(self) -> str:
        return f"PolygonsOnDemand({self._count}, decoded={self.decoded})"


@dataclass(frozen=True)
class Area:
    level: str
    code: str
    name: str
    parent: str | None
    polygons: Sequence[Polygon] = ()  # kelurahan only; empty for kecamatan and kota
    bbox: tuple[float, float, float, float] | None = None  # min lng, min lat, max lng, max lat
    _boxes: tuple[tuple[float, float, float, float], ...] = field(default=(), repr=False, compare=False)  # per polygon

    def contains(self, lng: float, lat: float) -> bool:
        if self.bbox is None:
            return False
        min_lng, min_lat, max_lng, max_lat = self.bbox
        if not (min_lng <= lng <= max_lng and min_lat <= lat <= max_lat):
            return False
        for (outer, *holes), (x0, y0, x1, y1) in zip(self.polygons, self._boxes, strict=True):
            if x0 <= lng <= x1 and y0 <= lat <= y1 and _in_ring(lng, lat, outer):
                if not any(_in_ring(lng, lat, hole) for hole in holes):
                    return True
        return False

    def distance_m(self, lng: float, lat: float, beyond: float = math.inf) -> float:
        """Metres from the point to this area (0 inside); an equirectangular
        approximation, good to a fraction of a percent at these distances.
        Parts of the area further than ``beyond`` are skipped (their distance
        is not needed), so the answer is only exact when it is <= beyond."""
        if self.contains(lng, lat):
            return 0.0
        k = math.cos(math.radians(lat))
        best = math.inf
        for polygon, box in zip(self.polygons, self._boxes, strict=True):
            if _box_distance_m(box, lng, lat) > min(beyond, math.sqrt(best) * METRES_PER_DEGREE):
                continue  # e.g. the far islands of a kelurahan of Kepulauan Seribu
            for ring in polygon:
                best = min(best, _ring_distance(lng * k, lat, ring, k))
        return math.sqrt(best) * METRES_PER_DEGREE

    def feature(self) -> dict:
        """This area as a GeoJSON Feature (for drawing it on a map)."""
        coordinates = [[[list(point) for point in ring] for ring in polygon] for polygon in self.polygons]
        geometry = (
            None
            if not coordinates
            else {"type": "Polygon", "coordinates": coordinates[0]}
            if len(coordinates) == 1
            else {"type": "MultiPolygon", "coordinates": coordinates}
        )
        return {
            "type": "Feature",
            "properties": {"level": self.level, "code": self.code, "name": self.name, "parent": self.parent},
            "geometry": geometry,
        }


def _in_ring(x: float, y: float, ring: Ring) -> bool:
    inside = False
    xj, yj = ring[-1]
    for xi, yi in ring:
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        xj, yj = xi, yi
    return inside


def _ring_distance(px: float, py: float, ring: Ring, k: float) -> float:
    """Smallest squared distance (in degrees of latitude) from (px, py) to the ring's edges;
    longitudes are scaled by k = cos(latitude)."""
    best = math.inf
    bx, by = ring[-1][0] * k, ring[-1][1]
    for lng, lat in ring:
        ax, ay = lng * k, lat
        dx, dy = bx - ax, by - ay
        length = dx * dx + dy * dy
        t = 0.0 if length == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length))
        ex, ey = px - ax - t * dx, py - ay - t * dy
        best = min(best, ex * ex + ey * ey)
        bx, by = ax, ay
    return best


class AreaIndex:
    """Every area by code, and the point -> kelurahan lookup over a grid."""

    def __init__(self, areas: Iterable[Area], buffer_m: float = SERVICE_BUFFER_M):
        self.areas = list(areas)
        self.buffer_m = buffer_m
        self._by_code: dict[str, Area] = {}
        for area in self.areas:
            if area.code in self._by_code:
                raise ValueError(f"area {area.code} is listed twice")
            self._by_code[area.code] = area
        for area in self.areas:
            if area.parent is not None and area.parent not in self._by_code:
                raise ValueError(f"area {area.code} has unknown parent {area.parent}")
        # cell -> the kelurahan with a polygon whose bounding box meets it (a polygon's, not
        # the area's: the islands of one Kepulauan Seribu kelurahan span 1,000 cells of sea).
        # Every kelurahan within buffer_m of a point meets a cell at most _reach cells away.
        self._cells: dict[tuple[int, int], list[Area]] = {}
        located = [area for area in self.areas if area.level == "kelurahan" and area.bbox is not None]
        for area in located:
            for box in area._boxes:
                for cell in _cells(*box):
                    listed = self._cells.setdefault(cell, [])
                    if not listed or listed[-1] is not area:  # two polygons of one area in a cell
                        listed.append(area)
        # A degree of longitude is shortest at the highest latitude: measure the reach there.
        widest = max((max(abs(box[1]), abs(box[3])) for area in located for box in area._boxes), default=0.0)
        cell_width_m = CELL_DEGREES * METRES_PER_DEGREE * math.cos(math.radians(min(widest + 1.0, 89.0)))
        self._reach = max(1, math.ceil(buffer_m / cell_width_m))

    def get(self, code: str | None) -> Area | None:
        return self._by_code.get(code) if code else None

    def name_of(self, code: str | None) -> str | None:
        area = self.get(code)
        return area.name if area else None

    def at_level(self, level: str) -> list[Area]:
        return [area for area in self.areas if area.level == level]

    def within(self, code: str) -> list[Area]:
        """The kelurahan of a kota or kecamatan (a kelurahan: itself), e.g. to draw them."""
        prefix = code + "."
        return [
            area
            for area in self.areas
            if area.level == "kelurahan" and (area.code == code or area.code.startswith(prefix))
        ]

    def kelurahan_at(self, lat: float, lng: float) -> Area | None:
        """The kelurahan the point is in; outside all of them, the nearest within
        buffer_m; None beyond that (outside the service area)."""
        x, y = math.floor(lng / CELL_DEGREES), math.floor(lat / CELL_DEGREES)
        for area in self._cells.get((x, y), ()):
            if area.contains(lng, lat):
                return area
        # Rare: the coast, the sea, a border, a gap between two kelurahan, or far away.
        best, best_distance = None, self.buffer_m
        reach = self._reach
        seen: set[str] = set()
        for dx in range(-reach, reach + 1):
            for dy in range(-reach, reach + 1):
                for area in self._cells.get((x + dx, y + dy), ()):
                    if area.code in seen:
                        continue
                    seen.add(area.code)
                    if area.bbox is None:  # never: only kelurahan with a box are filed in cells
                        continue
                    if _box_distance_m(area.bbox, lng, lat) > best_distance:
                        continue
                    distance = area.distance_m(lng, lat, beyond=best_distance)
                    if distance <= best_distance:
                        best, best_distance = area, distance
        return best

    def serves(self, lat: float, lng: float) -> bool:
        """The service-area rule: is this point in DKI Jakarta (with the buffer)?"""
        return self.kelurahan_at(lat, lng) is not None

    def locate(self, lat: float, lng: float) -> AreaPath:
        kelurahan = self.kelurahan_at(lat, lng)
        if kelurahan is None:
            return AreaPath()
        path = {"kelurahan": kelurahan.code}
        area = self.get(kelurahan.parent)
        while area is not None:
            path[area.level] = area.code
            area = self.get(area.parent)
        return AreaPath(**path)


def _box_distance_m(bbox: tuple[float, float, float, float], lng: float, lat: float) -> float:
    """A lower bound of the distance from the point to anything in the box."""
    min_lng, min_lat, max_lng, max_lat = bbox
    dx = max(min_lng - lng, 0.0, lng - max_lng) * math.cos(math.radians(lat))
    dy = max(min_lat - lat, 0.0, lat - max_lat)
    return math.hypot(dx, dy) * METRES_PER_DEGREE * 0.99


def _cells(min_lng: float, min_lat: float, max_lng: float, max_lat: float) -> Iterable[tuple[int, int]]:
    for x in range(math.floor(min_lng / CELL_DEGREES), math.floor(max_lng / CELL_DEGREES) + 1):
        for y in range(math.floor(min_lat / CELL_DEGREES), math.floor(max_lat / CELL_DEGREES) + 1):
            yield (x, y)


def ring_box(ring: Ring) -> tuple[float, float, float, float]:
    lngs, lats = zip(*ring, strict=False)
    return (min(lngs), min(lats), max(lngs), max(lats))


def union_box(boxes: Iterable[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    min_lngs, min_lats, max_lngs, max_lats = zip(*boxes, strict=True)
    return (min(min_lngs), min(min_lats), max(max_lngs), max(max_lats))


def _ring(coordinates: object) -> Ring:
    """A GeoJSON ring as it is (closed: the first point repeated at the end, which the
    ray and distance tests take as an empty edge); only its shape is checked."""
    if not isinstance(coordinates, list) or len(coordinates) < 4:
        raise ValueError("a ring needs at least 4 points (the first repeated at the end)")
    # The same check as a loop over the points, in C (a cold start reads 14,000 of them).
    if set(map(type, coordinates)) != {list} or min(map(len, coordinates)) < 2:
        raise ValueError("a point is [longitude, latitude]")
    return coordinates


def geojson_polygons(feature: dict) -> list[Sequence[Ring]]:
    """A GeoJSON area Feature's polygons (outer ring, then holes), shape-checked."""
    properties = feature.get("properties") or {}
    geometry = feature.get("geometry") or {}
    level = properties.get("level")
    code = properties.get("code")
    if level not in LEVELS:
        raise ValueError(f"area {code!r} has unknown level {level!r}")
    if geometry.get("type") == "Polygon":
        raw_polygons = [geometry["coordinates"]]
    elif geometry.get("type") == "MultiPolygon":
        raw_polygons = geometry["coordinates"]
    elif not geometry and level != "kelurahan":
        raw_polygons = []
    else:
        raise ValueError(f"area {code!r}: geometry must be a Polygon or MultiPolygon")
    return [tuple(_ring(ring) for ring in polygon) for polygon in raw_polygons]


def index_from_geojson(document: dict, buffer_m: float = SERVICE_BUFFER_M) -> AreaIndex:
    """Areas from a GeoJSON FeatureCollection whose features have ``level``, ``code``,
    ``name`` and ``parent`` properties; kecamatan and kota may have no geometry."""
    areas = []
    for feature in document.get("features", []):
        properties = feature.get("properties") or {}
        code = properties.get("code")
        polygons = tuple(geojson_polygons(feature))
        boxes = tuple(ring_box(polygon[0]) for polygon in polygons)  # holes lie inside their outer ring
        areas.append(
            Area(
                properties["level"],
                str(code),
                str(properties.get("name", code)),
                properties.get("parent"),
                polygons,
                union_box(boxes) if boxes else None,
                boxes,
            )
        )
    return AreaIndex(areas, buffer_m)
