"""The one Earth model: scalar, numpy, Ibis and SQL forms agree with each other and with an
independent formula, longitudes go the short way round ±180, and the shared place grid join
finds exactly the pairs a brute-force comparison finds, across the antimeridian and at a pole."""

from __future__ import annotations

import math
import random

import duckdb
import ibis
import numpy as np
import pyarrow as pa
import pytest

from cargotrace.detect import place_grid
from cargotrace.geo import expr, sphere
from cargotrace.geo.sql import haversine_sql
from cargotrace.store.engines import to_arrow

# (lat1, lon1, lat2, lon2): across 180 both ways, on the equator, near a pole, antipodes
PAIRS = [
    (56.0, 179.99, 56.0, -179.99),
    (56.0, -179.99, 56.0, 179.99),
    (0.0, 179.995, 0.0, -179.995),
    (43.1, 131.9, 42.8, 132.9),
    (89.9, 10.0, 89.9, -170.0),
    (-33.9, 18.4, 33.9, -161.6),
    (53.0, 158.65, 53.89, -166.54),
]


def chord_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance from the chord between unit vectors: another formula than the
    haversine, for an independent check."""
    def unit(lat: float, lon: float) -> tuple[float, float, float]:
        p, q = math.radians(lat), math.radians(lon)
        return math.cos(p) * math.cos(q), math.cos(p) * math.sin(q), math.sin(p)

    chord = math.dist(unit(lat1, lon1), unit(lat2, lon2))
    return 2 * 6371.0088 * math.asin(min(1.0, chord / 2))


def test_constants() -> None:
    assert sphere.EARTH_RADIUS_KM == 6371.0088 and sphere.KM_PER_NM == 1.852
    assert sphere.KM_PER_DEG == pytest.approx(111.195, abs=1e-3)


def test_every_form_of_the_distance_agrees() -> None:
    expected = [chord_km(*p) for p in PAIRS]
    lat1, lon1, lat2, lon2 = (np.array(c) for c in zip(*PAIRS, strict=True))
    assert sphere.haversine_km(lat1, lon1, lat2, lon2) == pytest.approx(expected, rel=1e-9)
    assert [sphere.distance_km(*p) for p in PAIRS] == pytest.approx(expected, rel=1e-9)
    t = ibis.memtable(pa.table({"a": lat1, "b": lon1, "c": lat2, "d": lon2}))
    on_ibis = to_arrow(t.select(km=expr.haversine_km(t.a, t.b, t.c, t.d))).column("km")
    assert on_ibis.to_pylist() == pytest.approx(expected, rel=1e-9)
    con = duckdb.connect()
    on_sql = [con.execute(f"SELECT {haversine_sql('$a', '$b', '$c', '$d')}",
                          dict(zip("abcd", p, strict=True))).fetchone() for p in PAIRS]
    assert [r[0] for r in on_sql if r] == pytest.approx(expected, rel=1e-9)
    # 0.02 degrees of longitude across 180 on the equator is 2.2 km, not 40,000
    assert sphere.distance_km(0.0, 179.99, 0.0, -179.99) == pytest.approx(
        0.02 * sphere.KM_PER_DEG, rel=1e-9)


def test_longitudes_go_the_short_way_round() -> None:
    assert sphere.lon_delta(179.9, -179.9) == pytest.approx(0.2)
    assert sphere.lon_delta(-179.9, 179.9) == pytest.approx(-0.2)
    assert sphere.lon_delta(10.1, 10.3) == 10.3 - 10.1  # in range: to the last bit
    assert sphere.wrap_lon(180.0) == -180.0 and sphere.wrap_lon(190.5) == pytest.approx(-169.5)
    assert sphere.wrap_lon(-179.25) == -179.25
    assert sphere.mean_lon([179.99, -179.99, 179.97]) == pytest.approx(179.99)
    assert sphere.mean_lon([-179.99, 179.99, -179.97]) == pytest.approx(-179.99)
    plain = [131.9, 132.05, 131.77]
    assert sphere.mean_lon(plain) == math.fsum(plain) / 3


def test_ibis_longitude_forms_match_numpy_and_keep_plain_values() -> None:
    a = np.array([179.99, -179.99, 131.9, 179.9, 10.1])
    b = np.array([-179.97, 179.95, 132.05, -179.7, 10.3])
    t = ibis.memtable(pa.table({"a": a, "b": b}))
    out = to_arrow(t.select(delta=expr.lon_delta(t.a, t.b), mid=expr.midpoint_lon(t.a, t.b),
                            wrapped=expr.wrap_lon(t.a + 0.5)))
    assert out.column("delta").to_pylist() == pytest.approx(sphere.lon_delta(a, b).tolist())
    assert out.column("wrapped").to_pylist() == pytest.approx(sphere.wrap_lon(a + 0.5).tolist())
    mids = [sphere.mean_lon(pair) for pair in zip(a, b, strict=True)]
    assert out.column("mid").to_pylist() == pytest.approx(mids)
    assert out.column("mid").to_pylist()[2] == (131.9 + 132.05) / 2  # unchanged off 180
    # the aggregate: one group straddling 180, one not
    g = ibis.memtable(pa.table({"g": [1, 1, 1, 2, 2], "lon": [179.99, -179.99, 179.97,
                                                                131.9, 132.05]}))
    means = to_arrow(g.group_by("g").aggregate(m=expr.mean_lon(g.lon)).order_by("g"))
    assert means.column("m").to_pylist() == pytest.approx([179.99, (131.9 + 132.05) / 2])
    assert means.column("m").to_pylist()[1] == (131.9 + 132.05) / 2


def test_destination_and_bearing_across_180() -> None:
    lat, lon = sphere.destination(56.0, 179.9, 90.0, 20.0)
    assert -180 <= float(lon) < -179.5  # east of 180, wrapped
    assert sphere.distance_km(56.0, 179.9, float(lat), float(lon)) == pytest.approx(20.0)
    assert float(sphere.bearing_deg(56.0, 179.9, lat, lon)) == pytest.approx(90.0)
    assert float(sphere.bearing_deg(0.0, 179.99, 0.0, -179.99)) == pytest.approx(90.0)


# --- the shared place grid join ----------------------------------------------------------------

# across 180 both sides, at the equator, high north (near the pole: every longitude cell)
PLACES = [("dateline_w", 56.0, 179.98, 4.0), ("dateline_e", 0.0, -179.99, 5.0),
          ("nakhodka", 42.8, 132.883, 4.0), ("high", 89.98, 45.0, 6.0),
          ("big", 64.5, 179.0, 25.0)]


def scattered_points(n: int) -> pa.Table:
    """Points within ~30 km of each place, longitudes wrapped into [-180, 180)."""
    rng = random.Random(21)
    lat, lon = [], []
    for _, plat, plon, _ in PLACES:
        for _ in range(n):
            la = max(-90.0, min(90.0, plat + rng.uniform(-0.3, 0.3)))
            lat.append(la)
            lon.append((plon + rng.uniform(-0.6, 0.6) + 180.0) % 360.0 - 180.0)
    return pa.table({"point": list(range(len(lat))), "lat": lat, "lon": lon})


def test_grid_join_finds_every_pair_across_180_and_at_a_pole() -> None:
    points = scattered_points(400)
    places = pa.table({"place": [p[0] for p in PLACES], "place_lat": [p[1] for p in PLACES],
                       "place_lon": [p[2] for p in PLACES], "reach_km": [p[3] for p in PLACES]})
    cells = place_grid.place_cells(ibis.memtable(places), 0.1)
    pts = place_grid.with_cells(ibis.memtable(points), 0.1)
    found = to_arrow(place_grid.within(pts, cells).select("point", "place"))
    got = sorted(zip(found.column("point").to_pylist(), found.column("place").to_pylist(),
                     strict=True))
    expected = sorted(
        (i, name)
        for i, (la, lo) in enumerate(zip(points.column("lat").to_pylist(),
                                         points.column("lon").to_pylist(), strict=True))
        for name, plat, plon, reach in PLACES if chord_km(la, lo, plat, plon) <= reach
    )
    assert got == expected
    names = {name for _, name in got}
    assert {"dateline_w", "dateline_e", "high", "big"} <= names
    across = [i for i, name in got if name == "dateline_w" and points["lon"][i].as_py() < 0]
    assert across  # points east of 180 meet the port at 179.98
    # a place near the pole spans every longitude cell, each once
    high = to_arrow(cells.filter(cells.place == "high").select("cell_lat", "cell_lon"))
    pairs = list(zip(high.column("cell_lat").to_pylist(), high.column("cell_lon").to_pylist(),
                     strict=True))
    assert len(pairs) == len(set(pairs))
    assert {c for _, c in pairs} == set(range(-1800, 1800))
    # away_from keeps exactly the points near no place
    away = to_arrow(place_grid.away_from(pts, cells).select("point")).column("point")
    assert sorted(away.to_pylist()) == sorted(set(range(points.num_rows)) - {i for i, _ in got})


def test_the_sphere_is_within_0_57_percent_of_the_wgs84_ellipsoid() -> None:
    """docs/decisions/0008: the mean-radius sphere against the ellipsoid's geodesic (pyproj's
    Karney solution, an independent oracle). The worst case is a north-south step at the
    equator (+0.56 %), then one at a pole (-0.45 %); over the globe the errors cancel."""
    import pyproj

    geod = pyproj.Geod(ellps="WGS84")
    rng = np.random.default_rng(8)
    n = 20_000
    lat1 = np.clip(np.degrees(np.arcsin(rng.uniform(-1, 1, n))), -85, 85)
    lon1 = rng.uniform(-180, 180, n)
    # half of the pairs local (a port, a gap), half anywhere on Earth
    local = np.arange(n) < n // 2
    lat2 = np.where(local, np.clip(lat1 + rng.uniform(-0.4, 0.4, n), -85, 85),
                    np.clip(np.degrees(np.arcsin(rng.uniform(-1, 1, n))), -85, 85))
    lon2 = np.where(local, lon1 + rng.uniform(-0.4, 0.4, n), rng.uniform(-180, 180, n))
    _, _, ellipsoid_m = geod.inv(lon1, lat1, lon2, lat2)
    sphere_m = sphere.haversine_km(lat1, lon1, lat2, lon2) * 1000
    measurable = ellipsoid_m > 1000
    rel = (sphere_m[measurable] - ellipsoid_m[measurable]) / ellipsoid_m[measurable]
    assert np.abs(rel).max() < 0.0057
    assert abs(rel[~local[measurable]].mean()) < 0.0005  # no bias over the globe
    # the two extremes quoted in the decision record
    _, _, meridian_equator = geod.inv(0.0, 0.0, 0.0, 1.0)
    _, _, meridian_pole = geod.inv(0.0, 89.0, 0.0, 90.0)
    assert sphere.KM_PER_DEG * 1000 / meridian_equator - 1 == pytest.approx(0.00561, abs=5e-5)
    assert sphere.KM_PER_DEG * 1000 / meridian_pole - 1 == pytest.approx(-0.00447, abs=5e-5)


def test_no_earth_constant_is_written_outside_geo() -> None:
    """docs/decisions/0008: a radius, a nautical mile or a degree's length written anywhere but
    geo/ is a second Earth model waiting to disagree with the first."""
    import re
    from pathlib import Path

    package = Path(sphere.__file__).resolve().parents[1]
    figure = re.compile(r"(?<![\w.])(6371(\.\d+)?|6378\.\d+|3440\.\d+|111\.3\d*|111\.19\d*|1\.852)"
                        r"(?![\d])")
    found = [f"{path.relative_to(package)}:{n}: {line.strip()}"
             for path in sorted(package.rglob("*.py")) if path.parent.name != "geo"
             for n, line in enumerate(path.read_text().splitlines(), 1) if figure.search(line)]
    assert found == []
