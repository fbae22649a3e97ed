"""Planting behaviours in a simulated world, and the ground truth each one leaves.

Behaviours are planted by changing ships' plans and transponders (appointments to drift at sea,
switched-off windows, new identities, jumps). Where the truth depends on what receivers heard
(the last position before a gap, the first static report with a new name), a `Pending` truth is
kept and resolved from the emitted stream by `run.py`, so truth never claims what the data
cannot show. Identity changes and jumps are planted by `identities.py`.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from cargotrace.detect.kinds import EventKind
from cargotrace.geo.landmask import is_land
from cargotrace.geo.sphere import haversine_km
from cargotrace.sim.fleet import SimVessel
from cargotrace.sim.plan import Appointment, Leg, Port
from cargotrace.sim.reception import Station
from cargotrace.sim.ships import SimShip
from cargotrace.sim.truth import TruthRow, utc

HOUR = 3600.0
DAY = 86400.0


DARK_CALL_KM = 20.0  # a dark port call: AIS off this far before the port and after it


@dataclass
class Pending:
    """A truth row whose times come from the emitted data.

    mode 'around': start = last heard position of `mmsi` before t0, end = first heard at/after
    t1 (a silence). mode 'first_report' / 'first_position': start = end = first heard report /
    position of `mmsi` at/after t0. mode 'span': first and last heard position of `ship_key`.
    """

    row: TruthRow
    mode: str
    mmsi: int
    t0: float
    t1: float
    ship_key: int | None = None
    found_start: float | None = None
    found_end: float | None = None


@dataclass
class Planted:
    truth: list[TruthRow] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)
    counter: dict[str, int] = field(default_factory=dict)
    reference: SimShip | None = None  # the reference case's ship, for its evidence file

    def next_id(self, kind: str) -> str:
        self.counter[kind] = self.counter.get(kind, 0) + 1
        return f"{kind}-{self.counter[kind]:04d}"


def sea_point(
    bbox: tuple[float, float, float, float],
    ports: list[Port],
    stations: list[Station],
    rng: random.Random,
    min_port_km: float = 25.0,
    max_station_km: float = 60.0,
) -> tuple[float, float]:
    """A point at sea, away from ports, inside shore coverage, with open water around it."""
    lat_min, lat_max, lon_min, lon_max = bbox
    for _ in range(5000):
        lat, lon = rng.uniform(lat_min, lat_max), rng.uniform(lon_min, lon_max)
        ring_lat = lat + 0.03 * np.cos(np.linspace(0, 2 * math.pi, 9))
        ring_lon = lon + 0.04 * np.sin(np.linspace(0, 2 * math.pi, 9))
        if is_land(np.append(ring_lat, lat), np.append(ring_lon, lon)).any():
            continue
        lat_a, lon_a = np.array([lat]), np.array([lon])
        if min(float(haversine_km(lat_a, lon_a, p.lat, p.lon)[0]) for p in ports) < min_port_km:
            continue
        if (
            min(float(haversine_km(lat_a, lon_a, s.lat, s.lon)[0]) for s in stations)
            > max_station_km
        ):
            continue
        return round(lat, 4), round(lon, 4)
    raise RuntimeError("no open-sea point found in the region")  # pragma: no cover


def schedule_meetings(
    vessels: list[SimVessel],
    n_encounters: int,
    n_loiterings: int,
    window: tuple[float, float],
    bbox: tuple[float, float, float, float],
    ports: list[Port],
    stations: list[Station],
    rng: random.Random,
) -> dict[int, list[Appointment]]:
    """Appointments (vessel_id -> drifts) for encounters (pairs) and lone loitering."""
    start, end = window
    candidates = [v for v in vessels if v.transceiver == "A" and v.kind in ("cargo", "tanker")]
    rng.shuffle(candidates)
    appointments: dict[int, list[Appointment]] = {}
    for i in range(n_encounters):
        if len(candidates) < 2:
            break
        a, b = candidates.pop(), candidates.pop()
        lat, lon = sea_point(bbox, ports, stations, rng)
        t0 = rng.uniform(start + 2 * DAY, end - 2 * DAY)
        hours = rng.uniform(4.0, 9.0)
        late = rng.uniform(0, 0.5) * HOUR
        appointments[a.vessel_id] = [Appointment(t0, t0 + hours * HOUR, lat, lon, f"enc{i}")]
        # the second ship drifts a couple of hundred metres away, arriving a little later
        appointments[b.vessel_id] = [
            Appointment(
                t0 + late, t0 + hours * HOUR - 0.5 * HOUR, lat + 0.0015, lon + 0.001, f"enc{i}"
            )
        ]
    for i in range(n_loiterings):
        if not candidates:
            break
        v = candidates.pop()
        lat, lon = sea_point(bbox, ports, stations, rng)
        t0 = rng.uniform(start + 2 * DAY, end - 2 * DAY)
        appointments[v.vessel_id] = [
            Appointment(t0, t0 + rng.uniform(5.0, 14.0) * HOUR, lat, lon, f"loi{i}")
        ]
    return appointments


def meeting_truth(ships: list[SimShip], planted: Planted) -> None:
    """Encounters and loitering as actually planned (an appointment a ship could not keep is
    simply absent from its plan, so it leaves no truth)."""
    drifts: dict[str, list[tuple[SimShip, Leg]]] = {}
    for ship in ships:
        for leg in ship.plan.legs:
            if leg.kind == "drift":
                drifts.setdefault(leg.tag or "", []).append((ship, leg))
                planted.truth.append(
                    TruthRow(
                        planted.next_id("loitering"),
                        EventKind.LOITERING,
                        ship.vessel.mmsi,
                        _dt(leg.t0),
                        _dt(leg.t1),
                        lat=leg.lat,
                        lon=leg.lon,
                        attrs={"duration_h": round((leg.t1 - leg.t0) / HOUR, 2)},
                    )
                )
    pairs = [
        (a, b) for group in drifts.values() for i, a in enumerate(group) for b in group[i + 1 :]
    ]
    for (sa, la), (sb, lb) in pairs:
        t0, t1 = max(la.t0, lb.t0), min(la.t1, lb.t1)
        if la.tag and la.tag.startswith("enc") and t1 > t0:
            planted.truth.append(
                TruthRow(
                    planted.next_id("encounter"),
                    EventKind.ENCOUNTER,
                    sa.vessel.mmsi,
                    _dt(t0),
                    _dt(t1),
                    other_mmsi=sb.vessel.mmsi,
                    lat=la.lat,
                    lon=la.lon,
                    attrs={"duration_h": round((t1 - t0) / HOUR, 2)},
                )
            )


def _dt(t: float) -> datetime:
    return utc(t)


def _free_transits(
    ship: SimShip, window: tuple[float, float], min_h: float, min_km: float = 0.0
) -> list[Leg]:
    start, end = window
    return [
        leg
        for leg in ship.plan.legs
        if leg.kind == "transit"
        and leg.end_place_id is not None
        and leg.t0 > start + DAY
        and leg.t1 < end - DAY
        and (leg.t1 - leg.t0) >= min_h * HOUR
        and leg.route is not None
        and leg.route.length_km >= min_km
    ]


def plant_silences(
    ships: list[SimShip],
    counts_gaps: int,
    counts_dark: int,
    counts_draught: int,
    window: tuple[float, float],
    planted: Planted,
    rng: random.Random,
    dark_from_port: bool = False,
) -> set[int]:
    """Switch transponders off: at sea for hours (gaps) or for a whole port-to-port crossing
    (dark voyages, some with a draught change). Returns the vessel ids used.

    `dark_from_port` (regional feeds): dark voyages only on crossings that leave a port, not a
    drift at sea, so they begin well inside the shore stations' range."""
    used: set[int] = set()
    pool = [s for s in ships if s.active is None and s.vessel.transceiver == "A"]
    rng.shuffle(pool)
    for ship in pool:
        if counts_dark <= 0:
            break
        legs = _free_transits(ship, window, min_h=8.0, min_km=120.0)
        if dark_from_port:
            plan = ship.plan.legs
            after_stay = {id(b) for a, b in zip(plan, plan[1:], strict=False) if a.kind == "stay"}
            legs = [leg for leg in legs if id(leg) in after_stay]
        if not legs:
            continue
        leg = rng.choice(legs)
        assert leg.profile_km is not None and leg.profile_s is not None and leg.route
        t_off = leg.t0 + float(np.interp(15.0, leg.profile_km, leg.profile_s))
        t_on = leg.t0 + float(np.interp(leg.route.length_km - 15.0, leg.profile_km, leg.profile_s))
        ship.ais_off.append((t_off, t_on))
        row = TruthRow(
            planted.next_id("dark_voyage"),
            EventKind.DARK_VOYAGE,
            ship.vessel.mmsi,
            _dt(t_off),
            _dt(t_on),
            place_id=leg.end_place_id,
            attrs={"to_place_id": leg.end_place_id, "ais_off_h": round((t_on - t_off) / HOUR, 2)},
        )
        planted.pending.append(Pending(row, "around", ship.vessel.mmsi, t_off, t_on))
        if counts_draught > 0:
            before = ship.vessel.draught_m
            after = round(min(20.0, before + rng.uniform(2.0, 4.0)), 1)
            ship.draughts.append((t_off + 1.0, after))
            row = TruthRow(
                planted.next_id("draught_change"),
                EventKind.DRAUGHT_CHANGE,
                ship.vessel.mmsi,
                _dt(t_off),
                _dt(t_on),
                attrs={"draught_before_m": before, "draught_after_m": after},
            )
            planted.pending.append(Pending(row, "around", ship.vessel.mmsi, t_off, t_on))
            counts_draught -= 1
        used.add(ship.vessel.vessel_id)
        counts_dark -= 1
    for ship in pool:
        if counts_gaps <= 0:
            break
        if ship.vessel.vessel_id in used:
            continue
        legs = _free_transits(ship, window, min_h=12.0)
        if not legs:
            continue
        leg = rng.choice(legs)
        hours = rng.uniform(8.0, min(30.0, (leg.t1 - leg.t0) / HOUR - 3.0))
        t_off = rng.uniform(leg.t0 + HOUR, leg.t1 - hours * HOUR - HOUR)
        ship.ais_off.append((t_off, t_off + hours * HOUR))
        used.add(ship.vessel.vessel_id)
        counts_gaps -= 1
    return used


