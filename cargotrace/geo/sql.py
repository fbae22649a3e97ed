"""The Earth model of `geo/sphere.py` as SQL text, for the store's interactive DuckDB look-ups.

Why apart from `geo/expr.py`: the store must not import Ibis (the CLI's start-up stays lazy).
"""

from __future__ import annotations

from cargotrace.geo.earth import EARTH_RADIUS_KM

__all__ = ["haversine_sql"]


def haversine_sql(lat1: str, lon1: str, lat2: str, lon2: str) -> str:
    """`sphere.haversine_km` as DuckDB SQL text over four SQL expressions (columns or
    parameters); right across the antimeridian."""
    return (
        f"2 * {EARTH_RADIUS_KM} * asin(sqrt(least(1.0, "
        f"pow(sin(radians({lat2} - {lat1}) / 2), 2) + cos(radians({lat1})) * cos(radians({lat2})) "
        f"* pow(sin(radians({lon2} - {lon1}) / 2), 2))))"
    )
