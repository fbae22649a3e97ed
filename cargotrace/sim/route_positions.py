"""Positions along a simulated route: where a ship is, and its course, at a distance along it.

Kept apart from `sea_paths.py` (how a route is found and kept off land): the tracker asks for
positions every few seconds of simulated time, the router runs once per voyage.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cargotrace.errors import ParamsError
from cargotrace.geo import sphere
from cargotrace.sim.sea_paths import Route

FloatArray = NDArray[np.float64]

__all__ = ["position_at"]


@functools.lru_cache(maxsize=1024)
def _geometry(route: Route) -> tuple[FloatArray, FloatArray]:
    """Unit vectors of a route's points and each step's bearing: once a route, not once a day."""
    lats, lons = route.lats, route.lons
    return sphere.to_unit(lats, lons), sphere.bearing_deg(lats[:-1], lons[:-1], lats[1:], lons[1:])


def position_at(route: Route, km: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Latitude, longitude and course (degrees, 0 <= course < 360) at distances `km` along.

    Positions are interpolated on the great circle of the route step holding each distance; the
    course is that step's bearing (steps are at most `step_km` long, so this is the course a
    ship steering along the track shows). Distances outside 0..length_km raise `ParamsError`:
    the caller decides what a vessel does before departure or after arrival.
    """
    km_arr = np.asarray(km, dtype=np.float64)
    tolerance_km = 1e-9 * max(route.length_km, 1.0)
    outside = ~np.isfinite(km_arr) | (km_arr < 0) | (km_arr > route.length_km + tolerance_km)
    if outside.any():
        raise ParamsError(
            f"distance {km_arr[outside].ravel()[0]} km is outside the route "
            f"(0 to {route.length_km:.3f} km)"
        )
    flat_km = np.minimum(km_arr.ravel(), route.length_km)
    seg = np.searchsorted(route.cum_km, flat_km, side="right") - 1
    seg = np.clip(seg, 0, route.cum_km.size - 2)
    seg_km = route.cum_km[seg + 1] - route.cum_km[seg]
    frac = np.divide(
        flat_km - route.cum_km[seg], seg_km, out=np.zeros_like(flat_km), where=seg_km > 0
    )
    unit, bearings = _geometry(route)
    lats, lons = sphere.from_unit(sphere.slerp(unit[seg], unit[seg + 1], frac))
    course = bearings[seg]
    shape = km_arr.shape
    return lats.reshape(shape), lons.reshape(shape), course.reshape(shape)
