"""Distance from shore, estimated from the land mask.

GFW's "likely disabling" needs how far offshore a gap began. Without a coastline dataset in the
package, we probe the ~1 km land mask on rings of growing radius (16 bearings each): the first
ring that touches land bounds the distance. The estimate is exact to the ring spacing (1-25 nm,
finer near shore), which is ample for a 50 nm threshold.
"""

from __future__ import annotations

import math

import numpy as np

from cargotrace.geo.landmask import is_land
from cargotrace.geo.sphere import KM_PER_DEG, KM_PER_NM

RINGS_NM = np.array([0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 25, 30, 40, 50, 60, 75, 100, 125, 150,
                     200, 250, 300], dtype=np.float64)
BEYOND_NM = 300.0  # reported for points with no land within the last ring
_BEARINGS = np.linspace(0, 2 * math.pi, 16, endpoint=False)


def distance_to_shore_nm(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Approximate distance to the nearest land for each point (0 on land)."""
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    result = np.full(lat.size, BEYOND_NM)
    if lat.size == 0:
        return result
    result[is_land(lat, lon)] = 0.0
    pending = np.flatnonzero(result > 0)
    for ring_nm in RINGS_NM:
        if pending.size == 0:
            break
        r_deg = ring_nm * KM_PER_NM / KM_PER_DEG
        plat = lat[pending, None] + r_deg * np.cos(_BEARINGS)[None, :]
        coslat = np.maximum(np.cos(np.radians(lat[pending])), 0.05)
        plon = lon[pending, None] + r_deg * np.sin(_BEARINGS)[None, :] / coslat[:, None]
        plat = np.clip(plat, -89.9, 89.9)
        plon = (plon + 180.0) % 360.0 - 180.0
        touches = is_land(plat.ravel(), plon.ravel()).reshape(plat.shape).any(axis=1)
        result[pending[touches]] = ring_nm
        pending = pending[~touches]
    return result
