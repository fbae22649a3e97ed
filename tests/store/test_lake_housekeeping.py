"""`cargotrace lake compact|vacuum` (issue 23) on a small lake of real data: the same rows
before and after (counted with pyarrow over the folders), fewer files, old snapshots gone and
the current one readable."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
import pytest
from typer.testing import CliRunner

import cargotrace
from cargotrace.cli.app import app
from cargotrace.ingest.lake_writer import ingest_into_lake
from cargotrace.store.lake.snapshot import versions

TABLES = ("positions", "vessel_reports")


@pytest.fixture
def two_ingests(shared_data: Path, tmp_path: Path) -> Path:
    """Two slices of a real day's MarineCadastre capture ingested one after the other: two
    files in that day's partition of each table."""
    lines = (shared_data / "ais_positions/marinecadastre_AIS_2022_01_03_first99999.csv"
             ).read_text().splitlines(keepends=True)[:6_001]
    root = tmp_path / "lk"
    with cargotrace.open_store(f"lake:{root}") as lake:
        for n, part in enumerate((lines[1:3_001], lines[3_001:])):
            source = tmp_path / f"part{n}.csv"
            source.write_text(lines[0] + "".join(part))
            ingest_into_lake(lake, source)
    return root


def _on_disk(root: Path, table: str) -> pd.DataFrame:
    """Every row of every Parquet file in the table's folder, read by pyarrow (not by the
    lake's code), in one order."""
    files = sorted(str(p) for p in (root / table).rglob("*.parquet"))
    frame = ds.dataset(files, format="parquet", partitioning="hive").to_table().to_pandas()
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def _files(root: Path, table: str) -> int:
    return len(list((root / table).rglob("*.parquet")))


def _lake(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["lake", *args, "--json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def test_compact_then_vacuum_keep_the_rows_in_fewer_files(two_ingests: Path) -> None:
    root = two_ingests
    before = {t: _on_disk(root, t) for t in TABLES}
    assert {t: _files(root, t) for t in TABLES} == {t: 2 for t in TABLES}
    assert len(before["positions"]) > 5_000
    store = f"lake:{root}"

    other_day = _lake("compact", "--store", store, "--day", "2022-01-04")
    assert other_day["version"] is None and other_day["days"] == {t: [] for t in TABLES}
    compacted = _lake("compact", "--store", store, "--day", "2022-01-03")
    assert compacted["days"] == {t: ["2022-01-03"] for t in TABLES}
    assert compacted["files_after"] == {t: 1 for t in TABLES}
    assert compacted["rows_rewritten"] == {t: len(before[t]) for t in TABLES}
    assert compacted["version"] == versions(root)[-1]
    assert {t: _files(root, t) for t in TABLES} == {t: 3 for t in TABLES}  # old ones stay

    planned = _lake("vacuum", "--store", store, "--keep", "1", "--dry-run")
    assert planned["files_removed"] == 2 * 2 + 1 and versions(root)[0] == 1  # nothing deleted
    vacuumed = _lake("vacuum", "--store", store, "--keep", "1")
    assert vacuumed["snapshots_removed"] == list(range(1, compacted["version"]))
    assert vacuumed["files_removed"] == planned["files_removed"]
    assert versions(root) == [compacted["version"]]
    assert {t: _files(root, t) for t in TABLES} == {t: 1 for t in TABLES}
    for table in TABLES:
        pd.testing.assert_frame_equal(_on_disk(root, table), before[table])
    with cargotrace.open_store(store, read_only=True) as lake:
        for table in TABLES:
            assert lake.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] \
                == len(before[table])


def test_the_commands_refuse_a_duckdb_file_and_a_bad_day(tmp_path: Path) -> None:
    for made in (tmp_path / "s.duckdb", f"lake:{tmp_path}/lk"):
        with cargotrace.open_store(made):
            pass
    for args in (["lake", "vacuum", "--store", str(tmp_path / "s.duckdb")],
                 ["lake", "compact", "--store", f"lake:{tmp_path}/lk", "--day", "2022-13-01"],
                 ["lake", "vacuum", "--store", f"lake:{tmp_path}/lk", "--keep", "0"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
    assert str(result.exception) == "--keep 0: must be at least 1 (the current version)"
