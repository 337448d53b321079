"""Regenerate chalicelib/data/areas.geojson and area_outlines.geojson: DKI
Jakarta's kota, kecamatan and kelurahan boundaries, from the open data set
named in chalicelib/data/README.md.

    python -m infra.geodata --source PATH [--commit SHA] [--tolerance-m 5] [--out-dir DIR]

PATH is the source repository: a checkout (a folder holding ``db/``) or its git
directory, read at ``--commit``. Only the province's files are read:
``db/kab/wilayah_boundaries_kab_31.sql``, ``db/kec/wilayah_boundaries_kec_31.sql``
and ``db/kel/31/*.sql`` (MySQL INSERT rows: code, name, centroid, and a JSON
path of ``[lat, lng]`` rings).

What it does, in order:

1. reads the rows and turns ``[lat, lng]`` into GeoJSON's ``[lng, lat]``;
2. rounds every coordinate to 5 decimals (about 1.1 m), dropping repeated points;
3. simplifies the kelurahan rings with Douglas-Peucker at ``--tolerance-m``
   metres, *border by border*: a border shared by two kelurahan is simplified
   once and used by both, so neighbours still meet exactly (no slivers, no
   overlaps) -- the same idea as TopoJSON's arcs;
4. builds each kecamatan and kota outline from its kelurahan (their shared
   borders cancel out), so the three levels nest exactly; the source's
   kelurahan do not always share their borders point for point, which leaves
   slivers (gaps and overlaps of up to ~1.2 ha between neighbours): holes and
   pieces smaller than SLIVER_M2 that lie inside the outline are dropped;
5. writes ``areas.geojson`` (the lookup's areas: kelurahan polygons, and
   the kecamatan and kota by code and name, without geometry), the same
   packed as the lookup loads it (``areas.packed.json``,
   chalicelib/adapters/packed_areas.py) and ``area_outlines.geojson``
   (kecamatan and kota outlines, for maps only);
6. checks the result (``check_document``) and the source's own kecamatan and
   kota polygons against it (``check_against_source``): 6 kota/kabupaten, 44
   kecamatan, 267 kelurahan, Kemendagri codes, every kelurahan inside the
   source's kecamatan of the same code. Any failure stops the script.

Routing looks points up in the kelurahan polygons only; kecamatan and kota
follow from the kelurahan code (chalicelib/domain/areas.py).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "chalicelib" / "data"
AREAS_FILE = "areas.geojson"
PACKED_FILE = "areas.packed.json"
OUTLINES_FILE = "area_outlines.geojson"
SOURCE_REPOSITORY = "https://github.com/cahyadsn/wilayah_boundaries"
PROVINCE = "31"  # DKI Jakarta
EXPECTED = {"kota": 6, "kecamatan": 44, "kelurahan": 267}
DECIMALS = 5  # ~1.1 m at the equator
DEFAULT_TOLERANCE_M = 5.0
METRES_PER_DEGREE = 111_320.0
# The source's kecamatan and kota polygons are much coarser than its kelurahan
# ones (about 1,000 points for all 44 kecamatan, 14,000 for the kelurahan): at
# the commit used, a kelurahan reaches up to 553 m outside its kecamatan's
# source outline. A kelurahan filed under the wrong kecamatan is kilometres off.
SOURCE_SLACK_M = 600.0
# Dissolving the kelurahan of a kecamatan leaves slivers where two neighbours
# do not share their border exactly; at the commit used the largest is 11,941 m².
# A real enclave or exclave is far larger; islands of Kepulauan Seribu are kept
# whatever their size (they are outside every other outline ring).
SLIVER_M2 = 20_000.0

Point = tuple[float, float]  # (lng, lat)
Ring = list[Point]  # open: the first point is not repeated at the end
Polygon = list[Ring]  # outer ring, then holes

_ROW = re.compile(
    r"\('(?P<code>[0-9.]+)','(?P<name>(?:[^']|'')*)',(?P<lat>-?[0-9.]+),(?P<lng>-?[0-9.]+),'(?P<path>\[.*?\])'\)"
)
_CODE = {
    "kota": re.compile(r"^31\.\d{2}$"),
    "kecamatan": re.compile(r"^31\.\d{2}\.\d{2}$"),
    "kelurahan": re.compile(r"^31\.\d{2}\.\d{2}\.\d{4}$"),
}
_LEVEL_BY_PARTS = {2: "kota", 3: "kecamatan", 4: "kelurahan"}


# --- reading the source -----------------------------------------------------------------------


def _git(source: Path, *args: str) -> str:
    """Run git on the source's git directory (a path and a commit we were given)."""
    command = ["git", "--git-dir", str(source), *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout  # noqa: S603, S607


def source_reader(source: Path, commit: str) -> Callable[[str], str]:
    """A function reading a file of the source, from a checkout or a git directory."""
    if (source / "db").is_dir():
        return lambda relative: (source / relative).read_text(encoding="utf-8")

    return lambda relative: _git(source, "show", f"{commit}:{relative}")


def source_files(read: Callable[[str], str], listing: Callable[[], list[str]]) -> list[str]:
    names = [f"db/kab/wilayah_boundaries_kab_{PROVINCE}.sql", f"db/kec/wilayah_boundaries_kec_{PROVINCE}.sql"]
    names += sorted(
        name for name in listing() if re.fullmatch(rf"db/kel/{PROVINCE}/wilayah_boundaries_kel_[0-9.]+\.sql", name)
    )
    return names


def source_listing(source: Path, commit: str) -> Callable[[], list[str]]:
    if (source / "db").is_dir():
        return lambda: [str(path.relative_to(source)) for path in (source / "db" / "kel" / PROVINCE).glob("*.sql")]
    return lambda: _git(source, "ls-tree", "-r", "--name-only", commit, f"db/kel/{PROVINCE}/").split()


def parse_rows(text: str) -> Iterable[tuple[str, str, list[Polygon]]]:
    """(code, name, polygons) for every row of one SQL file; rings as (lng, lat), open."""
    for match in _ROW.finditer(text):
        path = json.loads(match["path"])
        depth, probe = 0, path
        while isinstance(probe, list):
            probe, depth = probe[0], depth + 1
        raw_polygons = [path] if depth == 3 else path  # a Polygon, or a list of them
        polygons = []
        for raw in raw_polygons:
            rings = [_clean_ring([(float(lng), float(lat)) for lat, lng in ring]) for ring in raw]
            rings = [ring for ring in rings if len(ring) >= 3]
            if rings:
                polygons.append(rings)
        yield match["code"], match["name"].replace("''", "'"), polygons


def _clean_ring(points: list[Point]) -> Ring:
    """Rounded to DECIMALS, without repeated points, open."""
    ring: Ring = []
    for lng, lat in points:
        point = (round(lng, DECIMALS), round(lat, DECIMALS))
        if not ring or ring[-1] != point:
            ring.append(point)
    while len(ring) > 1 and ring[-1] == ring[0]:
        ring.pop()
    return ring


def read_source(read: Callable[[str], str], names: list[str]) -> dict[str, tuple[str, list[Polygon]]]:
    rows: dict[str, tuple[str, list[Polygon]]] = {}
    for name in names:
        for code, area_name, polygons in parse_rows(read(name)):
            if code in rows:
                raise SystemExit(f"{code} appears twice in the source")
            rows[code] = (area_name, polygons)
    return rows


# --- geometry ---------------------------------------------------------------------------------


def _scale(lat: float) -> float:
    return math.cos(math.radians(lat))


def _segment_distance_m(point: Point, a: Point, b: Point) -> float:
    k = _scale(point[1])
    px, py = point[0] * k, point[1]
    ax, ay, bx, by = a[0] * k, a[1], b[0] * k, b[1]
    dx, dy = bx - ax, by - ay
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length))
    return math.hypot(px - ax - t * dx, py - ay - t * dy) * METRES_PER_DEGREE


