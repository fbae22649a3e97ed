"""Issue 16 item 3, the shortcuts of the SQL table path give the chunk path's rows.

- The few repeated (mmsi, ts) pairs of a file are told apart by a list of their hashes, more by
  a join (table_store._LISTED_PAIRS): the same rows either way, pandas' count.
- A staged file keeps only the columns it has a source for (table_stage._create_stage): the
  others come back NULL through a view that, like the table, does not outlive the ingest.
- Times are converted by arithmetic on their microseconds, not through ICU: extreme and
  infinite times are checked and stored as the chunk path checks and stores them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from cargotrace.ingest import table_store

from .table_files import MC
from .table_ways import _both


def _temporary_left(store_path: Path) -> int:
    """Temporary tables and views left in a store file reopened (none may be persisted)."""
    with duckdb.connect(str(store_path), read_only=True) as con:
        return int(con.execute(
            "SELECT (SELECT count(*) FROM duckdb_views() WHERE NOT internal AND temporary)"
            " + (SELECT count(*) FROM duckdb_tables() WHERE temporary)").fetchall()[0][0])


def test_repeated_pairs_joined_store_the_chunk_paths_rows(
        shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The MarineCadastre sample repeats 43 (mmsi, ts) pairs, listed by default (the tests of
    test_table_stage.py); told apart by the join a file with more than `_LISTED_PAIRS` takes,
    the rows are still the chunk path's, and pandas' count of distinct keys."""
    import pandas as pd

    path = shared_data / "ais_positions" / MC
    monkeypatch.setattr(table_store, "_LISTED_PAIRS", 0)
    positions, reports, _, summary = _both(path, tmp_path, monkeypatch)
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    valid = df[pd.to_numeric(df["MMSI"]).between(100_000_000, 999_999_999)]
    unique = valid.drop_duplicates(["MMSI", "BaseDateTime", "LAT", "LON"])
    assert len(positions) == len(unique) == summary["positions_stored"]
    assert summary["duplicate_positions"] == len(valid) - len(unique) > 0
    assert summary["duplicate_reports"] > 0
    assert len(reports) == summary["reports_stored"]
    assert _temporary_left(tmp_path / "sql.duckdb") == 0


def test_positions_only_file_stores_no_static_values(
        shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Solent capture has no static columns: staged without them, its positions are the
    chunk path's, with every column it lacks NULL, and no vessel report is made (pandas
    counts the rows with an MMSI and a time)."""
    import pandas as pd

    path = shared_data / "ais_positions" / "stonesoup_SolentAIS_20160112_130211.csv"
    positions, reports, _, summary = _both(path, tmp_path, monkeypatch)
    assert reports == []
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert summary["records_read"] == len(df)
    assert len(positions) + summary["duplicate_positions"] == summary["positions_read"]
    with duckdb.connect(str(tmp_path / "sql.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM positions WHERE station IS NOT NULL"
                           ).fetchall() == [(0,)]
    assert _temporary_left(tmp_path / "sql.duckdb") == 0


EXTREME_TIMES = ["infinity", "-infinity", "0001-01-01 00:00:00", "0999-12-31 23:59:59",
                 "9999-12-31 23:59:59.999999", "2022-01-03 00:00:00.000001"]


def test_extreme_times_in_a_csv_checked_alike(
        shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real rows whose times are infinite, before year 1000 or at the end of year 9999 are
    quarantined (time_out_of_range) and the one in range stored, as the chunk path does."""
    lines = (shared_data / "ais_positions" / MC).read_text().splitlines()[:len(EXTREME_TIMES) + 1]
    rows = [",".join([row.split(",")[0], when, *row.split(",")[2:]])
            for row, when in zip(lines[1:], EXTREME_TIMES, strict=True)]
    path = tmp_path / "extreme.csv"
    path.write_text("\n".join([lines[0], *rows]) + "\n")
    positions, _, quarantine, summary = _both(path, tmp_path, monkeypatch)
    assert len(positions) == 1
    assert summary["quarantined"] == {"time_out_of_range": len(EXTREME_TIMES) - 1}
    assert [line for line, *_ in quarantine] == list(range(2, len(EXTREME_TIMES) + 1))


@pytest.mark.parametrize("kind", ["TIMESTAMPTZ", "TIMESTAMP"])
def test_extreme_typed_times_in_parquet_checked_alike(
        kind: str, shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same times typed in a Parquet file (read as they are between the years 1000 and
    9999, through their text outside): stored and quarantined as the chunk path does."""
    path = tmp_path / "extreme.parquet"
    source = shared_data / "ais_positions" / MC
    times = ", ".join(f"('{t}'::{kind}, {i})" for i, t in enumerate(EXTREME_TIMES))
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"""COPY (SELECT c.* EXCLUDE (i) REPLACE (t.w AS BaseDateTime)
                        FROM (SELECT *, row_number() OVER () - 1 AS i
                              FROM read_csv('{source}') LIMIT {len(EXTREME_TIMES)}) c
                        JOIN (VALUES {times}) t(w, i) USING (i) ORDER BY i)
                        TO '{path}'""")
    positions, _, quarantine, summary = _both(path, tmp_path, monkeypatch)
    assert len(positions) == 1
    assert summary["quarantined"] == {"time_out_of_range": len(EXTREME_TIMES) - 1}
    assert len(quarantine) == len(EXTREME_TIMES) - 1
