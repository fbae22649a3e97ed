"""`detect(progress=)`: the steps a progress bar shows, in the order they run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cargotrace
from cargotrace.detect.run import detect

from .factories import copy_store


def test_progress_reports_each_step_once_in_order_then_done(
    solent_store: Path, tmp_path: Path
) -> None:
    calls: list[tuple[str, int, int]] = []
    with cargotrace.open_store(copy_store(solent_store, tmp_path)) as store:
        summary = detect(store, kinds=["gap", "port_visit", "encounter"],
                         progress=lambda step, done, total: calls.append((step, done, total)))
    total = calls[0][2]
    assert calls[0] == ("outliers", 0, total)
    assert calls[-1] == ("done", total, total)
    assert [done for _, done, _ in calls] == list(range(total + 1))
    assert {n for _, _, n in calls} == {total}
    steps = [step for step, _, _ in calls[1:-1]]
    # every kind asked for is named by the step that found it, and was written by the run
    assert steps == ["gap, left_coverage", "port_visit", "encounter"]
    assert set(summary.written) == {"gap", "port_visit", "encounter"}


_CLI_DETECT = """
import sys
from cargotrace.cli.app import app
try:
    app(["detect", "--store", sys.argv[1], "--quiet"])
except SystemExit as done:
    assert not done.code, done.code
print("pandas" in sys.modules)
"""


def test_cli_detect_runs_without_pandas_and_stores_the_library_events(
    mixed_with_ports: Path, tmp_path: Path
) -> None:
    """`cargotrace detect` on DuckDB keeps pandas out of the process (pyarrow would import it
    on the first array built, ~0.3 CPU-s of every run) and stores exactly the events that the
    library's `detect` stores in this process, where pandas is imported."""
    cli_store = copy_store(mixed_with_ports, tmp_path, "cli.duckdb")
    lib_store = copy_store(mixed_with_ports, tmp_path, "lib.duckdb")
    env = {**os.environ, "PYTHONPATH": str(Path(cargotrace.__file__).parents[1])}
    out = subprocess.run([sys.executable, "-c", _CLI_DETECT, str(cli_store)],
                         capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split()[-1] == "False"
    with cargotrace.open_store(lib_store) as store:
        detect(store)
        store.con.execute(f"ATTACH '{cli_store}' AS cli (READ_ONLY)")
        counts = [store.con.execute(  # every column: ids, times, attrs, params
            f"SELECT count(*) FROM (SELECT * FROM {a}.events "
            f"EXCEPT ALL SELECT * FROM {b}.events)").fetchall()[0][0]
            for a, b in (("main", "cli"), ("cli", "main"))]
        [(stored,)] = store.con.execute("SELECT count(*) FROM cli.events").fetchall()
    assert counts == [0, 0]
    assert stored > 100
