"""Sea lanes across the antimeridian: the short way across the Bering Sea and the North
Pacific, a polyline that does not go round the world, and GeoJSON cut at ±180."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cargotrace.geo.sealanes import SeaNetwork
from cargotrace.routes.chokepoints import chokepoints_on
from cargotrace.routes.network import RouteNetwork
from cargotrace.routes.output import _geometry, routes_geojson
from cargotrace.routes.plan import plan_routes
from cargotrace.store.places import Place

ANADYR, NOME = (64.73, 177.51), (64.50, -165.41)
PETROPAVLOVSK, DUTCH_HARBOR = (53.02, 158.65), (53.89, -166.54)


def gc_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    h = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2)
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


@pytest.fixture(scope="module")
def sea() -> SeaNetwork:
    return SeaNetwork()


@pytest.mark.parametrize(("a", "b", "most"), [
    (ANADYR, NOME, 1.75),  # 813 km great circle; MARNET was 2,641 km round the strait twice
    (PETROPAVLOVSK, DUTCH_HARBOR, 1.45),  # 2,284 km great circle
])
def test_sea_route_across_180_is_the_short_way(sea: SeaNetwork, a: tuple[float, float],
                                                b: tuple[float, float], most: float) -> None:
    path = sea.path(a, b)
    straight = gc_km(a, b)
    assert straight < path.distance_km < most * straight
    assert path.distance_km == pytest.approx(sea.distance_km(b, a), rel=1e-9)
    lons = [lon for lon, _ in path.coords]
    assert all(-180.0 <= lon <= 180.0 for lon in lons)
    # the polyline, measured here leg by leg, is the distance (not a line round the world)
    legs = sum(gc_km((y0, x0), (y1, x1)) for (x0, y0), (x1, y1)
               in zip(path.coords, path.coords[1:], strict=False))
    assert legs == pytest.approx(path.distance_km, rel=0.01)
    # eastwards across 180 once: the longitude steps, taken the short way, add up to b - a
    steps = [((x1 - x0 + 180.0) % 360.0) - 180.0 for x0, x1 in zip(lons, lons[1:], strict=False)]
    assert sum(steps) == pytest.approx(((b[1] - a[1] + 180.0) % 360.0) - 180.0, abs=1e-6)
    assert sum(abs(x1 - x0) > 180.0 for x0, x1 in zip(lons, lons[1:], strict=False)) == 1


def test_marnet_has_every_node_in_range_and_one_bering_strait(sea: SeaNetwork) -> None:
    nodes = list(sea.graph.nodes)
    assert all(-180.0 <= lon <= 180.0 for lon, _ in nodes)
    strait = [(lon, lat) for lon, lat in nodes if abs(lat - 65.9622) < 1e-3
              and abs(lon + 169.1502) < 1e-3]
    assert len(strait) == 1 and sea.graph.degree(strait[0]) >= 3


def test_route_geojson_is_cut_on_the_antimeridian(sea: SeaNetwork) -> None:
    geometry = _geometry(sea.path(ANADYR, NOME).coords)
    assert geometry["type"] == "MultiLineString"
    west, east = geometry["coordinates"]
    assert west[-1][0] == 180.0 and east[0][0] == -180.0 and west[-1][1] == east[0][1]
    assert all(0 < lon <= 180 for lon, _ in west) and all(-180 <= lon < 0 for lon, _ in east)


def test_a_point_just_across_180_snaps_to_the_lanes_on_the_other_side(sea: SeaNetwork) -> None:
    """At 179.95 (Bering Sea) the nearest MARNET node lies at -179.9, 155 km away, not at
    179.5, 396 km away (the nearest in degrees): degrees of longitude are no
    distance across the meridian, so both sides are looked at."""
    for lat, lon in [(62.1, -179.99), (50.2, 179.99), (53.0, -179.7), (56.0, 179.95)]:
        node = sea.snap(lat, lon)
        nearest = min(sea.graph.nodes, key=lambda n: gc_km((lat, lon), (n[1], n[0])))
        assert gc_km((lat, lon), (node[1], node[0])) == pytest.approx(
            gc_km((lat, lon), (nearest[1], nearest[0])), abs=1e-6)


PLACES = [Place("t:anadyr", "Anadyr", (), "RU", "seaport", *ANADYR, 3000.0, None, "test"),
          Place("t:nome", "Nome", (), "US", "seaport", *NOME, 3000.0, None, "test"),
          Place("t:pk", "Petropavlovsk-Kamchatsky", (), "RU", "seaport", *PETROPAVLOVSK, 3000.0,
                None, "test"),
          Place("t:dh", "Dutch Harbor", (), "US", "seaport", *DUTCH_HARBOR, 3000.0, None,
                "test")]


@pytest.mark.parametrize(("a", "b"), [("t:anadyr", "t:nome"), ("t:pk", "t:dh")])
def test_planned_sea_route_across_180_goes_the_short_way(network: RouteNetwork, a: str,
                                                         b: str) -> None:
    """The route planner across 180: one sea leg, its distance that of its own polyline the
    short way, no chokepoint (a segment crossing -178.6°, the meridian opposite the Strait of
    Dover, used to pass "through" it), its international waters within it, and its GeoJSON
    cut at the meridian."""
    (route,) = plan_routes(PLACES, a, b, modes="sea", k=1, network=network)
    (leg,) = route.legs
    ends = [(p.lat, p.lon) for p in PLACES if p.place_id in (a, b)]
    assert leg.mode == "sea"
    assert gc_km(*ends) < route.distance_km < 1.75 * gc_km(*ends)
    legs_km = sum(gc_km((y0, x0), (y1, x1)) for (x0, y0), (x1, y1)
                  in zip(leg.coords, leg.coords[1:], strict=False))
    assert legs_km == pytest.approx(route.distance_km, rel=0.01)
    as_json = leg.to_dict()
    assert as_json["chokepoints"] == []
    assert 0 < as_json["international_waters_km"] < route.distance_km
    geometry = routes_geojson([route])["features"][0]["geometry"]
    assert geometry["type"] == "MultiLineString"


def test_no_phantom_chokepoint_on_the_meridian_opposite_it() -> None:
    """A short leg across -178.55° at the latitude of the Strait of Dover (51°N) is half a world
    from it; the Strait of Dover itself is still found on a Channel crossing."""
    assert chokepoints_on(np.array([51.0, 51.0]), np.array([-179.0, -178.0])) == []
    (dover,) = chokepoints_on(np.array([50.7, 51.2]), np.array([1.2, 1.7]))
    assert dover.chokepoint_id == "dover"
