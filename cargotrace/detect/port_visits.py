"""Port visits: when a vessel entered a place's radius, stopped there, and left again.

Why hysteresis: a ship moored at the edge of a port's circle, or swinging at anchor across it,
would otherwise enter and leave the port every few minutes as its GPS fix jitters. A visit
therefore starts at the first position within the entry radius (3 km, or the place's own
`radius_m` when larger) and ends only when the vessel is seen beyond the exit radius (entry
radius + 1 km) or near another place. Silences inside a visit (a transponder switched to low
power, a receiver outage) do not end it: they are measured (`max_in_port_gap_h`). Stops use
the same idea on speed: a stop begins below 0.2 kn and ends only above 0.5 kn (DESIGN.md,
"Behaviour definitions").

The whole computation is one Ibis expression, so it runs unchanged on DuckDB and Spark:
positions meet places through an equi-join on a 0.1-degree grid cell (each place is unnested
into the cells its exit circle touches, wrapping at ±180: `place_grid`), which both engines
hash-join, then the haversine distance decides. One window pass numbers every vessel's
positions; after that only the positions near a place are carried on, grouped into "islands"
of consecutive positions near one place (gaps and islands), and aggregated into visits. Python
only turns the few visit rows into events.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import ibis
import pyarrow as pa

from cargotrace.detect import place_grid
from cargotrace.detect.coverage import ALL_OBSERVED, CoverageModel
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.params import PortVisitParams
from cargotrace.detect.track import epoch_s, track_table
from cargotrace.store.engines import to_arrow
from cargotrace.store.events import Event

__all__ = [
    "detect_port_visits", "epoch_s", "port_visit_candidates",
    "port_visit_events",
]

log = logging.getLogger(__name__)

CELL_DEG = 0.1
"""Grid cell of the position-place join: about 11 km of latitude, so a port's circle touches a
handful of cells and a position meets only the places of its own cell."""


def _eligible_places(places: Any, params: PortVisitParams) -> Any:
    """The places a vessel can visit, each with a whole-number `place_key` in `place_id`
    order: the positions near places are partitioned, sorted and grouped by place, and an
    integer key costs a fraction of a string one there (names are joined back to the visits).
    """
    pl = places.filter(places.kind.isin(params.kinds()))
    return pl.mutate(place_key=ibis.dense_rank().over(order_by=pl.place_id))


def _place_cells(places: Any, params: PortVisitParams) -> Any:
    """Each eligible place once per grid cell its exit circle touches (`place_grid`)."""
    pl = _eligible_places(places, params)
    enter_km = ibis.greatest(pl.radius_m / 1000.0, params.entry_radius_km)
    pl = pl.select(
        place_key=pl.place_key, place_lat=pl.lat, place_lon=pl.lon, enter_km=enter_km,
        reach_km=enter_km + params.exit_margin_km,
    )
    return place_grid.place_cells(pl, CELL_DEG)


def _near_rows(positions: Any, places: Any, params: PortVisitParams, keys: list[str],
               track: Any = None) -> Any:
    """The positions near a place (within its exit radius), each with the place it is in or
    near, and the next position's time in the vessel's whole track.

    Every located position is numbered along its track (`rn`), with the time of the position
    after it (`track.track_table`, or the run's shared `track`); that is the one
    pass over all positions. Only positions near a place go on: a jump in `rn` between two of
    them means the vessel was seen elsewhere in between. Of the places whose entry radius
    holds a position the nearest wins; failing that, the nearest whose exit radius holds it.
    """
    p = track if track is not None else track_table(positions, tuple(keys))
    p = place_grid.with_cells(
        p.select(*keys, "ts", "lat", "lon", "sog", "rn", "t_s", "next_t_s"), CELL_DEG)
    cells = _place_cells(places, params)
    # a position can be near several places only in a cell several places touch: only those
    # positions need choosing (a window over them), the rest keep their one place
    in_cell = ibis.window(group_by=[cells.cell_lat, cells.cell_lon])
    cells = cells.mutate(cell_places=cells.place_key.count().over(in_cell))
    j = place_grid.within(p, cells)  # within the exit radius
    j = j.mutate(inside=j.dist_km <= j.enter_km)
    columns = [*keys, "ts", "rn", "sog", "place_key", "dist_km", "inside", "t_s", "next_t_s"]
    single = j.filter(j.cell_places == 1).select(*columns)
    several = j.filter(j.cell_places > 1)
    one_position = ibis.window(
        group_by=[*keys, "rn"],
        order_by=[ibis.desc(several.inside), several.dist_km, several.place_key],
    )
    several = several.mutate(rank=ibis.row_number().over(one_position))
    several = several.filter(several.rank == 0).select(*columns)
    return single.union(several)


def port_visit_candidates(
    positions: Any, places: Any, params: PortVisitParams, data_end: datetime | None = None,
    track: Any = None,
) -> Any:
    """One row per visit: place, first/last position in it, whether the vessel was seen
    before it and when after it, stops and in-port silences. An Ibis expression; run it with
    `engines.to_arrow`.
    `data_end` (default: the last position's time) is when the data ends, for open visits.

    Visits are per MMSI, or per (MMSI, segment) when `positions` has the `segment` column of
    `cargotrace.detect.segments.identity_segments`: two ships sharing an MMSI would otherwise
    cut each other's visits into pieces every time the other one is heard.
    """
    keys = ["mmsi", "segment"] if "segment" in positions.columns else ["mmsi"]
    p = _near_rows(positions, places, params, keys, track)
    return _visits(p, keys, positions, places, params, data_end)


def _visits(p: Any, keys: list[str], positions: Any, places: Any, params: PortVisitParams,
            data_end: datetime | None) -> Any:
    """`port_visit_candidates` from the positions near places (`_near_rows`)."""
    # An island is a stretch of consecutive positions of a track near one place: `rn` minus the
    # row's number among the place's rows is constant along it, and changes as soon as the
    # vessel is seen away from the place, or near another one, in between.
    # The same pass (one sort) gives each row the position before it near the same place, for
    # the stops (`_stops`).
    by_place = ibis.window(group_by=[*keys, "place_key"], order_by="rn")
    p = p.mutate(place_rn=ibis.row_number().over(by_place),
                 prev_rn=p.rn.lag().over(by_place), prev_sog=p.sog.lag().over(by_place))
    p = p.mutate(island=p.rn - p.place_rn)
    island = [*keys, "place_key", "island"]
    # Hysteresis: a visit starts at the island's first position inside the entry radius, and
    # lasts to the island's end; ring positions before it (approaching, or anchored just
    # outside) are not part of it. Islands never inside the entry radius are no visit.
    # (An aggregate joined back: cheaper than a window over every near position.)
    bounds = p.group_by(island).aggregate(
        first_rn=ibis.ifelse(p.inside, p.rn, ibis.null("int64")).min(), last_rn=p.rn.max()
    )
    bounds = bounds.filter(bounds.first_rn.notnull())
    v = p.join(bounds, island)
    v = v.filter(v.rn >= v.first_rn)
    last = v.rn == v.last_rn
    visits = v.group_by(island).aggregate(
        start=v.ts.min(),
        last_ts=v.ts.max(),
        start_t_s=v.t_s.min(),
        last_t_s=v.t_s.max(),
        # the track's first position (rn 0) has none before it: the entry was not seen
        entry_seen=v.first_rn.min() > 0,
        after_t_s=ibis.ifelse(last, v.next_t_s, ibis.null("int64")).max(),
        n_positions=v.count(),
        min_distance_km=v.dist_km.min(),
        # each silence inside the visit, on the row of the position before it
        max_gap_s=ibis.ifelse(last, ibis.null("int64"), v.next_t_s - v.t_s).max(),
    )
    stops = _stops(v, island, params)
    visits = visits.left_join(stops, island).select(
        *visits.columns, n_stops=stops.n_stops.fill_null(0), stop_s=stops.stop_s,
        open_stop_t_s=stops.open_stop_t_s,
    )
    pl = _eligible_places(places, params)
    pl = pl.select(place_key=pl.place_key, place_id=pl.place_id, place_lat=pl.lat,
                   place_lon=pl.lon)
    end_t_s = (ibis.literal(int(data_end.timestamp()), "int64") if data_end is not None
               else epoch_s(positions.ts.max()))
    visits = visits.join(pl, "place_key").drop("place_key", "island")
    return visits.mutate(data_end_t_s=end_t_s)


def _stops(v: Any, island: list[str], params: PortVisitParams) -> Any:
    """Per visit (`island` keys): how many stops, the stopped seconds up to the last decided
    position seen in a stop, and the start of the stop still on at the visit's last decided
    position (closed in Python, against the visit's last position).

    Stops have hysteresis on speed: below stop_max_sog_kn starts one, above resume_min_sog_kn
    ends it, and positions in between (or without speed) keep the state of the last decided
    one. So a stop begins at a slow decided position after a fast one (or first in the
    visit), and lasts until the next decided one.

    Why not every decided position goes through the window: a decided position right after a
    decided one of the same state (the position before it, `prev_rn`, in the visit) starts
    nothing and ends nothing; its time is the sum of the steps around it, so the stop's
    seconds telescope over the positions left (a moored ship reports 0 kn for days: about 5
    in 6 decided positions repeat). The sort of the rest is the costliest step of the
    detector. `stop_s + (last_t_s - open_stop_t_s)` is the stopped time as before (`_stop_s`);
    an open stop's start is the last position left in it, not the last decided one."""
    slow, decided = _speed_state(v.sog, params)
    prev_slow, prev_decided = _speed_state(v.prev_sog, params)
    repeats = ((v.prev_rn == v.rn - 1) & (v.prev_rn >= v.first_rn) & prev_decided
               & (prev_slow == slow)).fill_null(False)
    d = v.filter(decided & ~repeats).select(*island, "rn", "t_s", slow=slow)
    by_rn = ibis.window(group_by=island, order_by="rn")
    d = d.mutate(prev_slow=d.slow.lag().over(by_rn), next_decided_t_s=d.t_s.lead().over(by_rn))
    d = d.filter(d.slow)
    return d.group_by(island).aggregate(
        n_stops=(~d.prev_slow.fill_null(False)).cast("int64").sum(),
        stop_s=(d.next_decided_t_s - d.t_s).sum(),
        open_stop_t_s=ibis.ifelse(d.next_decided_t_s.isnull(), d.t_s, ibis.null("int64")).max(),
    )


def _speed_state(sog: Any, params: PortVisitParams) -> tuple[Any, Any]:
    """Whether a speed is slow (below `stop_max_sog_kn`), and whether it decides the stop
    state (slow, or above `resume_min_sog_kn`); NULL speeds decide nothing."""
    slow = (sog < params.stop_max_sog_kn).fill_null(False)
    return slow, slow | (sog > params.resume_min_sog_kn).fill_null(False)


def _stop_s(row: dict[str, Any]) -> int:
    open_stop = row["open_stop_t_s"]
    return int(row["stop_s"] or 0) + (0 if open_stop is None else row["last_t_s"] - open_stop)


def _confidence_level(row: dict[str, Any], params: PortVisitParams) -> int:
    """GFW-like 1-4: 4 entry, stop and exit all seen; 3 a stop, but the entry or the exit
    unseen; 2 several positions without a stop (sailing through); 1 a single position.
    A silence of `stop_gap_h` inside the visit counts as a stop, as GFW counts gaps."""
    if row["n_positions"] <= 1:
        return 1
    stopped = row["n_stops"] > 0 or (row["max_gap_s"] or 0) >= params.stop_gap_h * 3600
    if not stopped:
        return 2
    entry, exit_ = row["entry_seen"], row["after_t_s"] is not None
    return 4 if entry and exit_ else 3


def port_visit_events(candidates: pa.Table, params: PortVisitParams,
                      coverage: CoverageModel = ALL_OBSERVED) -> list[Event]:
    """Events from `port_visit_candidates` rows of at least `min_confidence`; a visit with no
    later position of its vessel is still going on (open: end NULL) unless the vessel stayed
    silent for `open_max_silence_h` of the hours the feed observed (`coverage`): a ship last
    heard in port before the feed went quiet is still in port, not gone."""
    events = []
    whole = coverage
    for row in candidates.to_pylist():
        level = _confidence_level(row, params)
        if level < params.min_confidence:
            continue
        # its own feed's, in a store of several (coverage.py)
        coverage = whole.for_vessel(row["mmsi"], row["last_ts"])
        observed_end = coverage.observed_end()
        last_heard = row["after_t_s"] is None
        end_s = row["data_end_t_s"] if observed_end is None else min(
            row["data_end_t_s"], observed_end.timestamp())
        silent_s = max(0.0, end_s - row["last_t_s"]) - 3600 * coverage.unobserved_h(
            row["last_ts"], datetime.fromtimestamp(max(end_s, row["last_t_s"]), UTC))
        is_open = last_heard and silent_s < params.open_max_silence_h * 3600
        end: datetime | None = None if is_open else row["last_ts"]
        max_gap = row["max_gap_s"]
        attrs: dict[str, Any] = {
            "visit_confidence": level,
            "duration_h": round((row["last_t_s"] - row["start_t_s"]) / 3600, 4),
            "stop_h": round(_stop_s(row) / 3600, 4),
            "n_stops": int(row["n_stops"]),
            "max_in_port_gap_h": 0.0 if max_gap is None else round(max_gap / 3600, 4),
            "n_positions": int(row["n_positions"]),
            "min_distance_km": round(row["min_distance_km"], 3),
            "entry_seen": bool(row["entry_seen"]),
            "exit_seen": not last_heard,
            "open": is_open,
            "last_position_ts": row["last_ts"].isoformat(),
            "unobserved_h": round(coverage.unobserved_h(row["start"], row["last_ts"]), 4),
        }
        if "segment" in row:
            attrs["segment"] = row["segment"]
        events.append(Event(
            EventKind.PORT_VISIT, int(row["mmsi"]), row["start"], end,
            lat=row["place_lat"], lon=row["place_lon"], place_id=row["place_id"],
            confidence=level / 4, attrs=attrs,
        ))
    return events


def detect_port_visits(
    positions: Any, places: Any, params: PortVisitParams, data_end: datetime | None = None,
    track: Any = None, coverage: CoverageModel = ALL_OBSERVED,
) -> list[Event]:
    """Port visits of every vessel in `positions` (Ibis tables: positions, places; give
    positions a `segment` column, see `port_visit_candidates`, to keep shared MMSIs apart).
    `track`: the positions' `track.track_table` over the same keys (the run's
    `track.segmented_track`), when the caller already has it."""
    table = to_arrow(port_visit_candidates(positions, places, params, data_end, track))
    events = port_visit_events(table, params, coverage)
    log.info("port visits: %d", len(events))
    return events
