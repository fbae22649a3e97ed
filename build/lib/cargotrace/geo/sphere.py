"""Great-circle geometry on the mean-radius sphere, vectorised with numpy.

Shared by the simulator's sea routes (densifying, repairing and sailing along them) and anything
else that measures tracks as arrays; the Ibis version used inside detector expressions is
`cargotrace.detect.gaps.haversine_km`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

EARTH_RADIUS_KM = 6371.0088
"""IUGG mean Earth radius."""


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
    p1, l1, p2, l2 = (np.radians(np.asarray(x, dtype=np.float64)) for x in (lat1, lon1, lat2, lon2))
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    km: FloatArray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return km


def step_km(lats: FloatArray, lons: FloatArray) -> FloatArray:
    """Great-circle length of each step between consecutive points."""
    return haversine_km(lats[:-1], lons[:-1], lats[1:], lons[1:])


def bearing_deg(
    lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray
) -> FloatArray:
    """Initial great-circle bearing from point 1 to point 2, 0 <= bearing < 360 (0 = north)."""
    p1, p2, dl = np.radians(lat1), np.radians(lat2), np.radians(lon2 - lon1)
    y = np.sin(dl) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    deg = np.mod(np.degrees(np.arctan2(y, x)), 360.0)
    return np.where(deg >= 360.0, 0.0, deg)


def path_length_km(vertices: FloatArray) -> float:
    return float(step_km(vertices[:, 0], vertices[:, 1]).sum())
