"""Store facts: ingesting the simulator's files marks the store as holding simulated AIS, and
nothing else does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cargotrace
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.sim.params import ScenarioParams
from cargotrace.sim.run import simulate
from cargotrace.store.meta import SIMULATED_AIS, read_meta


def test_ingesting_simulator_output_marks_the_store(tmp_path: Path) -> None:
    sim = tmp_path / "sim"
    simulate(ScenarioParams.for_scenario("background", vessels=2, days=1, seed=5), sim)
    with cargotrace.open_store(tmp_path / "a.duckdb") as store:
        assert read_meta(store, SIMULATED_AIS) is None
        ingest_file(store, sim / "positions.parquet")
        mark = read_meta(store, SIMULATED_AIS)
    assert mark["file"] == str(sim / "positions.parquet")
    assert mark["scenario"] == json.loads((sim / "scenario.json").read_text())
    # the same file elsewhere, without its scenario.json: an ordinary file
    plain = tmp_path / "plain"
    plain.mkdir()
    shutil.copy(sim / "positions.parquet", plain / "positions.parquet")
    with cargotrace.open_store(tmp_path / "b.duckdb") as store:
        ingest_file(store, plain / "positions.parquet")
        assert read_meta(store, SIMULATED_AIS) is None
