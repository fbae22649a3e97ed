"""Position outliers: single positions off the track that the next position returns from.

Why apart from identity: a GPS or receiver glitch (a dropped digit of the latitude, a fix from
hours ago stamped with the feed's first second) makes one position hundreds or thousands of km
off a ship's track, and the ship is back at the next report. Read as behaviour it is a
"teleport" (an identity finding), a gap's end point, an encounter's partner position. It is none
of these: it is a position of bad quality. Such positions are kept in `positions` (nothing is
lost), marked in the `position_flags` table with why (the reason, the implied speeds, the
parameters), and every detector of a run reads the positions without them.

What counts as a *lone outlier* (`reason` = `lone_outlier`): a position that no other position
of its MMSI can reach or be reached from (it forms an identity segment of one position, see
`segments.py`), with on both sides the track of one segment, whose positions just before and
just after it are consistent with each other, and neither of which can reach it. Two bad
positions in a row that cannot reach each other either (three fixes in one second, 11 km
apart) are two lone outliers. Two that agree with each other (the ship "stays" at the new
place) are a sustained jump, still a `teleport` identity event.

At a track end there is one side only: the first (last) position of an MMSI is a lone outlier
when the track after (before) it is a segment of at least two positions that cannot reach it
(`at_track_ends`); a lone position between the tracks of two ships sharing an MMSI is left
alone (there is no single track to judge it by).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import ibis
import numpy as np
import pyarrow as pa

from cargotrace.detect.events import PIPELINE_VERSION, TS
from cargotrace.detect.identity import IdentityParams
from cargotrace.detect.params import check_positive
from cargotrace.detect.segments import _speed_kn, _Track, jumping_mmsis, tracks_of
from cargotrace.detect.track import located
from cargotrace.geo import sphere
from cargotrace.store.engines import to_arrow
from cargotrace.store.store import Store

LONE_OUTLIER = "lone_outlier"
FLAG_SCHEMA = pa.schema([
    ("mmsi", pa.int64()), ("ts", TS), ("lat", pa.float64()), ("lon", pa.float64()),
    ("reason", pa.string()), ("jump_km", pa.float64()), ("implied_speed_kn", pa.float64()),
    ("return_km", pa.float64()), ("return_speed_kn", pa.float64()), ("params", pa.string()),
    ("pipeline_version", pa.string()),
])


@dataclass(frozen=True)
class OutlierParams:
    """Which single positions are glitches (flagged and left out of every detector)."""

    max_speed_kn: float = field(
        default=30.0,
        metadata={"help": "Fastest plausible speed between two positions of one ship (as "
                          "identity.max_speed_kn): a position reachable from its track at this "
                          "speed is never an outlier."},
    )
    min_jump_km: float = field(
        default=5.0,
        metadata={"help": "Shorter moves are never impossible (GPS noise, timestamp jitter), "
                          "as identity.min_jump_km."},
    )
    max_segment_gap_h: float = field(
        default=24.0,
        metadata={"help": "A track silent for longer no longer judges the positions after it "
                          "(as identity.max_segment_gap_h)."},
    )
    at_track_ends: bool = field(
        default=True,
        metadata={"help": "Also flag an MMSI's first or last position when the track on its "
                          "one side (two positions or more) cannot reach it."},
    )

    def __post_init__(self) -> None:
        check_positive(max_speed_kn=self.max_speed_kn, min_jump_km=self.min_jump_km,
                       max_segment_gap_h=self.max_segment_gap_h)

    def segmenting(self) -> IdentityParams:
        """The identity segmenter's parameters with these speeds and distances."""
        return IdentityParams(max_speed_kn=self.max_speed_kn, min_jump_km=self.min_jump_km,
                              max_segment_gap_h=self.max_segment_gap_h)


@dataclass(frozen=True)
class _Flag:
    index: int
    before: int | None  # the track's position before it (None at the start)
    after: int | None  # ... and after it (None at the end)


