"""Ingest into a lake (issue 23): the same rows as the DuckDB store, day partitions that
hold exactly their days' rows, no duplicates on a re-ingest, and a killed ingest that leaves the
lake as it was until a re-run completes it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import cargotrace
from cargotrace.ingest.lake_writer import ingest_into_lake, ingest_into_store
from cargotrace.ingest.summary import IngestSummary
from cargotrace.store.lake.files import data_files_on_disk
from cargotrace.store.lake.layout import LOCK, STAGING
from cargotrace.store.lake.snapshot import latest_snapshot, read_snapshot, versions
from cargotrace.store.lake.store import LakeStore
from cargotrace.store.schema import POSITION_KEY

KEY = list(POSITION_KEY)


@pytest.fixture(scope="module")
def soj_lake(sea_of_japan: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sea-of-japan scenario's positions and reports (20 days) ingested into a lake."""
    out, _ = sea_of_japan
    root = tmp_path_factory.mktemp("lake") / "lk"
    with cargotrace.open_store(f"lake:{root}") as lake:
        for name in ("positions.parquet", "vessel_reports.parquet"):
            ingest_into_store(lake, out / name)
    return root


def _rows(store: cargotrace.Store, table: str, order: str) -> list[tuple[object, ...]]:
    return store.con.execute(f"SELECT * EXCLUDE (ingest_id) FROM {table} ORDER BY {order}"
                             ).fetchall()


def test_the_lake_stores_the_rows_the_duckdb_store_stores(
    sea_of_japan: tuple[Path, Path], soj_lake: Path,
) -> None:
    _, duck_path = sea_of_japan
    with cargotrace.open_store(duck_path, read_only=True) as duck, \
            cargotrace.open_store(f"lake:{soj_lake}", read_only=True) as lake:
        for table, order in (("positions", "ALL"), ("vessel_reports", "ALL"),
                             ("quarantine", "ALL")):
            assert _rows(lake, table, order) == _rows(duck, table, order), table
        assert lake.count("positions") == duck.count("positions") > 0


def test_each_day_partition_holds_exactly_that_utc_days_positions(
    sea_of_japan: tuple[Path, Path], soj_lake: Path,
) -> None:
    """Checked without cargotrace: pandas over the simulator's file, pyarrow over the folders."""
    out, _ = sea_of_japan
    source = pd.read_parquet(out / "positions.parquet").drop_duplicates(KEY)
    expected = source.groupby(source["ts"].dt.tz_convert("UTC").dt.strftime("%Y-%m-%d")).size()
    found = {folder.name.removeprefix("day="): sum(pq.read_metadata(f).num_rows
                                                    for f in folder.glob("*.parquet"))
             for folder in (soj_lake / "positions").iterdir()}
    assert found == expected.to_dict()
    assert len(found) >= 20
    for folder in (soj_lake / "positions").iterdir():
        day = folder.name.removeprefix("day=")
        for f in folder.glob("*.parquet"):
            ts = pq.read_table(f, columns=["ts"]).column("ts").to_pandas()
            assert set(ts.dt.tz_convert("UTC").dt.strftime("%Y-%m-%d")) == {day}


def test_a_reingest_adds_nothing_and_a_changed_copy_adds_only_its_new_rows(
    sea_of_japan: tuple[Path, Path], soj_lake: Path, tmp_path: Path,
) -> None:
    out, _ = sea_of_japan
    source = pd.read_parquet(out / "positions.parquet")
    first_days = source[source["ts"] < source["ts"].min() + pd.Timedelta(days=3)]
    moved = first_days.head(5).assign(ts=lambda d: d["ts"] + pd.Timedelta(seconds=1))
    copy = tmp_path / "positions.parquet"
    pd.concat([first_days, moved]).to_parquet(copy)
    with cargotrace.open_store(f"lake:{soj_lake}") as lake:
        rows_before, version = lake.count("positions"), lake.snapshot.version
        again = ingest_into_store(lake, out / "positions.parquet")
        assert again.already_ingested
        assert lake.snapshot.version == version  # nothing was committed
        changed = ingest_into_store(lake, copy)
        stored = lake.con.execute(f"SELECT {', '.join(KEY)} FROM positions").fetchall()
    assert (changed.positions_stored, changed.duplicate_positions) == (5, len(first_days))
    assert len(stored) == rows_before + 5
    assert len(set(stored)) == len(stored)  # no key twice
    assert latest_snapshot(soj_lake).details["days"] == sorted(
        set(first_days["ts"].dt.tz_convert("UTC").dt.strftime("%Y-%m-%d")))


