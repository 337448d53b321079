import pytest

from chalicelib.adapters import reference_data
from chalicelib.domain import categories, geo
from chalicelib.domain.agencies import Agency, AgencyDirectory
from chalicelib.domain.areas import AreaPath
from chalicelib.domain.routing import RoutingRule, choose_agency, effective_rules

KOTA = ("31.71", "31.72", "31.73", "31.74", "31.75", "31.01")


def test_seed_has_the_city_s_agencies():
    directory = reference_data.agencies()
    for dinas in ("dinas-lh", "dinas-bina-marga", "dinas-perhubungan", "dinas-sda", "satpol-pp"):
        children = {child.id for child in directory.children(dinas)}
        assert len(children) == len(KOTA), dinas
        for child in children:
            assert directory.require(child).kind == "suku_dinas"
            assert directory.require(child).area in KOTA
    assert directory.require("biro-pemerintahan").kind == "bureau"
    assert directory.require("inspektorat").kind == "inspectorate"
    assert directory.require("pam-jaya").kind == "utility"


def test_tree_questions():
    directory = reference_data.agencies()
    assert directory.is_below("sudin-lh-jakpus", "dinas-lh")
    assert not directory.is_below("dinas-lh", "sudin-lh-jakpus")
    assert directory.is_within("dinas-lh", "dinas-lh")
    assert not directory.is_within("sudin-lh-jakpus", "dinas-bina-marga")
    assert directory.root_of("kel-jakpus-gambir-gambir") == "walikota-jakpus"
    assert directory.ancestors("kel-jakpus-gambir-gambir") == ["kec-jakpus-gambir", "walikota-jakpus"]


def test_broken_trees_are_refused():
    with pytest.raises(ValueError, match="unknown parent"):
        AgencyDirectory([Agency("a", "A", "dinas", parent="ghost")])
    with pytest.raises(ValueError, match="cycle"):
        AgencyDirectory([Agency("a", "A", "dinas", parent="b"), Agency("b", "B", "dinas", parent="a")])
    with pytest.raises(ValueError, match="twice"):
        AgencyDirectory([Agency("a", "A", "dinas"), Agency("a", "A", "dinas")])


def test_the_most_specific_rule_wins():
    rules = [
        RoutingRule("illegal_parking", None, "dinas-perhubungan"),
        RoutingRule("illegal_parking", "31.71", "sudin-perhubungan-jakpus"),
        RoutingRule("illegal_parking", "31.71.01", "kec-jakpus-gambir"),
    ]
    assert choose_agency("illegal_parking", AreaPath("31.71", "31.71.01"), rules) == "kec-jakpus-gambir"
    assert choose_agency("illegal_parking", AreaPath("31.71", "31.71.06"), rules) == "sudin-perhubungan-jakpus"
    assert choose_agency("illegal_parking", AreaPath("31.72"), rules) == "dinas-perhubungan"
    assert choose_agency("illegal_parking", AreaPath(), rules) == "dinas-perhubungan"
    assert choose_agency("garbage", AreaPath("31.71"), rules) is None


def test_admin_edits_override_and_disable_seed_rules():
    seed = [RoutingRule("garbage", None, "dinas-lh"), RoutingRule("water", None, "pam-jaya")]
    edits = [RoutingRule("garbage", None, None), RoutingRule("garbage", "31.71", "sudin-lh-jakpus")]
    rules = effective_rules(seed, edits)
    assert choose_agency("garbage", AreaPath("31.72"), rules) is None  # disabled -> triage
    assert choose_agency("garbage", AreaPath("31.71"), rules) == "sudin-lh-jakpus"
    assert choose_agency("water", AreaPath("31.71"), rules) == "pam-jaya"


def test_the_seed_routes_every_category_but_other_to_a_real_agency():
    rules = reference_data.seed_routing_rules()
    directory = reference_data.agencies()
    for category in categories.ids():
        agency = choose_agency(category, AreaPath("31.71"), rules)
        if category == "other":
            assert agency is None
        else:
            assert directory.get(agency) is not None, category


def test_geohash_neighbourhood_covers_100_metres():
    lat, lng = -6.1754, 106.8272
    cells = set(geo.neighbourhood(lat, lng))
    for bearing in range(0, 360, 15):
        import math

        d_lat = 100 / 111_320 * math.cos(math.radians(bearing))
        d_lng = 100 / (111_320 * math.cos(math.radians(lat))) * math.sin(math.radians(bearing))
        assert geo.geohash(lat + d_lat, lng + d_lng) in cells
        assert 99 < geo.distance_m(lat, lng, lat + d_lat, lng + d_lng) < 101


def test_geohash_matches_the_reference_encoding():
    assert geo.geohash(57.64911, 10.40744, 11) == "u4pruydqqvj"  # the Wikipedia example
