"""Transmissions of one plan leg: when the transponder speaks, and what it says.

Reporting intervals follow ITU-R M.1371 (class A: 10 s under way up to 14 kn, 6 s up to 23 kn,
2 s faster, 3 min at anchor or moored; class B "CS": 30 s above 2 kn, 3 min below). What a
receiver actually hears is thinned later (`reception.py`).
"""

from __future__ import annotations

import math

import numpy as np

from cargotrace.geo.sphere import destination
from cargotrace.sim.plan import KN_TO_KMH, Leg
from cargotrace.sim.route_positions import position_at


def report_interval_s(transceiver: str, sog_kn: float) -> float:
    if transceiver == "B":
        return 30.0 if sog_kn > 2 else 180.0
    if sog_kn < 0.5:
        return 180.0
    if sog_kn <= 14:
        return 10.0
    return 6.0 if sog_kn <= 23 else 2.0


def _times(
    t0: float, t1: float, interval_s: float, phase_s: float, rng: np.random.Generator
) -> np.ndarray:
    """Transmission times in [t0, t1) on the transponder's own schedule.

    The schedule is a grid of `interval_s` anchored at the ship's `phase_s`, so consecutive legs
    and simulation days continue it seamlessly (every interval divides the 3-minute one); each
    slot lands within half a second of its grid point, as SOTDMA slots do.
    """
    if t1 <= t0:
        return np.empty(0)
    first = math.ceil((t0 - phase_s) / interval_s)
    last = math.ceil((t1 - phase_s) / interval_s)
    times = phase_s + interval_s * np.arange(first, last, dtype=np.float64)
    times += rng.uniform(-0.5, 0.5, times.size)
    return times[(times >= t0) & (times < t1)]


def leg_samples(
    leg: Leg,
    transceiver: str,
    w0: float,
    w1: float,
    rng: np.random.Generator,
    phase_s: float = 0.0,
) -> dict[str, np.ndarray]:
    """Every transmission of `leg` inside the window [w0, w1): ts, lat, lon, sog, cog, heading,
    nav_status (AIS codes: 0 under way using engine, 1 at anchor, 5 moored)."""
    a, b = max(leg.t0, w0), min(leg.t1, w1)
    if leg.kind == "transit":
        assert leg.route is not None and leg.profile_km is not None
        assert leg.profile_s is not None
        ts = _times(a, b, report_interval_s(transceiver, leg.speed_kn), phase_s, rng)
        km = np.interp(ts - leg.t0, leg.profile_s, leg.profile_km)
        lat, lon, course = position_at(leg.route, km)
        dkm = np.gradient(leg.profile_km)
        dts = np.gradient(leg.profile_s)
        speed_kn = np.interp(ts - leg.t0, leg.profile_s, dkm / np.maximum(dts, 1e-9) * 3600)
        sog = np.clip(speed_kn / KN_TO_KMH + rng.normal(0, 0.15, ts.size), 0, None)
        cog = np.mod(course + rng.normal(0, 1.0, ts.size), 360)
        heading = np.mod(np.round(course + rng.normal(0, 2.0, ts.size)), 360)
        status = np.zeros(ts.size)
    else:
        drift = leg.kind == "drift"
        ts = _times(a, b, report_interval_s(transceiver, 1.0 if drift else 0.0), phase_s, rng)
        # a ship at rest still moves a little: swinging at anchor, drifting, GPS noise
        radius_m = 120.0 if drift else 25.0
        angle = rng.uniform(0, 2 * math.pi) + np.cumsum(rng.normal(0, 0.2, ts.size))
        r = radius_m * np.abs(np.sin(np.linspace(0, 3.0, ts.size) + rng.uniform(0, 3)))
        lat, lon = destination(leg.lat, leg.lon, np.degrees(angle), r / 1000)
        sog = rng.uniform(0.1, 1.2, ts.size) if drift else rng.uniform(0.0, 0.2, ts.size)
        cog = rng.uniform(0, 360, ts.size)
        heading = np.mod(np.round(np.degrees(angle)), 360)
        status = np.full(ts.size, 1 if drift else 5)
    if transceiver == "B":
        heading = np.full(ts.size, 511.0)  # most class B units have no heading sensor
    return {
        "ts": ts,
        "lat": np.round(lat, 6),
        "lon": np.round(lon, 6),
        "sog": np.round(sog, 1),
        "cog": np.round(cog, 1),
        "heading": heading,
        "nav_status": status,
    }
