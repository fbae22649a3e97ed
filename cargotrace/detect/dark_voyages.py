"""Dark voyages (a crossing made with the transponder off) and draught changes across silences.

A silence alone is weak evidence: offshore, reception is poor and some vessels are rarely
heard anywhere. A *dark voyage* is a silence that has the shape of a voyage hidden on purpose:
the vessel fell silent soon after getting under way (leaving a port, or a stop at sea), came
back only on its approach to the next port it visited, and stayed silent far longer than its
own reception history explains (its 99th-percentile interval between positions while under
way, times a factor). A vessel that leaves port, falls silent the same way and is not heard
again before the data ends makes an *open* dark voyage (end NULL), with no destination.

A *draught change* compares the last draught a vessel reported before a silence with the
first it reported after it: loading or unloading cargo while unseen changes the draught, and
is the point of a covert shipment.

The silences, with each vessel's reception baseline and when it last went slow, are one Ibis
expression (window functions and a quantile per vessel), so they run on DuckDB and Spark
alike; matching them to port visits is a little Python over the few silences found.
"""

from __future__ import annotations

import bisect
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import ibis
import pyarrow as pa

from cargotrace.detect.coverage import ALL_OBSERVED, CoverageModel
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.params import DarkVoyageParams, DraughtChangeParams
from cargotrace.detect.track import epoch_s, track_table
from cargotrace.geo.expr import haversine_km
from cargotrace.geo.sphere import KM_PER_NM
from cargotrace.store.engines import to_arrow
from cargotrace.store.events import Event

__all__ = [
    "dark_voyage_events", "detect_dark_voyages",
    "detect_draught_changes", "silence_candidates",
]

log = logging.getLogger(__name__)


def silence_candidates(
    positions: Any, params: DarkVoyageParams, data_end: datetime, track: Any = None
) -> pa.Table:
    """One row per silence of at least `min_silence_h` (open ones: NULL end), with the vessel's
    reception baseline and the time it was last slow before the silence.

    Two queries: the silences first (one pass over the track; few rows), then what each
    needs from the vessel's other positions, on the silences fetched. As one expression the
    engine found the silences three times over (once per use: the last slow time, the silent
    vessels, the result) and the last slow times twice.

    `track`: the positions' `track.track_table` (each position with the next one), when the
    caller already has it."""
    p = track if track is not None else track_table(positions)
    found = to_arrow(_silences(p, params, data_end))
    if found.num_rows == 0:
        return _with_history(found, None)
    return _with_history(found, to_arrow(_history(p, found, params)))


def _silences(p: Any, params: DarkVoyageParams, data_end: datetime) -> Any:
    """The silences of the track `p` (an Ibis expression): where and when each began and ended."""
    end = ibis.timestamp(data_end)
    min_s = round(params.min_silence_h * 3600)
    # a loose test on whole seconds (cheap on every position), and the exact one on raw
    # timestamps only where it passes: adding an interval to a TIMESTAMPTZ goes through ICU
    # on DuckDB, slow on every position (a CASE keeps the engine from testing it first)
    loose = ibis.coalesce(p.next_t_s, int(data_end.timestamp()) + 1) - p.t_s >= min_s - 1
    exact = ibis.coalesce(p.next_ts, end) >= p.ts + ibis.interval(seconds=min_s)
    s = p.filter(ibis.ifelse(loose, exact, False))
    return s.select(
        "mmsi", "lat", "lon", "next_lat", "next_lon",
        start=s.ts, end=s.next_ts, start_t_s=s.t_s, end_t_s=s.next_t_s,
        silence_s=epoch_s(ibis.coalesce(s.next_ts, end)) - s.t_s,
        distance_km=haversine_km(s.lat, s.lon, s.next_lat, s.next_lon),
    )


