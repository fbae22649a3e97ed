"""The one Earth model: the mean-radius sphere, its units, and great-circle geometry.

Why one module: the radius, the nautical mile and the kilometres in a degree used to be written
out in seven modules (6371.0, 6371.0088, 111.32, 111.195), so two layers could disagree on the
same distance. Everything here is defined once; `geo/expr.py` gives the same formulas as Ibis
expressions (for the detectors' queries) and SQL text (for the store's look-ups).

Why longitudes need care: -180° and 180° are one meridian. The haversine is right across it by
construction (it only uses the sine of half the longitude difference), but anything that
subtracts, averages or interpolates longitudes must use `lon_delta` / `mean_lon`, which go the
short way round.

Functions take numpy arrays (or scalars, broadcast); `distance_km` is the plain-float form for
Python loops over a few rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike, NDArray

# defined in earth.py (kept free of numpy for the store's SQL), used from here
from cargotrace.geo.earth import EARTH_RADIUS_KM as EARTH_RADIUS_KM
from cargotrace.geo.earth import KM_PER_DEG as KM_PER_DEG
from cargotrace.geo.earth import KM_PER_NM as KM_PER_NM

FloatArray = NDArray[np.float64]


def to_unit(lats: ArrayLike, lons: ArrayLike) -> FloatArray:
    lat_rad, lon_rad = np.radians(lats), np.radians(lons)
    return np.stack(
        [np.cos(lat_rad) * np.cos(lon_rad), np.cos(lat_rad) * np.sin(lon_rad), np.sin(lat_rad)],
        axis=-1,
    )


def from_unit(xyz: FloatArray) -> tuple[FloatArray, FloatArray]:
    lat = np.degrees(np.arctan2(xyz[..., 2], np.hypot(xyz[..., 0], xyz[..., 1])))
    return lat, np.degrees(np.arctan2(xyz[..., 1], xyz[..., 0]))


def slerp(a: FloatArray, b: FloatArray, frac: FloatArray) -> FloatArray:
    """Points at fraction `frac` of the great-circle arcs from unit vectors a to b (row-wise)."""
    omega = np.arccos(np.clip(np.einsum("ij,ij->i", a, b), -1.0, 1.0))
    sin_omega = np.sin(omega)
    tiny = sin_omega < 1e-12
    safe = np.where(tiny, 1.0, sin_omega)
    w_a = np.where(tiny, 1.0 - frac, np.sin((1.0 - frac) * omega) / safe)
    w_b = np.where(tiny, frac, np.sin(frac * omega) / safe)
    return w_a[:, None] * a + w_b[:, None] * b


def haversine_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> FloatArray:
    """Great-circle distance in km (numpy, broadcast); right across the antimeridian."""
    p1, l1, p2, l2 = (np.radians(np.asarray(x, dtype=np.float64)) for x in (lat1, lon1, lat2, lon2))
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    km: FloatArray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return km


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """`haversine_km` for one pair of plain floats (no numpy: for loops over a few rows)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def step_km(lats: FloatArray, lons: FloatArray) -> FloatArray:
    """Great-circle length of each step between consecutive points."""
    return haversine_km(lats[:-1], lons[:-1], lats[1:], lons[1:])


def bearing_deg(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> FloatArray:
    """Initial great-circle bearing from point 1 to point 2, 0 <= bearing < 360 (0 = north)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    y = np.sin(dl) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    deg = np.mod(np.degrees(np.arctan2(y, x)), 360.0)
    out: FloatArray = np.where(deg >= 360.0, 0.0, deg)
    return out


def destination(lat: ArrayLike, lon: ArrayLike, bearing: ArrayLike, km: ArrayLike
                ) -> tuple[FloatArray, FloatArray]:
    """The point `km` along the great circle from (lat, lon) at initial `bearing` (degrees,
    0 = north), with its longitude wrapped to [-180, 180)."""
    p1, l1 = np.radians(lat), np.radians(lon)
    theta, delta = np.radians(bearing), np.asarray(km, dtype=np.float64) / EARTH_RADIUS_KM
    p2 = np.arcsin(np.clip(np.sin(p1) * np.cos(delta)
                           + np.cos(p1) * np.sin(delta) * np.cos(theta), -1.0, 1.0))
    l2 = l1 + np.arctan2(np.sin(theta) * np.sin(delta) * np.cos(p1),
                         np.cos(delta) - np.sin(p1) * np.sin(p2))
    return np.degrees(p2), wrap_lon(np.degrees(l2))


def wrap_lon(lon: ArrayLike) -> FloatArray:
    """Longitudes in [-180, 180); values already there are returned unchanged (no round-off)."""
    x = np.asarray(lon, dtype=np.float64)
    out: FloatArray = np.where((x >= -180.0) & (x < 180.0), x, np.mod(x + 180.0, 360.0) - 180.0)
    return out


def lon_delta(lon1: ArrayLike, lon2: ArrayLike) -> FloatArray:
    """lon2 - lon1 the short way round, in [-180, 180): 179.9 -> -179.9 is +0.2, not -359.8.
    Exactly lon2 - lon1 whenever that is already in range."""
    return wrap_lon(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))


def mean_lon(lons: Iterable[float]) -> float:
    """The mean of nearby longitudes, across the antimeridian too: points spread over more than
    180° of longitude are taken to straddle ±180 (a vessel's fixes within hours, a pair of ships)
    and averaged in [0, 360). Elsewhere it is the plain mean, to the last bit."""
    values = [float(x) for x in lons]
    if not values:
        raise ValueError("mean_lon of no longitudes")
    if max(values) - min(values) <= 180.0:
        return math.fsum(values) / len(values)
    east = math.fsum(x + 360.0 if x < 0 else x for x in values) / len(values)
    return float(wrap_lon(east))


def path_length_km(vertices: FloatArray) -> float:
    return float(step_km(vertices[:, 0], vertices[:, 1]).sum())
