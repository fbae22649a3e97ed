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


@dataclass
class _Cursor:
    """Where a plan being built has got to: the time, the position, the last port called at
    (`here`), and the port the ship is in now (`place_id`; None while it drifts at sea)."""

    t: float
    here: Port
    position: tuple[float, float]
    place_id: str | None


def _keep_appointment(
    plan: Plan, at: _Cursor, appt: Appointment, leave: float, speed_kn: float
) -> None:
    """Stay in port until `leave` (if in port), sail to the appointment arriving just at its
    start, and drift there until its end."""
    if at.place_id is not None:
        plan.legs.append(Leg("stay", at.t, leave, at.here.lat, at.here.lon, at.place_id))
    leg = transit_leg(leave, at.position, (appt.lat, appt.lon), speed_kn, None)
    leg.t1 = appt.t0
    plan.legs.append(leg)
    plan.legs.append(Leg("drift", appt.t0, appt.t1, appt.lat, appt.lon, tag=appt.tag))
    at.t, at.position, at.place_id = appt.t1, (appt.lat, appt.lon), None


def _next_port(
    ports: list[Port], at: _Cursor, max_hop_km: float | None, rng: random.Random
) -> Port:
    """A random other port within `max_hop_km` of the last port called at; failing that any
    other port, failing that any port."""
    choices = [
        p
        for p in ports
        if p.place_id != at.place_id and (max_hop_km is None or _km(p, at.here) <= max_hop_km)
    ]
    return rng.choice(choices or [p for p in ports if p.place_id != at.place_id] or ports)


def _sail_to_port(plan: Plan, at: _Cursor, port: Port, speed_kn: float) -> None:
    leg = transit_leg(at.t, at.position, (port.lat, port.lon), speed_kn, port.place_id)
    plan.legs.append(leg)
    at.t, at.position, at.place_id, at.here = leg.t1, (port.lat, port.lon), port.place_id, port


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
    one that cannot be reached is dropped (the caller then writes no truth for it). The draws
    from `rng` follow the loop below exactly (a stay's length is drawn even when an
    appointment then cuts it short), so a seed keeps giving the same plan.
    """
    pending = sorted(appointments or [], key=lambda a: a.t0)
    plan = Plan(vessel_id)
    route_ports = list(itinerary) if itinerary else []
    here = route_ports.pop(0) if route_ports else rng.choice(ports)
    at = _Cursor(start - rng.uniform(0, stay_h[1]) * 3600, here, (here.lat, here.lon),
                 here.place_id)
    while at.t < end:
        stay_until = at.t + rng.uniform(*stay_h) * 3600 if at.place_id is not None else at.t
        if pending:
            appt = pending[0]
            leave = appt.t0 - transit_seconds(at.position, (appt.lat, appt.lon), speed_kn)
            if leave >= at.t + (3600 if at.place_id else 0):
                _keep_appointment(plan, at, pending.pop(0), leave, speed_kn)
                continue
            if leave < at.t:
                pending.pop(0)  # unreachable in time: dropped
                continue
        if at.place_id is not None:
            plan.legs.append(Leg("stay", at.t, stay_until, at.here.lat, at.here.lon, at.place_id))
            at.t = stay_until
        nxt = route_ports.pop(0) if route_ports else _next_port(ports, at, max_hop_km, rng)
        _sail_to_port(plan, at, nxt, speed_kn)
    return plan