def _history(p: Any, found: pa.Table | Any, params: DarkVoyageParams) -> Any:
    """Per silence of `found` (fetched `_silences`, or on Spark the silences kept on the
    executors), its vessel's last slow time before it (`last_slow_t_s`) and reception
    baseline (`baseline_s`, `n_intervals`): one row per silence, (mmsi, start) as in `found`."""
    s = (ibis.memtable(found.select(["mmsi", "start"])) if isinstance(found, pa.Table)
         else found.select("mmsi", "start"))
    # when the vessel was last slow before each silence: a join of the few silences to the
    # slow positions (cheaper than a running maximum over every position)
    slow = p.filter((p.sog < params.slow_max_sog_kn).fill_null(False)).select(
        slow_mmsi=p.mmsi, slow_ts=p.ts)
    last_slow = s.join(slow, (s.mmsi == slow.slow_mmsi) & (slow.slow_ts <= s.start))
    last_slow = last_slow.group_by(["mmsi", "start"]).aggregate(
        last_slow_t_s=epoch_s(last_slow.slow_ts.max()))
    # the baseline, only for the vessels that have a silence
    # (each interval on the row of its first position)
    underway = (p.sog >= params.underway_min_sog_kn) & (p.next_sog >= params.underway_min_sog_kn)
    moving = p.filter(underway.fill_null(False))
    silent = s.select(s_mmsi=s.mmsi).distinct()
    i = moving.semi_join(silent, moving.mmsi == silent.s_mmsi)
    baseline = i.group_by("mmsi").aggregate(
        baseline_s=(i.next_t_s - i.t_s).cast("float64")
        .quantile(params.baseline_quantile),
        n_intervals=i.count(),
    )
    out = s.left_join(last_slow, ["mmsi", "start"]).select(
        "mmsi", "start", "last_slow_t_s")
    return out.left_join(baseline, "mmsi").select(
        "mmsi", "start", "last_slow_t_s", "baseline_s", "n_intervals")


def silences_on_engine(p: Any, params: DarkVoyageParams, data_end: datetime) -> tuple[Any, Any]:
    """`silence_candidates` left on the engine (Spark: no silence comes to the driver): the
    silences of the track `p` kept there once (read twice: by their history and the result)
    with their `_history` joined, and the kept silences to release after."""
    found = _silences(p, params, data_end).cache()
    history = _history(p, found, params)
    joined = found.left_join(history, ["mmsi", "start"])
    return joined.select(*found.columns, *[f.name for f in _HISTORY]), found


_HISTORY = pa.schema([("last_slow_t_s", pa.int64()), ("baseline_s", pa.float64()),
                      ("n_intervals", pa.int64())])


def _with_history(found: pa.Table, history: pa.Table | None) -> pa.Table:
    """`found` silences with their `_history` columns (NULL without one), in (mmsi, start)
    order."""
    if history is None:
        history = pa.table({"mmsi": pa.array([], pa.int64()),
                            "start": pa.array([], found.schema.field("start").type),
                            **{f.name: pa.array([], f.type) for f in _HISTORY}})
    joined = found.join(history, ["mmsi", "start"], join_type="left outer")
    return joined.sort_by([("mmsi", "ascending"), ("start", "ascending")])


def _visit_index(port_visits: list[Event]) -> dict[int, list[Event]]:
    by_mmsi: dict[int, list[Event]] = defaultdict(list)
    for visit in port_visits:
        if visit.kind == EventKind.PORT_VISIT:
            by_mmsi[visit.mmsi].append(visit)
    for visits in by_mmsi.values():
        visits.sort(key=lambda v: v.start)
    return by_mmsi


def dark_voyage_events(
    silences: pa.Table, port_visits: list[Event], params: DarkVoyageParams,
    coverage: CoverageModel = ALL_OBSERVED, exits: Sequence[Event] = (),
) -> list[Event]:
    """Dark voyages among `silence_candidates` rows, given the vessels' port visits.

    Only the hours the feed observed count (`coverage`): an open silence is measured to the end
    of the feed's coverage, and hours the whole feed was quiet are no evidence; a silence that
    is the vessel leaving the feed's footprint (`exits`, the run's left_coverage events) is no
    dark voyage."""
    visits = _visit_index(port_visits)
    # a silence that left the feed's footprint is reported as that (left_coverage), never as
    # a dark voyage: no receiver could have heard the voyage
    left = {(e.mmsi, e.start) for e in exits}
    events = []
    for row in silences.to_pylist():
        if (int(row["mmsi"]), row["start"]) in left:
            continue  # sailed out of the feed's reach
        if not _observed(row, coverage.for_vessel(row["mmsi"], row["start"])):
            continue
        ends = _port_ends(row, visits.get(int(row["mmsi"]), []), params)
        if ends is None:
            continue
        came_from, went_to = ends
        if row["last_slow_t_s"] is None:
            continue  # never seen slow before: where the voyage began is unknown
        departure_h = (row["start_t_s"] - row["last_slow_t_s"]) / 3600
        if departure_h > params.max_visible_departure_h:
            continue
        silence_h = row["silence_s"] / 3600
        baseline_h = None if row["baseline_s"] is None else row["baseline_s"] / 3600
        if silence_h < params.min_silence_h or (
            baseline_h is not None and silence_h < params.baseline_factor * baseline_h
        ):
            continue
        events.append(_event(row, came_from, went_to, silence_h, baseline_h, departure_h))
    return events


