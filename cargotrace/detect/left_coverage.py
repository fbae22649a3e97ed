"""Left coverage: a silence that is a ship sailing out of a regional feed's reach, not a gap.

Why apart from gaps: on a regional (terrestrial) feed most long silences are ships that sailed
beyond the receivers (on a real week of Suez traffic, 173 of 316 gaps were open: ships that left
the feed's footprint). Listed as gaps they look like transponders switched off at sea; the
analyst must see them, but as what they are.

The rule, on a `regional` footprint (`footprint.py`: a `global`, satellite-style feed, or one
with too little data to draw an edge, keeps every silence a gap: today's behaviour): a silence
is `left_coverage` when
- it *heads out* along the course the vessel was sailing where it fell silent: its reported
  course over ground (when it reported one and was under way, at least `UNDERWAY_KN`), else,
  for a closed silence, the bearing from where it fell silent to where it came back; with
  neither, the silence stays a gap. Heading out is judged on the reach of the receiver that
  last heard the vessel when it was drawn (`reach.py`: open sea beyond every receiver's reach
  for its transceiver class within `edge_lookahead_km`, before any land), else on the
  footprint's cells (open sea outside them within `edge_lookahead_km`, and no land; a class B
  transponder on where class B positions are received, `Footprint.for_class`);
- if it is closed, the vessel came back the same way: the reverse of its course where it was
  heard again heads out too, on the reach of the receiver that heard it then (or the cells);
- it did not begin just before an outage (`_outage_lead_h`);
- and its observed part (`coverage.py`: hours the whole feed or the vessel's last receiver was
  quiet do not count) lasts at least `exit_min_silence_h`.
Receivers' reach first because the cells are known only where ships sailed: a transponder
switched off 20 km out of port on a lonely course points at empty cells, and cells straddling
the edge where two receivers' ranges meet hide the way a ship came back. A silence that
starts well inside coverage stays a gap, judged by the gap rules.

Confidence: 0.9 when the vessel came back at an edge (left and came back: a coverage exit
seen on both sides), 0.7 for an open exit (nothing after it to confirm); 0.1 less when the
course is the bearing to where it came back, not a reported one.

Event: `start` the last position heard before the silence, `end` the first after it (NULL when
the vessel was not heard again before the feed's coverage ended), lat/lon where it left.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import ibis
import pyarrow as pa

from cargotrace.detect.coverage import CoverageModel
from cargotrace.detect.footprint import CLASS_B_MSG_TYPES, UNDERWAY_KN
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.params import CoverageParams
from cargotrace.detect.reach import Reach
from cargotrace.geo import sphere
from cargotrace.store.engines import to_arrow
from cargotrace.store.events import Event

__all__ = ["AT_END", "UNDERWAY_KN", "at_silence_ends", "coverage_exits", "exits_at",
           "judges_exits", "positions_at", "separate_exits"]


Key = tuple[int, datetime]


def at_silence_ends(positions: Any, silences: pa.Table) -> dict[Key, dict[str, Any]]:
    """Course, speed, receiver and transceiver class (`class_b` 1 or 0) of the positions at
    each silence's ends (`start` and `end` of `silences`), keyed by (mmsi, ts): one join of
    the few silences to the positions."""
    keys = {(int(r["mmsi"]), r["start"]) for r in silences.select(["mmsi", "start"]).to_pylist()}
    keys |= {(int(r["mmsi"]), r["end"]) for r in silences.select(["mmsi", "end"]).to_pylist()
             if r["end"] is not None}
    if not keys:
        return {}
    wanted = ibis.memtable(pa.table({
        "k_mmsi": pa.array([k[0] for k in keys], pa.int64()),
        "k_ts": pa.array([k[1] for k in keys], pa.timestamp("us", tz="UTC")),
    }))
    rows = positions_at(positions, wanted)
    return {(int(r["k_mmsi"]), r["k_ts"]): r for r in to_arrow(rows).to_pylist()}


AT_END = ("cog", "sog", "station", "class_b")
"""What the exit test reads of the position at a silence's end (`positions_at`)."""


