"""Many files into a lake as one snapshot per batch (issue 23): the rows a DuckDB file stores,
each file still its own ingest (skipped on a re-run, refused alone when unusable), and a kill
between batches that a re-run completes. Real data: the MarineCadastre sample cut into small
files by lines, as a folder of small daily exports would come."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

import cargotrace
from cargotrace.errors import CargotraceError, ParamsError, StoreError
from cargotrace.ingest.lake_batches import LakeBatchParams, ingest_files, plan_batches
from cargotrace.ingest.lake_writer import ingest_batch_into_lake
from cargotrace.ingest.summary import IngestSummary
from cargotrace.store.lake.files import data_files_on_disk
from cargotrace.store.lake.snapshot import read_snapshot, versions

MARINECADASTRE = "ais_positions/marinecadastre_AIS_2022_01_03_first99999.csv"
SOLENT = "ais_positions/stonesoup_SolentAIS_20160112_130211.csv"
SOLENT_KEY = ["MMSI", "Time", "Latitude_degrees", "Longitude_degrees"]
KEY = ["MMSI", "BaseDateTime", "LAT", "LON"]
PIECES = 8


@pytest.fixture(scope="module")
def pieces(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The MarineCadastre sample cut into 8 CSV files of consecutive lines (header on each),
    with a GeoJSON file (unusable for `ingest`) fourth in the list."""
    folder = tmp_path_factory.mktemp("pieces")
    header, *body = (shared_data / MARINECADASTRE).read_text().splitlines(keepends=True)
    step = -(-len(body) // PIECES)
    files = []
    for i in range(PIECES):
        files.append(folder / f"mc-{i}.csv")
        files[-1].write_text(header + "".join(body[i * step:(i + 1) * step]))
    geojson = folder / "ports.geojson"
    geojson.write_text('{"type": "FeatureCollection", "features": []}')
    return [*files[:3], geojson, *files[3:]]


def _expected(files: list[Path]) -> pd.DataFrame:
    """Positions the files hold, by pandas alone: 9-digit MMSIs, duplicates dropped."""
    rows = pd.concat([pd.read_csv(f) for f in files if f.suffix == ".csv"])
    return rows[rows["MMSI"].between(100_000_000, 999_999_999)].drop_duplicates(KEY)


def _rows(store: cargotrace.Store, table: str) -> list[tuple[object, ...]]:
    return store.con.execute(f"SELECT * EXCLUDE (ingest_id) FROM {table} ORDER BY ALL"
                             ).fetchall()


def _ingest_snapshots(root: Path) -> list[dict[str, object]]:
    return [s.details for s in (read_snapshot(root, v) for v in versions(root))
            if s.operation == "ingest"]


def test_batches_close_on_count_or_size_and_a_big_file_is_alone() -> None:
    mib = 1024 * 1024
    params = LakeBatchParams(max_files=3, max_mb=1.0)
    assert plan_batches([10, 10, 10, 10, 10], params) == [range(0, 3), range(3, 5)]
    assert plan_batches([mib // 2, mib // 2, 1, 3 * mib, 5], params) == [
        range(0, 2), range(2, 3), range(3, 4), range(4, 5)]
    assert plan_batches([], params) == []
    with pytest.raises(ParamsError):
        LakeBatchParams(max_files=0)


def test_small_files_commit_one_snapshot_per_batch_with_the_duckdb_files_rows(
    pieces: list[Path], tmp_path: Path,
) -> None:
    root = tmp_path / "lk"
    params = LakeBatchParams(max_files=4)  # 9 files: 3 batches, the GeoJSON in the first
    with cargotrace.open_store(f"lake:{root}") as lake:
        outcomes = ingest_files(lake, pieces, params=params)
    with cargotrace.open_store(tmp_path / "d.duckdb") as duck:
        in_file = ingest_files(duck, pieces)
    refused = [o for o in outcomes if isinstance(o, CargotraceError)]
    assert len(refused) == 1 and "GeoJSON" in str(refused[0])
    assert isinstance(outcomes[3], CargotraceError)
    summaries = [o for o in outcomes if isinstance(o, IngestSummary)]
    assert len(summaries) == PIECES
    snapshots = _ingest_snapshots(root)
    assert [len(s["files"]) for s in snapshots] == [3, 4, 1]  # type: ignore[arg-type]
    expected = _expected(pieces)
    bad_mmsi = sum(int((~pd.read_csv(f)["MMSI"].between(100_000_000, 999_999_999)).sum())
                   for f in pieces if f.suffix == ".csv")
    with cargotrace.open_store(f"lake:{root}", read_only=True) as lake, \
            cargotrace.open_store(tmp_path / "d.duckdb", read_only=True) as duck:
        assert lake.count("positions") == len(expected) == sum(
            s.positions_stored for s in summaries)
        for table in ("positions", "vessel_reports", "quarantine"):
            assert _rows(lake, table) == _rows(duck, table), table
        assert lake.count("quarantine") == bad_mmsi
        ingests = lake.con.execute("SELECT path, positions_stored FROM ingests ORDER BY ingest_id"
                                   ).fetchall()
    # each file its own ingest, with the counts a DuckDB file gives it
    assert ingests == [(s.path, s.positions_stored) for s in summaries]
    assert [(s.positions_stored, s.duplicate_positions, s.quarantined) for s in summaries] == [
        (s.positions_stored, s.duplicate_positions, s.quarantined)
        for s in in_file if isinstance(s, IngestSummary)]
    # one file per day partition per batch, not one per file (the sample is one day)
    day_files = [p for p in data_files_on_disk(root) if p.startswith("positions/")]
    assert len(day_files) == len(snapshots) == 3


KILL_AT_SECOND_BATCH = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import cargotrace
    import cargotrace.store.lake.store as lake_store
    from cargotrace.ingest.lake_batches import LakeBatchParams, ingest_files

    original, commits = lake_store.publish, []

    def publish(*args):  # SIGKILL when the second batch's snapshot is to be written
        commits.append(1)
        if len(commits) == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        original(*args)

    lake_store.publish = publish
    with cargotrace.open_store("lake:" + sys.argv[1]) as lake:
        ingest_files(lake, [Path(p) for p in sys.argv[2:]], params=LakeBatchParams(max_files=3))
""")


def test_a_kill_between_batches_keeps_the_first_and_a_rerun_completes_the_rest(
    pieces: list[Path], tmp_path: Path,
) -> None:
    root = tmp_path / "lk"
    csvs = [p for p in pieces if p.suffix == ".csv"][:6]
    with cargotrace.open_store(f"lake:{root}"):
        pass  # the lake exists: its creation is the first snapshot
    env = {**os.environ, "PYTHONPATH": str(Path(cargotrace.__file__).parents[1])}
    killed = subprocess.run([sys.executable, "-c", KILL_AT_SECOND_BATCH, str(root),
                             *map(str, csvs)], env=env, timeout=180, check=False)
    assert killed.returncode == -9
    assert [len(s["files"]) for s in _ingest_snapshots(root)] == [3]  # type: ignore[arg-type]
    with cargotrace.open_store(f"lake:{root}", read_only=True) as lake:
        assert lake.count("positions") == len(_expected(csvs[:3]))
    with cargotrace.open_store(f"lake:{root}") as lake:  # takes the dead writer's lock over
        again = ingest_files(lake, csvs, params=LakeBatchParams(max_files=3))
    assert [isinstance(s, IngestSummary) and s.already_ingested for s in again] == [
        True] * 3 + [False] * 3
    assert [len(s["files"]) for s in _ingest_snapshots(root)] == [3, 3]  # type: ignore[arg-type]
    listed = {p for v in versions(root) for p in read_snapshot(root, v).paths()}
    assert data_files_on_disk(root) == listed  # the killed batch's files were removed
    with cargotrace.open_store(f"lake:{root}", read_only=True) as lake:
        assert lake.count("positions") == len(_expected(csvs))
        assert lake.con.execute("SELECT count(*), count(DISTINCT path) FROM ingests"
                                ).fetchall() == [(6, 6)]


def test_cli_ingests_a_folders_files_in_one_snapshot_and_refuses_the_unusable_one_in_a_line(
    pieces: list[Path], tmp_path: Path,
) -> None:
    from cargotrace.cli.app import app

    root = tmp_path / "lk"
    chosen = pieces[2:5]  # a CSV, the GeoJSON, a CSV
    done = CliRunner().invoke(app, ["ingest", "--store", f"lake:{root}", "-q",
                                    *map(str, chosen)])
    assert done.exit_code == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [line for line in done.stderr.splitlines() if "GeoJSON" in line]
    assert len(errors) == 1 and str(chosen[1]) in errors[0]
    assert [len(s["files"]) for s in _ingest_snapshots(root)] == [2]  # type: ignore[arg-type]
    with cargotrace.open_store(f"lake:{root}", read_only=True) as lake:
        assert lake.count("positions") == len(_expected(chosen))


def test_a_batch_closes_once_its_files_stored_max_rows(
    shared_data: Path, tmp_path: Path,
) -> None:
    """Rows, not bytes, bound a batch's commit. The real Solent capture (positions only) cut
    into 6 files; the grouping expected is computed here from pandas' counts of each file's
    new positions."""
    header, *body = (shared_data / SOLENT).read_text().splitlines(keepends=True)
    step = -(-len(body) // 6)
    files = []
    for i in range(6):
        files.append(tmp_path / f"solent-{i}.csv")
        files[-1].write_text(header + "".join(body[i * step:(i + 1) * step]))
    seen: set[tuple[object, ...]] = set()
    new_per_file = []
    for f in files:
        keys = set(map(tuple, pd.read_csv(f)[SOLENT_KEY].itertuples(index=False)))
        new_per_file.append(len(keys - seen))
        seen |= keys
    max_rows = new_per_file[0] + new_per_file[1] // 2
    expected, held = [], 0
    for n in new_per_file:
        if not expected or held >= max_rows:
            expected.append(0)
            held = 0
        expected[-1] += 1
        held += n
    root = tmp_path / "lk"
    with cargotrace.open_store(f"lake:{root}") as lake:
        outcomes = ingest_files(lake, files, params=LakeBatchParams(max_rows=max_rows))
    assert len(outcomes) == len(files)
    assert [len(s["files"]) for s in _ingest_snapshots(root)] == expected  # type: ignore[arg-type]
    assert expected == [2, 2, 2]
    with cargotrace.open_store(f"lake:{root}", read_only=True) as lake:
        assert lake.count("positions") == len(seen) == sum(new_per_file)


def test_a_batch_resolving_earlier_quarantine_rows_of_two_files_matches_a_duckdb_file(
    shared_data: Path, tmp_path: Path,
) -> None:
    """The real pyais sample has no receive times: its `missing_time` records are quarantined,
    then stored when read again with --assume-time. Two copies of it (two sources) re-read
    in one batch leave the quarantine exactly as a DuckDB file's, each source its own rows."""
    from datetime import UTC, datetime

    from cargotrace.ingest.params import IngestOptions

    text = (shared_data / "ais_nmea/pyais/nmea_data_sample.txt").read_text()
    files = [tmp_path / "a.nmea", tmp_path / "b.nmea"]
    files[0].write_text(text)
    files[1].write_text(text + "\n")  # other content: not skipped as the same file
    timed = IngestOptions(assume_time=datetime(2023, 1, 1, tzinfo=UTC))
    found: dict[str, list[list[IngestSummary | CargotraceError]]] = {}
    for target in (str(tmp_path / "s.duckdb"), f"lake:{tmp_path / 'lk'}"):
        with cargotrace.open_store(target) as store:
            found[target] = [ingest_files(store, files), ingest_files(store, files, timed)]
    duck, lake_runs = found.values()
    untimed = [line for line in text.splitlines() if line.startswith("!AIVDM")]
    for runs in (duck, lake_runs):
        first, second = ([s for s in run if isinstance(s, IngestSummary)] for run in runs)
        assert [s.quarantine_resolved for s in second] == [
            s.quarantined["missing_time"] for s in first]
        assert 0 < first[0].quarantined["missing_time"] < len(untimed)
    with cargotrace.open_store(tmp_path / "s.duckdb", read_only=True) as d, \
            cargotrace.open_store(f"lake:{tmp_path / 'lk'}", read_only=True) as lk:
        for table in ("positions", "vessel_reports", "quarantine"):
            assert _rows(lk, table) == _rows(d, table), table
        by_source = lk.con.execute("SELECT source, count(*) FROM quarantine GROUP BY ALL "
                                   "ORDER BY ALL").fetchall()
    assert [s for s, _ in by_source] == [str(f) for f in files]
    assert by_source[0][1] == by_source[1][1] > 0


@pytest.mark.parametrize("commit_error", [None, OSError("No space left on device"),
                                          duckdb.OutOfMemoryException("Out of Memory Error")])
def test_a_file_failing_unexpectedly_stops_the_batch_and_a_failed_commit_says_so(
    pieces: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    commit_error: Exception | None,
) -> None:
    """The third file fails with an error that is not a file's own (a bug, a lost disk): the
    two before it are committed, then its error is raised. When the commit fails too, the
    error raised is the commit's, saying nothing was stored, with the file's as its cause
    (not the file's alone, which says only that *it* was not stored)."""
    import cargotrace.ingest.lake_writer as lake_writer
    import cargotrace.store.lake.store as lake_store

    csvs = [p for p in pieces if p.suffix == ".csv"][:3]
    real_ingest = lake_writer.ingest_file

    def ingest_file(store: cargotrace.Store, path: Path, *args: Any) -> object:
        if Path(path) == csvs[2]:
            raise RuntimeError("the disk holding mc-2.csv went away")
        return real_ingest(store, path, *args)

    def publish(*_args: object) -> None:
        assert commit_error is not None
        raise commit_error

    monkeypatch.setattr(lake_writer, "ingest_file", ingest_file)
    root = tmp_path / "lk"
    with cargotrace.open_store(f"lake:{root}") as lake:  # created: its first snapshot
        if commit_error is not None:
            monkeypatch.setattr(lake_store, "publish", publish)
        with pytest.raises(Exception) as raised:
            ingest_batch_into_lake(lake, csvs)
        monkeypatch.undo()
    error = raised.value
    with cargotrace.open_store(f"lake:{root}", read_only=True) as lake:
        stored = lake.count("positions")
        ingests = lake.con.execute("SELECT count(*) FROM ingests").fetchall()[0][0]
    if commit_error is None:
        assert isinstance(error, RuntimeError) and "mc-2.csv" in str(error)
        assert stored == len(_expected(csvs[:2])) > 0 and ingests == 2
        return
    assert stored == 0 and ingests == 0 and _ingest_snapshots(root) == []
    assert isinstance(error.__cause__, RuntimeError) and "mc-2.csv" in str(error.__cause__)
    if isinstance(commit_error, OSError):
        assert error is commit_error
        told = " ".join(getattr(error, "__notes__", []))
    else:  # out of memory: one line of ours naming both
        assert isinstance(error, StoreError)
        told = str(error)
    assert "2 files into the lake (nothing was stored)" in told
    assert "another file of the batch failed (the disk holding mc-2.csv went away)" in told
