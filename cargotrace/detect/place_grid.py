"""The one grid join of positions (or resampled steps) with places: who is within reach of what.

Why a grid: testing every position against every place is a non-equi join that DuckDB runs as
a nested loop and Spark as a broadcast cross product. Instead each place is unnested into the
grid cells its circle of `reach_km` touches, each point gets the cell it lies in, and the two
meet on equal (cell_lat, cell_lon) keys, which both engines hash-join; the great-circle distance
then decides among the few candidates. Port visits, loitering and the port exclusion of
encounters all use it (they used to carry near-copies, one of which lost the places across
±180).

Why the cells are exact: a circle of angular radius d around latitude φ spans φ ± d in
latitude and ± asin(sin d / cos φ) in longitude (all longitudes once it holds a pole). Those
bounds, widened by `EDGE_DEG` for round-off, give every cell a point within reach can lie in
(the cells of the circle's bounding box: no fixed margin, no cap near the poles). Longitude
cells wrap: -180° and 180° are one meridian, so a port at 179.98 has
cells on both sides of it and a ship at -179.99 meets it.
"""

from __future__ import annotations

from typing import Any

import ibis

from cargotrace.geo.expr import haversine_km
from cargotrace.geo.sphere import EARTH_RADIUS_KM, KM_PER_DEG

__all__ = ["EDGE_DEG", "away_from", "place_cells", "with_cells", "within", "wrapped_cell"]

EDGE_DEG = 1e-7
"""Each place's cell range is widened by this (about 1 cm): a point right at the edge of a
circle must not be lost to the round-off of the bounds, which engines compute differently."""


def _lon_cells(cell_deg: float) -> int:
    cells = round(360.0 / cell_deg)
    if abs(cells * cell_deg - 360.0) > 1e-9:
        raise ValueError(f"cell_deg must divide 360, got {cell_deg}")
    return cells


def wrapped_cell(cell_lon: Any, cell_deg: float) -> Any:
    """A longitude cell number in [-180°, 180°): cells across ±180 get the numbers of the cells
    they are (180° is cell -180°)."""
    n = _lon_cells(cell_deg)
    half = n // 2
    return (cell_lon + half + 2 * n) % n - half


def with_cells(points: Any, cell_deg: float) -> Any:
    """`points` (columns lat, lon) with the grid cell each lies in: `cell_lat`, `cell_lon`."""
    return points.mutate(
        cell_lat=(points.lat / cell_deg).floor().cast("int64"),
        cell_lon=wrapped_cell((points.lon / cell_deg).floor().cast("int64"), cell_deg),
    )


def place_cells(places: Any, cell_deg: float) -> Any:
    """Each row of `places` (columns place_lat, place_lon, reach_km, and any others, kept) once
    per grid cell its circle of `reach_km` touches: columns `cell_lat`, `cell_lon` added."""
    n = _lon_cells(cell_deg)
    d_rad = places.reach_km / EARTH_RADIUS_KM
    dlat = places.reach_km / KM_PER_DEG + EDGE_DEG
    cos_lat = ibis.greatest(places.place_lat.radians().cos(), 1e-12)
    # the circle's widest longitude; a circle holding a pole spans every longitude
    dlon = ibis.least(d_rad.sin() / cos_lat, 1.0).asin().degrees() + EDGE_DEG
    dlon = ibis.ifelse(places.place_lat.abs() + dlat >= 90.0, 180.0, dlon)
    pl = places.mutate(
        cell_lat=ibis.range(
            ((places.place_lat - dlat) / cell_deg).floor().cast("int64"),
            ((places.place_lat + dlat) / cell_deg).floor().cast("int64") + 1,
        ).unnest(),
        _lon_lo=((places.place_lon - dlon) / cell_deg).floor().cast("int64"),
        _lon_hi=((places.place_lon + dlon) / cell_deg).floor().cast("int64") + 1,
    )
    # at most one turn of cells: more would repeat a cell after wrapping (and a point's row)
    pl = pl.mutate(_cell=ibis.range(pl._lon_lo, ibis.least(pl._lon_hi, pl._lon_lo + n)).unnest())
    return pl.mutate(cell_lon=wrapped_cell(pl._cell, cell_deg)).drop("_lon_lo", "_lon_hi", "_cell")


def within(points: Any, cells: Any) -> Any:
    """Every (point, place) pair with the point within the place's `reach_km`: the columns of
    `points` (as `with_cells` made them) and of `cells` (`place_cells`), and `dist_km`."""
    j = points.join(cells, ["cell_lat", "cell_lon"])
    j = j.mutate(dist_km=haversine_km(j.lat, j.lon, j.place_lat, j.place_lon))
    return j.filter(j.dist_km <= j.reach_km)


def away_from(points: Any, cells: Any) -> Any:
    """The points (as `with_cells` made them) farther than `reach_km` from every place of
    `cells` (`place_cells`): an anti-join, the cell columns dropped."""
    near = [
        points.cell_lat == cells.cell_lat, points.cell_lon == cells.cell_lon,
        haversine_km(points.lat, points.lon, cells.place_lat, cells.place_lon) < cells.reach_km,
    ]
    return points.anti_join(cells, near).drop("cell_lat", "cell_lon")
