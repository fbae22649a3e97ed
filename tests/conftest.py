"""Run-wide fixtures: the shared real data folder and a fresh store per test."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pyais
import pytest

import cargotrace

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def pytest_report_header() -> list[str]:
    return [f"duckdb {duckdb.__version__}, pyais {pyais.__version__}, data {SHARED_DATA}"]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the repository (real files; never copied into the repo)."""
    assert SHARED_DATA.is_dir(), f"real test data expected at {SHARED_DATA}"
    return SHARED_DATA


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