KILL_DURING_COMMIT = textwrap.dedent("""
    import os, signal, sys
    import cargotrace
    import cargotrace.store.lake.store as lake_store
    from cargotrace.ingest.lake_writer import ingest_into_lake

    def killed(*args):  # SIGKILL after the data files are written, before the snapshot
        os.kill(os.getpid(), signal.SIGKILL)

    lake_store.publish = killed
    with cargotrace.open_store("lake:" + sys.argv[1]) as lake:
        ingest_into_lake(lake, sys.argv[2])
""")


def test_an_ingest_killed_before_its_snapshot_leaves_the_lake_as_it_was_and_a_rerun_completes(
    sea_of_japan: tuple[Path, Path], tmp_path: Path,
) -> None:
    out, duck_path = sea_of_japan
    root = tmp_path / "lk"
    with cargotrace.open_store(f"lake:{root}") as lake:
        ingest_into_lake(lake, out / "vessel_reports.parquet")
    before = versions(root)
    env = {**os.environ, "PYTHONPATH": str(Path(cargotrace.__file__).parents[1])}
    killed = subprocess.run([sys.executable, "-c", KILL_DURING_COMMIT, str(root),
                             str(out / "positions.parquet")], env=env, timeout=120, check=False)
    assert killed.returncode == -9
    assert versions(root) == before
    assert (root / LOCK).is_file()  # the dead writer's lock
    listed = {p for v in versions(root) for p in read_snapshot(root, v).paths()}
    orphans = data_files_on_disk(root) - listed
    assert any(name.startswith("positions/day=") for name in orphans)
    assert list((root / STAGING).glob("batch-*"))  # the batch's spill folder, in the lake
    assert not list(root.rglob("*.duckdb"))  # the batch is held in memory, not in a file
    with cargotrace.open_store(f"lake:{root}", read_only=True) as lake:
        assert lake.count("positions") == 0
        assert lake.con.execute("SELECT count(*) FROM positions").fetchall() == [(0,)]
        assert lake.count("vessel_reports") == pq.read_metadata(
            out / "vessel_reports.parquet").num_rows
    with cargotrace.open_store(f"lake:{root}") as lake:  # takes the dead writer's lock over
        assert isinstance(lake, LakeStore)
        assert not (root / STAGING).exists()  # removed with the orphans
        summary = ingest_into_lake(lake, out / "positions.parquet")
        assert not summary.already_ingested
    assert not (root / STAGING).exists()
    assert data_files_on_disk(root) - {p for v in versions(root)
                                       for p in read_snapshot(root, v).paths()} == set()
    expected = pd.read_parquet(out / "positions.parquet").drop_duplicates(KEY)
    with cargotrace.open_store(f"lake:{root}", read_only=True) as lake, \
            cargotrace.open_store(duck_path, read_only=True) as duck:
        assert lake.count("positions") == len(expected) == summary.positions_stored
        assert _rows(lake, "positions", "ALL") == _rows(duck, "positions", "ALL")


