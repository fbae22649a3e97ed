"""Identity behaviours planted in a simulated world: renames, new IMO numbers, reflagging (a new
MMSI) and position jumps, and the pending truth each leaves.

They are planted after silences, drifts and dark calls, and may share those ships: a jump or a
new name at a moment when the ship is doing nothing else planted is as unambiguous in the data
as on a ship of its own, and with 50 vessels most ships already carry something.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from cargotrace.detect.kinds import EventKind, IdentityKind
from cargotrace.sim.behaviours import DAY, HOUR, Pending, Planted
from cargotrace.sim.fleet import FLAGS, SimVessel, make_imo
from cargotrace.sim.ships import SimShip
from cargotrace.sim.truth import TruthRow, utc

IDENTITY_MARGIN_H = 6.0  # identity behaviours keep this far from a ship's silences and drifts


def _time_outside(
    lo: float, hi: float, blocked: list[tuple[float, float]], rng: random.Random
) -> float | None:
    """A uniform time in [lo, hi] outside every `blocked` interval, or None when there is
    none (and then nothing is drawn from `rng`)."""
    free: list[tuple[float, float]] = []
    t = lo
    for a, b in sorted(blocked):
        if a > t:
            free.append((t, min(a, hi)))
        t = max(t, b)
        if t >= hi:
            break
    if t < hi:
        free.append((t, hi))
    free = [(a, b) for a, b in free if b > a]
    total = sum(b - a for a, b in free)
    if total <= 0:
        return None
    x = rng.uniform(0.0, total)
    for a, b in free:
        if x <= b - a:
            return a + x
        x -= b - a
    return free[-1][1]  # pragma: no cover (rounding)


def _busy(ship: SimShip, margin: float) -> list[tuple[float, float]]:
    """Times (widened by `margin`) when a ship's other behaviours are going on: transponder
    off, drifting for an encounter or loitering, a planted jump or identity change. A jump or
    a new identity inside them would blur which behaviour the data shows."""
    spans = [*ship.ais_off, *((leg.t0, leg.t1) for leg in ship.plan.legs if leg.kind == "drift")]
    spans += [(t, t) for t in ship.teleport_at] + [(t, t) for t, _ in ship.identities]
    return [(a - margin, b + margin) for a, b in spans]


# The order kinds are planted in: each draws from `rng` in turn, so it is part of the bytes.
_KINDS_IN_ORDER = (
    IdentityKind.FLAG_CHANGE,
    IdentityKind.NAME_CHANGE,
    IdentityKind.IMO_CHANGE,
    IdentityKind.TELEPORT,
)


def _idle_class_a(ships: list[SimShip]) -> list[SimShip]:
    """Ships that are background traffic (no scripted role) with a class A transponder: only
    class A sends the static reports that carry a name, an IMO number and a flag."""
    return [s for s in ships if s.active is None and s.vessel.transceiver == "A"]


def _draw_order(
    kind: IdentityKind, free: list[SimShip], silenced: list[SimShip], drifting: list[SimShip]
) -> list[SimShip]:
    """The ships a kind tries, first to last (see `plant_identity` for why this order)."""
    if kind is IdentityKind.FLAG_CHANGE:  # a drifting ship keeps its MMSI
        return free + [s for s in silenced if not any(g.kind == "drift" for g in s.plan.legs)]
    if kind is IdentityKind.TELEPORT:  # ships without an identity change first
        return sorted(silenced + drifting + free, key=lambda s: bool(s.identities))
    return silenced + drifting + free


def _blocked(ship: SimShip, kind: IdentityKind, start: float) -> list[tuple[float, float]]:
    """When `kind` may not happen on `ship`: near its other behaviours, and for reflagging,
    anywhere before its last silence ends (that silence's truth has the old MMSI) and just
    after a port departure (the old MMSI falls silent for good: just after a departure that
    silence reads as a dark voyage from the port, not the reflagging it is)."""
    margin = IDENTITY_MARGIN_H * HOUR
    blocked = _busy(ship, margin)
    if kind is IdentityKind.FLAG_CHANGE:
        blocked += [(start, b + margin) for _, b in ship.ais_off]
        blocked += [(leg.t1, leg.t1 + margin) for leg in ship.plan.legs if leg.kind == "stay"]
    return blocked


def _plant_kind(
    kind: IdentityKind,
    wanted: int,
    order: list[SimShip],
    window: tuple[float, float],
    planted: Planted,
    rng: random.Random,
) -> None:
    """Up to `wanted` changes of one kind on the first ships of `order` that have room for one
    inside the run, two days clear of its ends."""
    start, end = window
    lo, hi = start + 2 * DAY, end - 2 * DAY
    for ship in order:
        if wanted <= 0:
            break
        if ship is planted.reference:  # the reference case's story is told as written
            continue
        if ship.teleport_at if kind is IdentityKind.TELEPORT else ship.identities:
            continue  # at most one of each per ship
        t = _time_outside(lo, hi, _blocked(ship, kind, start), rng)
        if t is None:
            continue
        wanted -= 1
        if kind is IdentityKind.TELEPORT:
            ship.teleport_at.append(t)  # truth written once the jump is emitted
        else:
            _change_identity(ship, kind, t, planted, rng)


def plant_identity(
    ships: list[SimShip],
    counts: dict[str, int],
    window: tuple[float, float],
    exclude: set[int],
    planted: Planted,
    rng: random.Random,
) -> None:
    """Renames, new IMO numbers, reflagging and position jumps: at most one identity change
    and one jump per ship, each at least `IDENTITY_MARGIN_H` from the ship's other behaviours.

    Ships may carry other behaviours (`exclude`: silences, dark calls, drifts), except for
    reflagging: encounter and loitering truth is written under the ship's MMSI, so a drifting
    ship keeps it, and a silenced ship is reflagged only after its last silence (whose truth
    has the old MMSI). Reflagging draws ships with no other behaviour first; the others draw
    silenced ships first, then drifting ones, then the rest, which leaves ships untouched for
    the shared MMSIs planted next (`ghost_ships` borrows only such MMSIs).
    """
    candidates = _idle_class_a(ships)
    free = [s for s in candidates if s.vessel.vessel_id not in exclude]
    # the draws when nothing is asked, as before identities shared ships: scenarios that plant
    # none (background, sea-of-japan-2023, dark calls alone) keep their bytes
    rng.shuffle(free)
    if not any(counts.values()):
        return
    busy = [
        s for s in candidates if s.vessel.vessel_id in exclude and s is not planted.reference
    ]
    rng.shuffle(busy)
    silenced = [s for s in busy if s.ais_off]
    drifting = [s for s in busy if not s.ais_off]
    for kind in _KINDS_IN_ORDER:
        order = _draw_order(kind, free, silenced, drifting)
        _plant_kind(kind, counts.get(kind, 0), order, window, planted, rng)


def _change_identity(
    ship: SimShip, kind: IdentityKind, t: float, planted: Planted, rng: random.Random
) -> None:
    """A new name, IMO number or flag (with a new MMSI) from `t` on, and its pending truth:
    the first report (position, for a new MMSI) heard under the new identity."""
    old = ship.vessel
    if kind is IdentityKind.NAME_CHANGE:
        new: SimVessel = replace(
            old, name=f"{old.name.split()[0]} {rng.choice('ABCDE')}{rng.randrange(10, 99)}"
        )
        attrs: dict[str, Any] = {"name_before": old.name, "name_after": new.name}
    elif kind is IdentityKind.IMO_CHANGE:
        new = replace(old, imo=make_imo(rng))
        attrs = {"imo_before": old.imo, "imo_after": new.imo}
    else:
        flag = rng.choice([f for f in FLAGS if f != old.flag])
        new = old.reflagged(flag, rng)
        attrs = {
            "flag_before": old.flag,
            "flag_after": flag,
            "mmsi_before": old.mmsi,
            "mmsi_after": new.mmsi,
        }
    ship.identities.append((t, new))
    row = TruthRow(
        planted.next_id("identity"),
        EventKind.IDENTITY,
        new.mmsi,
        utc(t),
        utc(t),
        subkind=kind,
        other_mmsi=old.mmsi if kind is IdentityKind.FLAG_CHANGE else None,
        attrs=attrs,
    )
    mode = "first_position" if kind is IdentityKind.FLAG_CHANGE else "first_report"
    planted.pending.append(Pending(row, mode, new.mmsi, t, t))
