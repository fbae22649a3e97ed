"""Position outliers: single positions off the track that the next position returns from.

Why apart from identity: a GPS or receiver glitch (a dropped digit of the latitude, a fix from
hours ago stamped with the feed's first second) makes one position hundreds or thousands of km
off a ship's track, and the ship is back at the next report. Read as behaviour it is a
"teleport" (an identity finding), a gap's end point, an encounter's partner position. It is none
of these: it is a position of bad quality. Such positions are kept in `positions` (nothing is
lost), marked in the `position_flags` table with why (the reason, the implied speeds, the
parameters), and every detector of a run reads the positions without them.

What counts as a *lone outlier* (`reason` = `lone_outlier`), per MMSI in (ts, lat, lon) order,
a step being impossible when longer than `min_jump_km` and faster than `max_speed_kn`:

1. The position is *off the track*: the steps into it and out of it are both impossible (the
   first and last positions of a track count as having an impossible step outside).
2. No other off-track position of the MMSI within `max_agreeing_h` agrees with it (one ship
   could sail between them): such positions are a second transmitter heard between the
   first one's reports, or a jump that stays (a sustained jump: still a `teleport` identity
   event, see segments.py), never glitches.
3. The track is consistent around it: in each run of consecutive off-track positions, the
   positions just before and just after the run can reach each other, and the position can
   be reached from neither. Two bad positions in a row that disagree with each other too
   (three fixes stamped with one second, 11 km apart) are two lone outliers.
4. At a track end there is one side only (`at_track_ends`): the positions opening (closing)
   an MMSI's track are judged by the track after (before) them, which must have
   `min_track_positions` consecutive consistent positions (more than a sustained jump's two).

The rule is local (a position, its neighbours, and the off-track positions near it in time)
so it can be explained and checked position by position; it runs in numpy over the MMSIs that
have an impossible step, which one portable Ibis query selects on either engine.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import ibis
import numpy as np
import pyarrow as pa

from cargotrace.detect.params import OutlierParams
from cargotrace.detect.segments import (
    MIN_DT_S,
    MmsiTrack,
    implied_speed_kn,
    jumping_mmsis,
    tracks_of,
)
from cargotrace.detect.track import located
from cargotrace.geo import sphere
from cargotrace.geo.sphere import KM_PER_NM
from cargotrace.store.engines import to_arrow
from cargotrace.store.events import PIPELINE_VERSION, TS
from cargotrace.store.schema import POSITION_FLAGS
from cargotrace.store.store import Store
from cargotrace.store.windows import window_sql

LONE_OUTLIER = "lone_outlier"
FLAG_SCHEMA = POSITION_FLAGS.arrow_schema()


@dataclass(frozen=True)
class _Flag:
    index: int
    before: int | None  # the track's position before it (None at the start)
    after: int | None  # ... and after it (None at the end)


def _impossible(track: MmsiTrack, i: np.ndarray, j: np.ndarray, params: OutlierParams
                ) -> np.ndarray:
    """Steps i -> j (j later) no ship can make: longer than min_jump_km and faster than
    max_speed_kn (the time floored at 1 s, as for implied speeds)."""
    km = sphere.haversine_km(track.lat[i], track.lon[i], track.lat[j], track.lon[j])
    dt_s = np.maximum(track.t[j] - track.t[i], MIN_DT_S)
    return np.asarray((km > params.min_jump_km)
                      & (km / KM_PER_NM > params.max_speed_kn * dt_s / 3600.0))


def _consistent(track: MmsiTrack, first: int, step: int, params: OutlierParams) -> bool:
    """Whether `min_track_positions` positions from `first` on (step +1) or back (step -1)
    exist and every step between them is possible: a track to judge an end against."""
    idx = first + step * np.arange(params.min_track_positions)
    if idx.min() < 0 or idx.max() >= track.t.size:
        return False
    a, b = (idx[:-1], idx[1:]) if step > 0 else (idx[1:], idx[:-1])
    return not _impossible(track, a, b, params).any()


def _agreeing(track: MmsiTrack, alone: np.ndarray, params: OutlierParams) -> np.ndarray:
    """Per position (a boolean mask over the track): off-track positions (`alone`) that
    another one within `max_agreeing_h` agrees with (one ship could sail between them): a
    second transmitter heard between the first one's reports, or a jump that stays, never a
    lone glitch.

    The nearest off-track positions are tried first: a second ship's positions agree with
    their neighbours, so an MMSI two ships share costs a few comparisons per position, and
    only real glitches are compared with the whole window."""
    mask = np.zeros(track.t.size, dtype=bool)
    if alone.size < 2:
        return mask
    t = track.t[alone]
    window_s = params.max_agreeing_h * 3600
    lows = np.searchsorted(t, t - window_s, side="left")
    highs = np.searchsorted(t, t + window_s, side="right")
    for pos, x in enumerate(alone.tolist()):
        lo, hi = int(lows[pos]), int(highs[pos])
        for a, b in ((max(lo, pos - 8), min(hi, pos + 9)), (lo, hi)):
            before, after = alone[a:pos], alone[pos + 1:b]
            if ((~_impossible(track, before, np.full(before.size, x), params)).any()
                    or (~_impossible(track, np.full(after.size, x), after, params)).any()):
                mask[x] = True
                break
    return mask


def _judgeable(track: MmsiTrack, a: int | None, b: int | None, params: OutlierParams) -> bool:
    """Whether a run of off-track positions between track positions `a` and `b` (None at a
    track end) has a track to be judged by: `a` and `b` consistent with each other, or at a
    track end (`at_track_ends`) a consistent track on the one side there is."""
    if a is not None and b is not None:
        return not _impossible(track, np.array([a]), np.array([b]), params)[0]
    if not params.at_track_ends:
        return False
    if b is not None:  # the run opens the track: judged by the track after it
        return _consistent(track, b, +1, params)
    if a is not None:  # ... closes it: judged by the track before it
        return _consistent(track, a, -1, params)
    return False  # the whole track is one run: nothing to judge by


def _run_flags(track: MmsiTrack, run: np.ndarray, a: int | None, b: int | None,
               params: OutlierParams) -> list[_Flag]:
    """The positions of a judgeable run that neither `a` nor `b` can reach, each with its
    nearest consistent neighbours (the run's positions that can be reached anchor too)."""
    lone = np.ones(run.size, dtype=bool)
    if a is not None:
        lone &= _impossible(track, np.full(run.size, a), run, params)
    if b is not None:
        lone &= _impossible(track, run, np.full(run.size, b), params)
    good = [int(x) for x in run[~lone]]  # consistent with the track: anchors too
    flags = []
    for x in run[lone].tolist():
        before = max((g for g in good if g < x), default=a)
        after = min((g for g in good if g > x), default=b)
        flags.append(_Flag(x, before, after))
    return flags


def _lone_outliers(track: MmsiTrack, params: OutlierParams) -> list[_Flag]:
    """Runs of consecutive positions each with impossible steps on both sides ("alone"),
    judged against the positions just before and after the run (see the module doc)."""
    n = track.t.size
    k = np.arange(n - 1)
    bad = _impossible(track, k, k + 1, params)  # step k -> k+1
    bad_in, bad_out = np.concatenate(([True], bad)), np.concatenate((bad, [True]))
    alone = bad_in & bad_out if n > 1 else np.zeros(n, dtype=bool)
    alone &= ~_agreeing(track, np.flatnonzero(alone), params)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], alone.astype(np.int8), [0]))))
    flags = []
    for i, end in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        a, b = (i - 1 if i > 0 else None), (end if end < n else None)
        if _judgeable(track, a, b, params):
            flags += _run_flags(track, np.arange(i, end), a, b, params)
    return flags


