"""areas.packed.json (adapters/packed_areas.py): the GeoJSON's areas as a cold start loads them."""

from __future__ import annotations

import base64
import json
import random

import pytest

from chalicelib.adapters import packed_areas, reference_data
from chalicelib.domain.areas import PolygonsOnDemand, index_from_geojson

DATA = reference_data.DATA


@pytest.fixture(scope="module")
def geojson():
    return json.loads((DATA / "areas.geojson").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def packed_text():
    return (DATA / "areas.packed.json").read_text(encoding="utf-8")


def test_the_shipped_packed_file_is_the_shipped_geojson_packed(geojson, packed_text):
    """infra/geodata.py writes both; a hand edit of either one shows here."""
    assert packed_areas.pack(geojson) == packed_text


def test_both_files_give_the_same_index(geojson, packed_text):
    from_geojson, from_packed = index_from_geojson(geojson), packed_areas.index_from_packed(packed_text)
    assert len(from_packed.areas) == 317
    # Every field of every area, the polygons point for point (the same floats json.loads makes).
    assert from_packed.areas == from_geojson.areas
    assert all(a._boxes == b._boxes for a, b in zip(from_packed.areas, from_geojson.areas, strict=True))
    lats, lngs = (-6.38, -5.18), (106.35, 107.0)  # the province's box, the sea and the islands
    rng = random.Random(311)
    for _ in range(3_000):
        lat, lng = rng.uniform(*lats), rng.uniform(*lngs)
        assert from_packed.locate(lat, lng) == from_geojson.locate(lat, lng), (lat, lng)


def test_a_first_lookup_decodes_only_the_areas_it_tests(packed_text):
    index = packed_areas.index_from_packed(packed_text)
    kelurahan = index.at_level("kelurahan")
    assert all(isinstance(area.polygons, PolygonsOnDemand) for area in kelurahan)

    def decoded():
        return [area.code for area in kelurahan if area.polygons.decoded]

    assert decoded() == []
    assert index.name_of(index.locate(-6.1754, 106.8272).kelurahan) == "Gambir"  # Monas
    assert 1 <= len(decoded()) <= 5 and "31.71.01.1001" in decoded()


def test_pack_refuses_a_coordinate_it_cannot_keep_exactly():
    feature = {
        "properties": {"level": "kelurahan", "code": "9.1.1.1", "name": "A", "parent": None},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[106.0, -6.0], [106.1, -6.0], [106.1, -5.9000001], [106.0, -6.0]]],
        },
    }
    with pytest.raises(ValueError, match=r"9\.1\.1\.1: coordinate -5\.9000001"):
        packed_areas.pack({"features": [feature]})


def _packed(**changes):
    square = [[106.0, -6.0], [106.1, -6.0], [106.1, -5.9], [106.0, -5.9], [106.0, -6.0]]
    feature = {
        "properties": {"level": "kelurahan", "code": "9.1.1.1", "name": "A", "parent": None},
        "geometry": {"type": "Polygon", "coordinates": [square]},
    }
    document = json.loads(packed_areas.pack({"features": [feature]}))
    document.update(changes.pop("head", {}))
    document["areas"][0].update(changes)
    return json.dumps(document)


def test_a_small_packed_file_round_trips():
    index = packed_areas.index_from_packed(_packed())
    assert index.locate(-5.95, 106.05).kelurahan == "9.1.1.1"
    assert index.get("9.1.1.1").bbox == (106.0, -6.0, 106.1, -5.9)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"head": {"format": "crm-areas/2"}}, "not a crm-areas/1 file"),
        ({"head": {"scale": 1000}}, "scale 100000"),
        ({"level": "province"}, "unknown level"),
        ({"boxes": []}, "one box per polygon"),
        ({"polygons": [], "boxes": []}, "a kelurahan needs one"),
        ({"polygons": [[base64.b64encode(bytes(16)).decode()]]}, "at least 4 points"),
        ({"polygons": [["not base64!"]]}, "base64|Incorrect padding|Non-base64"),
    ],
)
def test_a_broken_packed_file_is_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        index = packed_areas.index_from_packed(_packed(**changes))
        index.locate(-5.95, 106.05)  # rings are decoded on first use


def test_threads_decoding_one_area_at_once_agree(packed_text):
    """The local server answers on threads: two first lookups of one area may decode it together."""
    from concurrent.futures import ThreadPoolExecutor

    index = packed_areas.index_from_packed(packed_text)
    points = [(-6.1754, 106.8272)] * 64  # Monas, in Gambir
    with ThreadPoolExecutor(max_workers=8) as pool:
        found = list(pool.map(lambda point: index.locate(*point).kelurahan, points))
    assert found == ["31.71.01.1001"] * 64
    assert index.get("31.71.01.1001").polygons.decoded