def test_cli_ingest_into_a_lake_and_a_second_writer_is_refused_in_one_line(
    sea_of_japan: tuple[Path, Path], tmp_path: Path,
) -> None:
    out, _ = sea_of_japan
    root = tmp_path / "lk"
    env = {**os.environ, "PYTHONPATH": str(Path(cargotrace.__file__).parents[1])}
    cmd = [sys.executable, "-m", "cargotrace", "ingest", "--store", f"file://{root}",
           str(out / "vessel_reports.parquet"), "-q"]
    from typer.testing import CliRunner

    from cargotrace.cli.app import app

    done = CliRunner().invoke(app, cmd[3:])
    assert done.exit_code == 0, done.output
    assert done.stderr.startswith(f"created lake at {root}\n")
    with cargotrace.open_store(f"lake:{root}"):
        refused = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120,
                                 check=False)
        holder = (root / LOCK).read_text()
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"Error: {root}: another process is writing this lake: "
                               f"pid {os.getpid()} on ")
    assert lines[0].endswith(f"wait for it to finish (if it is gone, delete {root / LOCK})")
    assert '"since": "' in holder


def test_a_dirty_real_feed_and_its_changed_copy_give_the_duckdb_stores_rows_and_quarantine(
    shared_data: Path, tmp_path: Path,
) -> None:
    """The quarantine's per-source dedupe works through the lake's seeding: a copy of the
    feed with one more line quarantines nothing twice, on both stores."""
    feed = tmp_path / "feed.nm4"
    original = (shared_data / "ais_nmea/aisdb/test_data_20211101.nm4").read_text()
    found: dict[str, list[IngestSummary]] = {}
    for where in ("duck", "lake"):
        feed.write_text(original)
        location = str(tmp_path / "s.duckdb") if where == "duck" else f"lake:{tmp_path}/lk"
        with cargotrace.open_store(location) as store:
            first = ingest_into_store(store, feed)
            feed.write_text(original + original.splitlines(keepends=True)[-1])
            found[where] = [first, ingest_into_store(store, feed)]

    def counts(s: IngestSummary) -> tuple[object, ...]:
        return (s.positions_stored, s.duplicate_positions, dict(s.quarantined),
                s.quarantined_before)

    assert [counts(s) for s in found["lake"]] == [counts(s) for s in found["duck"]]
    first, second = found["lake"]
    assert second.positions_stored == 0
    assert second.quarantined_before == first.quarantined_total > 0
    with cargotrace.open_store(tmp_path / "s.duckdb", read_only=True) as duck, \
            cargotrace.open_store(f"lake:{tmp_path}/lk", read_only=True) as lake:
        for table in ("positions", "vessel_reports", "quarantine"):
            assert _rows(lake, table, "ALL") == _rows(duck, table, "ALL"), table
        assert lake.count("quarantine") == first.quarantined_total


