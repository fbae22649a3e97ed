"""Run a scenario: build the world, plant behaviours, emit day by day, resolve the truth.

Determinism: one `random.Random` and one numpy `Generator`, both seeded from the scenario seed,
are consumed in a fixed order, so a seed gives byte-identical files.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from cargotrace.detect.kinds import EventKind
from cargotrace.sim.behaviours import (
    DAY,
    Planted,
    meeting_truth,
    plant_dark_port_calls,
    plant_silences,
    schedule_meetings,
)
from cargotrace.sim.campaign import plant_campaign, write_campaign_file
from cargotrace.sim.feed import (
    SilenceTracker,
    feed_reception,
    plant_inshore_gaps,
    uses_feed_truth,
)
from cargotrace.sim.fleet import make_fleet
from cargotrace.sim.identities import plant_identity
from cargotrace.sim.output import REPORTS_SCHEMA, SimWriter, positions_table
from cargotrace.sim.params import Feed, ReceptionParams, ScenarioParams
from cargotrace.sim.places_file import write_places
from cargotrace.sim.plan import Port, build_plan
from cargotrace.sim.reception import Station
from cargotrace.sim.reference_case import plant_reference_case, write_evidence
from cargotrace.sim.scenarios import region_ports
from cargotrace.sim.ships import SimShip, emit
from cargotrace.sim.shuttle_truth import port_call_shuttles
from cargotrace.sim.tracking import Trackers, ghost_ships, port_visit_truth, teleport_truth
from cargotrace.sim.truth import TruthRow, truth_table, utc
from cargotrace.version import __version__

Progress = Callable[[int], None]  # positions written so far


@dataclass
class SimulationResult:
    out_dir: Path
    positions: int
    reports: int
    truth: int
    files: list[Path]
    duration_s: float

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values (`cargotrace simulate --json` prints it)."""
        return {
            "positions": self.positions,
            "reports": self.reports,
            "truth_rows": self.truth,
            "files": [str(f) for f in self.files],
            "duration_s": round(self.duration_s, 2),
        }


def build_world(
    params: ScenarioParams,
) -> tuple[list[SimShip], Planted, list[Station], tuple[float, float]]:
    """The scenario's ships with their plans, the behaviours planted in them (the truth), the
    receivers and the time window. One seeded generator drives every step in a fixed order, so
    a seed always gives the same world: a step added or reordered changes every later draw."""
    rng = random.Random(params.seed)
    bbox, ports = region_ports(params.region)
    # receiver names as real feeds write them in tag blocks (no ':' or ','), e.g. "rVLADIVOSTOK"
    stations = [
        Station("r" + p.place_id.split(":")[-1].upper().replace("-", ""), p.lat, p.lon)
        for p in ports
    ]
    start = params.start.timestamp()
    window = (start, start + params.days * DAY)
    ships = _planned_ships(params, window, bbox, ports, stations, rng)
    planted = Planted()
    if params.scenario == "sea-of-japan-2023":
        ships += plant_reference_case(window, ports, planted, rng, first_id=len(ships) + 1)
    if params.scenario == "campaign":
        ships += plant_campaign(window, ports, planted, rng, first_id=len(ships) + 1)
    meeting_truth(ships, planted)
    ships += _plant_behaviours(ships, params, window, ports, planted, rng)
    port_visit_truth(ships, window, planted)
    return ships, planted, stations, window


def _planned_ships(
    params: ScenarioParams, window: tuple[float, float], bbox: tuple[float, float, float, float],
    ports: list[Port], stations: list[Station], rng: random.Random,
) -> list[SimShip]:
    """The fleet, each ship with its voyage plan, the meetings (encounters, loitering) already
    scheduled into the plans of the ships that keep them."""
    counts = params.behaviours
    fleet = make_fleet(params.vessels, rng)
    appointments = schedule_meetings(
        fleet, counts.encounters, counts.loiterings, window, bbox, ports, stations, rng
    )
    # small class B craft hop along the coast; they are rarely heard far offshore
    return [
        SimShip(
            v,
            build_plan(
                v.vessel_id,
                v.speed_kn,
                ports,
                window[0],
                window[1],
                rng,
                appointments.get(v.vessel_id),
                max_hop_km=150.0 if v.transceiver == "B" else None,
            ),
        )
        for v in fleet
    ]


def _plant_behaviours(
    ships: list[SimShip], params: ScenarioParams, window: tuple[float, float],
    ports: list[Port], planted: Planted, rng: random.Random,
) -> list[SimShip]:
    """Silences, dark port calls and identity behaviours planted in `ships` (recorded in
    `planted`), each on ships no earlier behaviour uses; the ghost ships that share an MMSI
    with one of them, to be added to the world."""
    counts = params.behaviours
    # a regional feed's gaps begin well inside its footprint (`plant_inshore_gaps`)
    regional = params.feed == Feed.REGIONAL
    used = plant_silences(
        ships, 0 if regional else counts.gaps, counts.dark_voyages, counts.draught_changes,
        window, planted, rng, dark_from_port=regional,
    )
    if regional:
        used |= plant_inshore_gaps(ships, counts.gaps, window, used, rng)
    # the curated gazetteer's ports are the watched places (`watch_reason` set on every row)
    watched = {p.place_id for p in ports if p.place_id.startswith("ct:")}
    used |= plant_dark_port_calls(ships, counts.dark_port_calls, watched, window, used, rng)
    identity_counts = {
        "name_change": counts.name_changes,
        "imo_change": counts.imo_changes,
        "flag_change": counts.flag_changes,
        "teleport": counts.teleports,
    }
    # ships already carrying a behaviour: identity behaviours share them only away from it in
    # time, and never reflag a drifting one (encounter and loitering truth is under its MMSI)
    drifting = {
        s.vessel.vessel_id for s in ships if any(leg.kind == "drift" for leg in s.plan.legs)
    }
    plant_identity(ships, identity_counts, window, used | drifting, planted, rng)
    return ghost_ships(ships, counts.shared_mmsis, window, ports, planted, rng)


