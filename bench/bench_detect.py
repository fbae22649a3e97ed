"""Detection throughput: cargotrace's detectors vs MovingPandas and a hand-written SQL floor.

On generated `mixed` traffic of about 1M and 10M positions (the simulator, seed 7, 30 days),
in one run on the same stores:
- cargotrace: the whole detection suite, and the gap and loitering detectors alone;
- a floor: one hand-written DuckDB window query for silences >= 6 h (no attributes, no
  offshore distance, no open gaps: the least any gap detector must do);
- MovingPandas: ObservationGapSplitter (6 h) and TrajectoryStopDetector (2 h, 1 km) on a subset
  of the 10M data (whole vessels, about --mp-positions positions: at its speed the full set
  would take hours), and cargotrace's detectors on a store holding exactly that subset, so
  both sides of the ratio see the same positions.

A copy of the largest store without the scenario's places (only the world gazetteer) measures
what unknown anchorages cost (issue 16: within 1.5x of the time with places). Every ratio is
of two measurements on the same rows in this run.

Every stage is its own process (bench/detect_stage.py): cold start, and its own memory peak.
Times are medians of --reps runs of the measured call (start-up excluded; the whole-process
time is recorded too). Writes JSON and a Markdown table to --out. Run with `make bench`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from machine import load_average, machine_facts  # bench/ is on sys.path when run as a script

HERE = Path(__file__).resolve().parent
WORK = HERE / "work" / "detect"
STAGE = HERE / "detect_stage.py"


def simulated(vessels: int, days: int) -> Path:
    """Simulator output for `mixed` at this size (cached: 10M positions take ~4 min)."""
    out = WORK / f"mixed_{vessels}v_{days}d"
    if not (out / "truth.parquet").exists():
        print(f"simulating {out.name} ...", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "cargotrace", "simulate", "--scenario", "mixed", "--seed",
             "7", "--vessels", str(vessels), "--days", str(days), "--out", str(out)],
            check=True, stdout=subprocess.DEVNULL,
        )
    return out


def build_store(sim: Path, store_path: Path, mmsis: list[int] | None = None) -> None:
    """Ingest the simulation (optionally only some MMSIs) with every port of its region."""
    import cargotrace
    from cargotrace.ingest.gazetteers import load_curated_gazetteer
    from cargotrace.ingest.pipeline import ingest_file
    from cargotrace.sim.scenarios import region_ports
    from cargotrace.store.places import Place, upsert_places

    if store_path.exists():
        return
    print(f"building {store_path.name} ...", file=sys.stderr)
    partial = store_path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    sources = [sim / "positions.parquet", sim / "vessel_reports.parquet"]
    if mmsis is not None:
        con = duckdb.connect()
        subset = []
        for src in sources:
            dst = store_path.parent / f"{store_path.stem}_{src.name}"
            con.execute(
                f"COPY (SELECT * FROM '{src}' WHERE mmsi IN (SELECT unnest(?))) TO '{dst}'",
                [mmsis],
            )
            subset.append(dst)
        sources = subset
    with cargotrace.open_store(partial) as store:
        for src in sources:
            ingest_file(store, src)
        load_curated_gazetteer(store)
        _, ports = region_ports("sea-of-japan")
        upsert_places(store, [Place(p.place_id, p.name, (), None, "seaport", p.lat, p.lon,
                                    p.radius_m, None, "simulator") for p in ports])
    partial.rename(store_path)


def subset_mmsis(store_path: Path, positions: int) -> list[int]:
    """Whole vessels, in MMSI order, until about `positions` positions."""
    con = duckdb.connect(str(store_path), read_only=True)
    rows = con.execute("SELECT mmsi, count(*) FROM positions GROUP BY 1 ORDER BY 1").fetchall()
    chosen, total = [], 0
    for mmsi, n in rows:
        if total >= positions:
            break
        chosen.append(int(mmsi))
        total += n
    return chosen


def run_stage(stage: str, store: Path, reps: int, mmsi_file: Path | None = None) -> dict[str, Any]:
    runs = []
    for _ in range(reps):
        cmd = [sys.executable, str(STAGE), stage, str(store)]
        if mmsi_file is not None:
            cmd += ["--mmsi-file", str(mmsi_file)]
        load = round(os.getloadavg()[0], 2)  # other sessions share the cores: say how busy
        started = time.perf_counter()
        done = subprocess.run(cmd, check=True, capture_output=True, text=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result["process_s"] = time.perf_counter() - started
        result["load_1min"] = load
        runs.append(result)
    seconds = statistics.median(r["seconds"] for r in runs)
    positions = runs[0]["positions"]
    summary = {
        "stage": stage,
        "positions": positions,
        "reps": reps,
        "seconds": [round(r["seconds"], 3) for r in runs],
        "median_s": round(seconds, 3),
        "process_median_s": round(statistics.median(r["process_s"] for r in runs), 3),
        "positions_per_s": round(positions / seconds),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "events": runs[0]["events"],
        "load_average_1min": [r["load_1min"] for r in runs],
    }
    print(f"  {stage:<10} {positions:>11,} positions  {seconds:8.2f} s  "
          f"{positions / seconds:>12,.0f} pos/s  peak {summary['peak_rss_mb']:,.0f} MB",
          file=sys.stderr)
    return summary


def ratio(a: dict[str, Any], b: dict[str, Any]) -> float:
    """How many times more positions per second `a` handles than `b`."""
    return round(a["positions_per_s"] / b["positions_per_s"], 1)


def markdown(doc: dict[str, Any]) -> str:
    lines = [
        f"# Detection benchmark ({doc['date']}, {doc['machine']['cpu']}, "
        f"{doc['machine']['cores']} cores, load average at start "
        f"{doc['machine']['load_average_at_start']})", "",
        "| data | stage | positions | median s | positions/s | peak RSS MB |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for label, stages in doc["results"].items():
        for s in stages.values():
            lines.append(f"| {label} | {s['stage']} | {s['positions']:,} | {s['median_s']} | "
                         f"{s['positions_per_s']:,} | {s['peak_rss_mb']:,.0f} |")
    lines += ["", "| ratio | value |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in doc["ratios"].items()]
    return "\n".join(lines) + "\n"


STAGES = ("suite", "gaps", "loitering", "sql_gaps")
PER_DETECTOR = ("identity", "port_visit", "dark_voyage", "encounter")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--sizes", default="58,520",
                        help="vessel counts of the `mixed` runs (~1.0M, ~10.4M positions)")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--mp-positions", type=int, default=100_000)
    parser.add_argument("--per-detector", action="store_true",
                        help="also time identity, port visits, dark voyages and encounters "
                             "alone on each size (slower)")
    return parser.parse_args()


def bench_sizes(
    sizes: list[int], days: int, reps: int, per_detector: bool
) -> tuple[dict[str, dict[str, Any]], dict[int, tuple[Path, Path]]]:
    """Each stage on the `mixed` store of each size; the results by label, and the
    (simulation, store) of each size."""
    results: dict[str, dict[str, Any]] = {}
    stores = {}
    for vessels in sizes:
        sim = simulated(vessels, days)
        store = WORK / f"mixed_{vessels}v_{days}d.duckdb"
        build_store(sim, store)
        stores[vessels] = (sim, store)
        label = f"mixed {vessels} vessels"
        print(label, file=sys.stderr)
        stages = [*STAGES, *(PER_DETECTOR if per_detector else ())]
        results[label] = {stage: run_stage(stage, store, reps) for stage in stages}
    return results, stores


def bench_subset(
    sim: Path, store: Path, vessels: int, days: int, mp_positions: int, reps: int
) -> tuple[str, dict[str, Any], list[int]]:
    """MovingPandas and cargotrace on the same whole-vessel subset of about `mp_positions`
    positions of the store of `vessels` vessels: its label, the stages and the MMSIs."""
    mmsis = subset_mmsis(store, mp_positions)
    mmsi_file = WORK / f"subset_{vessels}v_{mp_positions}.json"
    mmsi_file.write_text(json.dumps(mmsis))
    subset_store = WORK / f"subset_{vessels}v_{days}d_{mp_positions}.duckdb"
    build_store(sim, subset_store, mmsis)
    label = f"subset: {len(mmsis)} vessels of mixed {vessels}"
    print(label, file=sys.stderr)
    sub = {stage: run_stage(stage, subset_store, reps) for stage in STAGES}
    sub["mp_gaps"] = run_stage("mp_gaps", store, 1, mmsi_file)
    sub["mp_stops"] = run_stage("mp_stops", store, 1, mmsi_file)
    return label, sub, mmsis


def ratios(small: dict[str, Any], large: dict[str, Any], sub: dict[str, Any],
           no_places: dict[str, Any]) -> dict[str, float]:
    """The headline comparisons, each of two measurements on the same rows in this run (a
    rate at 10M divided by MovingPandas' rate on a 100k subset is no comparison: the earlier
    "gaps 372x MovingPandas" was one)."""
    n_small, n_large = (f"{s['suite']['positions'] / 1e6:.1f}M" for s in (small, large))
    return {
        "same subset: MovingPandas gaps+stops time / cargotrace whole suite time": round(
            (sub["mp_gaps"]["median_s"] + sub["mp_stops"]["median_s"]) / sub["suite"]["median_s"],
            1),
        "same subset: cargotrace gaps / MovingPandas ObservationGapSplitter (speed)": ratio(
            sub["gaps"], sub["mp_gaps"]),
        "same subset: cargotrace loitering / MovingPandas TrajectoryStopDetector (speed)": ratio(
            sub["loitering"], sub["mp_stops"]),
        "same subset: cargotrace gaps / hand-written SQL gap floor (speed)": ratio(
            sub["gaps"], sub["sql_gaps"]),
        f"same {n_small} store: cargotrace gaps / hand-written SQL gap floor (speed)": ratio(
            small["gaps"], small["sql_gaps"]),
        f"same {n_large} store: cargotrace gaps / hand-written SQL gap floor (speed)": ratio(
            large["gaps"], large["sql_gaps"]),
        f"same {n_large} store: cargotrace whole suite / hand-written SQL gap floor (speed)":
            ratio(large["suite"], large["sql_gaps"]),
        f"{n_large} store: whole suite, millions of positions/s (issue 16 target: 2)": round(
            large["suite"]["positions_per_s"] / 1e6, 2),
        f"same {n_large} positions: suite time without / with the scenario's places": round(
            no_places["median_s"] / large["suite"]["median_s"], 2),
        f"suite time growth {n_small} -> {n_large} (x)": round(
            large["suite"]["median_s"] / small["suite"]["median_s"], 2),
        f"positions growth {n_small} -> {n_large} (x)": round(
            large["suite"]["positions"] / small["suite"]["positions"], 2),
    }


def without_places(store: Path) -> Path:
    """A copy of `store` without the scenario's ports (only the world gazetteer a fresh store
    seeds): where ships wait at anchorages no place covers (the dense-anchorage case)."""
    bare = store.with_name(store.stem + "_no_places.duckdb")
    if not bare.exists():
        partial = bare.with_suffix(".partial")
        shutil.copyfile(store, partial)
        con = duckdb.connect(str(partial))
        con.execute("DELETE FROM places WHERE source = 'simulator'")
        con.close()
        partial.rename(bare)
    return bare


def movingpandas_version() -> str:
    import warnings

    with warnings.catch_warnings():  # its optional Stone Soup smoother is not used here
        warnings.simplefilter("ignore")
        import movingpandas
    return str(movingpandas.__version__)


def main() -> None:
    args = parse_args()
    load_at_start = load_average()  # other work skews every number
    WORK.mkdir(parents=True, exist_ok=True)
    sizes = [int(v) for v in args.sizes.split(",")]
    results, stores = bench_sizes(sizes, args.days, args.reps, args.per_detector)
    sim, store = stores[sizes[-1]]  # the subset is whole vessels of the largest (10M) run
    label, sub, mmsis = bench_subset(sim, store, sizes[-1], args.days, args.mp_positions,
                                     args.reps)
    results[label] = sub
    small, large = (results[f"mixed {v} vessels"] for v in (sizes[0], sizes[-1]))
    bare_label = f"mixed {sizes[-1]} vessels, no scenario places"
    print(bare_label, file=sys.stderr)
    no_places = run_stage("suite", without_places(stores[sizes[-1]][1]), args.reps)
    results[bare_label] = {"suite": no_places}
    doc = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_facts(load_at_start),
        "versions": {"duckdb": duckdb.__version__, "movingpandas": movingpandas_version()},
        "notes": {
            "mp_stop_params": "min_duration 2 h, max_diameter 1000 m",
            "mp_subset_mmsis": len(mmsis),
            "times": "median of the measured call; process_median_s includes start-up",
        },
        "results": results,
        "ratios": ratios(small, large, sub, no_places),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    name = "detect-" + "-".join(f"{v}v" for v in sizes) + f"-{args.days}d"
    (args.out / f"{name}.json").write_text(json.dumps(doc, indent=2) + "\n")
    (args.out / f"{name}.md").write_text(markdown(doc))
    sys.stdout.write(markdown(doc))


if __name__ == "__main__":
    main()
