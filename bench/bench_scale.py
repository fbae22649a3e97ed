"""Detection at scale: the whole suite on ~100M generated positions in a fixed memory budget.

`make bench-scale` (not part of `make bench`: the store takes ~5 GB of disk and minutes to
write). The store is written by bench/scale_data.py (DuckDB SQL, no simulator), then
`detect` runs once in its own process (bench/detect_stage.py) with DuckDB's memory limit and
spill folder set through $CARGOTRACE_MEMORY_LIMIT and $CARGOTRACE_TEMP_DIR, as a user would.
Its wall time, peak RSS (the process's VmHWM: DuckDB's memory is the process's) and events are
written to --out as detect-scale-<N>M.json; the store and spill files are deleted afterwards
unless --keep. The target (issue 16): under 2 minutes within 8 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from bench_detect import run_stage  # bench/ is on sys.path when run as a script
from machine import load_average, machine_facts
from scale_data import generate

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vessels", type=int, default=2000)
    parser.add_argument("--days", type=int, default=35, help="2000 x 35 days at 1/min: ~100M")
    parser.add_argument("--memory-limit", default="6GB",
                        help="DuckDB's memory_limit (the rest of 8 GB is Python's)")
    parser.add_argument("--no-places", action="store_true",
                        help="without the anchorages as places (the dense-anchorage case)")
    parser.add_argument("--work", type=Path, default=HERE / "work" / "scale")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the store afterwards")
    args = parser.parse_args()
    load_at_start = load_average()
    args.work.mkdir(parents=True, exist_ok=True)
    store = args.work / f"scale_{args.vessels}v_{args.days}d.duckdb"
    spill = args.work / "spill"
    os.environ["CARGOTRACE_MEMORY_LIMIT"] = args.memory_limit
    os.environ["CARGOTRACE_TEMP_DIR"] = str(spill)
    try:
        started = time.perf_counter()
        if not store.exists():
            print(f"writing {store.name} ...", file=sys.stderr)
            generate(store, args.vessels, args.days, with_places=not args.no_places,
                     memory_limit=args.memory_limit)
        write_s = time.perf_counter() - started
        label = (f"scale_data {args.vessels} vessels x {args.days} days"
                 + (", no places" if args.no_places else ""))
        print(label, file=sys.stderr)
        suite = run_stage("suite", store, args.reps)
        size_gb = store.stat().st_size / 1e9
    finally:
        if not args.keep:
            store.unlink(missing_ok=True)
            store.with_suffix(".duckdb.wal").unlink(missing_ok=True)
        shutil.rmtree(spill, ignore_errors=True)
    millions = round(suite["positions"] / 1e6)
    doc = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_facts(load_at_start),
        "versions": {"duckdb": duckdb.__version__},
        "notes": {
            "memory_limit": args.memory_limit,
            "store_write_s": round(write_s, 1),
            "store_gb": round(size_gb, 2),
            "targets": "under 120 s and 8 GB peak RSS (issue 16)",
            "times": "the measured detect call; process_median_s includes start-up",
        },
        "results": {label: {"suite": suite}},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    name = f"detect-scale-{millions}M" + ("-no-places" if args.no_places else "")
    (args.out / f"{name}.json").write_text(json.dumps(doc, indent=2) + "\n")
    sys.stdout.write(json.dumps(doc["results"], indent=2) + "\n")


if __name__ == "__main__":
    main()