def simulate(
    params: ScenarioParams,
    out_dir: Path,
    nmea: bool = False,
    progress: Progress | None = None,
    reception: ReceptionParams | None = None,
) -> SimulationResult:
    """Write the scenario's files to `out_dir` and return what was written."""
    started = time.perf_counter()
    reception = reception or ReceptionParams()
    ships, planted, stations, window = build_world(params)
    reception = feed_reception(params, reception, ships, window)
    silences = SilenceTracker(ships, reception, window) if uses_feed_truth(reception) else None
    _, ports = region_ports(params.region)
    nprng = np.random.default_rng(params.seed)
    writer = SimWriter(out_dir, nmea)
    trackers = Trackers(ships, planted)
    station_ids = [s.station_id for s in stations]
    try:
        w0 = window[0]
        while w0 < window[1]:
            w1 = min(w0 + DAY, window[1])
            positions, reports = _emit_day(
                ships, w0, w1, stations, station_ids, reception, nprng, trackers
            )
            writer.write(positions, reports)
            if silences is not None:
                silences.heard(positions)
            if progress is not None:
                progress(writer.positions_written)
            w0 = w1
    finally:
        writer.close()
    teleport_truth(ships, planted)
    truth_rows = trackers.finish(window)
    if silences is not None:
        truth_rows = silences.truth(truth_rows, planted)
    truth_rows = port_call_shuttles(truth_rows, planted)
    truth_path = out_dir / "truth.parquet"
    pq.write_table(truth_table(truth_rows), truth_path)
    (out_dir / "scenario.json").write_text(params.to_json() + "\n")
    files = [writer.positions_path, writer.reports_path, truth_path, out_dir / "scenario.json",
             write_places(ports, out_dir / "places.csv")]
    if writer.nmea_path is not None:
        files.append(writer.nmea_path)
    if params.scenario == "sea-of-japan-2023":
        files.append(write_evidence(out_dir, planted, params, __version__))
    if params.scenario == "campaign":
        files.append(write_campaign_file(out_dir, planted, params))
    return SimulationResult(
        out_dir,
        writer.positions_written,
        writer.reports_written,
        len(truth_rows),
        files,
        time.perf_counter() - started,
    )


def _emit_day(
    ships: list[SimShip],
    w0: float,
    w1: float,
    stations: list[Station],
    station_ids: list[str],
    reception: ReceptionParams,
    nprng: np.random.Generator,
    trackers: Trackers,
) -> tuple[pa.Table, pa.Table]:
    pos_parts: list[dict[str, np.ndarray]] = []
    rep_rows: list[dict[str, object]] = []
    for ship in ships:
        positions, reports = emit(ship, w0, w1, stations, reception, nprng)
        if not positions:
            continue
        n = positions["ts"].size
        positions["msg_type"] = np.full(n, 18 if ship.vessel.transceiver == "B" else 1)
        pos_parts.append(positions)
        trackers.ship_emitted(ship, positions)
        for t, st in zip(reports["ts"], reports["station"], strict=True):
            ident = ship.identity_at(float(t))
            rep_rows.append(
                {
                    "mmsi": ident.mmsi,
                    "ts": utc(float(t)),
                    "imo": ident.imo or None,
                    "name": ident.name,
                    "callsign": ident.callsign,
                    "ship_type": ident.ship_type,
                    "length": float(ident.length_m),
                    "beam": float(ident.beam_m),
                    "draught": ship.draught_at(float(t)),
                    "destination": _destination(ship, float(t)),
                    "msg_type": 24 if ident.transceiver == "B" else 5,
                    "station": station_ids[int(st)] if st >= 0 else "sat",
                }
            )
    if pos_parts:
        cols = {k: np.concatenate([p[k] for p in pos_parts]) for k in pos_parts[0]}
        order = np.lexsort((cols["mmsi"], cols["ts"]))
        cols = {k: v[order] for k, v in cols.items()}
    else:
        cols = {
            k: np.empty(0)
            for k in (
                "mmsi",
                "ts",
                "lat",
                "lon",
                "sog",
                "cog",
                "heading",
                "nav_status",
                "msg_type",
                "station",
            )
        }
        cols["station"] = cols["station"].astype(np.int64)
    rep_rows.sort(key=lambda r: (str(r["ts"]), int(r["mmsi"])))  # type: ignore[call-overload]
    reports = pa.Table.from_pylist(rep_rows, schema=REPORTS_SCHEMA)
    report_ts = np.array([r["ts"].timestamp() for r in rep_rows])  # type: ignore[attr-defined]
    trackers.day_emitted(
        cols["mmsi"].astype(np.int64), cols["ts"], reports.column("mmsi").to_numpy(), report_ts
    )
    return positions_table(cols, station_ids), reports


def _destination(ship: SimShip, t: float) -> str | None:
    for leg in ship.plan.legs:
        if leg.kind == "transit" and leg.t1 > t and leg.end_place_id:
            return leg.end_place_id.split(":")[-1].upper()[:20]
    return None


__all__ = ["EventKind", "SimulationResult", "TruthRow", "simulate"]
