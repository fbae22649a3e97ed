"""Ingest throughput: cargotrace NMEA and CSV ingest vs pyais's own decode, in one run.

Writes JSON with every repetition, medians, input sizes, machine and library versions, and the
ratios. Each measurement is a whole process (start-up included), so the numbers are what a user
waits for. Run with `make bench`.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyais
from machine import cpu_model  # bench/ is on sys.path when run as a script

from cargotrace.sim.sample import scaled_fleet, write_sample_nmea
from cargotrace.version import __version__

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"


def make_inputs(vessels: int, hours: float) -> tuple[Path, int, Path, int]:
    """Generated NMEA (cached by size) and the same positions as a MarineCadastre CSV."""
    WORK.mkdir(exist_ok=True)
    nmea = WORK / f"sample_{vessels}v_{hours:g}h.nmea"
    if not nmea.exists():
        print(f"generating {nmea} ...", file=sys.stderr)
        write_sample_nmea(nmea, hours=hours, fleet=scaled_fleet(vessels))
    lines = sum(1 for _ in nmea.open("rb"))
    csv = nmea.with_suffix(".csv")
    if not csv.exists():
        store = WORK / "csv_source.duckdb"
        store.unlink(missing_ok=True)
        run([sys.executable, "-m", "cargotrace", "ingest", "--quiet", "--store", str(store),
             str(nmea)])
        con = duckdb.connect(str(store))
        con.execute(
            f"""COPY (SELECT mmsi AS MMSI, strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S')
                       AS BaseDateTime, lat AS LAT, lon AS LON, sog AS SOG, coalesce(cog, 360)
                       AS COG, coalesce(heading, 511) AS Heading, '' AS VesselName, '' AS IMO,
                       '' AS CallSign, '' AS VesselType, nav_status AS Status, '' AS Length,
                       '' AS Width, '' AS Draft, '' AS Cargo, 'A' AS TransceiverClass
                FROM positions ORDER BY ts) TO '{csv}' (HEADER, DELIMITER ',')"""
        )
        con.close()
        store.unlink()
    rows = sum(1 for _ in csv.open("rb")) - 1
    return nmea, lines, csv, rows


def run(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def timed_ingest(path: Path, reps: int) -> list[float]:
    times = []
    for i in range(reps):
        store = WORK / f"bench_{i}.duckdb"
        store.unlink(missing_ok=True)
        times.append(run([sys.executable, "-m", "cargotrace", "ingest", "--quiet",
                          "--store", str(store), str(path)]))
        store.unlink()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--vessels", type=int, default=250)
    parser.add_argument("--hours", type=float, default=45)
    args = parser.parse_args()
    nmea, lines, csv, rows = make_inputs(args.vessels, args.hours)
    pyais_s = [run([sys.executable, str(HERE / "pyais_decode.py"), str(nmea)])
               for _ in range(args.reps)]
    nmea_s = timed_ingest(nmea, args.reps)
    csv_s = timed_ingest(csv, args.reps)
    med = {k: statistics.median(v) for k, v in
           {"pyais_decode": pyais_s, "cargotrace_nmea": nmea_s, "cargotrace_csv": csv_s}.items()}
    result = {
        "when": datetime.now(UTC).isoformat(),
        "machine": {"cpu": cpu_model(), "cores": __import__("os").cpu_count(),
                    "python": platform.python_version()},
        "versions": {"cargotrace": __version__, "pyais": pyais.__version__,
                     "duckdb": duckdb.__version__},
        "inputs": {"nmea_file": nmea.name, "nmea_lines": lines, "csv_file": csv.name,
                   "csv_rows": rows},
        "repetitions_s": {"pyais_decode": pyais_s, "cargotrace_nmea": nmea_s,
                          "cargotrace_csv": csv_s},
        "median_s": med,
        "throughput": {
            "pyais_decode_lines_per_s": lines / med["pyais_decode"],
            "cargotrace_nmea_lines_per_s": lines / med["cargotrace_nmea"],
            "cargotrace_csv_rows_per_s": rows / med["cargotrace_csv"],
        },
        "ratio_cargotrace_nmea_vs_pyais_decode": med["pyais_decode"] / med["cargotrace_nmea"],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"ingest-{lines}-lines-reps-{args.reps}.json"
    target.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["throughput"], indent=2))
    print(f"cargotrace NMEA ingest / pyais decode speed: "
          f"{result['ratio_cargotrace_nmea_vs_pyais_decode']:.2f}x  -> {target}")


if __name__ == "__main__":
    main()