def _step(track: MmsiTrack, a: int | None, b: int | None) -> tuple[float | None, float | None]:
    if a is None or b is None:
        return None, None
    km = float(sphere.haversine_km(track.lat[a], track.lon[a], track.lat[b], track.lon[b]))
    return round(km, 3), round(implied_speed_kn(km, track.t[b] - track.t[a]), 1)


@dataclass(frozen=True)
class OutlierScan:
    """What `scan_outliers` found, and the positions it read to find it."""

    flags: pa.Table  # FLAG_SCHEMA
    jumping: pa.Table | None
    """(mmsi, ts, lat, lon) of every MMSI with an impossible step, for the identity split
    to reuse; None on Spark, where they never leave the executors."""


def scan_outliers(positions: Any, params: OutlierParams | None = None,
                  track: Any = None) -> OutlierScan:
    """The lone outliers among `positions` (an Ibis table, either engine), as `FLAG_SCHEMA`
    rows ordered by (mmsi, ts, lat, lon): jump_km / implied_speed_kn from the track's position
    before, return_km / return_speed_kn to the one after (NULL at a track end).

    Only the MMSIs with an impossible step (one portable Ibis query) are fetched and walked;
    their positions are returned too, for the identity split to reuse (`segments.py` fetches
    the same ones). `track`: the positions' `track.track_table`, when the caller has it."""
    params = params or OutlierParams()
    if not params.enabled:
        return OutlierScan(FLAG_SCHEMA.empty_table(), pa.table({
            "mmsi": pa.array([], pa.int64()), "ts": pa.array([], TS),
            "lat": pa.array([], pa.float64()), "lon": pa.array([], pa.float64())}))
    jumping = jumping_mmsis(positions, params.steps(), track)
    p = track if track is not None else located(positions)
    expr = p.semi_join(jumping, "mmsi").select("mmsi", "ts", "lat", "lon")
    if ibis.get_backend(expr).name == "pyspark":
        # on Spark the positions stay on the executors: scanned there, per MMSI
        from cargotrace.detect.split_on_executors import outliers_on_executors

        return OutlierScan(outliers_on_executors(expr, params), None)
    data = to_arrow(expr)
    return OutlierScan(flag_rows(data, params), data)