def test_the_batch_is_held_in_memory_and_spills_past_the_cap_into_the_lakes_staging(
    tmp_path: Path,
) -> None:
    """The lake ingest writes no DuckDB file: the batch is an in-memory store under the
    ingest's memory cap, whose overflow goes to the lake's `_staging/` (removed with the
    batch), and the rows stored are the DuckDB file's, each key once (pandas over the files)."""
    from cargotrace.ingest.lake_writer import BatchStore
    from cargotrace.ingest.params import IngestOptions, StreamParams
    from cargotrace.sim.sample import scaled_fleet, write_sample_nmea
    from cargotrace.store.memory import memory_capped

    feed = tmp_path / "feed.nmea"
    write_sample_nmea(feed, hours=16, fleet=scaled_fleet(80))  # ~114k lines
    options = IngestOptions(chunk_records=5_000, stream=StreamParams(store_memory_mb=12))
    root = tmp_path / "lk"
    spilled: set[Path] = set()

    def progress(_: int) -> None:  # called after each chunk is stored in the batch
        spilled.update((root / STAGING).glob("batch-*/duckdb_temp_*"))

    with cargotrace.open_store(f"lake:{root}") as lake:
        summary = ingest_into_lake(lake, feed, options, progress)
    with cargotrace.open_store(tmp_path / "s.duckdb") as duck:
        ingest_into_store(duck, feed, options)
    assert spilled  # past 12 MB the batch went to disk, inside the lake
    assert not (root / STAGING).exists()
    assert not list(tmp_path.glob("lk/**/*.duckdb"))
    stored = pd.concat(pd.read_parquet(f) for f in (root / "positions").rglob("*.parquet"))
    assert len(stored) == len(stored.drop_duplicates(KEY)) == summary.positions_stored > 50_000
    with cargotrace.open_store(tmp_path / "s.duckdb", read_only=True) as duck, \
            cargotrace.open_store(f"lake:{root}", read_only=True) as lake:
        for table in ("positions", "vessel_reports", "quarantine"):
            assert _rows(lake, table, "ALL") == _rows(duck, table, "ALL"), table
    # the cap applies to the batch (it can spill), not to a plain in-memory store (it cannot)
    with BatchStore(tmp_path) as batch, cargotrace.open_store(Path(":memory:")) as plain:
        for store, capped in ((batch, True), (plain, False)):
            before = store.con.execute("SELECT current_setting('memory_limit')").fetchall()
            with memory_capped(store, 12):
                now = store.con.execute("SELECT current_setting('memory_limit')").fetchall()
            assert (now != before) is capped


def test_a_lake_ingest_under_a_small_memory_limit_spills_and_stores_the_duckdb_files_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under `CARGOTRACE_MEMORY_LIMIT=24MB` (stricter than the publish's 32 MB floor, so never
    raised) and a 16 MB ingest cap, a multi-chunk file whose batch does not fit is filled,
    sorted and written to Parquet within the limits: DuckDB fails a query it cannot keep
    under its limit, and the batch's spill files prove the batch outgrew it. The lake then
    holds exactly the DuckDB file's rows (EXCEPT ALL both ways, in SQL over both stores)."""
    from cargotrace.ingest.params import IngestOptions, StreamParams
    from cargotrace.sim.sample import scaled_fleet, write_sample_nmea

    feed = tmp_path / "feed.nmea"
    write_sample_nmea(feed, hours=12, fleet=scaled_fleet(80))
    options = IngestOptions(chunk_records=5_000, stream=StreamParams(store_memory_mb=16))
    with cargotrace.open_store(tmp_path / "s.duckdb") as duck:
        ingest_into_store(duck, feed, options)
    root = tmp_path / "lk"
    spilled: set[Path] = set()
    chunks: list[int] = []

    def progress(done: int) -> None:
        chunks.append(done)
        spilled.update((root / STAGING).glob("batch-*/duckdb_temp_*"))

    monkeypatch.setenv("CARGOTRACE_MEMORY_LIMIT", "24MB")
    with cargotrace.open_store(f"lake:{root}") as lake:
        ingest_into_lake(lake, feed, options, progress)
        limit = lake.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    monkeypatch.delenv("CARGOTRACE_MEMORY_LIMIT")
    assert limit.endswith("MiB") and float(limit.split()[0]) < 24
    assert len(chunks) > 5 and spilled
    with cargotrace.open_store(tmp_path / "s.duckdb", read_only=True) as duck, \
            cargotrace.open_store(f"lake:{root}", read_only=True) as lake:
        for table in ("positions", "vessel_reports", "quarantine"):
            theirs = duck.con.sql(f"SELECT * EXCLUDE (ingest_id) FROM {table}").to_arrow_table()
            lake.con.register("duck_rows", theirs)
            mine = f"SELECT * EXCLUDE (ingest_id) FROM {table}"
            for a, b in ((mine, "SELECT * FROM duck_rows"), ("SELECT * FROM duck_rows", mine)):
                missing = lake.con.execute(f"SELECT count(*) FROM ({a} EXCEPT ALL {b})")
                assert missing.fetchall()[0][0] == 0, table
            assert lake.count(table) == theirs.num_rows
        assert lake.count("positions") > 40_000


