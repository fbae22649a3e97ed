"""Run-wide fixtures: the shared real data folder and a fresh store per test."""

from __future__ import annotations

from collections.abc import Iterator
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
