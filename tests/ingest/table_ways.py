"""Ingesting a table file two ways — staged in SQL on the store's connection, or through the
chunk readers — and what each stores (test_table_stage.py, test_table_fast.py, test_table_typed.py
compare them)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cargotrace
from cargotrace.ingest import pipeline
from cargotrace.ingest.params import IngestOptions

SQL, CHUNKS, NOT_SQL = "sql", "chunks", "not staged in SQL"


@contextlib.contextmanager
def _never_staged(*args: object) -> Iterator[None]:
    yield None


def _ingest(path: Path, store_path: Path, way: str, monkeypatch: pytest.MonkeyPatch,
            **options: Any) -> list[Any]:
    """Ingest `path` one way; return what the store and the summary hold."""
    with monkeypatch.context() as patch:
        if way == CHUNKS:
            patch.setattr(pipeline, "staged_in_sql", _never_staged)
        elif way == SQL:  # the chunk readers must not be asked for anything
            patch.setattr(pipeline, "open_reader", _no_chunks)
        else:  # a file that must not be staged in SQL
            patch.setattr(pipeline, "store_staged", _no_chunks)
        with cargotrace.open_store(store_path) as store:
            summary = pipeline.ingest_file(store, path, IngestOptions(**options))
            left = store.con.execute(
                "SELECT (SELECT count(*) FROM duckdb_tables() WHERE temporary), "
                "(SELECT count(*) FROM duckdb_functions() WHERE function_name LIKE 'ct_%')"
            ).fetchall()
            assert left == [(0, 0)]  # nothing of the staging outlives the ingest
            return [
                store.con.execute(f"SELECT * EXCLUDE (ingest_id) FROM {table} ORDER BY ALL")
                .fetchall() for table in ("positions", "vessel_reports")
            ] + [store.con.execute("SELECT line_no, raw, reason, detail FROM quarantine "
                                   "ORDER BY rowid").fetchall(),
                 summary.to_dict() | {"duration_s": None}]


def _no_chunks(*args: object) -> object:
    raise AssertionError("a file read the wrong way")


def _both(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
          **options: Any) -> list[Any]:
    sql = _ingest(path, tmp_path / "sql.duckdb", SQL, monkeypatch, **options)
    chunks = _ingest(path, tmp_path / "chunks.duckdb", CHUNKS, monkeypatch, **options)
    assert sql == chunks
    return sql