def test_progress_tells_each_step_and_every_byte_on_both_store_kinds(tmp_path: Path) -> None:
    """What a progress bar is told: the steps in order (hashing, reading, committing: the
    lake's publish, once, after every byte) and bytes that add up to the file's size on disk;
    a re-ingest stops after hashing."""
    from cargotrace.ingest.params import IngestOptions
    from cargotrace.sim.sample import scaled_fleet, write_sample_nmea

    feed = tmp_path / "feed.nmea"
    write_sample_nmea(feed, hours=2, fleet=scaled_fleet(20))
    options = IngestOptions(chunk_records=2_000)
    for where in (str(tmp_path / "s.duckdb"), f"lake:{tmp_path / 'lk'}"):
        for run in (1, 2):
            heard: list[object] = []
            with cargotrace.open_store(where) as store:
                ingest_into_store(store, feed, options, heard.append,
                                  lambda name: heard.append(name))  # noqa: B023
            steps = [h for h in heard if isinstance(h, str)]
            read = [h for h in heard if isinstance(h, int)]
            if run == 2:
                assert steps == ["hashing"] and not read, where
                continue
            assert steps == ["hashing", "reading", "committing"], where
            assert heard.index("committing") > max(i for i, h in enumerate(heard)
                                                   if isinstance(h, int)), where
            assert sum(read) == os.path.getsize(feed) and len(read) > 1, where


def _files_under(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*") if p.is_file()}


def test_a_memory_limit_too_small_for_a_lake_ingest_is_one_line_and_stores_nothing(
    shared_data: Path, tmp_path: Path,
) -> None:
    """Found by a new-user test: `CARGOTRACE_MEMORY_LIMIT=16MB cargotrace ingest --store
    lake:DIR` of the real MarineCadastre CSV ended in "Out of Memory Error: could not allocate
    block of size 256.0 KiB ... (cannot write the store)", and at 2 MB in a traceback while the
    lake opened. Now one line naming the limit, that nothing was stored and what is enough;
    exit 1; a lake the command created is removed, an existing one is left byte for byte."""
    env = {**os.environ, "PYTHONPATH": str(Path(cargotrace.__file__).parents[1])}
    csv = shared_data / "ais_positions/marinecadastre_AIS_2022_01_03_first99999.csv"
    solent = shared_data / "ais_positions/stonesoup_SolentAIS_20160112_130211.csv"
    existing = tmp_path / "lk"
    with cargotrace.open_store(f"lake:{existing}") as lake:
        ingest_into_store(lake, solent)
    before = _files_under(existing)
    for limit, root in (("16MB", existing), ("2MB", tmp_path / "new")):
        done = subprocess.run(
            [sys.executable, "-m", "cargotrace", "ingest", "--store", f"lake:{root}", str(csv)],
            env={**env, "CARGOTRACE_MEMORY_LIMIT": limit}, capture_output=True, text=True,
            timeout=300, check=False)
        assert done.returncode == 1, done.stderr[-3000:]
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: out of memory "), lines
        assert f"under $CARGOTRACE_MEMORY_LIMIT={limit}: raise it" in lines[0]
        assert "64 MB is enough" in lines[0]
        assert ("(nothing was stored)" in lines[0]) == (root == existing)  # else: at its open
    assert not (tmp_path / "new").exists()
    assert _files_under(existing) == before  # not a byte of the failed ingest stayed
    rows = pd.read_csv(solent)  # independently: the lake still holds the Solent rows only
    with cargotrace.open_store(f"lake:{existing}", read_only=True) as lake:
        stored = lake.con.execute("SELECT count(*), count(DISTINCT source) FROM positions"
                                  ).fetchone()
    assert stored is not None and stored[1] == 1 and 0 < stored[0] <= len(rows)
