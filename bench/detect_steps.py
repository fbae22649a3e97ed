"""Where a DuckDB `detect` run's time goes, per step: the engine's queries against Python.

    PYTHONPATH=$PWD python bench/detect_steps.py COPY_OF_A_STORE.duckdb [--kind K ...]

Detects on the store (its events are replaced: give it a copy) as `cargotrace detect` does
(pandas refused for the run), and prints a Markdown table: per progress step of `detect`, the
process CPU seconds (every DuckDB thread included), the CPU seconds spent inside the
detectors' queries (results fetched as Arrow and tables kept on the engine: Ibis' cached
tables), the rest (Python: building and compiling Ibis expressions, numpy passes, events;
and the few statements run directly on the connection) and the wall seconds.

Why: the whole-run figure (issue 16: 2M positions/s) mixes DuckDB's two threads with
Python's one. A second of Python costs a second of wall time, a CPU second of DuckDB about
half of one, so the two are measured apart. Run it on a quiet machine, or alternate two
builds in the same minutes: CPU seconds swing ±10-30% with the load.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

import ibis.backends.duckdb as ibis_duckdb

import cargotrace.store.engines.results as results
from cargotrace.detect.run import detect
from cargotrace.ingest.arrow_start import pandas_unused
from cargotrace.store.store import open_store


def cpu_s() -> float:
    """This process's CPU seconds, every thread (DuckDB's workers too)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Steps:
    """CPU, query CPU and wall seconds per step, closed when the run moves on."""

    def __init__(self) -> None:
        self.query_s = 0.0
        self.rows: list[tuple[str, float, float, float]] = []
        self.step, self.cpu, self.query, self.wall = "start", cpu_s(), 0.0, time.perf_counter()

    def timed(self, call: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = cpu_s()
            try:
                return call(*args, **kwargs)
            finally:
                self.query_s += cpu_s() - started
        return wrapper

    def tell(self, step: str, done: int = 0, total: int = 0) -> None:
        now_cpu, now_wall = cpu_s(), time.perf_counter()
        self.rows.append((self.step, now_cpu - self.cpu, self.query_s - self.query,
                          now_wall - self.wall))
        self.step, self.cpu, self.query, self.wall = step, now_cpu, self.query_s, now_wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("--kind", action="append", default=None)
    args = parser.parse_args()
    steps = Steps()
    # the detectors import `to_arrow` by name: wrap it wherever it was imported
    fetch = results.to_arrow
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("cargotrace.") and getattr(
                module, "to_arrow", None) is fetch:
            module.to_arrow = steps.timed(fetch)  # type: ignore[attr-defined]
    backend = ibis_duckdb.Backend
    backend._create_cached_table = steps.timed(backend._create_cached_table)  # type: ignore[method-assign]
    with open_store(args.store) as store, pandas_unused():
        positions = store.con.execute("SELECT count(*) FROM positions").fetchall()[0][0]
        steps.tell("start")  # the run starts here: opening the store is not measured
        steps.rows.clear()
        summary = detect(store, kinds=args.kind, progress=steps.tell)
    steps.tell("end")
    print(f"{positions:,} positions, {sum(summary.written.values()):,} events\n")
    print("| step | CPU s | in queries | other (Python) | wall s |\n|---|---:|---:|---:|---:|")
    for step, cpu, query, wall in steps.rows:
        print(f"| {step} | {cpu:.2f} | {query:.2f} | {cpu - query:.2f} | {wall:.2f} |")
    total = [sum(r[i] for r in steps.rows) for i in (1, 2, 3)]
    print(f"| **whole run** | {total[0]:.2f} | {total[1]:.2f} | {total[0] - total[1]:.2f} | "
          f"{total[2]:.2f} |")


if __name__ == "__main__":
    main()
