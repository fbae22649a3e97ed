"""Geometry and value rules shared by the exporters: antimeridian cuts, shapely, flat values.

Why here: RFC 7946 (section 3.1.9) asks for lines crossing ±180° to be cut into parts that do
not cross it, and KML viewers and the SVG map draw a line from 179° to −179° the long way round
the globe. Every writer cuts the same way, at the interpolated crossing point.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from typing import Any

import shapely  # type: ignore[import-untyped]

from cargotrace.publish.features import Feature, GeomType

__all__ = ["flat_value", "line_parts", "to_shapely", "wrap_lon"]

LonLat = tuple[float, float]
Part = list[tuple[float, float, datetime | None]]


def wrap_lon(lon: float) -> float:
    """A longitude in [-180, 180] (unchanged when already there: no float round-off)."""
    if -180.0 <= lon <= 180.0:
        return lon
    return (lon + 180.0) % 360.0 - 180.0


def _crossing(a: tuple[float, float, datetime | None], b: tuple[float, float, datetime | None],
              ) -> tuple[float, float, datetime | None]:
    """Where the segment a → b (shorter way round) meets ±180: latitude and time there."""
    lon_a, lat_a, t_a = a
    lon_b, lat_b, t_b = b
    edge = 180.0 if lon_a > 0 else -180.0
    unwrapped_b = lon_b + (360.0 if lon_a > 0 else -360.0)
    span = unwrapped_b - lon_a
    f = (edge - lon_a) / span if span else 0.5
    t = None if t_a is None or t_b is None else t_a + timedelta(seconds=(t_b - t_a)
                                                                 .total_seconds() * f)
    return edge, lat_a + (lat_b - lat_a) * f, t


def line_parts(coords: tuple[LonLat, ...], times: tuple[datetime, ...] | None = None,
               ) -> list[Part]:
    """Line vertices (lon, lat, time) with wrapped longitudes, cut where a segment crosses the
    antimeridian; each part ends/starts at the interpolated crossing (time interpolated too)."""
    parts: list[Part] = [[]]
    prev: tuple[float, float, datetime | None] | None = None
    for i, (lon, lat) in enumerate(coords):
        cur = (wrap_lon(lon), lat, None if times is None else times[i])
        if prev is not None and abs(cur[0] - prev[0]) > 180.0:
            edge_lon, edge_lat, edge_t = _crossing(prev, cur)
            parts[-1].append((edge_lon, edge_lat, edge_t))
            parts.append([(-edge_lon, edge_lat, edge_t)])
        parts[-1].append(cur)
        prev = cur
    return [p for p in parts if len(p) >= 2]


def to_shapely(feature: Feature) -> Any:
    """Point, LineString or MultiLineString (cut at the antimeridian); None without geometry."""
    if feature.geom_type is GeomType.NONE:
        return None
    if feature.geom_type is GeomType.POINT:
        lon, lat = feature.coords[0]
        return shapely.Point(wrap_lon(lon), lat)
    parts = line_parts(feature.coords)
    lines = [[(x, y) for x, y, _ in p] for p in parts]
    if len(lines) == 1:
        return shapely.LineString(lines[0])
    return shapely.MultiLineString(lines)


def flat_value(value: object) -> str | int | float | bool | None:
    """A JSON scalar: times as ISO 8601 UTC, lists/dicts as JSON text, NaN/inf as null."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)
