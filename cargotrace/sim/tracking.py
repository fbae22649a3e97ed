"""Truth that depends on what was heard: gaps, and the exact times of planted behaviours.

A simulated silence of 7 h may look like 7.4 h to a detector, because the last position before
it was heard a few minutes early. Truth rows are therefore resolved from the emitted stream, so
that a truth gap really has no positions inside it.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime

import numpy as np

from cargotrace.detect.kinds import EventKind, IdentityKind
from cargotrace.geo.sphere import haversine_km
from cargotrace.sim.behaviours import DAY, HOUR, Pending, Planted
from cargotrace.sim.plan import Port, build_plan
from cargotrace.sim.ships import SimShip
from cargotrace.sim.truth import TruthRow, utc

GAP_TRUTH_H = 6.0  # GFW's gap threshold: every silence this long is a truth gap


def _dt(t: float) -> datetime:
    return utc(t)


class Trackers:
    """Follows the emitted stream day by day; `finish` returns every truth row."""

    def __init__(self, ships: list[SimShip], planted: Planted) -> None:
        self.planted = planted
        self.last_ts: dict[int, float] = {}
        self.gaps: list[tuple[int, float, float]] = []
        self.off_by_mmsi: dict[int, list[tuple[float, float]]] = {}
        for ship in ships:
            for ident in [ship.vessel, *(i for _, i in ship.identities)]:
                self.off_by_mmsi.setdefault(ident.mmsi, []).extend(ship.ais_off)
        self.spans: dict[int, list[float]] = {}

    def ship_emitted(self, ship: SimShip, positions: dict[str, np.ndarray]) -> None:
        """Record when a ghost ship (shared MMSI) was heard: the span of its truth row."""
        ts = positions["ts"]
        if ship.active is not None and ts.size:
            span = self.spans.setdefault(ship.vessel.vessel_id, [np.inf, -np.inf])
            span[0], span[1] = min(span[0], float(ts[0])), max(span[1], float(ts[-1]))

    def day_emitted(
        self, mmsi: np.ndarray, ts: np.ndarray, report_mmsi: np.ndarray, report_ts: np.ndarray
    ) -> None:
        """Follow one day of everything heard (all ships merged, as a receiver log has it)."""
        for p in self.planted.pending:
            if p.mode == "span":
                continue
            if p.mode == "first_report":
                times = np.sort(report_ts[report_mmsi == p.mmsi])
            else:
                times = np.sort(ts[mmsi == p.mmsi])
            if p.mode == "around":
                before = times[times < p.t0]
                if before.size:
                    p.found_start = max(p.found_start or -np.inf, float(before[-1]))
            after = times[times >= p.t1]
            if after.size and p.found_end is None:
                p.found_end = float(after[0])
        order = np.lexsort((ts, mmsi))
        mmsi, ts = mmsi[order], ts[order]
        starts = np.flatnonzero(np.concatenate(([True], mmsi[1:] != mmsi[:-1])))
        for begin, end in zip(starts, [*starts[1:], mmsi.size], strict=True):
            m = int(mmsi[begin])
            times = ts[begin:end]
            prev = self.last_ts.get(m)
            times_all = np.concatenate(([prev], times)) if prev is not None else times
            diffs = np.diff(times_all)
            for i in np.flatnonzero(diffs >= GAP_TRUTH_H * HOUR):
                self.gaps.append((m, float(times_all[i]), float(times_all[i + 1])))
            self.last_ts[m] = float(times[-1])

    def _gap_cause(self, mmsi: int, t0: float, t1: float) -> str:
        for a, b in self.off_by_mmsi.get(mmsi, []):
            if a < t1 and b > t0:
                return "switched_off"
        return "reception"

    def finish(self, window: tuple[float, float]) -> list[TruthRow]:
        rows = list(self.planted.truth)
        for mmsi, t0, t1 in self.gaps:
            rows.append(
                TruthRow(
                    self.planted.next_id("gap"),
                    EventKind.GAP,
                    mmsi,
                    _dt(t0),
                    _dt(t1),
                    attrs={
                        "cause": self._gap_cause(mmsi, t0, t1),
                        "duration_h": round((t1 - t0) / HOUR, 3),
                    },
                )
            )
        for mmsi, last in self.last_ts.items():
            if window[1] - last >= GAP_TRUTH_H * HOUR:
                rows.append(
                    TruthRow(
                        self.planted.next_id("gap"),
                        EventKind.GAP,
                        mmsi,
                        _dt(last),
                        None,
                        attrs={"cause": self._gap_cause(mmsi, last, window[1]), "open": True},
                    )
                )
        for p in self.planted.pending:
            resolved = self._resolve(p)
            if resolved is not None:
                rows.append(resolved)
        return sorted(rows, key=lambda r: (r.kind, r.start, r.mmsi, r.truth_id))

    def _resolve(self, p: Pending) -> TruthRow | None:
        if p.mode == "span":
            span = self.spans.get(p.ship_key or -1)
            if span is None or not np.isfinite(span[0]):
                return None
            return replace(p.row, start=_dt(span[0]), end=_dt(span[1]))
        if p.mode == "around":
            if p.found_start is None or p.found_end is None:
                return None
            return replace(p.row, start=_dt(p.found_start), end=_dt(p.found_end))
        if p.found_end is None:
            return None
        return replace(p.row, start=_dt(p.found_end), end=_dt(p.found_end))


def teleport_truth(ships: list[SimShip], planted: Planted) -> None:
    for ship in ships:
        for t, t_end, lat, lon in ship.teleports_done:
            planted.truth.append(
                TruthRow(
                    planted.next_id("identity"),
                    EventKind.IDENTITY,
                    ship.identity_at(t).mmsi,
                    _dt(t),
                    _dt(t_end),
                    subkind=IdentityKind.TELEPORT,
                    lat=lat,
                    lon=lon,
                )
            )


def _borrowable(ships: list[SimShip]) -> list[SimShip]:
    """Class A background ships with no silence, identity change or jump: a jump while two
    ships share an MMSI would be indistinguishable from the second ship."""
    return [
        s
        for s in ships
        if s.active is None
        and not s.identities
        and not s.ais_off
        and not s.teleport_at
        and s.vessel.transceiver == "A"
    ]


def _ports_far_from(ports: list[Port], here: tuple[float, float] | None) -> list[Port]:
    """Ports, furthest from `here` first (from the first port when the ship is at sea), so
    that the second ship sails in another area and the two tracks cannot be confused."""
    lat, lon = here or (ports[0].lat, ports[0].lon)
    return sorted(
        ports,
        key=lambda p: -float(haversine_km(np.array([p.lat]), np.array([p.lon]), lat, lon)[0]),
    )


def _ghost_of(
    victim: SimShip, active: tuple[float, float], ports: list[Port],
    window: tuple[float, float], rng: random.Random,
) -> SimShip:
    """A second ship with the victim's identity, a little slower, plying the four ports
    furthest from where the victim is when the sharing starts; transmitting only in `active`."""
    leg = victim.plan.leg_at(active[0])
    here = (leg.lat, leg.lon) if leg is not None and leg.kind != "transit" else None
    vessel = replace(
        victim.vessel,
        vessel_id=10_000 + victim.vessel.vessel_id,
        speed_kn=round(victim.vessel.speed_kn * 0.9, 1),
    )
    far = _ports_far_from(ports, here)
    plan = build_plan(vessel.vessel_id, vessel.speed_kn, far[:4], window[0], window[1], rng)
    return SimShip(vessel, plan, active=active)


def ghost_ships(
    ships: list[SimShip],
    n: int,
    window: tuple[float, float],
    ports: list[Port],
    planted: Planted,
    rng: random.Random,
) -> list[SimShip]:
    """Second ships that transmit another ship's MMSI for a day or two, in another area.
    The MMSI is borrowed from a ship with no silence, identity change or jump (`_borrowable`)."""
    victims = _borrowable(ships)
    rng.shuffle(victims)
    ghosts = []
    for victim in victims[:n]:
        t0 = rng.uniform(window[0] + 2 * DAY, window[1] - 3 * DAY)
        t1 = t0 + rng.uniform(18.0, 48.0) * HOUR
        ghost = _ghost_of(victim, (t0, t1), ports, window, rng)
        ghosts.append(ghost)
        row = TruthRow(
            planted.next_id("identity"),
            EventKind.IDENTITY,
            victim.vessel.mmsi,
            _dt(t0),
            _dt(t1),
            subkind=IdentityKind.SHARED_MMSI,
            attrs={"ghost_vessel_id": ghost.vessel.vessel_id},
        )
        # resolved from what the ghost is heard sending (`Trackers.spans`)
        planted.pending.append(
            Pending(row, "span", victim.vessel.mmsi, t0, t1, ship_key=ghost.vessel.vessel_id)
        )
    return ghosts


def port_visit_truth(ships: list[SimShip], window: tuple[float, float], planted: Planted) -> None:
    """Every port stay as seen from the place's radius: in when the ship crosses into it, out
    when it crosses out; a stay entirely inside a switched-off window is a dark port call."""
    for ship in ships:
        if ship.active is not None:
            continue
        legs = ship.plan.legs
        for i, leg in enumerate(legs):
            if leg.kind != "stay" or leg.place_id is None:
                continue
            radius_km = 3.0
            t_in, t_out = leg.t0, leg.t1
            prev = legs[i - 1] if i > 0 else None
            nxt = legs[i + 1] if i + 1 < len(legs) else None
            if prev is not None and prev.kind == "transit" and prev.route is not None:
                assert prev.profile_km is not None and prev.profile_s is not None
                t_in = prev.t0 + float(
                    np.interp(
                        max(prev.route.length_km - radius_km, 0), prev.profile_km, prev.profile_s
                    )
                )
            if nxt is not None and nxt.kind == "transit" and nxt.route is not None:
                assert nxt.profile_km is not None and nxt.profile_s is not None
                t_out = nxt.t0 + float(np.interp(radius_km, nxt.profile_km, nxt.profile_s))
            if t_out <= window[0] or t_in >= window[1]:
                continue
            for kind, (a, b) in _visible_and_dark(t_in, t_out, ship.ais_off):
                if b - a < HOUR and kind is EventKind.POSSIBLE_DARK_PORT_CALL:
                    continue
                start, end = max(a, window[0]), b if b < window[1] else None
                planted.truth.append(
                    TruthRow(
                        planted.next_id(kind),
                        kind,
                        ship.identity_at(start).mmsi,
                        _dt(start),
                        _dt(end) if end is not None else None,
                        lat=leg.lat,
                        lon=leg.lon,
                        place_id=leg.place_id,
                        attrs={"clipped_start": a < window[0]},
                    )
                )


def _visible_and_dark(
    t_in: float, t_out: float, off: list[tuple[float, float]]
) -> list[tuple[EventKind, tuple[float, float]]]:
    """A stay split into the part heard (the port visit: its longest heard piece) and the
    parts with the transponder off (possible dark port calls)."""
    cuts = sorted({t_in, t_out, *(x for a, b in off for x in (a, b) if t_in < x < t_out)})
    pieces = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        dark = any(x <= a and y >= b for x, y in off)
        pieces.append((EventKind.POSSIBLE_DARK_PORT_CALL if dark else EventKind.PORT_VISIT, (a, b)))
    visible = [p for p in pieces if p[0] is EventKind.PORT_VISIT]
    longest = [max(visible, key=lambda p: p[1][1] - p[1][0])] if visible else []
    return longest + [p for p in pieces if p[0] is EventKind.POSSIBLE_DARK_PORT_CALL]