def douglas_peucker(points: list[Point], tolerance_m: float) -> list[Point]:
    """Keep the first and last point, and every point further than the tolerance from the simplified line."""
    if len(points) <= 2:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        farthest, index = 0.0, -1
        for i in range(first + 1, last):
            distance = _segment_distance_m(points[i], points[first], points[last])
            if distance > farthest:
                farthest, index = distance, i
        if index >= 0 and farthest > tolerance_m:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [point for point, kept in zip(points, keep, strict=True) if kept]


def signed_area(ring: Ring) -> float:
    return (
        sum(
            ring[i][0] * ring[(i + 1) % len(ring)][1] - ring[(i + 1) % len(ring)][0] * ring[i][1]
            for i in range(len(ring))
        )
        / 2
    )


def area_m2(ring: Ring) -> float:
    k = _scale(ring[0][1]) * METRES_PER_DEGREE
    return abs(signed_area(ring)) * k * METRES_PER_DEGREE


def in_ring(point: Point, ring: Ring) -> bool:
    x, y = point
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def in_polygons(point: Point, polygons: list[Polygon]) -> bool:
    return any(in_ring(point, outer) and not any(in_ring(point, hole) for hole in holes) for outer, *holes in polygons)


def distance_to_polygons_m(point: Point, polygons: list[Polygon]) -> float:
    if in_polygons(point, polygons):
        return 0.0
    return min(
        _segment_distance_m(point, ring[i - 1], ring[i])
        for polygon in polygons
        for ring in polygon
        for i in range(len(ring))
    )