def plant_dark_port_calls(
    ships: list[SimShip],
    count: int,
    watched: set[str],
    window: tuple[float, float],
    exclude: set[int],
    rng: random.Random,
) -> set[int]:
    """Transponder off from `DARK_CALL_KM` before a watched port until as far after leaving it:
    the call itself is never heard. Truth (the dark stay, a `possible_dark_port_call` at the
    port; the silence, a gap) is written by the tracker from `ais_off`. Draws nothing from `rng`
    when `count` is 0, so scenarios without these calls are unchanged."""
    used: set[int] = set()
    if count <= 0:
        return used
    start, end = window
    pool = [s for s in ships if s.active is None and s.vessel.transceiver == "A"
            and s.vessel.vessel_id not in exclude]
    rng.shuffle(pool)
    for ship in pool:
        if len(used) >= count:
            break
        legs = ship.plan.legs
        calls = [i for i in range(len(legs) - 2)
                 if legs[i].kind == "transit" and legs[i + 1].kind == "stay"
                 and legs[i + 2].kind == "transit" and legs[i + 1].place_id in watched
                 and legs[i].t0 > start + DAY and legs[i + 2].t1 < end - DAY
                 and all(leg.route is not None and leg.route.length_km > 3 * DARK_CALL_KM
                         for leg in (legs[i], legs[i + 2]))]
        if not calls:
            continue
        i = rng.choice(calls)
        inbound, outbound = legs[i], legs[i + 2]
        assert inbound.route and inbound.profile_km is not None and inbound.profile_s is not None
        assert outbound.profile_km is not None and outbound.profile_s is not None
        t_off = inbound.t0 + float(np.interp(inbound.route.length_km - DARK_CALL_KM,
                                             inbound.profile_km, inbound.profile_s))
        t_on = outbound.t0 + float(np.interp(DARK_CALL_KM, outbound.profile_km,
                                             outbound.profile_s))
        ship.ais_off.append((t_off, t_on))
        used.add(ship.vessel.vessel_id)
    return used
