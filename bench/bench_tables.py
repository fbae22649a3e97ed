"""Whole-process table ingest against DuckDB's own `read_csv` of the same file (issue 16).

Each repetition runs, in fresh processes and alternately (so both see the same load):
`cargotrace ingest FILE` into a new store, and `CREATE TABLE t AS SELECT * FROM read_csv(FILE)`
into a new DuckDB file. Wall time and peak memory (ru_maxrss of the child) of each, their
medians, the ratio of the medians, and the load average before and after are written as JSON.

    python bench/bench_tables.py [FILE] [--reps 3] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import cpu_model

DEFAULT_FILE = (Path(__file__).resolve().parents[2] / "shared" / "data" / "ais_positions"
                / "marinecadastre_AIS_2022_01_03_first99999.csv")


def timed(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and the child's peak RSS in MB (children run one at a time)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) // 1024  # ru_maxrss of children: the largest so far


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    runs: dict[str, list[float]] = {"ingest": [], "read_csv": []}
    peaks: dict[str, int] = {}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.reps):
            store = Path(tmp) / f"ingest{rep}.duckdb"
            seconds, peak = timed([sys.executable, "-m", "cargotrace", "ingest",
                                   str(args.file), "--store", str(store)])
            runs["ingest"].append(seconds)
            peaks["ingest"] = peak
            plain = Path(tmp) / f"read_csv{rep}.duckdb"
            code = ("import duckdb, sys; duckdb.connect(sys.argv[1]).execute("
                    "'CREATE TABLE t AS SELECT * FROM read_csv(?)', [sys.argv[2]])")
            seconds, _ = timed([sys.executable, "-c", code, str(plain), str(args.file)])
            runs["read_csv"].append(seconds)
    medians = {name: statistics.median(times) for name, times in runs.items()}
    doc = {
        "file": str(args.file), "size_bytes": args.file.stat().st_size, "reps": args.reps,
        "seconds": runs, "median_s": medians,
        "ratio_ingest_to_read_csv": medians["ingest"] / medians["read_csv"],
        "peak_rss_mb_ingest_at_most": peaks["ingest"],
        "load_average_before": load_before, "load_average_after": os.getloadavg(),
        "cpu": cpu_model(), "cpus": os.cpu_count(), "python": sys.version.split()[0],
    }
    text = json.dumps(doc, indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
