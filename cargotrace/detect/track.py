"""The shared track: every located position with its neighbours along its vessel's track.

Why one table: identity segments, port visits and dark voyages all need each position's
previous and next position in (ts, lat, lon) order (a total order: the store dedups on (mmsi,
ts, lat, lon)). Each of them used to sort every position itself, and sorting 10M positions is
most of what they cost. A detection run now sorts once (`track_table`), keeps the result on the
engine (`run.Context.track`: a temporary table on DuckDB, a persisted frame on Spark) and every
detector starts from it; without a run, each detector builds it from its positions.

Two ships sharing an MMSI are split afterwards (`segmented_track`): only the few positions of
split MMSIs are numbered again per (mmsi, segment), the rest keep the MMSI's numbering, which
is the same thing when the MMSI has one segment.

Times are whole Unix seconds (`t_s`), floored the same way on both engines (DuckDB's epoch has
microseconds, Spark's none); exact durations are taken from the timestamps where they matter.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa

__all__ = ["TRACK_COLUMNS", "epoch_s", "epoch_seconds", "located", "segmented_track",
           "track_table"]

ORDER = ("ts", "lat", "lon")
TRACK_COLUMNS = (
    "ts", "lat", "lon", "sog", "t_s", "rn", "prev_t_s", "prev_lat", "prev_lon", "prev_sog",
    "next_ts", "next_t_s", "next_lat", "next_lon",
)
"""After the keys (mmsi, or mmsi and segment): the position, its whole seconds `t_s`, its
0-based number `rn` along the track, and the previous / next position's values (NULL at the
ends)."""


def _epoch(ts: Any) -> float:
    """DuckDB's own epoch() of a TIMESTAMPTZ (seconds, with microseconds)."""
    raise NotImplementedError  # a builtin: only its name and signature are used


_duckdb_epoch = ibis.udf.scalar.builtin(
    _epoch, name="epoch", signature=((dt.Timestamp(timezone="UTC"),), dt.float64)
)


def _on_duckdb(expr: Any) -> bool:
    try:
        return bool(ibis.get_backend(expr).name == "duckdb")
    except Exception:  # an expression bound to no backend: Ibis' default is DuckDB
        return True


def epoch_seconds(ts: Any) -> Any:
    """Unix seconds of a UTC timestamp (float64; whole seconds on Spark).

    Ibis compiles `epoch_seconds()` for DuckDB as EPOCH(CAST(ts AS TIMESTAMP)): the cast goes
    through ICU's calendar, about 0.1 µs a row (1 s per 10M positions, every time a detector
    asks). DuckDB's epoch() of the TIMESTAMPTZ itself gives the same number ten times faster;
    other engines keep Ibis' portable form.
    """
    if _on_duckdb(ts):
        return _duckdb_epoch(ts)
    return ts.epoch_seconds()


def epoch_s(ts: Any) -> Any:
    """Whole Unix seconds of a timestamp, identical on both engines (floored)."""
    return epoch_seconds(ts).cast("float64").floor().cast("int64")


def located(positions: Any) -> Any:
    """Positions with coordinates: the only ones a track is made of."""
    return positions.filter(positions.lat.notnull() & positions.lon.notnull())


def _neighbours(p: Any, keys: list[str]) -> Any:
    track = ibis.window(group_by=keys, order_by=list(ORDER))
    return p.mutate(
        rn=ibis.row_number().over(track),
        prev_t_s=p.t_s.lag().over(track),
        prev_lat=p.lat.lag().over(track),
        prev_lon=p.lon.lag().over(track),
        prev_sog=p.sog.lag().over(track),
        next_ts=p.ts.lead().over(track),
        next_t_s=p.t_s.lead().over(track),
        next_lat=p.lat.lead().over(track),
        next_lon=p.lon.lead().over(track),
    )


def track_table(positions: Any, keys: tuple[str, ...] = ("mmsi",)) -> Any:
    """Located `positions` numbered along each track of `keys`, with their neighbours
    (`TRACK_COLUMNS`): one sort of every position, for every detector that needs order."""
    p = located(positions)
    p = p.select(*keys, "ts", "lat", "lon", "sog", t_s=epoch_s(p.ts))
    return _neighbours(p, list(keys)).select(*keys, *TRACK_COLUMNS)


def segmented_track(track: Any, runs: pa.Table) -> Any:
    """`track` (per MMSI) with each position's identity `segment`, numbered per (mmsi, segment).

    `runs` is `segments.Segmentation.runs`: (mmsi, first_rn, last_rn, segment) for the split
    MMSIs only, on the same 0-based numbering as `track.rn`. The other MMSIs are segment 0 and
    keep their numbering and neighbours; the split ones are numbered again per segment, so
    the other ship's positions are never a neighbour.
    """
    columns = ["mmsi", "segment", *TRACK_COLUMNS]
    if runs.num_rows == 0:
        return track.mutate(segment=ibis.literal(0, "int64")).select(*columns)
    r = ibis.memtable(runs)
    split = r.select(split_mmsi=r.mmsi).distinct()
    rest = track.anti_join(split, track.mmsi == split.split_mmsi)
    rest = rest.mutate(segment=ibis.literal(0, "int64")).select(*columns)
    mine = track.semi_join(split, track.mmsi == split.split_mmsi)
    mine = mine.join(r, [mine.mmsi == r.mmsi, mine.rn >= r.first_rn, mine.rn <= r.last_rn])
    mine = mine.select("mmsi", "segment", "ts", "lat", "lon", "sog", "t_s")
    # one schema for both sides: a track kept on Spark reads back its row numbers as int32
    schema = ibis.schema({n: t.copy(nullable=True) for n, t in rest.schema().items()})
    redone = _neighbours(mine, ["mmsi", "segment"]).select(*columns)
    return ibis.union(rest.cast(schema), redone.cast(schema))
