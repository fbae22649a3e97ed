"""Run-wide fixtures: the shared real data folder, a fresh store per test, and the scenario
stores more than one test package reads (built once per run; open them read-only, or copy them).
Each test package keeps its own builders in its factories.py and its own scenarios in its
conftest.py; tests/README.md says how the suite is laid out."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyais
import pytest

import cargotrace
from cargotrace.detect.run import detect
from cargotrace.ingest.gazetteers import load_curated_gazetteer
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.sim.params import ScenarioParams
from cargotrace.sim.run import simulate

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SOLENT = "ais_positions/stonesoup_SolentAIS_20160112_130211.csv"


def pytest_report_header() -> list[str]:
    return [f"duckdb {duckdb.__version__}, pyais {pyais.__version__}, data {SHARED_DATA}"]


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """The Ibis PySpark backend, one SparkSession for the whole run (every package's Spark
    tests share it), stopped at the end. Mark the tests that use it `spark`."""
    from cargotrace.store.engines import spark_backend, stop_spark

    backend = spark_backend()
    yield backend
    stop_spark()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the repository (real files; never copied into the repo)."""
    assert SHARED_DATA.is_dir(), f"real test data expected at {SHARED_DATA}"
    return SHARED_DATA


@pytest.fixture(scope="session")
def solent_store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real Solent capture (18,620 positions of 91 vessels over 84 minutes) ingested alone,
    with no places. Read by detect/ (track, engines) and copied by detect/test_port_visits.py
    and store/test_engines_handoff.py: open it read-only, or copy it."""
    path = tmp_path_factory.mktemp("solent") / "solent.duckdb"
    with cargotrace.open_store(path) as store:
        ingest_file(store, shared_data / SOLENT)
    return path


@pytest.fixture(scope="session")
def sea_of_japan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The simulator's `sea-of-japan-2023` scenario at the reference case's size (4 vessels,
    20 days, default seed): the folder it wrote (positions, vessel reports, truth and the
    evidence.yaml case file), and a store with both ingested, the curated gazetteer loaded and
    every detector run. Read by detect/test_gaps.py and copied by cases/test_sim_store.py."""
    out = tmp_path_factory.mktemp("soj")
    simulate(ScenarioParams.for_scenario("sea-of-japan-2023", vessels=4, days=20), out)
    store_path = out / "s.duckdb"
    with cargotrace.open_store(store_path) as store:
        ingest_file(store, out / "positions.parquet")
        ingest_file(store, out / "vessel_reports.parquet")
        load_curated_gazetteer(store)
        detect(store)
    return out, store_path


@pytest.fixture
def tmp_store(tmp_path: Path) -> Iterator[cargotrace.Store]:
    with cargotrace.open_store(tmp_path / "t.duckdb") as store:
        yield store


# Packages the plain FtM path must never import: followthemoney and what pulls in pyicu.
FTM_ONLY = ("followthemoney", "normality", "rigour", "icu")
_BLOCK_FTM = f"""
import importlib.abc, sys
class _Blocked(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {FTM_ONLY!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked by the test)")
        return None
sys.meta_path.insert(0, _Blocked())
"""


@pytest.fixture(scope="session")
def run_without_followthemoney() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run Python code in a fresh interpreter where followthemoney (and normality, rigour, icu)
    cannot be imported — the default install — with this checkout on the path."""
    def run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(Path(cargotrace.__file__).parents[1]), os.environ.get("PYTHONPATH", "")])}
        env.pop("CARGOTRACE_FTM", None)
        done = subprocess.run([sys.executable, "-c", _BLOCK_FTM + code, *args], env=env,
                              capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        return done
    return run
