"""Encounters: two vessels close together, both slow, for a long time, away from any port.

Ship-to-ship transfers happen this way, which is why the GFW definition (and our default
preset) is: within 500 m, both below 2 kn, for at least 2 h, at least 10 km from a port, on
tracks resampled to 10 minutes, with encounters of one pair less than 4 h apart merged into
one. The Skylight-style rendezvous preset looks for shorter, tighter meetings: 250 m, 30 min.

How it stays fast: comparing every position with every other is quadratic (STACK-NOTES: a
naive self-join takes 6.6 s on 10M positions). Instead each track is resampled
(`loitering.resampled_tracks`), only slow steps away from places are kept (at sea they are a
small share of the traffic), and those are paired on equal keys - the same grid step and the
same latitude band of `max_distance_m` (each step joins its own band and the two next to it) -
before the exact great-circle distance is tested. Bands are of latitude only, so a pair either
side of ±180 meets like any other (its midpoint is taken the short way round). Runs of
consecutive steps per pair are islands (step - row_number()), all in one Ibis expression that
runs on DuckDB and Spark. Python then measures the few candidate runs: their exact start and
end from the two vessels' own slow positions, the duration test, and the merging of runs less
than `merge_gap_h` apart.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import ibis
import numpy as np
import pyarrow as pa

from cargotrace.detect import place_grid
from cargotrace.detect.anchorages import (
    crowded_cells,
    crowding,
    crowding_of,
    outside_crowds,
    outside_found,
)
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.loitering import away_from_places, nearest_place_km, resampled_tracks
from cargotrace.detect.params import EncounterParams
from cargotrace.detect.presets import GFW_ENCOUNTER
from cargotrace.geo import expr, sphere
from cargotrace.geo.expr import haversine_km
from cargotrace.geo.shore import distance_to_shore_nm
from cargotrace.store.engines import to_arrow
from cargotrace.store.events import Event

POLAR_LIMIT_DEG = 89.0
"""Pairs are looked for in cells of longitude wide enough for `max_distance_m` up to this
latitude; closer to a pole (within 110 km of it, in permanent pack ice) two ships more than a
cell apart in longitude are not paired."""


def pair_cells(params: EncounterParams) -> tuple[float, float]:
    """The cells two steps must share (or neighbour) to be compared: degrees of latitude (one
    band of `max_distance_m`) and of longitude (that distance at `POLAR_LIMIT_DEG`, widened so
    that a whole number of cells makes 360 degrees and cells wrap at +-180)."""
    band_deg = params.max_distance_m / 1000.0 / sphere.KM_PER_DEG
    widest = band_deg / math.cos(math.radians(POLAR_LIMIT_DEG))
    cells = math.floor(360.0 / widest)
    # fewer than 3 cells round the world: one, or a step's neighbours would repeat a cell
    return band_deg, 360.0 / cells if cells >= 3 else 360.0


def slow_steps(positions: Any, places: Any, params: EncounterParams, tracks: Any = None) -> Any:
    """The resampled steps slower than `max_speed_kn` and away from every place: what
    encounters pair (before the crowded cells are left out, `anchorages.outside_crowds`)."""
    t = tracks if tracks is not None else resampled_tracks(
        positions, params.resample_min, params.max_interpolate_gap_h, params.max_speed_kn)
    if "segment" not in t.columns:  # one track per MMSI (see loitering.track_keys)
        t = t.mutate(segment=ibis.literal(0, "int64"))
    return away_from_places(t.filter(t.speed_kn < params.max_speed_kn), places,
                            params.min_port_distance_km)


def candidate_pairs(slow: Any, params: EncounterParams) -> Any:
    """Every pair of `slow` steps (mmsi < other_mmsi) at the same grid step within
    `max_distance_m`, with their distance: an equi-join on (step, latitude band, longitude
    cell), one side copied into its 3 x 3 neighbouring cells, so both engines hash-join and
    a step meets only the steps around it, never a whole band of latitude round the world."""
    band_deg, lon_deg = pair_cells(params)
    slow = slow.mutate(
        band=(slow.lat / band_deg).floor().cast("int64"),
        lon_cell=place_grid.wrapped_cell((slow.lon / lon_deg).floor().cast("int64"), lon_deg),
    )
    a = slow.select(
        mmsi=slow.mmsi, segment=slow.segment, a_step=slow.step, a_band=slow.band,
        a_cell=slow.lon_cell, a_lat=slow.lat, a_lon=slow.lon, speed_kn=slow.speed_kn,
        positions=slow.positions, first_slow_ts=slow.first_slow_ts,
        last_slow_ts=slow.last_slow_ts,
    )
    # a vessel can only be within max_distance_m of vessels in its own cell or the eight
    # around it: nine copies of one side make that an equi-join
    a = ibis.union(*(a.mutate(a_band=a.a_band + db) for db in (-1, 0, 1)))
    if lon_deg < 360.0:
        a = ibis.union(*(a.mutate(a_cell=place_grid.wrapped_cell(a.a_cell + dc, lon_deg))
                         for dc in (-1, 0, 1)))
    b = slow.select(
        other_mmsi=slow.mmsi, other_segment=slow.segment, step=slow.step, b_band=slow.band,
        b_cell=slow.lon_cell, b_lat=slow.lat, b_lon=slow.lon, other_speed_kn=slow.speed_kn,
        other_positions=slow.positions, other_first_slow_ts=slow.first_slow_ts,
        other_last_slow_ts=slow.last_slow_ts,
    )
    pairs = a.join(b, [a.a_step == b.step, a.a_band == b.b_band, a.a_cell == b.b_cell,
                       a.mmsi < b.other_mmsi])
    pairs = pairs.mutate(
        distance_m=haversine_km(pairs.a_lat, pairs.a_lon, pairs.b_lat, pairs.b_lon) * 1000.0
    )
    return pairs.filter(pairs.distance_m <= params.max_distance_m)


def encounter_candidates(
    positions: Any, places: Any, params: EncounterParams, tracks: Any = None
) -> Any:
    """One row per pair and grid step, for runs of steps long enough to hold an encounter.

    Columns: mmsi < other_mmsi and their segments (0 unless positions carry identity
    segments), step, run (an id per run of consecutive steps of the pair),
    distance_m, lat/lon (midpoint), speed_kn / other_speed_kn, positions / other_positions (0
    on an interpolated step) and each vessel's first/last slow position time in the step (NULL
    when the step was interpolated). `tracks`: the
    positions' `resampled_tracks` with these parameters, if the caller already has them.
    Steps in crowded cells (`anchorages.py`) are not paired.
    """
    return _candidates(outside_crowds(slow_steps(positions, places, params, tracks), params),
                       params)


def _candidates(slow: Any, params: EncounterParams) -> Any:
    """`encounter_candidates` from the slow steps the pairing may use."""
    pairs = candidate_pairs(slow, params)
    pair = ["mmsi", "segment", "other_mmsi", "other_segment"]
    by_step = ibis.window(group_by=pair, order_by=pairs.step)
    pairs = pairs.mutate(run=pairs.step - ibis.row_number().over(by_step))
    # a run of n steps lasts at most n steps: shorter ones can never reach min_duration_h
    # (counted by an aggregate joined back: a hash, where a window sorted the pairs again)
    runs = pairs.group_by([*pair, "run"]).aggregate(run_steps=pairs.count())
    runs = runs.filter(runs.run_steps * params.resample_min >= params.min_duration_h * 60)
    pairs = pairs.semi_join(runs.drop("run_steps"), [*pair, "run"])
    return pairs.select(
        *pair, "step", "run", "distance_m",
        lat=(pairs.a_lat + pairs.b_lat) / 2, lon=expr.midpoint_lon(pairs.a_lon, pairs.b_lon),
        speed_kn=pairs.speed_kn, other_speed_kn=pairs.other_speed_kn,
        positions=pairs.positions, other_positions=pairs.other_positions,
        first_slow_ts=pairs.first_slow_ts, last_slow_ts=pairs.last_slow_ts,
        other_first_slow_ts=pairs.other_first_slow_ts,
        other_last_slow_ts=pairs.other_last_slow_ts,
    )


@dataclass
class _Run:
    start: datetime
    end: datetime
    steps: list[dict[str, Any]]


def _step_time(step: int, step_s: int) -> datetime:
    return datetime.fromtimestamp(step * step_s, UTC)


def _measure_run(steps: list[dict[str, Any]], step_s: int) -> _Run:
    """A run starts when both vessels are there and slow, and ends when the first one leaves:
    the later of their first slow positions in the first step, the earlier of their last ones
    in the last step (the step's bounds when a vessel's step was interpolated)."""
    first, last = steps[0], steps[-1]
    starts = [first[k] for k in ("first_slow_ts", "other_first_slow_ts") if first[k] is not None]
    ends = [last[k] for k in ("last_slow_ts", "other_last_slow_ts") if last[k] is not None]
    start = max(starts) if starts else _step_time(first["step"], step_s)
    end = min(ends) if ends else _step_time(last["step"] + 1, step_s)
    return _Run(start, max(start, end), steps)


_Pair = tuple[int, int, int, int]  # (mmsi, segment, other_mmsi, other_segment)


def encounter_events(
    candidates: pa.Table, places: pa.Table, params: EncounterParams
) -> list[Event]:
    """Encounters from candidate steps: runs measured, too-short ones dropped, close ones merged."""
    merged = _merged_runs(candidates, params)
    if not merged:
        return []
    steps_of = [[s for run in group for s in run.steps] for _, group in merged]
    lats = np.array([statistics.fmean(s["lat"] for s in steps) for steps in steps_of])
    lons = np.array([sphere.mean_lon(s["lon"] for s in steps) for steps in steps_of])
    port_km, port_ids = nearest_place_km(lats, lons, places)
    shore_nm = distance_to_shore_nm(lats, lons)  # the few candidates only: cheap
    return [
        _encounter(pair, group, steps, (float(lat), float(lon)), (km, place_id), shore)
        for (pair, group), steps, lat, lon, km, place_id, shore in zip(
            merged, steps_of, lats, lons, port_km, port_ids, shore_nm, strict=True)
        if not shore < params.min_shore_distance_nm  # too near the shore: no encounter
    ]


def _merged_runs(candidates: pa.Table, params: EncounterParams) -> list[tuple[_Pair, list[_Run]]]:
    """Per pair of vessel segments, its runs of close steps measured, those shorter than
    `min_duration_h` dropped, and runs less than `merge_gap_h` apart grouped into one
    encounter; pairs in order, groups in time order."""
    step_s = params.resample_min * 60
    runs: dict[_Pair, dict[int, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for row in candidates.to_pylist():
        key = (row["mmsi"], row["segment"], row["other_mmsi"], row["other_segment"])
        runs[key][row["run"]].append(row)
    merged: list[tuple[_Pair, list[_Run]]] = []
    min_duration = timedelta(hours=params.min_duration_h)
    merge_gap = timedelta(hours=params.merge_gap_h)
    for pair in sorted(runs):
        measured = sorted(
            (_measure_run(sorted(steps, key=lambda r: r["step"]), step_s)
             for steps in runs[pair].values()),
            key=lambda r: r.start,
        )
        group: list[_Run] = []
        for run in (r for r in measured if r.end - r.start >= min_duration):
            if group and run.start - group[-1].end >= merge_gap:
                merged.append((pair, group))
                group = []
            group.append(run)
        if group:
            merged.append((pair, group))
    return merged


def _encounter(pair: _Pair, group: list[_Run], steps: list[dict[str, Any]],
               at: tuple[float, float], nearest: tuple[float, str | None],
               shore_nm: float) -> Event:
    """One encounter event from a group of runs: where (the steps' mean position), how close,
    how fast, how far from the nearest place and the shore, and how much of it was heard."""
    start, end = group[0].start, group[-1].end
    km, place_id = nearest
    distances = [s["distance_m"] for s in steps]
    speeds = [s[k] for s in steps for k in ("speed_kn", "other_speed_kn")]
    # steps where both were heard, not placed by interpolation across a silence
    observed = sum(1 for s in steps if s["positions"] and s["other_positions"]) / len(steps)
    return Event(
        EventKind.ENCOUNTER, int(pair[0]), start, end, other_mmsi=int(pair[2]),
        lat=round(at[0], 5), lon=round(at[1], 5), confidence=round(observed, 3),
        attrs={
            "observed_share": round(observed, 3),
            "duration_h": round((end - start).total_seconds() / 3600, 3),
            "close_h": round(sum((r.end - r.start).total_seconds() for r in group) / 3600, 3),
            "runs": len(group),
            "median_distance_m": round(statistics.median(distances), 1),
            "max_distance_m": round(max(distances), 1),
            "mean_speed_kn": round(statistics.fmean(speeds), 2),
            "port_distance_km": None if np.isinf(km) else round(float(km), 1),
            "nearest_place_id": place_id,
            "distance_from_shore_nm": float(shore_nm),
        },
    )


def encounter_crowding(
    positions: Any, places: Any, params: EncounterParams = GFW_ENCOUNTER, tracks: Any = None
) -> dict[str, int]:
    """What the crowded-cell cap (`anchorages.py`) left out of the pairing: crowded cells
    (cell x time bin), their slow steps and the most vessels one held (the run's provenance)."""
    return crowding(slow_steps(positions, places, params, tracks), params)


@dataclass(frozen=True)
class EncounterScan:
    """A detection run's encounters and what the crowded-cell cap left out of their pairing
    (`anchorages.crowding_of`, recorded with the events)."""

    events: list[Event]
    crowding: dict[str, int]


def scan_encounters(
    positions: Any, places: Any, params: EncounterParams = GFW_ENCOUNTER, tracks: Any = None
) -> EncounterScan:
    """`detect_encounters` and `encounter_crowding` in one pass: the slow steps away from
    places are found once and kept on the engine while the crowded cells are counted and the
    rest paired (asked separately, each found them, and grouped them by cell, again)."""
    slow = slow_steps(positions, places, params, tracks).cache()
    try:
        return scan_slow_steps(slow, places, params)
    finally:
        slow.release()


@dataclass(frozen=True)
class Pairing:
    """The candidate steps of encounters left on the engine (`candidates`), what the
    crowded-cell cap left out (`crowding`), and the kept slow steps they read (`slow`: the
    caller releases it once the candidates are computed; on Spark, after the executors made
    the events, `on_executors.py`)."""

    candidates: Any
    crowding: dict[str, int]
    slow: Any


def pair_candidates(
    positions: Any, places: Any, params: EncounterParams = GFW_ENCOUNTER, tracks: Any = None
) -> Pairing:
    """The slow steps away from places found once and kept on the engine while the crowded
    cells are counted (collected: one row per crowded cell) and the rest paired."""
    slow = slow_steps(positions, places, params, tracks).cache()
    try:
        return pair_slow_steps(slow, params)
    except BaseException:
        slow.release()
        raise


def pair_slow_steps(slow: Any, params: EncounterParams = GFW_ENCOUNTER) -> Pairing:
    """The pairing of `slow_steps` already found and kept (`slow`, released by the caller):
    crowded cells counted (collected: one row per crowded cell), the rest paired."""
    crowded = (to_arrow(crowded_cells(slow, params)) if params.anchorage_min_vessels
               else None)
    pairable = slow if crowded is None else outside_found(slow, crowded, params)
    return Pairing(_candidates(pairable, params), crowding_of(crowded), slow)


def scan_slow_steps(slow: Any, places: Any, params: EncounterParams = GFW_ENCOUNTER
                    ) -> EncounterScan:
    """`scan_encounters` from `slow_steps` already found: the detection run over buckets of
    vessels (`buckets.py`) gathers every bucket's slow steps and pairs them here once, so no
    pair or crowded cell is split between buckets."""
    pairing = pair_slow_steps(slow, params)
    candidates = to_arrow(pairing.candidates)
    place_rows = to_arrow(places.select("place_id", "lat", "lon", "radius_m"))
    return EncounterScan(encounter_events(candidates, place_rows, params), pairing.crowding)


def detect_encounters(
    positions: Any, places: Any, params: EncounterParams = GFW_ENCOUNTER, tracks: Any = None
) -> list[Event]:
    """Encounter events from Ibis `positions` and `places` tables (DuckDB or Spark)."""
    candidates = to_arrow(encounter_candidates(positions, places, params, tracks))
    place_rows = to_arrow(places.select("place_id", "lat", "lon", "radius_m"))
    return encounter_events(candidates, place_rows, params)
