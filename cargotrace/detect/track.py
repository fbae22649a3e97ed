"""The shared track: every located position with the next one along its vessel's track.

Why one table: identity segments, port visits and dark voyages all need each position's
next position in (ts, lat, lon) order (a total order: the store dedups on (mmsi,
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
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["TRACK_COLUMNS", "epoch_s", "epoch_seconds", "in_runs", "located",
           "retracked", "segmented_track", "split_track", "tied_mmsis", "track_table"]

ORDER = ("ts", "lat", "lon")
TRACK_COLUMNS = (
    "ts", "lat", "lon", "sog", "t_s", "rn", "next_ts", "next_t_s", "next_lat", "next_lon",
    "next_sog",
)
"""After the keys (mmsi, or mmsi and segment): the position, its whole seconds `t_s`, its
0-based number `rn` along the track, and the next position's values (NULL at the end).

Only the next position: every step between two positions is the row of its first one, so a
detector that needs a step (a jump, an interval, a silence) reads it there. The previous
position's values would be the same steps a row later, and cost the run's sort four more
window functions and the shared track four more columns (about a third of its width)."""


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


def _neighbours(p: Any, keys: list[str], order: tuple[str, ...] = ORDER) -> Any:
    """`p` (keys, ts, lat, lon, sog) numbered along each track in `order`, with the next
    position; the next whole second is taken from the next time (the same value `t_s` would
    give it, for one window function fewer)."""
    track = ibis.window(group_by=keys, order_by=list(order))
    p = p.mutate(
        rn=ibis.row_number().over(track),
        next_ts=p.ts.lead().over(track),
        next_lat=p.lat.lead().over(track),
        next_lon=p.lon.lead().over(track),
        next_sog=p.sog.lead().over(track),
    )
    return p.mutate(t_s=epoch_s(p.ts), next_t_s=epoch_s(p.next_ts))


def track_table(positions: Any, keys: tuple[str, ...] = ("mmsi",),
                by_time_only: bool = False) -> Any:
    """Located `positions` numbered along each track of `keys`, with the next position
    (`TRACK_COLUMNS`): one sort of every position, for every detector that needs order.

    `by_time_only` sorts on `ts` alone: the same order wherever a track has no two positions
    at one time (the store keeps such ties only when their coordinates differ, rarely), and
    DuckDB sorts 10M positions on one key in about 0.7x the time of three. Ties are then in
    no set order: the caller finds the tracks that have one (`tied_mmsis`) and numbers them
    again in the full order (`retracked`), as `run.Context.track` does."""
    p = located(positions)
    p = p.select(*keys, "ts", "lat", "lon", "sog")
    order = ("ts",) if by_time_only else ORDER
    return _neighbours(p, list(keys), order).select(*keys, *TRACK_COLUMNS)


def tied_mmsis(track: Any) -> Any:
    """The MMSIs of `track` (per MMSI) with two positions at one time (an Ibis expression, one
    column `mmsi`): in a track sorted on time, tied positions are neighbours, so one of them
    has the next position at its own time. Times are never NULL (the store's key)."""
    return track.filter(track.next_ts == track.ts).select("mmsi").distinct()


RUN_BUCKET_ROWS = 1024
"""Row numbers per bucket when positions meet their identity runs: each run is listed once per
bucket of 1024 row numbers it touches, so a position meets the one or two runs of its own
bucket on equal keys (mmsi, bucket), which both engines hash-join, before the exact range
test. On mmsi alone a position met every run of its MMSI, hundreds for a shared one."""


def _bucketed_runs(runs: pa.Table) -> pa.Table:
    """`runs` (mmsi, first_rn, last_rn, segment) with a `bucket` column, one row per bucket
    of `RUN_BUCKET_ROWS` row numbers each run touches."""
    lo = pc.divide(runs.column("first_rn"), RUN_BUCKET_ROWS).to_numpy()
    hi = pc.divide(runs.column("last_rn"), RUN_BUCKET_ROWS).to_numpy()
    n = hi - lo + 1
    offsets = np.repeat(np.cumsum(n) - n, n)
    bucket = np.repeat(lo, n) + (np.arange(int(n.sum())) - offsets)
    out = runs.take(np.repeat(np.arange(runs.num_rows), n))
    return out.append_column("bucket", pa.array(bucket, pa.int64()))


def in_runs(numbered: Any, runs: pa.Table) -> Any:
    """`numbered` (a position per row, its `mmsi` and 0-based `rn` along the MMSI's track)
    joined to the run of `runs` (`segments.Segmentation.runs`) that holds it."""
    r = ibis.memtable(_bucketed_runs(runs))
    bucket = numbered.rn // RUN_BUCKET_ROWS
    return numbered.join(r, [numbered.mmsi == r.mmsi, bucket == r.bucket,
                             numbered.rn >= r.first_rn, numbered.rn <= r.last_rn])


def _numbered_runs(runs: pa.Table) -> pa.Table:
    """`runs` (mmsi, first_rn, last_rn, segment) with, per run, `offset`: how many positions
    of its (mmsi, segment) the earlier runs hold (the run's first row number along its
    segment), and `next_rn`: the first row number of the segment's next run (NULL for its
    last run), where the position after the run's last one is."""
    order = np.lexsort((runs.column("first_rn").to_numpy(), runs.column("segment").to_numpy(),
                        runs.column("mmsi").to_numpy()))
    runs = runs.take(order)  # by (mmsi, segment, first_rn): each segment's runs in track order
    mmsi = runs.column("mmsi").to_numpy()
    segment = runs.column("segment").to_numpy()
    first = runs.column("first_rn").to_numpy()
    size = runs.column("last_rn").to_numpy() - first + 1
    # a new (mmsi, segment) starts where either key changes
    starts = np.ones(len(runs), dtype=bool)
    starts[1:] = (mmsi[1:] != mmsi[:-1]) | (segment[1:] != segment[:-1])
    before = np.cumsum(size) - size  # positions of every earlier run, all segments
    offset = before - np.maximum.accumulate(np.where(starts, before, 0))
    last_of_segment = np.append(starts[1:], True)
    next_rn = pa.array(np.append(first[1:], 0), pa.int64(), mask=last_of_segment)
    return runs.append_column("offset", pa.array(offset, pa.int64())).append_column(
        "next_rn", next_rn)


def split_track(track: Any, runs: pa.Table) -> Any:
    """The positions of the MMSIs `runs` splits, numbered along each (mmsi, segment) with their
    next position (`TRACK_COLUMNS`): the part of `segmented_track` that is computed again.

    No sort: a run is a stretch of the MMSI's track in one segment, so within it the MMSI's
    numbering and next position stand (renumbered from the run's `offset` in its segment), and
    the next position after a run's last one is the first of the segment's next run, fetched
    by row number. Small (the few split MMSIs), so a detection run keeps it on the engine
    rather than redo its joins for each detector that reads the segmented track."""
    numbered = _numbered_runs(runs)
    placed = in_runs(track, numbered)
    # the first positions of the runs that follow another run of their segment
    heads = ibis.memtable(numbered.filter(pc.is_valid(numbered.column("next_rn")))
                          .select(["mmsi", "next_rn"]).rename_columns(["h_mmsi", "h_rn"]))
    h = track.join(heads, [track.mmsi == heads.h_mmsi, track.rn == heads.h_rn]).select(
        "h_mmsi", "h_rn", h_ts=track.ts, h_t_s=track.t_s, h_lat=track.lat, h_lon=track.lon,
        h_sog=track.sog)
    joined = placed.left_join(h, [placed.mmsi == h.h_mmsi, ibis.ifelse(
        placed.rn == placed.last_rn, placed.next_rn, ibis.null("int64")) == h.h_rn])
    at_end = joined.rn == joined.last_rn

    def following(column: str) -> Any:
        return ibis.ifelse(at_end, joined[f"h_{column}"], joined[f"next_{column}"])

    return joined.select(
        "mmsi", "segment", "ts", "lat", "lon", "sog", "t_s",
        rn=joined.rn - joined.first_rn + joined.offset,
        **{f"next_{c}": following(c) for c in ("ts", "t_s", "lat", "lon", "sog")},
    ).select("mmsi", "segment", *TRACK_COLUMNS)


def segmented_track(track: Any, runs: pa.Table, split: Any = None) -> Any:
    """`track` (per MMSI) with each position's identity `segment`, numbered per (mmsi, segment).

    `runs` is `segments.Segmentation.runs`: (mmsi, first_rn, last_rn, segment) for the split
    MMSIs only, on the same 0-based numbering as `track.rn`. The other MMSIs are segment 0 and
    keep their numbering and neighbours; the split ones are numbered again per segment, so
    the other ship's positions are never a neighbour. `split`: `split_track(track, runs)`,
    when the caller keeps it.
    """
    columns = ["mmsi", "segment", *TRACK_COLUMNS]
    if runs.num_rows == 0:
        return track.mutate(segment=ibis.literal(0, "int64")).select(*columns)
    r = ibis.memtable(runs)
    split_mmsis = r.select(split_mmsi=r.mmsi).distinct()
    rest = track.anti_join(split_mmsis, track.mmsi == split_mmsis.split_mmsi)
    rest = rest.mutate(segment=ibis.literal(0, "int64")).select(*columns)
    # one schema for both sides: a track kept on Spark reads back its row numbers as int32
    schema = ibis.schema({n: t.copy(nullable=True) for n, t in rest.schema().items()})
    redone = split if split is not None else split_track(track, runs)
    return ibis.union(rest.cast(schema), redone.select(*columns).cast(schema))


def retracked(track: Any, positions: Any, mmsis: pa.Table) -> Any:
    """`track` (per MMSI) after positions of `mmsis` (one column, `mmsi`) were left out of
    `positions`: those MMSIs are numbered again from `positions`, the others keep theirs. A
    run that flags a few outlier positions re-sorts their MMSIs only, not every position."""
    m = ibis.memtable(mmsis.rename_columns(["redo_mmsi"]))
    rest = track.anti_join(m, track.mmsi == m.redo_mmsi)
    redone = track_table(positions.semi_join(m, positions.mmsi == m.redo_mmsi))
    schema = ibis.schema({n: t.copy(nullable=True) for n, t in rest.schema().items()})
    return ibis.union(rest.cast(schema), redone.select(*schema.names).cast(schema))