def interior_point(polygons: list[Polygon]) -> Point:
    """A point inside the largest polygon: the middle of the widest inside stretch of a
    horizontal line through it (a centroid can fall outside a crescent-shaped area)."""
    outer = max((polygon[0] for polygon in polygons), key=area_m2)
    lats = sorted({lat for _, lat in outer})
    best: tuple[float, Point] = (-1.0, outer[0])
    for fraction in (0.5, 0.3, 0.7, 0.4, 0.6):
        y = lats[0] + (lats[-1] - lats[0]) * fraction
        if y in lats:
            y += 1e-7
        crossings = sorted(
            a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1])
            for a, b in zip(outer, outer[1:] + outer[:1], strict=True)
            if (a[1] > y) != (b[1] > y)
        )
        for left, right in zip(crossings[::2], crossings[1::2], strict=True):
            if right - left > best[0]:
                best = (right - left, ((left + right) / 2, y))
    return best[1]


# --- simplifying shared borders once -----------------------------------------------------------


def simplify_areas(areas: dict[str, list[Polygon]], tolerance_m: float) -> dict[str, list[Polygon]]:
    """Douglas-Peucker per border: a point where the set of areas sharing the
    border changes is kept, and each stretch between kept points is simplified
    once, whichever area's ring walks it and in which direction."""
    owners: dict[Point, set[str]] = defaultdict(set)
    for code, polygons in areas.items():
        for polygon in polygons:
            for ring in polygon:
                for point in ring:
                    owners[point].add(code)
    done: dict[tuple[Point, ...], list[Point]] = {}

    def stretch(points: list[Point]) -> list[Point]:
        forward, backward = tuple(points), tuple(reversed(points))
        key = min(forward, backward)
        if key not in done:
            done[key] = douglas_peucker(list(key), tolerance_m)
        simplified = done[key]
        return simplified if key == forward else list(reversed(simplified))

    result: dict[str, list[Polygon]] = {}
    for code, polygons in areas.items():
        simplified_polygons = []
        for polygon in polygons:
            rings = [_simplify_ring(ring, owners, stretch) for ring in polygon]
            if len(rings[0]) >= 3:
                simplified_polygons.append([ring for ring in rings if len(ring) >= 3])
        result[code] = simplified_polygons
    return result