def flag_rows(data: pa.Table, params: OutlierParams) -> pa.Table:
    """The lone outliers among `data` (the located positions of some MMSIs: mmsi, ts, lat,
    lon, any order) as `FLAG_SCHEMA` rows ordered by (mmsi, ts, lat, lon): the part of
    `scan_outliers` that needs nothing but the positions, so that it runs on the driver or,
    per MMSI, on Spark's executors (`split_on_executors.py`)."""
    rows: dict[str, list[Any]] = {name: [] for name in FLAG_SCHEMA.names}
    for one in tracks_of(data) if data.num_rows else []:
        for flag in _lone_outliers(one, params):
            i = flag.index
            jump_km, jump_kn = _step(one, flag.before, i)
            back_km, back_kn = _step(one, i, flag.after)
            values = (one.mmsi, int(one.ts_us[i]), float(one.lat[i]),
                      float(one.lon[i]), LONE_OUTLIER, jump_km, jump_kn, back_km, back_kn)
            for name, value in zip(FLAG_SCHEMA.names, values, strict=False):
                rows[name].append(value)
    n = len(rows["mmsi"])
    rows["params"] = [json.dumps(asdict(params), sort_keys=True)] * n
    rows["pipeline_version"] = [PIPELINE_VERSION] * n
    columns: dict[str, Any] = {**rows, "ts": pa.array(rows["ts"], pa.int64()).cast(TS)}
    return pa.table(columns, schema=FLAG_SCHEMA)


def position_outliers(positions: Any, params: OutlierParams | None = None) -> pa.Table:
    """The lone outliers among `positions` (`scan_outliers`' flags)."""
    return scan_outliers(positions, params).flags


def without_flagged(positions: Any, flags: pa.Table) -> Any:
    """`positions` less the flagged ones (an anti-join on the store's position key; the same
    table when nothing is flagged)."""
    if flags.num_rows == 0:
        return positions
    f = ibis.memtable(flags.select(["mmsi", "ts", "lat", "lon"]).rename_columns(
        ["f_mmsi", "f_ts", "f_lat", "f_lon"]))
    return positions.anti_join(f, [positions.mmsi == f.f_mmsi, positions.ts == f.f_ts,
                                   positions.lat == f.f_lat, positions.lon == f.f_lon])


def replace_flags(store: Store, flags: pa.Table, since: datetime | None = None,
                  until: datetime | None = None, in_transaction: bool = False) -> int:
    """Replace the stored flags of positions in [since, until) by those of `flags` in it;
    rows stored. The flags of a windowed run's margins belong to other windows' runs: they
    are left out here, the one place the rule is enforced (as `store_events` does).
    `in_transaction`: inside the caller's transaction (`detect` writes them with its events
    and notes, so a run killed before its commit leaves all three as they were)."""
    con = store.con
    where, params = window_sql("ts", since, until)
    if not in_transaction:
        con.begin()
    con.register("flags_in", flags)
    try:
        con.execute(f"DELETE FROM position_flags WHERE {where}", params)
        con.execute(f"INSERT INTO position_flags BY NAME SELECT * FROM flags_in WHERE {where}",
                    params)
        stored = int(con.execute(f"SELECT count(*) FROM position_flags WHERE {where}", params)
                     .fetchall()[0][0])
        if not in_transaction:
            con.commit()
    except BaseException:
        if not in_transaction:
            con.rollback()
        raise
    finally:
        con.unregister("flags_in")
    return stored


__all__ = ["FLAG_SCHEMA", "LONE_OUTLIER", "OutlierScan", "flag_rows", "position_outliers",
           "replace_flags", "scan_outliers", "without_flagged"]
