"""One measured stage of the detection benchmark, run as its own process by bench_detect.py.

A process per stage keeps each memory peak apart (ru_maxrss of this process only) and each
stage starts cold, as a user's command does. Prints one JSON object on stdout.

Stages (all read the same store):
  suite        cargotrace: every detector, events written (what `cargotrace detect` does)
  gaps         cargotrace: the gap detector only (incl. offshore distance and sailing speeds)
  loitering    cargotrace: the loitering detector only (slow for long, away from port)
  identity, port_visit, dark_voyage, encounter
               cargotrace: that detector only (with what it needs: dark voyages run port
               visits first), for per-detector times (bench_detect.py --per-detector)
  sql_gaps     a floor: one hand-written DuckDB window query for silences of >= 6 h
  mp_gaps      MovingPandas ObservationGapSplitter(6 h) on the MMSIs in --mmsi-file
  mp_stops     MovingPandas TrajectoryStopDetector on the MMSIs in --mmsi-file
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb

DETECTOR_STAGES = ("identity", "port_visit", "dark_voyage", "encounter")
GAP_H = 6.0
STOP_MIN_DURATION = timedelta(hours=2)
STOP_MAX_DIAMETER_M = 1000.0
"""MovingPandas stop parameters closest to our loitering (slow < 2 kn for >= 2 h): a ship that
drifts below 2 kn for 2 h stays within about 7 km; at anchor or drifting slowly, within 1 km."""


def peak_rss_mb() -> float:
    """This process's own peak (VmHWM): ru_maxrss would carry over the parent's peak, which
    Linux keeps across fork and exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cargotrace_stage(store_path: Path, kinds: list[str] | None) -> dict[str, Any]:
    import cargotrace
    from cargotrace.detect.run import detect

    with cargotrace.open_store(store_path) as store:
        positions = store.con.execute("SELECT count(*) FROM positions").fetchall()[0][0]
        started = time.perf_counter()
        summary = detect(store, kinds=kinds)
        seconds = time.perf_counter() - started
    return {"positions": positions, "seconds": seconds, "events": summary.written}


def sql_gaps_stage(store_path: Path) -> dict[str, Any]:
    con = duckdb.connect(str(store_path), read_only=True)
    con.execute("SET enable_progress_bar = false")
    positions = con.execute("SELECT count(*) FROM positions").fetchall()[0][0]
    started = time.perf_counter()
    gaps = con.execute(
        f"""
        SELECT mmsi, ts AS start, next_ts AS "end" FROM (
            SELECT mmsi, ts, lead(ts) OVER (PARTITION BY mmsi ORDER BY ts) AS next_ts
            FROM positions WHERE lat IS NOT NULL AND lon IS NOT NULL)
        WHERE next_ts - ts >= INTERVAL {int(GAP_H * 3600)} SECOND
        """
    ).to_arrow_table()
    seconds = time.perf_counter() - started
    return {"positions": positions, "seconds": seconds, "events": {"gap_closed": gaps.num_rows}}


def _trajectories(store_path: Path, mmsi_file: Path) -> tuple[Any, int, float]:
    """The subset's positions as a MovingPandas TrajectoryCollection (building it is timed:
    a user has to do it before any MovingPandas analysis)."""
    import geopandas as gpd
    import movingpandas as mpd

    mmsis = json.loads(mmsi_file.read_text())
    con = duckdb.connect(str(store_path), read_only=True)
    con.execute("SET enable_progress_bar = false")
    df = con.execute(
        """SELECT mmsi, ts, lat, lon, sog FROM positions
           WHERE lat IS NOT NULL AND lon IS NOT NULL AND mmsi IN (SELECT unnest(?))
           ORDER BY mmsi, ts""",
        [mmsis],
    ).df()
    started = time.perf_counter()
    df["ts"] = df["ts"].dt.tz_convert("UTC").dt.tz_localize(None)
    gdf = gpd.GeoDataFrame(
        df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs="EPSG:4326"
    ).set_index("ts")
    collection = mpd.TrajectoryCollection(gdf, traj_id_col="mmsi")
    return collection, len(df), time.perf_counter() - started


def mp_gaps_stage(store_path: Path, mmsi_file: Path) -> dict[str, Any]:
    import movingpandas as mpd

    collection, positions, build_s = _trajectories(store_path, mmsi_file)
    started = time.perf_counter()
    split = mpd.ObservationGapSplitter(collection).split(gap=timedelta(hours=GAP_H))
    seconds = time.perf_counter() - started
    gaps = len(split.trajectories) - len(collection.trajectories)
    return {"positions": positions, "seconds": build_s + seconds, "build_s": build_s,
            "events": {"gap_closed": gaps}}


def mp_stops_stage(store_path: Path, mmsi_file: Path) -> dict[str, Any]:
    import movingpandas as mpd

    collection, positions, build_s = _trajectories(store_path, mmsi_file)
    started = time.perf_counter()
    stops = mpd.TrajectoryStopDetector(collection).get_stop_segments(
        min_duration=STOP_MIN_DURATION, max_diameter=STOP_MAX_DIAMETER_M
    )
    seconds = time.perf_counter() - started
    return {"positions": positions, "seconds": build_s + seconds, "build_s": build_s,
            "events": {"stop": len(stops.trajectories)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("stage", choices=["suite", "gaps", "loitering", *DETECTOR_STAGES,
                                          "sql_gaps", "mp_gaps", "mp_stops"])
    parser.add_argument("store", type=Path)
    parser.add_argument("--mmsi-file", type=Path)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # peers' deprecation chatter is not the measurement
    if args.stage == "suite":
        result = cargotrace_stage(args.store, None)
    elif args.stage in ("gaps", "loitering"):
        result = cargotrace_stage(args.store, [args.stage.rstrip("s")])
    elif args.stage in DETECTOR_STAGES:
        result = cargotrace_stage(args.store, [args.stage])
    elif args.stage == "sql_gaps":
        result = sql_gaps_stage(args.store)
    elif args.stage == "mp_gaps":
        result = mp_gaps_stage(args.store, args.mmsi_file)
    else:
        result = mp_stops_stage(args.store, args.mmsi_file)
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
