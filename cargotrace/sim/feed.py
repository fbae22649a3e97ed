"""The feed a scenario is heard through (regional or global, with outages), and the truth of
every long silence in it: a deliberate gap, a ship that left coverage, or a feed outage.

Why: on a real regional feed most long silences are ships that sailed out of the receivers'
range, and a receiver network that goes down silences every ship at once; a detector that
calls either "went dark" misleads (issue 14). The truth here is derived from what the
reception model actually did, not from geometry after the fact: for each silence of at least
`SILENCE_TRUTH_H` hours *heard* (outage hours do not count, as detectors leave out the hours
in which the feed itself was quiet), the first reason it was not heard decides its kind:

- the transponder was switched off (`ais_off`): `gap`, cause `switched_off`;
- the ship transmitted from beyond every station's range (regional feeds): `left_coverage`;
- the silence began in an outage, or at most `OUTAGE_LEAD_MIN` before one: no row, the
  `outage` row explains it (one that began earlier is the vessel's own, less the outage);
- its ship began using another MMSI (reflagging): `gap`, cause `mmsi_changed`, as the
  global feed's truth has it (the old MMSI falls silent);
- none of these (random loss, e.g. between satellite passes): `gap`, cause `reception`.

A silence is put down to the ship heard last before it: a shared MMSI's second ship that
stops transmitting leaves a `gap` (cause `ghost_stopped`), whatever the owner was doing then.
One the owner began by sailing out of range but that ends with the *second* ship's position
heard inside range (e.g. moored in a port; not just in from beyond range, `CAME_IN_S`) is a
`gap` too (cause `ghost_heard`): the MMSI came back nowhere near an edge, so nothing in the
data tells it from a ship that went dark on its way back (the `shared_mmsi` identity row says
what happened). When the second ship came in at an edge the silence stays `left_coverage`.

`left_coverage` rows: start = the last position heard before the silence, end = the first one
after it (None: not heard again before the data ended), lat/lon = where it was last heard.
`outage` rows: mmsi NULL (the feed, not a vessel), start/end = the outage, attrs.station "all".
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cargotrace.detect.kinds import EventKind
from cargotrace.errors import ParamsError
from cargotrace.sim.behaviours import HOUR, Planted
from cargotrace.sim.params import Feed, ReceptionParams, ScenarioParams
from cargotrace.sim.ships import SimShip
from cargotrace.sim.tracking import GAP_TRUTH_H
from cargotrace.sim.truth import EPOCH, OUTAGE, TruthRow, utc

SILENCE_TRUTH_H = GAP_TRUTH_H  # heard hours of silence that make a truth row (the gap rule)
OUTAGE_MARGIN_H = 6.0  # heard traffic kept before and after each outage, and around ais_off
INSHORE_GAP_START_KM = 20.0  # a regional feed's gaps begin this far out of port
INSHORE_GAP_H = (7.0, 12.0)  # and last this long (hours, uniform)
CAME_IN_S = 600.0  # a ship first heard this soon after transmitting beyond range came in
OUTAGE_LEAD_MIN = 60.0  # a silence this close before an outage began with it (as `evaluate`)
# in the order that wins a tie (two reasons beginning at once)
CAUSES = ("outage", "switched_off", "left_coverage", "mmsi_changed")


def uses_feed_truth(reception: ReceptionParams) -> bool:
    """Whether silences get this module's truth (else run.py's, unchanged for old scenarios):
    when the feed is regional or has outages."""
    return not reception.satellite or bool(reception.outages)


def feed_reception(
    params: ScenarioParams,
    reception: ReceptionParams,
    ships: list[SimShip],
    window: tuple[float, float],
) -> ReceptionParams:
    """`reception` as the scenario's feed hears: no satellites for a regional feed, and the
    outage windows (`plan_outages`)."""
    if params.feed == Feed.REGIONAL:
        reception = replace(reception, satellite=False)
    if params.outages:
        reception = replace(
            reception,
            outages=plan_outages(params.outages, params.outage_hours, window, ships, params.seed),
        )
    return reception


def plant_inshore_gaps(
    ships: list[SimShip],
    n: int,
    window: tuple[float, float],
    exclude: set[int],
    rng: random.Random,
) -> set[int]:
    """Gaps for a regional feed: the transponder switched off `INSHORE_GAP_START_KM` out of the
    port of departure, for `INSHORE_GAP_H` hours, all within one crossing. They begin well
    inside the stations' footprint (a class A station hears 75 km out), so a detector can be
    scored on telling them from ships that sailed out of range; wherever a ship is when it
    switches back on, its silence lasts until it is heard again. Returns the vessel ids used."""
    used: set[int] = set()
    margin = OUTAGE_MARGIN_H * HOUR
    pool = [s for s in ships if s.active is None and s.vessel.transceiver == "A"
            and s.vessel.vessel_id not in exclude and not s.ais_off and not s.teleport_at
            and all(leg.kind != "drift" for leg in s.plan.legs)]
    rng.shuffle(pool)
    for ship in pool:
        if len(used) >= n:
            break
        legs = ship.plan.legs
        hours = rng.uniform(*INSHORE_GAP_H)
        starts = []
        for prev, leg in zip(legs, legs[1:], strict=False):
            if (prev.kind != "stay" or leg.kind != "transit" or leg.route is None
                    or leg.profile_km is None or leg.profile_s is None
                    or leg.route.length_km < 3 * INSHORE_GAP_START_KM):
                continue
            t_off = leg.t0 + float(np.interp(INSHORE_GAP_START_KM, leg.profile_km,
                                             leg.profile_s))
            t_on = t_off + hours * HOUR
            if t_off > window[0] + margin and t_on + HOUR < min(leg.t1, window[1] - margin):
                starts.append((t_off, t_on))
        if starts:
            ship.ais_off.append(rng.choice(starts))
            used.add(ship.vessel.vessel_id)
    return used


def plan_outages(
    n: int, hours: float, window: tuple[float, float], ships: list[SimShip], seed: int
) -> tuple[tuple[float, float], ...]:
    """`n` outages of `hours`, one in each n-th of the window, starting on a whole hour (so a
    detector's hourly coverage sees exactly them), `OUTAGE_MARGIN_H` from the window's ends
    and from as few switched-off transponders as can be (none where possible): a ship switched
    off just before an outage cannot be told from one silenced by it.

    Uses its own random generator: the rest of the scenario is the same with or without them.
    """
    rng = random.Random(f"outages-{seed}")
    off = [w for ship in ships for w in ship.ais_off]
    margin = OUTAGE_MARGIN_H * HOUR
    span = (window[1] - window[0]) / n

    def conflicts(hour: int) -> int:
        t0, t1 = hour * HOUR, hour * HOUR + hours * HOUR
        return sum(a - margin < t1 and b + margin > t0 for a, b in off)

    outages = []
    for i in range(n):
        lo = window[0] + i * span + margin
        hi = window[0] + (i + 1) * span - margin - hours * HOUR
        candidates = list(range(int(np.ceil(lo / HOUR)), int(np.floor(hi / HOUR)) + 1))
        if not candidates:
            raise ParamsError(
                f"{n} outages of {hours:g} h do not fit in the window on whole hours, "
                f"{OUTAGE_MARGIN_H:g} h from its ends: ask for fewer or shorter ones"
            )
        counts = [conflicts(h) for h in candidates]
        best = [h for h, c in zip(candidates, counts, strict=True) if c == min(counts)]
        t0 = rng.choice(best) * HOUR
        outages.append((t0, t0 + hours * HOUR))
    return tuple(outages)


def overlap_s(t0: float, t1: float, windows: tuple[tuple[float, float], ...]) -> float:
    """Seconds of [t0, t1) inside `windows` (disjoint)."""
    return float(sum(max(0.0, min(t1, b) - max(t0, a)) for a, b in windows))


def first_cause(
    t0: float,
    t1: float,
    off: list[tuple[float, float]],
    beyond: list[tuple[float, float]],
    outages: tuple[tuple[float, float], ...],
    changed: tuple[float, ...] = (),
) -> str | None:
    """What silenced a vessel first after it was last heard at `t0` (next heard at `t1`):
    'switched_off', 'left_coverage', 'outage' (only when the silence began in an outage or at
    most `OUTAGE_LEAD_MIN` before it: one that began earlier is the vessel's own, with the
    outage's hours left out), 'mmsi_changed' (its ship began using another MMSI at one of the
    `changed` times), or None (nothing but random loss)."""
    lead = OUTAGE_LEAD_MIN * 60
    begins: list[tuple[float, int]] = []
    causes = (
        [max(a, t0) for a, b in outages if a - lead <= t0 < b],
        [max(a, t0) for a, b in off if b > t0 and a < t1],
        [max(a, t0) for a, b in beyond if b > t0 and a < t1],
        [t for t in changed if t0 <= t < t1],
    )
    for i, starts in enumerate(causes):
        if starts:
            begins.append((min(starts), i))
    return CAUSES[min(begins)[1]] if begins else None


class SilenceTracker:
    """Follows the positions heard, day by day, and turns long silences into truth rows."""

    def __init__(
        self, ships: list[SimShip], reception: ReceptionParams, window: tuple[float, float]
    ) -> None:
        self.ships = ships
        self.reception = reception
        self.window = window
        self.last: dict[int, tuple[int, float, float]] = {}  # mmsi -> (ts µs, lat, lon)
        self.silences: list[tuple[int, int, float, float, int | None]] = []
        self.min_s = SILENCE_TRUTH_H * HOUR

    def heard(self, positions: pa.Table) -> None:
        """One day of positions as written (all ships, time order)."""
        if positions.num_rows == 0:
            return
        mmsi = positions.column("mmsi").to_numpy()
        us = pc.cast(positions.column("ts"), pa.int64()).to_numpy()
        lat, lon = positions.column("lat").to_numpy(), positions.column("lon").to_numpy()
        order = np.lexsort((us, mmsi))
        mmsi, us, lat, lon = mmsi[order], us[order], lat[order], lon[order]
        firsts = np.flatnonzero(np.concatenate(([True], mmsi[1:] != mmsi[:-1])))
        for a, b in zip(firsts, [*firsts[1:], mmsi.size], strict=True):
            m = int(mmsi[a])
            prev = self.last.get(m)
            times = us[a:b]
            if prev is not None:
                times = np.concatenate(([prev[0]], times))
            diffs = np.diff(times)
            for i in np.flatnonzero(diffs >= self.min_s * 1e6):
                j = a + i - (1 if prev is not None else 0)  # index of the last heard position
                if j >= a:
                    where = (float(lat[j]), float(lon[j]))
                else:
                    assert prev is not None
                    where = (prev[1], prev[2])
                self.silences.append((m, int(times[i]), where[0], where[1], int(times[i + 1])))
            self.last[m] = (int(us[b - 1]), float(lat[b - 1]), float(lon[b - 1]))

    def truth(self, rows: list[TruthRow], planted: Planted) -> list[TruthRow]:
        """`rows` (run.py's truth) with its gap rows replaced by this feed's silences and its
        outages added."""
        end_us = round(self.window[1] * 1e6)
        opened = [(m, t, la, lo, None) for m, (t, la, lo) in self.last.items()
                  if end_us - t >= self.min_s * 1e6]
        kept = [r for r in rows if r.kind != EventKind.GAP]
        causes = _Causes(self.ships)
        for m, a_us, lat, lon, b_us in [*self.silences, *opened]:
            t0, t1 = a_us / 1e6, (b_us if b_us is not None else end_us) / 1e6
            unheard_s = overlap_s(t0, t1, self.reception.outages)
            if t1 - t0 - unheard_s < self.min_s:
                continue
            cause = causes.first(m, a_us, t1, self.reception.outages, b_us)
            if cause == "outage":
                continue
            kind = EventKind.LEFT_COVERAGE if cause == "left_coverage" else EventKind.GAP
            attrs: dict[str, Any] = {"cause": cause or "reception",
                                     "duration_h": round((t1 - t0) / HOUR, 3)}
            if b_us is None:
                attrs["open"] = True
            if unheard_s:
                attrs["outage_h"] = round(unheard_s / HOUR, 3)
            kept.append(TruthRow(
                planted.next_id(str(kind)), kind, m, _at(a_us),
                _at(b_us) if b_us is not None else None,
                lat=round(lat, 6), lon=round(lon, 6), attrs=attrs,
            ))
        for t0, t1 in self.reception.outages:
            kept.append(TruthRow(
                planted.next_id(OUTAGE), OUTAGE, None, utc(t0), utc(t1),
                attrs={"station": "all", "hours": round((t1 - t0) / HOUR, 3)},
            ))
        return sorted(kept, key=lambda r: (r.kind, r.start, r.mmsi or 0, r.truth_id))


class _Causes:
    """Switched-off windows and runs beyond range per MMSI, kept apart for a shared MMSI's
    second ship: a silence is put down to the ship heard last before it. When that is the
    second ship, its end of transmitting is a switch-off (`ghost_stopped`), whatever the
    MMSI's owner was doing then."""

    def __init__(self, ships: list[SimShip]) -> None:
        self.off: dict[int, list[tuple[float, float]]] = {}
        self.beyond: dict[int, list[tuple[float, float]]] = {}
        self.ghosts: dict[int, list[tuple[np.ndarray, SimShip]]] = {}
        self.changed: dict[int, list[float]] = {}  # MMSI -> when its ship took another
        for ship in ships:
            if ship.active is not None:
                heard = np.concatenate(ship.heard_ts) if ship.heard_ts else np.empty(0)
                self.ghosts.setdefault(ship.vessel.mmsi, []).append(
                    (np.round(heard * 1e6).astype(np.int64), ship))
                continue
            for ident in [ship.vessel, *(i for _, i in ship.identities)]:
                self.off.setdefault(ident.mmsi, []).extend(ship.ais_off)
            mmsi = ship.vessel.mmsi
            for t, ident in ship.identities:
                if ident.mmsi != mmsi:
                    self.changed.setdefault(mmsi, []).append(t)
                    mmsi = ident.mmsi
            for m, a, b in ship.beyond_range:
                self.beyond.setdefault(m, []).append((a, b))

    def first(
        self, mmsi: int, t0_us: int, t1: float, outages: tuple[tuple[float, float], ...],
        t1_us: int | None = None,
    ) -> str | None:
        t0 = t0_us / 1e6
        for heard_us, ghost in self.ghosts.get(mmsi, []):
            if heard_us.size and np.any(heard_us == t0_us):
                assert ghost.active is not None
                beyond = [(a, b) for _, a, b in ghost.beyond_range]
                cause = first_cause(t0, t1, [(ghost.active[1], np.inf)], beyond, outages)
                return "ghost_stopped" if cause == "switched_off" else cause
        cause = first_cause(t0, t1, self.off.get(mmsi, []), self.beyond.get(mmsi, []),
                            outages, tuple(self.changed.get(mmsi, ())))
        if cause == "left_coverage" and t1_us is not None and any(
                heard_us.size and np.any(heard_us == t1_us) and not _came_in(ghost, t1)
                for heard_us, ghost in self.ghosts.get(mmsi, [])):
            # the MMSI was next heard from the other ship sharing it, somewhere inside range:
            # no return at an edge, nothing to tell this silence from one the owner went dark
            # in (the `shared_mmsi` identity row says what happened)
            return "ghost_heard"
        return cause


def _came_in(ship: SimShip, t: float) -> bool:
    """The ship transmitted from beyond range just before `t` (within `CAME_IN_S`): heard at
    `t`, it came in at a range's edge."""
    return any(t - CAME_IN_S <= b <= t for _, _, b in ship.beyond_range)


def _at(us: int) -> Any:
    return EPOCH + timedelta(microseconds=us)
