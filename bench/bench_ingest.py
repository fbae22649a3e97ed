"""Ingest throughput: cargotrace vs the decoders and readers users know, on the same files in
the same run.

NMEA: whole-process `cargotrace ingest` of the issue-16 feed (`cargotrace simulate --scenario
mixed --seed 11 --vessels 450 --days 3 --nmea`, generated once into bench/work/) against a
plain pyais loop (`FileReaderStream` + `decode().asdict()`) and aiscat (AIS-catcher's C++
decoder, the optional extra `bench`; recorded as unavailable when not installed). Tables: the
real MarineCadastre sample against a bare DuckDB `read_csv` into a new database. Every
measurement is a whole fresh process (start-up included: what a user waits for), repeated
`--reps` times (medians), with its peak RSS; the load average is recorded before and after,
since other work on the machine slows every figure. Writes JSON to --out. Run with `make bench`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyais
from machine import load_average, machine_facts  # bench/ is on sys.path when run as a script

from cargotrace.version import __version__

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
SHARED = HERE.parent.parent / "shared" / "data"
CSV = SHARED / "ais_positions" / "marinecadastre_AIS_2022_01_03_first99999.csv"
FEED_ARGS = ["--scenario", "mixed", "--seed", "11", "--vessels", "450", "--days", "3", "--nmea"]


def issue_feed() -> Path:
    """The issue-16 feed, generated once (about 1M lines, 75 MB)."""
    out = WORK / "mixed-s11-v450-d3"
    path = out / "positions.nmea"
    if not path.exists():
        print(f"generating {path} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "cargotrace", "simulate", *FEED_ARGS,
                        "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
    return path


def run(cmd: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (MB) and stdout of one whole process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"failed ({status}): {' '.join(cmd)}")
    return elapsed, usage.ru_maxrss // 1024, out.strip()


def repeat(reps: int, cmd: list[str], fresh: Path | None = None) -> dict[str, Any]:
    """Run `cmd` `reps` times (deleting `fresh` before each run); medians and every run."""
    runs = []
    for _ in range(reps):
        if fresh is not None:
            fresh.unlink(missing_ok=True)
        runs.append(run(cmd))
    if fresh is not None:
        fresh.unlink(missing_ok=True)
    return {
        "median_s": statistics.median(r[0] for r in runs),
        "peak_rss_mb": max(r[1] for r in runs),
        "runs_s": [round(r[0], 3) for r in runs],
        "output": runs[-1][2].splitlines()[-1] if runs[-1][2] else "",
    }


def ingest(path: Path, reps: int) -> dict[str, Any]:
    store = WORK / "bench_ingest.duckdb"
    return repeat(reps, [sys.executable, "-m", "cargotrace", "ingest", "--quiet", "--store",
                         str(store), str(path)], fresh=store)


def measure(nmea: Path, csv: Path, reps: int) -> dict[str, Any]:
    py = sys.executable
    results: dict[str, Any] = {
        "cargotrace_ingest_nmea": ingest(nmea, reps),
        "pyais_loop": repeat(reps, [py, str(HERE / "pyais_decode.py"), str(nmea)]),
    }
    if importlib.util.find_spec("aiscat") is not None:
        results["aiscat"] = repeat(reps, [py, str(HERE / "aiscat_decode.py"), str(nmea)])
    else:
        results["aiscat"] = {"unavailable": "pip install aiscat==0.68.16 (extra `bench`)"}
    results["cargotrace_ingest_csv"] = ingest(csv, reps)
    target = WORK / "bench_read_csv.duckdb"
    results["duckdb_read_csv"] = repeat(
        reps, [py, str(HERE / "duckdb_read_csv.py"), str(csv), str(target)], fresh=target
    )
    return results


def ratios(r: dict[str, Any]) -> dict[str, float]:
    nmea = r["cargotrace_ingest_nmea"]["median_s"]
    out = {"pyais_loop_s_per_cargotrace_nmea_s": r["pyais_loop"]["median_s"] / nmea,
           "cargotrace_csv_s_per_duckdb_read_csv_s":
               r["cargotrace_ingest_csv"]["median_s"] / r["duckdb_read_csv"]["median_s"]}
    if "median_s" in r["aiscat"]:
        out["aiscat_s_per_cargotrace_nmea_s"] = r["aiscat"]["median_s"] / nmea
        out["pyais_loop_s_per_aiscat_s"] = r["pyais_loop"]["median_s"] / r["aiscat"]["median_s"]
    return {k: round(v, 2) for k, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--nmea", type=Path, help="NMEA file (default: the issue-16 feed)")
    parser.add_argument("--csv", type=Path, default=CSV)
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    nmea = args.nmea or issue_feed()
    load_before = load_average()
    results = measure(nmea, args.csv, args.reps)
    versions = {"cargotrace": __version__, "pyais": pyais.__version__,
                "duckdb": duckdb.__version__}
    if importlib.util.find_spec("aiscat") is not None:
        from importlib.metadata import version

        versions["aiscat"] = version("aiscat")
    report = {
        "when": datetime.now(UTC).isoformat(),
        "machine": machine_facts(load_before),
        "versions": versions,
        "inputs": {"nmea_file": str(nmea), "nmea_lines": sum(1 for _ in nmea.open("rb")),
                   "csv_file": args.csv.name, "csv_rows": sum(1 for _ in args.csv.open("rb")) - 1},
        "results": results,
        "ratios": ratios(results),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"ingest-{report['inputs']['nmea_lines']}-lines-reps-{args.reps}.json"
    target.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({"ratios": report["ratios"], "load": report["machine"]}, indent=2))
    print(f"-> {target}")


if __name__ == "__main__":
    main()
