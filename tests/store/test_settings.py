"""DuckDB's memory limit and spill folder from the environment: how a 100M-position store is
detected within a fixed memory budget (docs/reference/performance.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

import cargotrace
from cargotrace.errors import StoreError
from cargotrace.store.store import MEMORY_LIMIT_ENV, TEMP_DIR_ENV


def test_memory_limit_and_spill_folder_are_set(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "512MB")
    monkeypatch.setenv(TEMP_DIR_ENV, str(tmp_path / "spill"))
    with cargotrace.open_store(tmp_path / "s.duckdb") as store:
        limit, folder = store.con.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchall()[0]
    assert limit == "488.2 MiB"  # DuckDB shows 512 * 10^6 bytes in binary units
    assert folder == str(tmp_path / "spill")


def test_a_bad_memory_limit_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "lots")
    with pytest.raises(StoreError, match=r"^\$CARGOTRACE_MEMORY_LIMIT='lots': .*number") as err:
        cargotrace.open_store(tmp_path / "s.duckdb")
    assert "\n" not in str(err.value)
