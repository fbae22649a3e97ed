"""Voyage plans: what each simulated ship does, as a time line of stays, transits and drifts.

A plan is built before any position is generated, so behaviours can be scheduled against it
(an encounter needs two ships at one point at one time) and ground truth can be read from it
exactly. Times are Unix seconds (float) inside the simulator; they become UTC timestamps only
when written.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import numpy as np

from cargotrace.geo import sphere
from cargotrace.sim.sea_paths import Route, sea_route

KN_TO_KMH = sphere.KM_PER_NM
APPROACH_KM = 8.0  # ships slow down over the last kilometres into port
DEPART_KM = 3.0
PORT_SPEED_KN = 3.0


@dataclass(frozen=True)
class Port:
    place_id: str
    name: str
    lat: float
    lon: float
    radius_m: float


@dataclass
class Leg:
    """One piece of a plan. `kind` is 'stay' (in port), 'transit' (under way) or 'drift'."""

    kind: str
    t0: float
    t1: float
    lat: float = 0.0
    lon: float = 0.0
    place_id: str | None = None
    route: Route | None = None
    speed_kn: float = 0.0
    # transit only: time (s after t0) at which each km of `profile_km` is reached
    profile_km: np.ndarray | None = None
    profile_s: np.ndarray | None = None
    end_place_id: str | None = None
    tag: str | None = None  # drift only: the appointment it keeps (e.g. "enc3")


@dataclass
class Appointment:
    """Be drifting at (lat, lon) from t0 to t1 (for an encounter or loitering)."""

    t0: float
    t1: float
    lat: float
    lon: float
    tag: str


@dataclass
class Plan:
    vessel_id: int
    legs: list[Leg] = field(default_factory=list)

    def leg_at(self, t: float) -> Leg | None:
        for leg in self.legs:
            if leg.t0 <= t < leg.t1:
                return leg
        return None


def speed_profile(length_km: float, cruise_kn: float) -> tuple[np.ndarray, np.ndarray]:
    """Seconds to reach each distance along a transit: slow out of port, cruise, slow in.

    Integrates dt = dd / v(d) on a 100 m grid, v ramping between PORT_SPEED_KN and the cruise
    speed over the first DEPART_KM and last APPROACH_KM.
    """
    n = max(2, int(math.ceil(length_km / 0.1)) + 1)
    km = np.linspace(0.0, length_km, n)
    cruise_kmh = cruise_kn * KN_TO_KMH
    port_kmh = min(PORT_SPEED_KN * KN_TO_KMH, cruise_kmh)
    ramp = np.minimum(np.clip(km / DEPART_KM, 0, 1), np.clip((length_km - km) / APPROACH_KM, 0, 1))
    speed_kmh = port_kmh + (cruise_kmh - port_kmh) * ramp
    mid = (speed_kmh[1:] + speed_kmh[:-1]) / 2
    seconds = np.concatenate(([0.0], np.cumsum(np.diff(km) / mid * 3600)))
    return km, seconds


def transit_leg(
    t0: float,
    origin: tuple[float, float],
    dest: tuple[float, float],
    speed_kn: float,
    end_place_id: str | None,
) -> Leg:
    route = sea_route(origin, dest)
    km, seconds = speed_profile(route.length_km, speed_kn)
    return Leg(
        "transit",
        t0,
        t0 + float(seconds[-1]),
        route=route,
        speed_kn=speed_kn,
        profile_km=km,
        profile_s=seconds,
        end_place_id=end_place_id,
    )


def transit_seconds(
    origin: tuple[float, float], dest: tuple[float, float], speed_kn: float
) -> float:
    route = sea_route(origin, dest)
    return float(speed_profile(route.length_km, speed_kn)[1][-1])


def _km(a: Port, b: Port) -> float:
    """Great-circle distance between two ports (planning only needs it roughly)."""
    return sphere.distance_km(a.lat, a.lon, b.lat, b.lon)


def build_plan(
    vessel_id: int,
    speed_kn: float,
    ports: list[Port],
    start: float,
    end: float,
    rng: random.Random,
    appointments: list[Appointment] | None = None,
    stay_h: tuple[float, float] = (8.0, 36.0),
    itinerary: list[Port] | None = None,
    max_hop_km: float | None = None,
) -> Plan:
    """Port-to-port shuttling from `start` to `end`, keeping every appointment it can.

    The first stay begins before `start` so ships are mid-stay at the start, as in a real
    capture. An appointment is kept by leaving the previous port just in time to reach it;
    one that cannot be reached is dropped (the caller then writes no truth for it).
    """
    pending = sorted(appointments or [], key=lambda a: a.t0)
    plan = Plan(vessel_id)
    route_ports = list(itinerary) if itinerary else []
    here = route_ports.pop(0) if route_ports else rng.choice(ports)
    t = start - rng.uniform(0, stay_h[1]) * 3600
    position = (here.lat, here.lon)
    place_id: str | None = here.place_id
    while t < end:
        if place_id is not None:
            stay_until = t + rng.uniform(*stay_h) * 3600
        else:
            stay_until = t
        if pending:
            appt = pending[0]
            lead = transit_seconds(position, (appt.lat, appt.lon), speed_kn)
            leave = appt.t0 - lead
            if leave >= t + (3600 if place_id else 0):
                if place_id is not None:
                    plan.legs.append(Leg("stay", t, leave, here.lat, here.lon, place_id))
                leg = transit_leg(leave, position, (appt.lat, appt.lon), speed_kn, None)
                leg.t1 = appt.t0
                plan.legs.append(leg)
                plan.legs.append(Leg("drift", appt.t0, appt.t1, appt.lat, appt.lon, tag=appt.tag))
                pending.pop(0)
                t, position, place_id = appt.t1, (appt.lat, appt.lon), None
                continue
            if leave < t:
                pending.pop(0)  # unreachable in time: dropped
                continue
        if place_id is not None:
            plan.legs.append(Leg("stay", t, stay_until, here.lat, here.lon, place_id))
            t = stay_until
        if route_ports:
            nxt = route_ports.pop(0)
        else:
            choices = [
                p
                for p in ports
                if p.place_id != place_id and (max_hop_km is None or _km(p, here) <= max_hop_km)
            ]
            nxt = rng.choice(choices or [p for p in ports if p.place_id != place_id] or ports)
        leg = transit_leg(t, position, (nxt.lat, nxt.lon), speed_kn, nxt.place_id)
        plan.legs.append(leg)
        t, position, place_id, here = leg.t1, (nxt.lat, nxt.lon), nxt.place_id, nxt
    return plan