def _simplify_ring(ring: Ring, owners: dict[Point, set[str]], stretch: Callable[[list[Point]], list[Point]]) -> Ring:
    count = len(ring)
    fixed = [
        len(owners[ring[i]]) > 2
        or owners[ring[i]] != owners[ring[i - 1]]
        or owners[ring[i]] != owners[ring[(i + 1) % count]]
        for i in range(count)
    ]
    if not any(fixed):  # an island or an enclave: anchor it at two far-apart points
        fixed[0] = True
        far = max(range(count), key=lambda i: _segment_distance_m(ring[i], ring[0], ring[0]))
        fixed[far] = True
    anchors = [i for i in range(count) if fixed[i]]
    if len(anchors) == 1:
        anchors.append((anchors[0] + count // 2) % count)
        anchors.sort()
    out: Ring = []
    for position, start in enumerate(anchors):
        end = anchors[(position + 1) % len(anchors)]
        indexes = list(range(start, end + 1)) if end > start else list(range(start, count)) + list(range(0, end + 1))
        out.extend(stretch([ring[i] for i in indexes])[:-1])
    if len(out) < 3 or area_m2(out) == 0:
        return ring  # too small to simplify (an islet): keep it as it is
    return out


# --- building kecamatan and kota from their kelurahan ---------------------------------------------


def dissolve(parts: list[list[Polygon]]) -> list[Polygon]:
    """The union of areas that meet along shared borders: edges walked both ways cancel."""
    edges: Counter[tuple[Point, Point]] = Counter()
    for piece in parts:
        for polygon in piece:
            for ring in polygon:
                for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
                    if edges[(b, a)]:
                        edges[(b, a)] -= 1
                    else:
                        edges[(a, b)] += 1
    outgoing: dict[Point, list[Point]] = defaultdict(list)
    for (a, b), times in edges.items():
        outgoing[a].extend([b] * times)
    rings: list[Ring] = []
    while any(outgoing.values()):
        start = next(point for point, targets in outgoing.items() if targets)
        ring, point = [start], outgoing[start].pop()
        while point != start:
            ring.append(point)
            point = outgoing[point].pop()
        ring = _clean_ring(ring)
        if len(ring) >= 3 and area_m2(ring) > 0:
            rings.append(ring)
    # Outer rings keep the source's orientation (clockwise); the others are holes.
    outers = [ring for ring in rings if signed_area(ring) < 0]
    holes = [ring for ring in rings if signed_area(ring) > 0]
    polygons: list[Polygon] = []
    for outer in sorted(outers, key=area_m2, reverse=True):
        # A piece inside a larger outline is where two kelurahan overlap: nothing new.
        if not any(in_ring(interior_point([[outer]]), polygon[0]) for polygon in polygons):
            polygons.append([outer])
    for hole in holes:
        if area_m2(hole) < SLIVER_M2:
            continue  # a gap between two kelurahan that do not quite meet
        home = next((polygon for polygon in polygons if in_ring(interior_point([[hole]]), polygon[0])), None)
        if home is not None:
            home.append(hole)
    return polygons


# --- the document -----------------------------------------------------------------------------


def _short_name(name: str) -> str:
    for prefix in ("Kota Administrasi ", "Kabupaten Administrasi "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _geometry(polygons: list[Polygon]) -> dict:
    def closed(ring: Ring) -> list[list[float]]:
        return [[lng, lat] for lng, lat in ring + ring[:1]]

    coordinates = [[closed(ring) for ring in polygon] for polygon in polygons]
    if len(coordinates) == 1:
        return {"type": "Polygon", "coordinates": coordinates[0]}
    return {"type": "MultiPolygon", "coordinates": coordinates}


def build_documents(rows: dict[str, tuple[str, list[Polygon]]], tolerance_m: float, commit: str) -> tuple[dict, dict]:
    """(areas, outlines): kelurahan polygons with the kecamatan and kota by name; and their outlines."""
    kelurahan = {code: polygons for code, (_, polygons) in rows.items() if len(code.split(".")) == 4}
    simplified = simplify_areas(kelurahan, tolerance_m)
    named, outlines = [], []
    for parts in (2, 3):
        for code in sorted(code for code in rows if len(code.split(".")) == parts):
            members = [polygons for kel, polygons in simplified.items() if kel.startswith(code + ".")]
            named.append(_feature(code, _short_name(rows[code][0]), None))
            outlines.append(_feature(code, _short_name(rows[code][0]), dissolve(members)))
    located = [_feature(code, rows[code][0], simplified[code]) for code in sorted(simplified)]
    source = {
        "repository": SOURCE_REPOSITORY,
        "commit": commit,
        "licence": "MIT",
        "processing": f"infra/geodata.py: rounded to {DECIMALS} decimals, Douglas-Peucker {tolerance_m:g} m per "
        "shared border; kecamatan and kota outlines dissolved from their kelurahan",
    }
    areas = {"type": "FeatureCollection", "name": "dki-jakarta-areas", "source": source, "features": named + located}
    outline_document = {
        "type": "FeatureCollection",
        "name": "dki-jakarta-area-outlines",
        "source": source,
        "features": outlines,
    }
    return areas, outline_document


def _feature(code: str, name: str, polygons: list[Polygon] | None) -> dict:
    parts = code.split(".")
    level = _LEVEL_BY_PARTS[len(parts)]
    parent = ".".join(parts[:-1]) if level != "kota" else None
    return {
        "type": "Feature",
        "properties": {"level": level, "code": code, "name": name, "parent": parent},
        "geometry": _geometry(polygons) if polygons is not None else None,
    }


def feature_polygons(feature: dict) -> list[Polygon]:
    geometry = feature["geometry"]
    if geometry is None:
        return []
    raw = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [[[(lng, lat) for lng, lat in ring[:-1]] for ring in polygon] for polygon in raw]


def check_documents(areas: dict, outlines: dict) -> list[str]:
    """What is wrong with the generated documents (nothing: an empty list)."""
    problems = []
    features = areas["features"]
    by_code = {feature["properties"]["code"]: feature for feature in features}
    outline_by_code = {feature["properties"]["code"]: feature for feature in outlines["features"]}
    levels = Counter(feature["properties"]["level"] for feature in features)
    for level, expected in EXPECTED.items():
        if levels[level] != expected:
            problems.append(f"{levels[level]} {level}, expected {expected}")
    if len(by_code) != len(features):
        problems.append("codes are not unique")
    if set(outline_by_code) != {code for code, f in by_code.items() if f["properties"]["level"] != "kelurahan"}:
        problems.append("the outlines are not exactly the kecamatan and kota")
    names_in_parent = Counter((f["properties"]["parent"], f["properties"]["name"]) for f in features)
    problems += [f"two areas named {name!r} in {parent}" for (parent, name), n in names_in_parent.items() if n > 1]
    for code, feature in by_code.items():
        properties = feature["properties"]
        if not _CODE[properties["level"]].match(code):
            problems.append(f"{code}: not a Kemendagri {properties['level']} code")
        if not properties["name"].strip():
            problems.append(f"{code}: no name")
        if properties["parent"] is not None and properties["parent"] not in by_code:
            problems.append(f"{code}: parent {properties['parent']} is missing")
        drawn = feature if properties["level"] == "kelurahan" else outline_by_code.get(code, feature)
        own = feature_polygons(drawn)
        if not own:
            problems.append(f"{code}: no geometry")
            continue
        parent = properties["parent"]
        if parent in outline_by_code:
            inside = interior_point(own)
            if not in_polygons(inside, feature_polygons(outline_by_code[parent])):
                problems.append(f"{code}: its interior point {inside} is outside its parent {parent}")
    return problems


def check_against_source(areas: dict, outlines: dict, rows: dict[str, tuple[str, list[Polygon]]]) -> list[str]:
    """Every generated area agrees with the source's own polygon of the same code:
    its interior point is inside it, and it stays within SOURCE_SLACK_M of its
    parent's source polygon (so no kelurahan is filed under the wrong kecamatan)."""
    problems = []
    located = [f for f in areas["features"] if f["properties"]["level"] == "kelurahan"]
    for feature in located + outlines["features"]:
        code = feature["properties"]["code"]
        polygons = feature_polygons(feature)
        inside = interior_point(polygons)
        if not in_polygons(inside, rows[code][1]):
            problems.append(f"{code}: interior point {inside} is outside the source's polygon")
        parent = feature["properties"]["parent"]
        if parent is not None:
            step = max(1, sum(len(ring) for polygon in polygons for ring in polygon) // 40)
            sample = [point for polygon in polygons for ring in polygon for point in ring[::step]]
            far = max(distance_to_polygons_m(point, rows[parent][1]) for point in sample)
            if far > SOURCE_SLACK_M:
                problems.append(f"{code}: reaches {far:.0f} m outside the source's {parent}")
    return problems


def encode(document: dict) -> str:
    """Compact JSON, one feature per line (readable diffs, small file)."""
    from chalicelib.adapters.packed_areas import one_per_line

    head = {key: value for key, value in document.items() if key != "features"}
    return one_per_line(head, "features", document["features"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, required=True, help="checkout or git directory of the source")
    parser.add_argument("--commit", default="HEAD", help="commit to read from a git directory")
    parser.add_argument("--tolerance-m", type=float, default=DEFAULT_TOLERANCE_M)
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    commit = args.commit
    if not (args.source / "db").is_dir():
        commit = _git(args.source, "rev-parse", args.commit).strip()
    read = source_reader(args.source, commit)
    rows = read_source(read, source_files(read, source_listing(args.source, commit)))
    areas, outlines = build_documents(rows, args.tolerance_m, commit)
    problems = check_documents(areas, outlines) + check_against_source(areas, outlines, rows)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    vertices_in = sum(len(r) for code, (_, ps) in rows.items() if len(code.split(".")) == 4 for p in ps for r in p)
    vertices_out = sum(len(r) for f in areas["features"] for p in feature_polygons(f) for r in p)
    from chalicelib.adapters.packed_areas import pack

    for name, text in ((AREAS_FILE, encode(areas)), (PACKED_FILE, pack(areas)), (OUTLINES_FILE, encode(outlines))):
        (args.out_dir / name).write_text(text, encoding="utf-8")
        print(f"{args.out_dir / name}: {len(text.encode()):,} bytes")
    levels = dict(Counter(f["properties"]["level"] for f in areas["features"]))
    print(f"kelurahan points {vertices_in:,} -> {vertices_out:,}; {levels}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
