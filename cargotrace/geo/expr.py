"""The Earth model of `geo/sphere.py` as Ibis expressions (its SQL text form: `geo/sql.py`).

Why a second form: the detectors are Ibis expressions that run unchanged on DuckDB and Spark,
so their distances must be column expressions. The formulas and constants are those of
`sphere.py`; the tests check that the forms agree.

Longitude arithmetic here uses CASE expressions rather than a modulo, so that every value
already in range comes out unchanged to the last bit: events away from ±180 are the same as
before these helpers existed, on both engines.
"""

from __future__ import annotations

from typing import Any

import ibis

from cargotrace.geo.sphere import EARTH_RADIUS_KM

__all__ = ["haversine_km", "lon_delta", "mean_lon", "midpoint_lon", "wrap_lon"]


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Great-circle distance in km as an Ibis expression (works on every backend); right across
    the antimeridian (only the sine of half the longitude difference is used)."""
    dlat = (lat2 - lat1).radians()
    dlon = (lon2 - lon1).radians()
    h = (dlat / 2).sin() ** 2 + lat1.radians().cos() * lat2.radians().cos() * (
        (dlon / 2).sin() ** 2
    )
    return 2 * EARTH_RADIUS_KM * h.sqrt().asin()


def wrap_lon(lon: Any) -> Any:
    """A longitude expression brought into [-180, 180) from within one turn of it."""
    return ibis.cases((lon >= 180.0, lon - 360.0), (lon < -180.0, lon + 360.0), else_=lon)


def lon_delta(lon1: Any, lon2: Any) -> Any:
    """lon2 - lon1 the short way round (179.9 -> -179.9 is +0.2)."""
    return wrap_lon(lon2 - lon1)


def midpoint_lon(lon1: Any, lon2: Any) -> Any:
    """The longitude half way between two nearby longitudes, the short way round."""
    straddles = (lon1 - lon2).abs() > 180.0
    return ibis.ifelse(straddles, wrap_lon((lon1 + lon2) / 2 + 180.0), (lon1 + lon2) / 2)


def mean_lon(lon: Any, where: Any = None) -> Any:
    """An aggregate: the mean of a group's longitudes, across ±180 too (see `sphere.mean_lon`:
    a group spread over more than 180° straddles the antimeridian and is averaged in
    [0, 360)). Elsewhere the plain mean, unchanged."""
    plain = lon.mean(where=where)
    spread = lon.max(where=where) - lon.min(where=where)
    west_share = (lon < 0).cast("float64").mean(where=where)  # each west one is 360° short
    return ibis.ifelse(spread > 180.0, wrap_lon(plain + 360.0 * west_share), plain)
