"""Administrative areas: kota (city) -> kecamatan (sub-district) -> kelurahan
(urban village), resolved from a point with polygons loaded from GeoJSON.

The repository ships a small, approximate sample (chalicelib/data/
areas.geojson); README explains how to load the official boundaries. Point-
in-polygon is the even-odd ray test with a bounding-box prefilter: a few dozen
lines instead of a geometry library (shapely pulls in GEOS and NumPy, too
heavy for a Lambda cold start for what is needed here). Holes and
MultiPolygons are supported, so official boundary files work as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

LEVELS = ("kota", "kecamatan", "kelurahan")

Ring = list[tuple[float, float]]  # (lng, lat) as in GeoJSON


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


@dataclass(frozen=True)
class Area:
    level: str
    code: str
    name: str
    parent: str | None
    polygons: tuple[tuple[Ring, ...], ...]  # each polygon: outer ring, then holes
    bbox: tuple[float, float, float, float]  # min lng, min lat, max lng, max lat

    def contains(self, lng: float, lat: float) -> bool:
        min_lng, min_lat, max_lng, max_lat = self.bbox
        if not (min_lng <= lng <= max_lng and min_lat <= lat <= max_lat):
            return False
        for outer, *holes in self.polygons:
            if _in_ring(lng, lat, outer) and not any(_in_ring(lng, lat, hole) for hole in holes):
                return True
        return False


def _in_ring(x: float, y: float, ring: Ring) -> bool:
    inside = False
    count = len(ring)
    j = count - 1
    for i in range(count):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


class AreaIndex:
    def __init__(self, areas: list[Area]):
        self.areas = areas
        self._by_code = {area.code: area for area in areas}

    def get(self, code: str | None) -> Area | None:
        return self._by_code.get(code) if code else None

    def locate(self, lat: float, lng: float) -> AreaPath:
        found: dict[str, str] = {}
        for level in LEVELS:
            for area in self.areas:
                if area.level != level:
                    continue
                parent_level = LEVELS[LEVELS.index(level) - 1] if level != "kota" else None
                if parent_level and found.get(parent_level) != area.parent:
                    continue  # only look inside the area already found
                if area.contains(lng, lat):
                    found[level] = area.code
                    break
            if level not in found:
                break
        return AreaPath(**found)

    def name_of(self, code: str | None) -> str | None:
        area = self.get(code)
        return area.name if area else None


def index_from_geojson(document: dict) -> AreaIndex:
    areas = []
    for feature in document.get("features", []):
        properties = feature.get("properties") or {}
        geometry = feature.get("geometry") or {}
        level = properties.get("level")
        if level not in LEVELS:
            raise ValueError(f"area {properties.get('code')!r} has unknown level {level!r}")
        if geometry.get("type") == "Polygon":
            raw_polygons = [geometry["coordinates"]]
        elif geometry.get("type") == "MultiPolygon":
            raw_polygons = geometry["coordinates"]
        else:
            raise ValueError(f"area {properties.get('code')!r}: geometry must be a Polygon or MultiPolygon")
        polygons = tuple(
            tuple([(float(point[0]), float(point[1])) for point in ring] for ring in polygon)
            for polygon in raw_polygons
        )
        points = [point for polygon in polygons for point in polygon[0]]
        bbox = (
            min(p[0] for p in points),
            min(p[1] for p in points),
            max(p[0] for p in points),
            max(p[1] for p in points),
        )
        areas.append(
            Area(
                level,
                str(properties["code"]),
                str(properties.get("name", properties["code"])),
                properties.get("parent"),
                polygons,
                bbox,
            )
        )
    return AreaIndex(areas)