def positions_at(positions: Any, wanted: Any) -> Any:
    """Per (k_mmsi, k_ts) of `wanted`, the `AT_END` values of the positions there: several
    positions can share a silence's end time, the largest non-null value of each wins;
    `class_b` is 1 or 0 (never NULL for a key that was heard)."""
    j = wanted.join(positions, [wanted.k_mmsi == positions.mmsi, wanted.k_ts == positions.ts])
    class_b = j.msg_type.isin(list(CLASS_B_MSG_TYPES)).fill_null(False).cast("int64")
    return j.group_by(["k_mmsi", "k_ts"]).agg(cog=j.cog.max(), sog=j.sog.max(),
                                              station=j.station.max(), class_b=class_b.max())


def _reported_course(at: dict[str, Any] | None) -> float | None:
    """The course over ground reported at a silence's end, when the vessel was under way."""
    if at is None:
        return None
    cog, sog = at.get("cog"), at.get("sog")
    if cog is not None and 0 <= cog < 360 and (sog is None or sog >= UNDERWAY_KN):
        return float(cog)
    return None


def _courses(row: dict[str, Any], at_ends: dict[Key, dict[str, Any]]
             ) -> tuple[float | None, float | None, str]:
    """The course the vessel sailed where it fell silent, the bearing back the way it came
    where it was heard again (None for an open silence), and what the first rests on: the
    reported course over ground, else the bearing between the silence's ends."""
    mmsi = int(row["mmsi"])
    closed = row["end"] is not None and row.get("next_lat") is not None
    back = None
    if closed:
        came = _reported_course(at_ends.get((mmsi, row["end"])))
        back = (came + 180.0) % 360.0 if came is not None else float(sphere.bearing_deg(
            row["next_lat"], row["next_lon"], row["lat"], row["lon"]))
    out = _reported_course(at_ends.get((mmsi, row["start"])))
    if out is not None:
        return out, back, "cog"
    if closed:
        return float(sphere.bearing_deg(row["lat"], row["lon"], row["next_lat"],
                                        row["next_lon"])), back, "bearing"
    return None, None, "unknown"


def _heading_out(model: CoverageModel, at: dict[str, Any], class_b: bool, lat: float,
                 lon: float, course: float, params: CoverageParams) -> tuple[bool, Reach | None]:
    """Whether a vessel heard at (lat, lon) by the receiver in `at` and sailing `course` was
    heading out of coverage: by the receivers' reach when that receiver's was drawn
    (`Reaches.heading_out`), else by the footprint's cells (`Footprint.heading_out`); and the
    reach it was judged on."""
    reach = model.reaches.of(at.get("station"), class_b)
    if reach is not None:
        return model.reaches.heading_out(lat, lon, course, class_b,
                                         params.edge_lookahead_km), reach
    footprint = model.footprint.for_class(class_b)
    return footprint.heading_out(lat, lon, course, params.edge_lookahead_km), None


def _outage_lead_h(model: CoverageModel, reach: Reach | None, row: dict[str, Any],
                   start_at: dict[str, Any], basis: str, params: CoverageParams) -> float:
    """How long before an outage a coverage exit may begin and still be the outage's:
    `exit_outage_lead_h`, or, when the receiver's reach and the vessel's speed are known, the
    time it needed to sail out of that reach, if shorter (a vessel a kilometre from the edge
    at 12 kn is beyond it within three minutes: ten minutes of silence before the feed went
    quiet were its own)."""
    sog = start_at.get("sog")
    if reach is None or basis != "cog" or not sog:
        return params.exit_outage_lead_h
    return min(params.exit_outage_lead_h,
               model.reaches.hours_to_edge(reach, row["lat"], row["lon"], float(sog)))


