"""Whole-process start-up of the commands users wait on: `--help`, `vessels`, `places list`.

Issue 16 asks for each within 0.35 s on a small store. Each command runs in a fresh process
(`python -m cargotrace ...`), its wall time and CPU time (user + system, from os.wait4) taken;
with `--before DIR` (a copy of another version's `cargotrace` package, e.g. from
`git archive integ8 cargotrace | tar -x -C DIR`) the two versions alternate run by run, so both
see the same load. The store is the real Solent capture (91 vessels) with the curated places,
built once by the code under test. Writes medians (and every run) as JSON for bench/summary.py.

    python bench/bench_startup.py --runs 9 --before /tmp/base --out bench/results
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version as dist_version
from pathlib import Path

from machine import load_average, machine_facts

ROOT = Path(__file__).resolve().parents[1]
SOLENT = ROOT.parent / "shared" / "data" / "ais_positions" / (
    "stonesoup_SolentAIS_20160112_130211.csv")
COMMANDS = {"--help": ["--help"], "vessels": ["vessels"], "places list": ["places", "list"]}


def run_once(code_root: Path, args: list[str], cwd: Path) -> tuple[float, float]:
    """(wall s, CPU s) of `python -m cargotrace ARGS` importing the package under code_root."""
    env = {**os.environ, "PYTHONPATH": str(code_root), "COLUMNS": "100"}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "cargotrace", *args], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{args} exited {proc.returncode} with {code_root}")
    return wall, usage.ru_utime + usage.ru_stime


def build_store(folder: Path, solent: Path) -> Path:
    store = folder / "solent.duckdb"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for args in (["ingest", str(solent), "--store", str(store), "-q"],
                 ["places", "load", "--curated", "--store", str(store)]):
        subprocess.run([sys.executable, "-m", "cargotrace", *args], env=env, check=True,
                       capture_output=True)
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--before", type=Path, help="another version's code root to alternate")
    parser.add_argument("--solent", type=Path, default=SOLENT)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    opts = parser.parse_args()
    load_at_start = load_average()
    versions = {"now": ROOT} | ({"before": opts.before} if opts.before else {})
    runs: dict[str, dict[str, list[list[float]]]] = {
        v: {c: [] for c in COMMANDS} for v in versions}
    with tempfile.TemporaryDirectory() as tmp:
        store = build_store(Path(tmp), opts.solent)
        for _ in range(opts.runs):
            for command, args in COMMANDS.items():
                extra = [] if command == "--help" else ["--store", str(store)]
                for version, code_root in versions.items():
                    runs[version][command].append(list(run_once(code_root, args + extra,
                                                                Path(tmp))))
    results = {version: {command: {
        "median_wall_s": round(statistics.median(r[0] for r in timings), 3),
        "median_cpu_s": round(statistics.median(r[1] for r in timings), 3),
        "runs": [[round(w, 3), round(c, 3)] for w, c in timings]}
        for command, timings in by_command.items()} for version, by_command in runs.items()}
    medians = {f"{version}: {command}, {what}": r[f"median_{key}_s"]
               for version, by_command in results.items() for command, r in by_command.items()
               for what, key in (("wall", "wall"), ("CPU", "cpu"))}
    doc = {"benchmark": "start-up of --help, vessels and places list (whole process)",
           "date": datetime.now(UTC).isoformat(timespec="seconds"),
           "machine": machine_facts(load_at_start),
           "versions": {name: dist_version(name) for name in ("typer", "rich", "duckdb")},
           "store": f"{opts.solent.name} (91 vessels) and the curated places",
           "runs_per_command": opts.runs, "median_s": medians, "results": results}
    opts.out.mkdir(parents=True, exist_ok=True)
    target = opts.out / "startup.json"
    target.write_text(json.dumps(doc, indent=2) + "\n")
    sys.stdout.write(json.dumps({v: {c: (r["median_wall_s"], r["median_cpu_s"])
                                     for c, r in by.items()} for v, by in results.items()})
                     + f"\nwrote {target}\n")


if __name__ == "__main__":
    main()