def _port_ends(
    row: dict[str, Any], mine: list[Event], params: DarkVoyageParams,
) -> tuple[Event | None, Event | None] | None:
    """The vessel's port visits (sorted by start) the silence lies between: the one before it
    (None: none seen) and, for a closed silence, the one after it (None for an open one).
    None when the silence is no voyage between ports: it falls inside a visit, an open one
    was last heard in port, or a closed one is followed by no visit within
    `max_visible_arrival_h`."""
    starts = [v.start for v in mine]
    i = bisect.bisect_right(starts, row["start"])
    came_from = mine[i - 1] if i > 0 else None
    if came_from is not None and (came_from.end is None or came_from.end > row["start"]):
        return None  # silent inside a port visit: an in-port gap, not a voyage
    if row["end"] is None:
        if came_from is None or came_from.end == row["start"]:
            return None  # last heard in port: still there with AIS off, or left; cannot tell
        return came_from, None
    j = bisect.bisect_left(starts, row["end"])
    went_to = mine[j] if j < len(mine) else None
    if went_to is None:
        return None
    arrival_h = (went_to.start - row["end"]).total_seconds() / 3600
    if arrival_h > params.max_visible_arrival_h:
        return None
    return came_from, went_to


def _observed(row: dict[str, Any], coverage: CoverageModel) -> bool:
    """Measure the silence on the hours the feed observed (in place: `silence_s`,
    `unobserved_h`, `measured_to`); False when nothing of it was observed."""
    end = row["end"] or coverage.observed_end()
    if end is None:
        return True  # no coverage model: the silence as the data give it
    if end <= row["start"] or coverage.explained_by_outage(row["start"]):
        return False  # heard after the feed's coverage ended, or silenced by an outage
    row["unobserved_h"] = coverage.unobserved_h(row["start"], end)
    row["measured_to"] = end
    row["silence_s"] = (end - row["start"]).total_seconds() - 3600 * row["unobserved_h"]
    return True


def _event(row: dict[str, Any], came_from: Event | None, went_to: Event | None,
           silence_h: float, baseline_h: float | None, departure_h: float) -> Event:
    is_open = went_to is None
    speed = (None if is_open or row["silence_s"] <= 0
             else row["distance_km"] / KM_PER_NM / silence_h)
    return Event(
        EventKind.DARK_VOYAGE, int(row["mmsi"]), row["start"], row["end"],
        lat=row["lat"], lon=row["lon"],
        place_id=None if went_to is None else went_to.place_id,
        confidence=0.6 if is_open else 0.9,
        attrs={
            "from_place_id": None if came_from is None else came_from.place_id,
            "to_place_id": None if went_to is None else went_to.place_id,
            "silence_h": round(silence_h, 4),
            "baseline_h": None if baseline_h is None else round(baseline_h, 4),
            "n_baseline_intervals": int(row["n_intervals"] or 0),
            "visible_after_departure_h": round(departure_h, 4),
            "visible_before_arrival_h": None if went_to is None else round(
                (went_to.start - row["end"]).total_seconds() / 3600, 4),
            "distance_km": None if is_open else round(row["distance_km"], 3),
            "implied_speed_kn": None if speed is None else round(speed, 2),
            "open": is_open,
            "end_lat": row["next_lat"], "end_lon": row["next_lon"],
            "unobserved_h": round(row.get("unobserved_h", 0.0), 4),
            "measured_to": None if row.get("measured_to") is None
            else row["measured_to"].isoformat(),
        },
    )


