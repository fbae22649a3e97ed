"""Chokepoints a route passes: curated straits and canals, found along the route's geometry.

Why geometry rather than searoute's passage tags alone: MARNET tags only a few passages (Suez,
Malacca, ...) and not the Korea Strait the reference case's alternatives cross. A leg passes a
chokepoint when its polyline comes within the chokepoint's radius of its centre (computed on a
local equirectangular projection, ample at these radii). `marnet_passage` names the MARNET tag,
used to close a passage when its country is avoided (the Suez Canal when avoiding EG).
"""

from __future__ import annotations

import csv
import functools
import io
import math
from dataclasses import dataclass
from importlib import resources

import numpy as np
from numpy.typing import NDArray

from cargotrace.geo.sphere import KM_PER_DEG, lon_delta

__all__ = ["Chokepoint", "chokepoints_on", "curated_chokepoints"]



@dataclass(frozen=True)
class Chokepoint:
    chokepoint_id: str
    name: str
    lat: float
    lon: float
    radius_km: float
    country: str  # state whose internal waters or canal it is ("" for international straits)
    marnet_passage: str
    source: str


@functools.cache
def curated_chokepoints() -> tuple[Chokepoint, ...]:
    text = resources.files("cargotrace").joinpath("data", "route_chokepoints.csv").read_text(
        "utf-8")
    return tuple(
        Chokepoint(r["chokepoint_id"], r["name"], float(r["lat"]), float(r["lon"]),
                   float(r["radius_km"]), r["country"], r["marnet_passage"], r["source"])
        for r in csv.DictReader(io.StringIO(text))
    )


def _min_distance_km(c: Chokepoint, lats: NDArray[np.float64], lons: NDArray[np.float64]) -> float:
    """Distance from the chokepoint centre to the polyline (segments, not only vertices).

    Each segment runs from its first vertex the short way to its second (`lon_delta`): were
    both ends placed relative to the chokepoint on their own, a segment crossing the meridian
    opposite it (180° away: for the Strait of Dover, -178.6°, on every route across the
    Pacific's dateline) would jump from +180° to -180° and pass right through it."""
    k = math.cos(math.radians(c.lat))
    x = ((lons - c.lon + 180.0) % 360.0 - 180.0) * k * KM_PER_DEG
    y = (lats - c.lat) * KM_PER_DEG
    if x.size == 1:
        return float(np.hypot(x[0], y[0]))
    x0, y0, y1 = x[:-1], y[:-1], y[1:]
    x1 = x0 + lon_delta(lons[:-1], lons[1:]) * k * KM_PER_DEG
    dx, dy = x1 - x0, y1 - y0
    seg2 = dx * dx + dy * dy
    t = np.clip(np.where(seg2 > 0, -(x0 * dx + y0 * dy) / np.where(seg2 > 0, seg2, 1), 0), 0, 1)
    return float(np.min(np.hypot(x0 + t * dx, y0 + t * dy)))


def chokepoints_on(lats: NDArray[np.float64], lons: NDArray[np.float64]) -> list[Chokepoint]:
    """Chokepoints the polyline passes, in the order it first reaches them."""
    lats = np.asarray(lats, dtype=np.float64)
    lons = np.asarray(lons, dtype=np.float64)
    if lats.size == 0:
        return []
    found: list[tuple[int, Chokepoint]] = []
    for c in curated_chokepoints():
        if _min_distance_km(c, lats, lons) <= c.radius_km:
            k = math.cos(math.radians(c.lat))
            d = np.hypot(((lons - c.lon + 180) % 360 - 180) * k, lats - c.lat)
            found.append((int(np.argmin(d)), c))
    return [c for _, c in sorted(found, key=lambda item: item[0])]
