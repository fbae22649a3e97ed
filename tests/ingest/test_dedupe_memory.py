"""The chunk collision check answered from memory (`dedupe.StoredSoFar`) against DuckDB's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import cargotrace
from cargotrace.ingest import dedupe
from cargotrace.ingest.dedupe import GoodRows, StoredSoFar, near_sql
from cargotrace.ingest.params import IngestOptions
from cargotrace.ingest.pipeline import ingest_file

NM4 = "ais_nmea/aisdb/test_data_20211101.nm4"
OPTIONS = IngestOptions(chunk_records=100, assume_time=datetime(2021, 11, 1, tzinfo=UTC))
_ROWS = {
    "positions": "SELECT * EXCLUDE (ingest_id) FROM positions ORDER BY ALL",
    "vessel_reports": "SELECT * EXCLUDE (ingest_id) FROM vessel_reports ORDER BY ALL",
    "quarantine": "SELECT * EXCLUDE (ingest_id) FROM quarantine ORDER BY ALL",
}


def _repeated_feed(shared_data: Path, tmp_path: Path) -> Path:
    """Real lines, each heard again 150 lines later (in the next chunk or the one after, at
    100 lines a chunk: the boundary case the memory answers), then the first 300 lines once
    more at the end (times jump back: only DuckDB can answer)."""
    lines = (shared_data / NM4).read_bytes().splitlines()
    out: list[bytes] = []
    for i, line in enumerate(lines):
        out.append(line)
        if i >= 150:
            out.append(lines[i - 150])
    out += lines[:300]
    path = tmp_path / "repeated.nm4"
    path.write_bytes(b"\n".join(out) + b"\n")
    return path


def test_the_collision_check_from_memory_agrees_with_duckdb(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every answer the memory gives is the one DuckDB's query (`_collides`) gives on the same
    store; both answers and "ask DuckDB" occur; the stored rows are those of an ingest that
    asks DuckDB every time, and hold no key twice."""
    feed = _repeated_feed(shared_data, tmp_path)
    tables: dict[int, str] = {}
    real_of, real_collides = StoredSoFar.of.__func__, StoredSoFar.collides  # type: ignore[attr-defined]
    answers: dict[object, int] = {True: 0, False: 0, None: 0}
    store = cargotrace.open_store(tmp_path / "memory.duckdb")

    def of(cls: type[StoredSoFar], store_: Any, table: str) -> StoredSoFar:
        so_far: StoredSoFar = real_of(cls, store_, table)
        tables[id(so_far)] = table
        return so_far

    def collides(self: StoredSoFar, rows: GoodRows) -> bool | None:
        known = real_collides(self, rows)
        answers[known] += 1
        if known is not None and rows.window is not None:
            table = tables[id(self)]
            asked = dedupe._collides(store, rows.table, table, near_sql(*rows.window))
            assert known == asked, (table, rows.window)
        return known

    monkeypatch.setattr(StoredSoFar, "of", classmethod(of))
    monkeypatch.setattr(StoredSoFar, "collides", collides)
    with store:
        summary = ingest_file(store, feed, OPTIONS)
        got = {t: store.con.execute(sql).fetchall() for t, sql in _ROWS.items()}
        # independent: no key stored twice, and every copy read was counted as one
        [(rows, keys)] = store.con.execute(
            "SELECT count(*), count(DISTINCT (mmsi, ts, lat, lon)) FROM positions").fetchall()
    assert answers[True] > 0 and answers[False] > 0 and answers[None] > 0
    assert rows == keys == summary.positions_stored
    assert summary.duplicate_positions == summary.positions_read - rows > 0

    monkeypatch.setattr(StoredSoFar, "collides", lambda self, rows: None)  # always ask DuckDB
    with cargotrace.open_store(tmp_path / "duckdb.duckdb") as reference:
        ingest_file(reference, feed, OPTIONS)
        expected = {t: reference.con.execute(sql).fetchall() for t, sql in _ROWS.items()}
    assert got == expected
    assert len(got["positions"]) > 300
