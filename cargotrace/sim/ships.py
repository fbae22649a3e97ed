"""A simulated ship's full state (plan, identity over time, transponder switched off) and what it
emits in a time window: the positions and static reports a receiver network hears."""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, field

import numpy as np

from cargotrace.geo.landmask import is_land
from cargotrace.geo.sphere import SIM_KM_PER_DEG_LEGACY
from cargotrace.sim.fleet import SimVessel
from cargotrace.sim.kinematics import leg_samples
from cargotrace.sim.params import ReceptionParams
from cargotrace.sim.plan import Plan
from cargotrace.sim.reception import (
    Station,
    beyond_range_runs,
    hear,
    nearest_station,
    reach_km,
)

STATIC_EVERY_S = 360.0  # class A static and voyage data: every 6 minutes


@dataclass
class SimShip:
    vessel: SimVessel
    plan: Plan
    ais_off: list[tuple[float, float]] = field(default_factory=list)
    # (from time, identity): renames, new IMO, reflagging (new MMSI)
    identities: list[tuple[float, SimVessel]] = field(default_factory=list)
    draughts: list[tuple[float, float]] = field(default_factory=list)  # (from time, draught m)
    teleport_at: list[float] = field(default_factory=list)
    active: tuple[float, float] | None = None  # a ghost transmits only inside this window
    # the teleports actually emitted (filled while emitting): the first and last jumped
    # position's times, and where the first one was put
    teleports_done: list[tuple[float, float, float, float]] = field(default_factory=list)
    # regional feeds only (filled while emitting): (mmsi, first, last time) of each run of
    # transmissions sent beyond every station's range, from which coverage-exit truth is made
    beyond_range: list[tuple[int, float, float]] = field(default_factory=list)
    # a shared MMSI's second ship (`active` set): the times it was heard, so a silence of the
    # MMSI is put down to the ship that was heard last
    heard_ts: list[np.ndarray] = field(default_factory=list)

    def identity_at(self, t: float) -> SimVessel:
        times = [t0 for t0, _ in self.identities]
        i = bisect_right(times, t) - 1
        return self.identities[i][1] if i >= 0 else self.vessel

    def draught_at(self, t: float) -> float:
        times = [t0 for t0, _ in self.draughts]
        i = bisect_right(times, t) - 1
        return self.draughts[i][1] if i >= 0 else self.vessel.draught_m

    def transmitting(self, ts: np.ndarray) -> np.ndarray:
        on = np.ones(ts.size, dtype=bool)
        for t0, t1 in self.ais_off:
            on &= ~((ts >= t0) & (ts < t1))
        if self.active is not None:
            on &= (ts >= self.active[0]) & (ts < self.active[1])
        return on


def _mmsi_column(ship: SimShip, ts: np.ndarray) -> np.ndarray:
    mmsi = np.full(ts.size, ship.vessel.mmsi, dtype=np.int64)
    for t0, ident in ship.identities:
        mmsi[ts >= t0] = ident.mmsi
    return mmsi


def _teleport(ship: SimShip, out: dict[str, np.ndarray], rng: np.random.Generator) -> None:
    """Move the first two heard positions after each scheduled time 200-500 km away, onto
    the sea, by the same offset: a sustained jump (the ship "stays" at the far place for two
    reports), which is a teleport. A single jumped position is a glitch, flagged by
    detect/outliers.py rather than reported, so it is not planted as one."""
    for t in list(ship.teleport_at):
        later = np.flatnonzero(out["ts"] >= t)
        if later.size < 2:
            continue
        idx = later[:2]
        lat0, lon0 = out["lat"][idx], out["lon"][idx]
        for _ in range(50):
            dist_km, bearing = rng.uniform(200, 500), rng.uniform(0, 2 * math.pi)
            dlat = dist_km * math.cos(bearing) / SIM_KM_PER_DEG_LEGACY
            dlon = dist_km * math.sin(bearing) / (
                SIM_KM_PER_DEG_LEGACY * math.cos(math.radians(lat0[0])))
            lat, lon = lat0 + dlat, lon0 + dlon
            if np.all(np.abs(lat) < 80) and not is_land(lat, lon).any():
                out["lat"][idx], out["lon"][idx] = np.round(lat, 6), np.round(lon, 6)
                ship.teleports_done.append((float(out["ts"][idx[0]]), float(out["ts"][idx[1]]),
                                            float(lat[0]), float(lon[0])))
                ship.teleport_at.remove(t)
                break


def emit(
    ship: SimShip,
    w0: float,
    w1: float,
    stations: list[Station],
    reception: ReceptionParams,
    rng: np.random.Generator,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(positions heard, static reports heard) of one ship in [w0, w1), in time order."""
    phase_s = (ship.vessel.vessel_id * 7.919) % 6.0  # each transponder has its own slot phase
    parts = [
        leg_samples(leg, ship.vessel.transceiver, w0, w1, rng, phase_s)
        for leg in ship.plan.legs
        if leg.t1 > w0 and leg.t0 < w1
    ]
    if not parts:
        return {}, {}
    samples = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    on = ship.transmitting(samples["ts"])
    samples = {k: v[on] for k, v in samples.items()}
    # static reports ride on the first transmission of each 6-minute slot
    slot = np.floor(samples["ts"] / STATIC_EVERY_S)
    static = np.concatenate(([True], slot[1:] != slot[:-1])) if slot.size else slot.astype(bool)
    # one nearest-station search serves both draws (positions, then static reports)
    lat, lon = samples["lat"], samples["lon"]
    station = nearest_station(lat, lon, reach_km(ship.vessel.transceiver, reception), stations)
    ts = samples["ts"] if reception.outages else None
    ok = hear(lat, lon, station, reception, rng, ts)
    ok_static, station_static = hear(lat, lon, station, reception, rng, ts), station
    if not reception.satellite:
        beyond = station < 0
        ts_beyond = samples["ts"][beyond]
        ship.beyond_range += beyond_range_runs(ts_beyond, _mmsi_column(ship, ts_beyond))
    positions = {k: v[ok] for k, v in samples.items()}
    positions["station"] = station[ok]
    positions["mmsi"] = _mmsi_column(ship, positions["ts"])
    if ship.teleport_at:
        _teleport(ship, positions, rng)
    if ship.active is not None:
        ship.heard_ts.append(positions["ts"])
    keep = static & ok_static
    reports = {"ts": samples["ts"][keep] + 0.5, "station": station_static[keep]}
    reports["mmsi"] = _mmsi_column(ship, reports["ts"])
    return positions, reports