def coverage_exits(
    candidates: pa.Table, at_ends: dict[Key, dict[str, Any]], model: CoverageModel,
    params: CoverageParams,
) -> tuple[list[Event], list[bool]]:
    """The left-coverage events among silence candidates (`gaps.gap_candidates` rows), and per
    row whether it is one (the rest are judged as gaps)."""
    events: list[Event] = []
    is_exit: list[bool] = []
    whole = model
    for row in candidates.to_pylist():
        is_exit.append(False)
        mmsi = int(row["mmsi"])
        model = whole.for_vessel(mmsi, row["start"])  # its own feed's, in a store of several
        if not model.footprint.regional:
            continue
        start_at = at_ends.get((mmsi, row["start"])) or {}
        station = start_at.get("station")
        class_b = bool(start_at.get("class_b"))
        footprint = model.footprint.for_class(class_b)
        course, back, basis = _courses(row, at_ends)
        if course is None:
            continue
        out, reach = _heading_out(model, start_at, class_b, row["lat"], row["lon"], course,
                                  params)
        if not out:
            continue
        closed = row["end"] is not None
        end = row["end"] or model.observed_end(station)
        # a vessel that came back while the feed was quiet was first heard wherever it then
        # was: where it came back says nothing, only where it left does
        came_back_unheard = end is not None and model.unobserved_h(row["start"], end, station) > 0
        if back is not None and not came_back_unheard:
            end_at = at_ends.get((mmsi, row["end"])) or {}
            came_in, _ = _heading_out(model, end_at, bool(end_at.get("class_b", class_b)),
                                      row["next_lat"], row["next_lon"], back, params)
            if not came_in:
                continue  # came back well inside coverage: it never left
        is_exit[-1] = True
        if end is None or end <= row["start"] or model.explained_by_outage(
                row["start"], station, _outage_lead_h(model, reach, row, start_at, basis,
                                                      params)):
            continue  # heard after the feed's coverage ended, or silenced by an outage
        duration_h = (end - row["start"]).total_seconds() / 3600
        unobserved_h = model.unobserved_h(row["start"], end, station)
        if duration_h - unobserved_h < params.exit_min_silence_h:
            continue
        confidence = (0.9 if closed else 0.7) - (0.1 if basis == "bearing" else 0.0)
        events.append(Event(
            EventKind.LEFT_COVERAGE, mmsi, row["start"], row["end"],
            lat=row["lat"], lon=row["lon"], confidence=round(confidence, 2),
            attrs={
                "duration_h": round(duration_h, 4),
                **model.attrs(row["start"], end, station),
                **model.footprint.attrs(),
                "footprint_class": "B" if footprint is not model.footprint else "A",
                **(model.reaches.attrs(reach, row["lat"], row["lon"]) if reach is not None
                   else {"reach_basis": "footprint"}),
                "course_deg": round(course, 1), "course_basis": basis,
                "open": not closed, "measured_to": end.isoformat(),
                "end_lat": row["next_lat"], "end_lon": row["next_lon"],
            },
        ))
    return events, is_exit


def separate_exits(positions: Any, candidates: pa.Table, model: CoverageModel,
                   params: CoverageParams) -> tuple[pa.Table, list[Event]]:
    """Silence candidates (`gaps.gap_candidates` rows) split into the rows still to be judged
    as gaps, each with the `station` that last heard the vessel, and the left-coverage
    events. Without a regional footprint or judged receivers nothing is looked up."""
    if not candidates.num_rows or not judges_exits(model):
        return candidates, []
    return exits_at(candidates, at_silence_ends(positions, candidates), model, params)


def judges_exits(model: CoverageModel) -> bool:
    """Whether silences are looked at for exits at all: a regional footprint, or judged
    receivers (whose `station` the gaps then record)."""
    return bool(model.footprint.regional or model.stations)


def exits_at(candidates: pa.Table, at_ends: dict[Key, dict[str, Any]], model: CoverageModel,
             params: CoverageParams) -> tuple[pa.Table, list[Event]]:
    """`separate_exits` with the positions at the silences' ends already looked up."""
    stations = [(at_ends.get((int(m), s)) or {}).get("station") for m, s in zip(
        candidates.column("mmsi").to_pylist(), candidates.column("start").to_pylist(),
        strict=True)]
    candidates = candidates.append_column("station", pa.array(stations, pa.string()))
    exits, is_exit = coverage_exits(candidates, at_ends, model, params)
    return candidates.filter(pa.array([not e for e in is_exit])), exits
