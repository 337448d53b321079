"""DKI Jakarta's real boundaries (chalicelib/data/areas.geojson) and the point -> area lookup."""

import json
import math
import re

import pytest

from chalicelib.adapters import reference_data
from chalicelib.domain.areas import SERVICE_BUFFER_M, AreaPath, index_from_geojson
from chalicelib.domain.routing import choose_agency
from infra import geodata

AREAS = reference_data.areas()


def kelurahan(code):
    return AREAS.get(code).name


@pytest.mark.parametrize(
    "place, lat, lng, kel, kec, kota",
    [
        ("Monas", -6.1754, 106.8272, "Gambir", "Gambir", "Jakarta Pusat"),
        ("Kota Tua, Fatahillah square", -6.1352, 106.8133, "Pinangsia", "Taman Sari", "Jakarta Barat"),
        ("Ragunan zoo", -6.3116, 106.8199, "Ragunan", "Pasar Minggu", "Jakarta Selatan"),
        ("Halim Perdana Kusuma airport", -6.2654, 106.8854, "Halim Perdana Kusuma", "Makasar", "Jakarta Timur"),
        ("Istiqlal mosque", -6.1702, 106.8312, "Pasar Baru", "Sawah Besar", "Jakarta Pusat"),
        ("Bundaran HI", -6.1950, 106.8230, "Menteng", "Menteng", "Jakarta Pusat"),
        ("Gelora Bung Karno stadium", -6.2186, 106.8019, "Gelora", "Tanah Abang", "Jakarta Pusat"),
        ("Taman Impian Jaya Ancol", -6.1225, 106.8330, "Ancol", "Pademangan", "Jakarta Utara"),
        ("Taman Mini Indonesia Indah", -6.3025, 106.8950, "Ceger", "Cipayung", "Jakarta Timur"),
        ("Pulau Pramuka (Kepulauan Seribu's seat)", -5.7453, 106.6136, "Pulau Panggang", "Kepulauan Seribu Utara",
         "Kepulauan Seribu"),
        ("Pulau Pari", -5.8597, 106.6167, "Pulau Pari", "Kepulauan Seribu Selatan", "Kepulauan Seribu"),
        # In the port basin, outside every polygon but 64 m from one: the buffer's nearest kelurahan.
        ("Tanjung Priok harbour", -6.1039, 106.8833, "Tanjung Priok", "Tanjung Priok", "Jakarta Utara"),
    ],
)  # fmt: skip
def test_known_places_resolve_to_their_kelurahan(place, lat, lng, kel, kec, kota):
    where = AREAS.locate(lat, lng)
    assert [AREAS.name_of(where.kelurahan), AREAS.name_of(where.kecamatan), AREAS.name_of(where.kota)] == [
        kel,
        kec,
        kota,
    ], place
    assert AREAS.serves(lat, lng)


@pytest.mark.parametrize(
    "place, lat, lng",
    [
        ("London", 51.5, -0.12),
        ("Bandung", -6.9175, 107.6191),
        ("Bogor", -6.5971, 106.8060),
        ("Soekarno-Hatta airport, Tangerang (3 km past the border)", -6.1256, 106.6558),
        ("the Java Sea, 30 km from the nearest island", -5.60, 106.95),
        ("Jakarta Bay, between the coast and the islands", -5.90, 106.80),
        ("null island", 0.0, 0.0),
        ("the antimeridian", -6.2, 180.0),
    ],
)
def test_places_outside_the_province_are_outside_the_service_area(place, lat, lng):
    assert not AREAS.serves(lat, lng), place
    assert AREAS.locate(lat, lng) == AreaPath()


