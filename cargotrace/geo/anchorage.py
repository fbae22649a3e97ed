"""A port's open-water anchorage: its point moved off the land mask when the mask puts it ashore.

Why: gazetteers give a port's town or quay, which the ~1 km land mask (geo/landmask.py) often
puts ashore (river ports, Vladivostok, Busan). Ships wait on the water nearby, so a place used to
judge "in port" must reach that water. The simulator sails to this point and the packaged world
gazetteer (tools/build_world_gazetteer.py) stores it, with the same rule, so that simulated
ships anchor where the default gazetteer says the port is.

The rule: if the point is at sea, keep it. Otherwise probe rings every 0.5 km (24 bearings, the
first bearing north) out to `max_km`; the first sea point found is the anchorage, and the radius
grows to cover the ring plus 1 km, so the quay stays inside the place. No sea within `max_km`
(an inland port, a lake): the point is kept as it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cargotrace.geo.landmask import is_land
from cargotrace.geo.sphere import destination

__all__ = ["Anchorage", "open_water_anchorage"]

RING_STEP_KM = 0.5
BEARINGS = 24
MAX_KM = 8.0


@dataclass(frozen=True)
class Anchorage:
    lat: float
    lon: float
    radius_m: float
    moved_km: float  # 0 when the point was already at sea (or no sea was found within reach)


def open_water_anchorage(
    lat: float, lon: float, radius_m: float, max_km: float = MAX_KM
) -> Anchorage:
    """The open-water point nearest (lat, lon) on rings of 0.5 km, and the widened radius.

    Ring points come from the one Earth model (`sphere.destination`), so the simulator and
    the gazetteer get the very same points.
    """
    if not is_land(np.array([lat]), np.array([lon]))[0]:
        return Anchorage(lat, lon, radius_m, 0.0)
    angles = np.linspace(0, 2 * math.pi, BEARINGS, endpoint=False)
    for ring_km in np.arange(RING_STEP_KM, max_km + 0.01, RING_STEP_KM):
        lats, lons = destination(lat, lon, np.degrees(angles), ring_km)
        sea = ~is_land(lats, lons)
        if sea.any():
            i = int(np.flatnonzero(sea)[0])
            return Anchorage(
                round(float(lats[i]), 5), round(float(lons[i]), 5),
                float(max(radius_m, (ring_km + 1.0) * 1000)), float(ring_km),
            )
    return Anchorage(lat, lon, radius_m, 0.0)
