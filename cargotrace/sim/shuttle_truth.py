"""Truth `shuttle` rows for the repeated trips that ordinary traffic makes on its own.

Why: a background ship whose plan hops between two nearby ports (the simulator picks its next
port at random among those within reach; with two in reach it alternates, like a feeder or a
ferry), or a liner on a fixed rotation, really makes repeated trips between the same two places:
by the shuttle definition (docs/concepts/behaviours.md) that IS a shuttle, and a detector that
reports it is right. Without truth for it, `evaluate` could not tell those true shuttles from
artefacts (a port visit split in two, a ship loitering between two adjacent places). So the
truth applies the definition (detect/shuttles.py, default `ShuttleParams`) to the truth's own
port calls - the plans' stays as seen from each port's radius, visible or dark - which are exact:
what a perfect observer of the plans would report. A campaign's planted shuttle keeps its own
truth row; its ships are left out here. Rows carry subkind `port_calls` and say so in `attrs`.
"""

from __future__ import annotations

from cargotrace.detect.kinds import EventKind
from cargotrace.detect.params import ShuttleParams
from cargotrace.detect.shuttles import Call, detect_shuttles
from cargotrace.sim.behaviours import Planted
from cargotrace.sim.truth import TruthRow

__all__ = ["PORT_CALLS", "port_call_shuttles"]

PORT_CALLS = "port_calls"  # subkind: derived from the plans' port calls, not planted
CALL_KINDS = (EventKind.PORT_VISIT, EventKind.POSSIBLE_DARK_PORT_CALL)


def port_call_shuttles(rows: list[TruthRow], planted: Planted,
                       params: ShuttleParams | None = None) -> list[TruthRow]:
    """`rows` plus one `shuttle` row per shuttle the truth's port calls make (module doc)."""
    shuttling = {int(v) for r in rows if r.kind == EventKind.SHUTTLE
                 for v in r.attrs.get("vessels", [r.mmsi])}
    calls = [Call(r.mmsi, r.start, r.end, (r.place_id,), str(r.kind), r.truth_id)
             for r in rows if r.kind in CALL_KINDS and r.place_id and r.mmsi is not None
             and r.mmsi not in shuttling]
    out = list(rows)
    for e in detect_shuttles(calls, params or ShuttleParams()):
        attrs = e.attrs
        out.append(TruthRow(
            planted.next_id(EventKind.SHUTTLE), EventKind.SHUTTLE, e.mmsi, e.start, e.end,
            subkind=PORT_CALLS, other_mmsi=e.other_mmsi, lat=e.lat, lon=e.lon,
            place_id=e.place_id,
            attrs={"places": attrs["places"], "vessels": attrs["vessels"],
                   "trips": attrs["trips"], "per_vessel_trips": attrs["per_vessel_trips"],
                   "planted": False,
                   "why": "repeated trips between two ports that the plans make on their own "
                          "(the shuttle definition applied to the truth's port calls)"}))
    return out