def detect_dark_voyages(
    port_visits: list[Event], positions: Any, params: DarkVoyageParams,
    data_end: datetime | None = None, track: Any = None,
    coverage: CoverageModel = ALL_OBSERVED, exits: Sequence[Event] = (),
) -> list[Event]:
    """Dark voyages of the vessels in `positions` (an Ibis table), given their port visits
    (from `detect_port_visits`). `data_end` defaults to the last position's time; `track`:
    the positions' `track.track_table`, when the caller already has it; `coverage` and
    `exits`: see `dark_voyage_events`."""
    if data_end is None:
        data_end = to_arrow(positions.ts.max().name("data_end").as_table())[0][0].as_py()
        if data_end is None:
            return []
    silences = silence_candidates(positions, params, data_end, track)
    events = dark_voyage_events(silences, port_visits, params, coverage, exits)
    log.info("dark voyages: %d of %d silences", len(events), silences.num_rows)
    return events


SILENCE_PRIORITY = (EventKind.GAP, EventKind.LEFT_COVERAGE, EventKind.DARK_VOYAGE)
"""The kind a silence reported as several is compared as (its first in this order)."""
_WINDOW_KEYS = ("s_mmsi", "s_start", "s_end")
_CARRIED = ("s_lat", "s_lon", "s_confidence", "s_kind")


def silence_windows(silences: list[Event]) -> pa.Table:
    """The closed silences to compare draughts across, each (mmsi, start, end) once (the first
    of `silences`: gaps before coverage exits before dark voyages), with what its event says."""
    seen: dict[tuple[int, datetime, datetime], Event] = {}
    for s in silences:
        if s.end is not None:
            seen.setdefault((s.mmsi, s.start, s.end), s)
    kept = list(seen.values())
    return pa.table({
        "s_mmsi": pa.array([e.mmsi for e in kept], pa.int64()),
        "s_start": pa.array([e.start for e in kept], pa.timestamp("us", tz="UTC")),
        "s_end": pa.array([e.end for e in kept], pa.timestamp("us", tz="UTC")),
        "s_lat": pa.array([e.lat for e in kept], pa.float64()),
        "s_lon": pa.array([e.lon for e in kept], pa.float64()),
        "s_confidence": pa.array([e.confidence for e in kept], pa.float64()),
        "s_kind": pa.array([str(e.kind) for e in kept], pa.string()),
    })


def draught_candidates(vessel_reports: Any, windows: Any) -> Any:
    """Per silence window (an Ibis table: `silence_windows`' columns), the last draught
    reported at or before its start and the first at or after its end (an Ibis expression;
    a window without both is left out)."""
    r = vessel_reports.filter(vessel_reports.draught.notnull() & (vessel_reports.draught > 0))
    r = r.select("mmsi", "ts", "draught")
    j = windows.join(r, windows.s_mmsi == r.mmsi)
    keys = list(_WINDOW_KEYS)
    before = j.filter(j.ts <= j.s_start)
    before = before.group_by([*keys, *_CARRIED]).aggregate(
        before_ts=before.ts.max(), draught_before_m=before.draught.argmax(before.ts))
    after = j.filter(j.ts >= j.s_end)
    after = after.group_by(keys).aggregate(
        after_ts=after.ts.min(), draught_after_m=after.draught.argmin(after.ts))
    return before.join(after, keys)


def draught_change_events(rows: pa.Table, params: DraughtChangeParams) -> list[Event]:
    """`draught_candidates` rows to draught changes (each row on its own: on Spark, per
    partition on the executors)."""
    events = []
    for row in sorted(rows.to_pylist(), key=lambda r: (r["s_mmsi"], r["s_start"])):
        change = row["draught_after_m"] - row["draught_before_m"]
        if abs(change) < params.min_change_m - 1e-9:
            continue
        events.append(Event(
            EventKind.DRAUGHT_CHANGE, int(row["s_mmsi"]), row["s_start"], row["s_end"],
            lat=row["s_lat"], lon=row["s_lon"], confidence=row["s_confidence"],
            attrs={
                "draught_before_m": row["draught_before_m"],
                "draught_after_m": row["draught_after_m"],
                "change_m": round(change, 2),
                "silence_kind": row["s_kind"],
                "report_before_ts": row["before_ts"].isoformat(),
                "report_after_ts": row["after_ts"].isoformat(),
            },
        ))
    return events


def detect_draught_changes(
    vessel_reports: Any, silences: list[Event], params: DraughtChangeParams
) -> list[Event]:
    """The reported draught before vs after each closed silence (gaps and dark voyages; one
    silence reported as both is compared once)."""
    windows = silence_windows(silences)
    if windows.num_rows == 0:
        return []
    rows = to_arrow(draught_candidates(vessel_reports, ibis.memtable(windows)))
    return draught_change_events(rows, params)
