"""AIS gaps: silences long enough to matter, and which of them look deliberate.

The candidate gaps are one Ibis expression (a `lead` per vessel, and the positions heard around
each gap), so the same code runs on DuckDB and Spark. What needs the land mask (distance from
shore) or small Python logic (flags) runs on the gaps only, which are few. Where the vessel
could have called unseen during a gap is `dark_calls.py`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import ibis
import numpy as np
import pyarrow as pa

from cargotrace.detect.coverage import ALL_OBSERVED, CoverageModel
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.params import GapParams
from cargotrace.detect.track import epoch_s, located
from cargotrace.geo.expr import haversine_km
from cargotrace.geo.shore import distance_to_shore_nm
from cargotrace.geo.sphere import KM_PER_NM
from cargotrace.store.events import Event


def gap_candidates(
    positions: Any, params: GapParams, data_end: datetime, track: Any = None
) -> Any:
    """One row per silence of at least `min_gap_h` (open ones have NULL next_*).

    With `track` (the positions' `track.track_table`, already sorted by the detection run) a
    gap is a position whose next one is far enough away. Without it, no position is sorted
    (`_binned_silences`). Both give the same rows: where several positions share the gap's
    first (last) time, the one last (first) in (ts, lat, lon) order gives its position.

    How many positions the vessel sent in the `received_window_h` before each gap, and its mean
    sailing speed then and in as long after the gap (`sog_before_kn`, `sog_after_kn`: reported
    speeds of at least `moving_min_kn`; NULL when it did not sail), are computed for the gap rows
    only (range joins), not with range windows over every position: a window cost 2-3x the
    whole gap query on DuckDB and far more on Spark, for values needed on a few thousand rows.
    """
    # whole seconds, floored the same way on every engine; one second of slack: whole-second
    # times may shorten a silence by up to a second (the exact threshold is applied in
    # `gap_events`)
    min_gap_s = params.min_gap_h * 3600 - 1
    end_s = int(data_end.timestamp()) + 1
    if track is not None:
        p = track
        gaps = p.filter(ibis.coalesce(p.next_t_s, end_s) - p.t_s >= min_gap_s)
        gaps = gaps.select("mmsi", "t_s", "lat", "lon", "next_lat", "next_lon",
                           start=gaps.ts, end=gaps.next_ts, end_t_s=gaps.next_t_s)
    else:
        p = located(positions)
        p = p.select("mmsi", "ts", "lat", "lon", "sog", t_s=epoch_s(p.ts))
        gaps = _binned_silences(p, min_gap_s, end_s)
    heard = p.select(heard_mmsi=p.mmsi, heard_t_s=p.t_s, heard_sog=p.sog)
    window_s = int(params.received_window_h * 3600)
    # one range join for both sides: the vessel sent nothing between the gap's ends, so the
    # window from `received_window_h` before its start to as long after its end holds exactly
    # the positions before (up to its start) and after (from its end); an open gap has no after
    upto = ibis.coalesce(gaps.end_t_s + window_s, gaps.t_s)
    near = gaps.join(heard, [gaps.mmsi == heard.heard_mmsi, heard.heard_t_s >= gaps.t_s - window_s,
                             heard.heard_t_s <= upto])
    before, after = near.heard_t_s <= near.t_s, near.heard_t_s >= near.end_t_s
    # grouped by every gap column rather than joined back: the gaps are computed once
    gaps = near.group_by(gaps.columns).aggregate(
        positions_before=near.heard_t_s.count(where=before),
        **_sailing(near, before, params, "before"), **_sailing(near, after, params, "after"))
    return gaps.select(
        "mmsi", "start", "end", "lat", "lon", "next_lat", "next_lon",
        distance_km=haversine_km(gaps.lat, gaps.lon, gaps.next_lat, gaps.next_lon),
        positions_before=gaps.positions_before,
        sailing_before=gaps.sailing_before, tenths_before=gaps.tenths_before,
        sailing_after=gaps.sailing_after, tenths_after=gaps.tenths_after,
    )


def _sailing(joined: Any, side_rows: Any, params: GapParams, side: str) -> dict[str, Any]:
    """How many positions reported sailing (`moving_min_kn` and up) and their speeds' sum, in
    whole tenths of a knot (AIS's resolution): an integer sum is the same on every engine, a
    float mean may differ in its last bits and round differently. Computed on the joined rows
    only, not on every position."""
    sailing = side_rows & (joined.heard_sog >= params.moving_min_kn)
    tenths = (joined.heard_sog * 10).round().cast("int64")
    return {f"sailing_{side}": joined.heard_sog.count(where=sailing),
            f"tenths_{side}": tenths.sum(where=sailing)}


def _binned_silences(p: Any, min_gap_s: float, end_s: int) -> Any:
    """Silences of at least `min_gap_s` whole seconds, without sorting every position.

    Positions are first grouped into time bins per vessel (a hash aggregate: first and last
    time in each bin), and only the bins are put in order. Two consecutive positions lie in one
    bin (then they are less than a bin apart: no gap) or in two consecutive non-empty bins, so
    every silence is between one bin's last position and the next non-empty bin's first: the
    same gaps as a `lead` over every position, for a fraction of the cost (a sort of 10M
    positions is most of it). A bin is at most half the threshold (and an hour); bins cannot be
    under a second, so silences shorter than 3 s are not looked for.
    """
    bin_s = max(1, min(3600, int(min_gap_s // 2)))
    bins = p.group_by(["mmsi", (p.t_s // bin_s).name("bin")]).aggregate(
        first_ts=p.ts.min(), last_ts=p.ts.max())
    by_bin = ibis.window(group_by=bins.mmsi, order_by=bins.bin)
    bins = bins.mutate(next_ts=bins.first_ts.lead().over(by_bin))
    bins = bins.mutate(t_s=epoch_s(bins.last_ts), next_t_s=epoch_s(bins.next_ts))
    gaps = bins.filter(ibis.coalesce(bins.next_t_s, end_s) - bins.t_s >= min_gap_s)
    gaps = gaps.select("mmsi", "t_s", "next_t_s", start=gaps.last_ts, end=gaps.next_ts)
    # where the gap starts and ends: the last position at its start, the first at its end
    at = p.select(at_mmsi=p.mmsi, at_ts=p.ts, at_lat=p.lat, at_lon=p.lon)
    first = gaps.join(at, [gaps.mmsi == at.at_mmsi, gaps.start == at.at_ts])
    last_of_tied = ibis.window(group_by=[first.mmsi, first.start],
                               order_by=[ibis.desc(first.at_lat), ibis.desc(first.at_lon)])
    first = first.mutate(k=ibis.row_number().over(last_of_tied))
    first = first.filter(first.k == 0).select("mmsi", "t_s", "start", "end", "next_t_s",
                                              lat=first.at_lat, lon=first.at_lon)
    nxt = first.left_join(at, [first.mmsi == at.at_mmsi, first.end == at.at_ts])
    first_of_tied = ibis.window(group_by=[nxt.mmsi, nxt.start],
                                order_by=[nxt.at_lat, nxt.at_lon])
    nxt = nxt.mutate(k=ibis.row_number().over(first_of_tied))
    return nxt.filter(nxt.k == 0).select("mmsi", "t_s", "lat", "lon", "start", "end",
                                         next_lat=nxt.at_lat, next_lon=nxt.at_lon,
                                         end_t_s=nxt.next_t_s)


def gap_events(
    candidates: pa.Table, params: GapParams, data_end: datetime,
    coverage: CoverageModel = ALL_OBSERVED,
) -> list[Event]:
    """Gap events with their measured quantities and the 'likely disabling' flag.

    Thresholds apply to the observed part of a silence: hours in which the feed as a whole, or
    the receiver that last heard the vessel (a `station` column, when the candidates have one),
    went quiet (`coverage`) are no evidence against the vessel; an open gap is measured to the
    end of the feed's coverage, not to the data's last timestamp."""
    rows = []
    for row in candidates.to_pylist():
        station = row.get("station")
        # its own feed's, in a store of several (coverage.py)
        cov = coverage.for_vessel(row["mmsi"], row["start"])
        end = row["end"] or cov.observed_end(station) or data_end
        if end <= row["start"] or cov.explained_by_outage(row["start"], station):
            continue  # heard after the feed's coverage ended (a straggler), or silenced by an
            # outage: no silence of the vessel's
        row["duration_h"] = (end - row["start"]).total_seconds() / 3600
        row["coverage"] = cov.attrs(row["start"], end, station)
        row["unobserved_h"] = row["coverage"]["unobserved_h"]
        row["measured_to"] = end
        if row["duration_h"] - row["unobserved_h"] >= params.min_gap_h:
            rows.append(row)
    if not rows:
        return []
    offshore_nm = distance_to_shore_nm(
        np.array([r["lat"] for r in rows]), np.array([r["lon"] for r in rows])
    )
    events = []
    for row, shore_nm in zip(rows, offshore_nm, strict=True):
        is_open = row["end"] is None
        speed = (None if is_open or row["duration_h"] <= 0
                 else row["distance_km"] / KM_PER_NM / row["duration_h"])
        well_received = row["positions_before"] >= params.min_positions_before
        disabling = (row["duration_h"] - row["unobserved_h"] >= params.disabling_min_gap_h
                     and float(shore_nm) >= params.disabling_min_offshore_nm and well_received)
        events.append(Event(
            EventKind.GAP, int(row["mmsi"]), row["start"], row["end"], lat=row["lat"],
            lon=row["lon"], confidence=0.9 if disabling else 0.5,
            attrs={
                "duration_h": round(row["duration_h"], 4),
                **row["coverage"],
                "distance_km": None if is_open else round(row["distance_km"], 3),
                "implied_speed_kn": None if speed is None else round(speed, 2),
                "offshore_nm": round(float(shore_nm), 1),
                "positions_before": int(row["positions_before"]),
                "well_received_before": well_received,
                "likely_disabling": disabling,
                "open": is_open,
                "measured_to": row["measured_to"].isoformat(),
                "end_lat": row["next_lat"], "end_lon": row["next_lon"],
                "sog_before_kn": _mean_kn(row["tenths_before"], row["sailing_before"]),
                "sog_after_kn": _mean_kn(row["tenths_after"], row["sailing_after"]),
            },
        ))
    return events


def _mean_kn(tenths: int | None, count: int | None) -> float | None:
    """Mean sailing speed from a sum in tenths of a knot; None when the vessel did not sail."""
    return round(tenths / count / 10, 2) if tenths is not None and count else None
