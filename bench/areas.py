"""Point -> kelurahan: lookup latency, the boundary data's cold load, and its package size.

    .venv/bin/python -m bench.areas [points, default 20000]

`make bench` runs it too (the "area ..." rows of bench/RESULTS.md). Floors, measured
in the same run with the same timer:

* lookup p99 against one bounding-box test, the least any lookup does (the
  timer's own cost is in both; the target is the absolute "< 1 ms"); and its
  median against scanning all 267 kelurahan (bounding box first, as the code
  did before the grid), which it must at least halve -- the scan grows with
  the number of polygons, the grid does not;
* cold load (read areas.packed.json, parse it, build the index: what a cold
  start does) against read + json.loads of areas.geojson, the least any loader
  of the GeoJSON it is packed from would pay (adapters/packed_areas.py);
* package growth against Lambda's 50 MB zipped upload limit.

Points are uniform over the mainland's bounding box plus the islands' box; many
fall outside every kelurahan (the sea, Tangerang, Depok, Bekasi), where the
lookup measures distances to the nearest borders: its slow path. The row says
what share.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
import zlib

from bench.common import Row, percentile

POINTS = 20_000
SCAN_POINTS = 2_000
LOADS = 15
LAMBDA_ZIP_LIMIT = 50 * 1024 * 1024
DATA_FILES = ("areas.packed.json", "area_outlines.geojson")  # what the package ships


def sample_points(count: int, seed: int = 20) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    mainland = [(rng.uniform(-6.38, -6.08), rng.uniform(106.68, 106.98)) for _ in range(count * 9 // 10)]
    islands = [(rng.uniform(-5.95, -5.20), rng.uniform(106.45, 106.75)) for _ in range(count - len(mainland))]
    points = mainland + islands
    rng.shuffle(points)
    return points


def _timed(call, points) -> list[float]:
    clock = time.perf_counter_ns
    samples = []
    for lat, lng in points:
        started = clock()
        call(lat, lng)
        samples.append(clock() - started)
    return samples


def measure(points: int = POINTS, scan_points: int = SCAN_POINTS, loads: int = LOADS) -> dict:
    from chalicelib.adapters import reference_data
    from chalicelib.adapters.packed_areas import index_from_packed

    geojson, packed = reference_data.DATA / "areas.geojson", reference_data.DATA / "areas.packed.json"
    index = index_from_packed(packed.read_text(encoding="utf-8"))
    kelurahan = index.at_level("kelurahan")
    box = index.get("31.71.01.1001").bbox

    def one_box_test(lat: float, lng: float) -> bool:
        return box[0] <= lng <= box[2] and box[1] <= lat <= box[3]

    def scan(lat: float, lng: float):
        for area in kelurahan:
            if area.contains(lng, lat):
                return area
        return None

    sample = sample_points(points)
    for lat, lng in sample[:200]:  # warm-up
        index.kelurahan_at(lat, lng)
    # Interleaved in blocks, so a noisy neighbour slows both alike.
    lookup, floor = [], []
    for start in range(0, len(sample), 1000):
        block = sample[start : start + 1000]
        lookup += _timed(index.kelurahan_at, block)
        floor += _timed(one_box_test, block)
    few = sample[:scan_points]
    scanned, indexed = [], []
    for start in range(0, len(few), 100):
        block = few[start : start + 100]
        scanned += _timed(scan, block)
        indexed += _timed(index.kelurahan_at, block)
    agree = sum(index.kelurahan_at(lat, lng) is scan(lat, lng) for lat, lng in few if scan(lat, lng) is not None)
    inside = sum(scan(lat, lng) is not None for lat, lng in few)

    parse, build = [], []
    for _ in range(loads):
        started = time.perf_counter()
        json.loads(geojson.read_text(encoding="utf-8"))
        parse.append(time.perf_counter() - started)
        started = time.perf_counter()
        index_from_packed(packed.read_text(encoding="utf-8"))
        build.append(time.perf_counter() - started)

    raw = {name: (reference_data.DATA / name).read_bytes() for name in DATA_FILES}
    return {
        "points": len(sample),
        "lookup_p50_us": percentile(lookup, 0.5) / 1000,
        "lookup_p99_us": percentile(lookup, 0.99) / 1000,
        "box_test_p99_us": percentile(floor, 0.99) / 1000,
        "scan_points": len(few),
        "scan_p50_us": percentile(scanned, 0.5) / 1000,
        "indexed_p50_us": percentile(indexed, 0.5) / 1000,
        "index_agrees_with_scan": agree == inside,
        "outside_share": 1 - inside / len(few),
        "load_ms": statistics.median(build) * 1000,
        "json_loads_ms": statistics.median(parse) * 1000,
        "data_bytes": sum(len(data) for data in raw.values()),
        "data_deflated_bytes": sum(len(zlib.compress(data, 6)) for data in raw.values()),
    }


def rows(smoke: bool = False) -> list[Row]:
    result = measure(500, 100, 3) if smoke else measure()
    p99, floor = result["lookup_p99_us"], result["box_test_p99_us"]
    scan, indexed = result["scan_p50_us"], result["indexed_p50_us"]
    load, parse = result["load_ms"], result["json_loads_ms"]
    zipped = result["data_deflated_bytes"]
    return [
        Row(
            "area lookup p99 (point -> kelurahan)",
            f"{p99:.1f} µs",
            f"{floor:.2f} µs one bounding-box test",
            p99 / floor,
            "< 1 ms",
            p99 < 1000,
            f"{result['points']} points over the province's boxes, {result['outside_share']:.0%} outside every "
            "polygon (the slow path); "
            f"p50 {result['lookup_p50_us']:.1f} µs",
        ),
        Row(
            "area lookup p50 vs scanning 267 kelurahan",
            f"{indexed:.1f} µs",
            f"{scan:.1f} µs scan (bounding box first)",
            indexed / scan,
            "<= 0.5",
            indexed / scan <= 0.5 and result["index_agrees_with_scan"],
            f"{result['scan_points']} points; the grid finds the scan's kelurahan for every point inside one",
        ),
        Row(
            "area data cold load (read, parse, index)",
            f"{load:.1f} ms",
            f"{parse:.1f} ms read + json.loads of the GeoJSON",
            load / parse,
            "<= 1",
            load / parse <= 1,
            f"once per container, on the first report with a location; median of {3 if smoke else LOADS}",
        ),
        Row(
            "Lambda package growth: boundary data",
            f"{zipped / 1024:.0f} KB zipped ({result['data_bytes'] / 1e6:.2f} MB)",
            "50 MB zipped Lambda limit",
            zipped / LAMBDA_ZIP_LIMIT,
            "< 1 MB zipped",
            zipped < 1024 * 1024,
            "areas.packed.json (loaded) + area_outlines.geojson (maps only), deflated as in the zip",
        ),
    ]


def main(argv: list[str]) -> int:
    count = int(argv[0]) if argv else POINTS
    print(json.dumps(measure(count), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