def _lone_outliers(track: _Track, params: OutlierParams) -> list[_Flag]:
    seg_params = params.segmenting()
    track.split(seg_params)
    members = track.members()
    sizes = np.array([m.size for m in members])
    flags = []
    for seg in np.flatnonzero(sizes == 1).tolist():
        i = int(members[seg][0])
        around = track.surrounding(seg, members, seg_params)
        if around is not None:
            flags.append(_Flag(i, *around))
        elif params.at_track_ends and i in (0, track.t.size - 1):
            flag = _track_end(track, i, sizes, seg_params)
            if flag is not None:
                flags.append(flag)
    return flags


def _track_end(track: _Track, i: int, sizes: np.ndarray,
               params: IdentityParams) -> _Flag | None:
    """The first (last) position, when the nearest position of a segment of two or more
    positions after (before) it cannot reach (be reached from) it."""
    big = np.flatnonzero(sizes[track.segment] >= 2)
    if big.size == 0:
        return None
    if i == 0:
        b = int(big[0])
        return None if track.reachable(i, b, params) else _Flag(i, None, b)
    a = int(big[-1])
    return None if track.reachable(a, i, params) else _Flag(i, a, None)


def _step(track: _Track, a: int | None, b: int | None) -> tuple[float | None, float | None]:
    if a is None or b is None:
        return None, None
    km = float(sphere.haversine_km(track.lat[a], track.lon[a], track.lat[b], track.lon[b]))
    return round(km, 3), round(_speed_kn(km, track.t[b] - track.t[a]), 1)


def position_outliers(positions: Any, params: OutlierParams | None = None) -> pa.Table:
    """The lone outliers among `positions` (an Ibis table, either engine), as `FLAG_SCHEMA`
    rows ordered by (mmsi, ts, lat, lon): jump_km / implied_speed_kn from the track's position
    before, return_km / return_speed_kn to the one after (NULL at a track end).

    Only the MMSIs with an impossible step (one portable Ibis query) are fetched and walked."""
    params = params or OutlierParams()
    jumping = jumping_mmsis(positions, params.segmenting())
    data = to_arrow(located(positions).semi_join(jumping, "mmsi")
                    .select("mmsi", "ts", "lat", "lon"))
    rows: dict[str, list[Any]] = {name: [] for name in FLAG_SCHEMA.names}
    for track in tracks_of(data) if data.num_rows else []:
        for flag in _lone_outliers(track, params):
            i = flag.index
            jump_km, jump_kn = _step(track, flag.before, i)
            back_km, back_kn = _step(track, i, flag.after)
            values = (track.mmsi, int(track.ts_us[i]), float(track.lat[i]),
                      float(track.lon[i]), LONE_OUTLIER, jump_km, jump_kn, back_km, back_kn)
            for name, value in zip(FLAG_SCHEMA.names, values, strict=False):
                rows[name].append(value)
    n = len(rows["mmsi"])
    rows["params"] = [json.dumps(asdict(params), sort_keys=True)] * n
    rows["pipeline_version"] = [PIPELINE_VERSION] * n
    columns: dict[str, Any] = {**rows, "ts": pa.array(rows["ts"], pa.int64()).cast(TS)}
    return pa.table(columns, schema=FLAG_SCHEMA)


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
                  until: datetime | None = None) -> int:
    """Replace the stored flags of positions in [since, until) by `flags`; rows stored."""
    con = store.con
    where, params = "true", {}
    if since is not None:
        where += " AND ts >= $since"
        params["since"] = since
    if until is not None:
        where += " AND ts < $until"
        params["until"] = until
    con.begin()
    con.register("flags_in", flags)
    try:
        con.execute(f"DELETE FROM position_flags WHERE {where}", params)
        con.execute("INSERT INTO position_flags BY NAME SELECT * FROM flags_in")
        stored = int(con.execute(f"SELECT count(*) FROM position_flags WHERE {where}", params)
                     .fetchall()[0][0])
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        con.unregister("flags_in")
    return stored


__all__ = ["FLAG_SCHEMA", "LONE_OUTLIER", "OutlierParams", "position_outliers",
           "replace_flags", "without_flagged"]