def test_the_whole_province_is_loaded_with_kemendagri_codes():
    levels = {level: AREAS.at_level(level) for level in ("kota", "kecamatan", "kelurahan")}
    assert {level: len(areas) for level, areas in levels.items()} == {"kota": 6, "kecamatan": 44, "kelurahan": 267}
    assert {area.name for area in levels["kota"]} == {
        "Kepulauan Seribu",
        "Jakarta Pusat",
        "Jakarta Utara",
        "Jakarta Barat",
        "Jakarta Selatan",
        "Jakarta Timur",
    }
    pattern = {"kota": r"31\.\d\d", "kecamatan": r"31\.\d\d\.\d\d", "kelurahan": r"31\.\d\d\.\d\d\.1\d\d\d"}
    for level, areas in levels.items():
        for area in areas:
            assert re.fullmatch(pattern[level], area.code), area.code
            assert area.parent == (None if level == "kota" else area.code.rsplit(".", 1)[0])
            assert area.name.strip()
    assert all(AREAS.within(kec.code) for kec in levels["kecamatan"])  # no empty kecamatan


def test_every_kelurahan_is_found_at_a_point_inside_it():
    """The grid finds each of the 267 (a point well inside each, from the generator's own helper)."""
    for area in AREAS.at_level("kelurahan"):
        polygons = [[[tuple(point) for point in ring[:-1]] for ring in polygon] for polygon in area.polygons]
        lng, lat = geodata.interior_point(polygons)
        where = AREAS.locate(lat, lng)
        assert where.kelurahan == area.code, (area.code, area.name, lat, lng)
        assert where.kecamatan == area.parent and where.kota == area.parent[:5]


def test_every_kelurahan_lies_inside_its_kecamatan_outline():
    outlines = reference_data.area_outlines()
    assert len(outlines) == 50
    for area in AREAS.at_level("kelurahan"):
        polygons = [[[tuple(point) for point in ring[:-1]] for ring in polygon] for polygon in area.polygons]
        inside = geodata.interior_point(polygons)
        for parent in (area.parent, area.parent[:5]):
            assert geodata.in_polygons(inside, geodata.feature_polygons(outlines[parent])), (area.code, parent)


def test_a_rule_for_a_kota_matches_every_kelurahan_in_it():
    rules = reference_data.seed_routing_rules()
    directory = reference_data.agencies()
    for area in AREAS.at_level("kelurahan"):
        polygons = [[[tuple(point) for point in ring[:-1]] for ring in polygon] for polygon in area.polygons]
        lng, lat = geodata.interior_point(polygons)
        agency = directory.require(choose_agency("illegal_parking", AREAS.locate(lat, lng), rules))
        assert agency.kind == "suku_dinas" and agency.area == area.code[:5], area.code


def test_the_seed_agencies_and_rules_name_real_areas():
    for agency in reference_data.agencies():
        assert agency.area is None or AREAS.get(agency.area) is not None, agency.id
    for rule in reference_data.seed_routing_rules():
        assert rule.area is None or AREAS.get(rule.area) is not None, rule


