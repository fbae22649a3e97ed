"""AIS gaps, and the watched places a vessel could have visited unseen during one.

The candidate gaps are one Ibis expression (a `lead` per vessel, and a count of the positions
heard before each gap), so the same code runs on DuckDB and Spark. What needs the land mask
(distance from shore) or small Python logic (flags, reachable places) runs on the gaps only,
which are few.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import ibis
import numpy as np
import pyarrow as pa

from cargotrace.detect.coverage import ALL_OBSERVED, Coverage
from cargotrace.detect.events import Event
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.params import GapParams
from cargotrace.detect.track import epoch_s, located
from cargotrace.geo import sphere
from cargotrace.geo.shore import distance_to_shore_nm

EARTH_RADIUS_KM = sphere.EARTH_RADIUS_KM
KM_PER_NM = 1.852


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Great-circle distance as an Ibis expression (works on every backend)."""
    dlat = (lat2 - lat1).radians()
    dlon = (lon2 - lon1).radians()
    h = (dlat / 2).sin() ** 2 + lat1.radians().cos() * lat2.radians().cos() * (
        (dlon / 2).sin() ** 2
    )
    return 2 * EARTH_RADIUS_KM * h.sqrt().asin()


def gap_candidates(
    positions: Any, params: GapParams, data_end: datetime, track: Any = None
) -> Any:
    """One row per silence of at least `min_gap_h` (open ones have NULL next_*).

    With `track` (the positions' `track.track_table`, already sorted by the detection run) a
    gap is a position whose next one is far enough away. Without it, no position is sorted
    (`_binned_silences`). Both give the same rows: where several positions share the gap's
    first (last) time, the one last (first) in (ts, lat, lon) order gives its position.

    How many positions the vessel sent in the `received_window_h` before each gap is counted
    for the gap rows only (a range join), not with a range window over every position: the
    window cost 2-3x the whole gap query on DuckDB and far more on Spark, for a count needed on
    a few thousand rows.
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
                           start=gaps.ts, end=gaps.next_ts)
    else:
        p = located(positions)
        p = p.select("mmsi", "ts", "lat", "lon", t_s=epoch_s(p.ts))
        gaps = _binned_silences(p, min_gap_s, end_s)
    heard = p.select(heard_mmsi=p.mmsi, heard_t_s=p.t_s)
    window_s = int(params.received_window_h * 3600)
    near = gaps.join(heard, [gaps.mmsi == heard.heard_mmsi, heard.heard_t_s <= gaps.t_s,
                             heard.heard_t_s >= gaps.t_s - window_s])
    # grouped by every gap column rather than joined back: the gaps are computed once
    gaps = near.group_by(gaps.columns).aggregate(positions_before=near.heard_t_s.count())
    return gaps.select(
        "mmsi", "start", "end", "lat", "lon", "next_lat", "next_lon",
        distance_km=haversine_km(gaps.lat, gaps.lon, gaps.next_lat, gaps.next_lon),
        positions_before=gaps.positions_before,
    )


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
    gaps = gaps.select("mmsi", "t_s", start=gaps.last_ts, end=gaps.next_ts)
    # where the gap starts and ends: the last position at its start, the first at its end
    at = p.select(at_mmsi=p.mmsi, at_ts=p.ts, at_lat=p.lat, at_lon=p.lon)
    first = gaps.join(at, [gaps.mmsi == at.at_mmsi, gaps.start == at.at_ts])
    last_of_tied = ibis.window(group_by=[first.mmsi, first.start],
                               order_by=[ibis.desc(first.at_lat), ibis.desc(first.at_lon)])
    first = first.mutate(k=ibis.row_number().over(last_of_tied))
    first = first.filter(first.k == 0).select("mmsi", "t_s", "start", "end", lat=first.at_lat,
                                              lon=first.at_lon)
    nxt = first.left_join(at, [first.mmsi == at.at_mmsi, first.end == at.at_ts])
    first_of_tied = ibis.window(group_by=[nxt.mmsi, nxt.start],
                                order_by=[nxt.at_lat, nxt.at_lon])
    nxt = nxt.mutate(k=ibis.row_number().over(first_of_tied))
    return nxt.filter(nxt.k == 0).select("mmsi", "t_s", "lat", "lon", "start", "end",
                                         next_lat=nxt.at_lat, next_lon=nxt.at_lon)


def gap_events(
    candidates: pa.Table, params: GapParams, data_end: datetime,
    coverage: Coverage = ALL_OBSERVED,
) -> list[Event]:
    """Gap events with their measured quantities and the 'likely disabling' flag.

    Thresholds apply to the observed part of a silence: hours in which the data as a whole went
    quiet (`coverage`) are no evidence against the vessel."""
    rows = []
    for row in candidates.to_pylist():
        end = row["end"] or data_end
        row["duration_h"] = (end - row["start"]).total_seconds() / 3600
        row["unobserved_h"] = coverage.unobserved_h(row["start"], end)
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
                "unobserved_h": round(row["unobserved_h"], 4),
                "distance_km": None if is_open else round(row["distance_km"], 3),
                "implied_speed_kn": None if speed is None else round(speed, 2),
                "offshore_nm": round(float(shore_nm), 1),
                "positions_before": int(row["positions_before"]),
                "well_received_before": well_received,
                "likely_disabling": disabling,
                "open": is_open,
                "end_lat": row["next_lat"], "end_lon": row["next_lon"],
            },
        ))
    return events


def dark_port_calls(gaps: list[Event], places: pa.Table, params: GapParams) -> list[Event]:
    """For each closed gap, the watched places of a kind ships call at (`call_place_kinds`) the
    vessel could have reached, stayed at for `min_port_stay_h`, and left again at no more than
    `max_speed_kn`."""
    watched = [p for p in places.to_pylist()
               if p.get("watch_reason") and p.get("kind") in params.call_kinds]
    if not watched or not gaps:
        return []
    place_lat = np.array([p["lat"] for p in watched], dtype=np.float64)
    place_lon = np.array([p["lon"] for p in watched], dtype=np.float64)

    def km_to(lat: float, lon: float) -> np.ndarray:
        return sphere.haversine_km(lat, lon, place_lat, place_lon)

    calls = []
    for gap in gaps:
        if gap.end is None or gap.attrs["end_lat"] is None:
            continue
        assert gap.lat is not None and gap.lon is not None
        detour_km = km_to(gap.lat, gap.lon) + km_to(gap.attrs["end_lat"], gap.attrs["end_lon"])
        sail_h = detour_km / KM_PER_NM / params.max_speed_kn
        slack_h = gap.attrs["duration_h"] - params.min_port_stay_h - sail_h
        for i in np.flatnonzero(slack_h >= 0):
            place = watched[int(i)]
            calls.append(Event(
                EventKind.POSSIBLE_DARK_PORT_CALL, gap.mmsi, gap.start, gap.end,
                lat=place["lat"], lon=place["lon"], place_id=place["place_id"],
                confidence=round(float(min(1.0, slack_h[i] / gap.attrs["duration_h"])), 3),
                attrs={"detour_km": round(float(detour_km[i]), 1),
                       "slack_h": round(float(slack_h[i]), 2),
                       "gap_duration_h": gap.attrs["duration_h"]},
            ))
    return calls
