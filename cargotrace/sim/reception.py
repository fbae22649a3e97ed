"""What receivers hear: most transmissions are lost, and far offshore almost all of them.

Shore stations (one at each port of the scenario) hear a share of the transmissions within
their range; beyond it only satellites do, a few times an hour at best; `holes` are areas with
no coverage at all. These rates give the kinds of silence detectors must tell apart from a
transponder that was switched off.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: float, lon2: float) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2 - lon1)
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    distance_km: np.ndarray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))
    return distance_km


@dataclass(frozen=True)
class ReceptionParams:
    """Reception rates; the defaults give gaps over 6 h offshore rarely, near shore never."""

    shore_range_km: float = field(
        default=75.0, metadata={"help": "Class A range of a shore station."}
    )
    shore_range_b_km: float = field(default=35.0, metadata={"help": "Class B range (lower power)."})
    p_shore: float = field(
        default=0.35, metadata={"help": "Share of transmissions heard in range."}
    )
    p_satellite: float = field(
        default=0.004, metadata={"help": "Share heard out of shore range (satellite)."}
    )
    holes: tuple[tuple[float, float, float, float], ...] = field(
        default=(), metadata={"help": "(lat_min, lat_max, lon_min, lon_max) with no coverage."}
    )


@dataclass(frozen=True)
class Station:
    station_id: str
    lat: float
    lon: float


def heard(
    lat: np.ndarray,
    lon: np.ndarray,
    transceiver: str,
    stations: list[Station],
    params: ReceptionParams,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """(mask of transmissions heard, index of the hearing station; -1 = satellite)."""
    reach = params.shore_range_km if transceiver == "A" else params.shore_range_b_km
    nearest = np.full(lat.size, -1)
    best = np.full(lat.size, np.inf)
    for i, st in enumerate(stations):
        d = haversine_km(lat, lon, st.lat, st.lon)
        closer = (d < best) & (d <= reach)
        nearest[closer] = i
        best[closer] = d[closer]
    p = np.where(nearest >= 0, params.p_shore, params.p_satellite)
    for lat_min, lat_max, lon_min, lon_max in params.holes:
        inside = (lat >= lat_min) & (lat <= lat_max) & (lon >= lon_min) & (lon <= lon_max)
        p = np.where(inside & (nearest < 0), 0.0, p)
    return rng.random(lat.size) < p, nearest