def test_a_kelurahan_is_a_geojson_feature_for_maps():
    gambir = AREAS.get("31.71.01.1001").feature()
    assert gambir["properties"] == {
        "level": "kelurahan",
        "code": "31.71.01.1001",
        "name": "Gambir",
        "parent": "31.71.01",
    }
    assert gambir["geometry"]["type"] == "Polygon"
    ring = gambir["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) > 10
    assert {area.code for area in AREAS.within("31.71.01")} == {f"31.71.01.100{n}" for n in range(1, 7)}


# --- the lookup on synthetic shapes ---------------------------------------------------------------

SQUARE = [[106.0, -6.0], [106.1, -6.0], [106.1, -5.9], [106.0, -5.9], [106.0, -6.0]]
HOLE = [[106.04, -5.96], [106.06, -5.96], [106.06, -5.94], [106.04, -5.94], [106.04, -5.96]]
ISLAND = [[106.5, -5.5], [106.51, -5.5], [106.51, -5.49], [106.5, -5.49], [106.5, -5.5]]
NEXT_DOOR = [[106.1, -6.0], [106.2, -6.0], [106.2, -5.9], [106.1, -5.9], [106.1, -6.0]]


def synthetic(buffer_m=SERVICE_BUFFER_M):
    return index_from_geojson(
        {
            "features": [
                {"properties": {"level": "kota", "code": "9.1", "name": "K", "parent": None}, "geometry": None},
                {"properties": {"level": "kecamatan", "code": "9.1.1", "name": "C", "parent": "9.1"}},
                {
                    "properties": {"level": "kelurahan", "code": "9.1.1.1", "name": "A", "parent": "9.1.1"},
                    "geometry": {"type": "MultiPolygon", "coordinates": [[SQUARE, HOLE], [ISLAND]]},
                },
                {
                    "properties": {"level": "kelurahan", "code": "9.1.1.2", "name": "B", "parent": "9.1.1"},
                    "geometry": {"type": "Polygon", "coordinates": [NEXT_DOOR]},
                },
            ]
        },
        buffer_m,
    )


def metres_east(lng, lat, metres):
    return lng + metres / (111_320 * math.cos(math.radians(lat)))


def test_holes_islands_and_neighbours():
    index = synthetic()
    assert index.locate(-5.99, 106.01) == AreaPath("9.1", "9.1.1", "9.1.1.1")
    assert index.locate(-5.95, 106.15).kelurahan == "9.1.1.2"
    assert index.locate(-5.495, 106.505).kelurahan == "9.1.1.1"  # the island
    # In the hole (2.2 km across): nearest is A's own hole edge, 1.1 km away: beyond the buffer.
    assert index.locate(-5.95, 106.05) == AreaPath()


def test_the_buffer_takes_the_nearest_kelurahan_and_nothing_beyond():
    index = synthetic()
    lat = -5.95
    assert index.locate(lat, metres_east(106.2, lat, 900)).kelurahan == "9.1.1.2"
    assert index.locate(lat, metres_east(106.2, lat, 1_100)) == AreaPath()
    assert index.locate(-5.49 + 800 / 111_320, 106.505).kelurahan == "9.1.1.1"  # 800 m north of the island
    assert not synthetic(buffer_m=0).serves(-5.49 + 10 / 111_320, 106.505)


def test_the_buffer_reaches_across_grid_cells_of_any_size():
    """A buffer wider than a cell still finds the kelurahan several cells away."""
    index = synthetic(buffer_m=5_000)
    lat = -5.95
    assert index.locate(lat, metres_east(106.2, lat, 4_800)).kelurahan == "9.1.1.2"
    assert index.locate(lat, metres_east(106.2, lat, 5_200)) == AreaPath()


@pytest.mark.parametrize(
    "features, message",
    [
        ([{"properties": {"level": "province", "code": "x"}, "geometry": {}}], "unknown level"),
        ([{"properties": {"level": "kelurahan", "code": "x"}, "geometry": None}], "Polygon or MultiPolygon"),
        (
            [{"properties": {"level": "kelurahan", "code": "x"}, "geometry": {"type": "Polygon", "coordinates": [[]]}}],
            "at least 4 points",
        ),
        ([{"properties": {"level": "kecamatan", "code": "x", "parent": "ghost"}}], "unknown parent"),
        ([{"properties": {"level": "kota", "code": "x"}}, {"properties": {"level": "kota", "code": "x"}}], "twice"),
    ],
)
def test_broken_boundary_files_are_refused(features, message):
    with pytest.raises(ValueError, match=message):
        index_from_geojson({"features": features})


def test_the_shipped_file_passes_the_generator_s_checks():
    """The same checks infra/geodata.py runs before writing (counts, codes, names, nesting)."""
    data = reference_data.DATA
    areas = json.loads((data / "areas.geojson").read_text(encoding="utf-8"))
    outlines = json.loads((data / "area_outlines.geojson").read_text(encoding="utf-8"))
    assert geodata.check_documents(areas, outlines) == []
    assert areas["source"]["licence"] == "MIT" and len(areas["source"]["commit"]) == 40
