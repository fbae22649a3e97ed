"""The lake's commit protocol (issue 23): naming a lake, the writer lock, snapshots that a
failed or killed write leaves in force, orphans removed, and the tables' column contract."""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

import cargotrace
from cargotrace.errors import StoreError, StoreNotFoundError
from cargotrace.store.lake.files import data_files_on_disk, vacuum
from cargotrace.store.lake.layout import LOCK, MARKER, lake_location
from cargotrace.store.lake.lock import TAKEOVER_TIMEOUT_S, Holder, LakeLockedError, WriterLock
from cargotrace.store.lake.snapshot import latest_snapshot, read_snapshot, versions
from cargotrace.store.lake.store import LakeStore
from cargotrace.store.meta import read_meta, write_meta
from cargotrace.store.schema import SPECS
from cargotrace.store.store import Store


def listed_anywhere(root: Path) -> set[str]:
    return {p for v in versions(root) for p in read_snapshot(root, v).paths()}


def test_lake_locations(tmp_path: Path) -> None:
    assert lake_location(f"lake:{tmp_path}/x") == tmp_path / "x"
    assert lake_location(f"file://{tmp_path}/x") == tmp_path / "x"
    assert lake_location(Path(f"file://{tmp_path}/x")) == tmp_path / "x"  # Path folds the //
    assert lake_location(tmp_path) == tmp_path  # an existing folder
    assert lake_location(tmp_path / "new.duckdb") is None  # the default is unchanged
    with pytest.raises(StoreError) as caught:
        lake_location("s3://bucket/lake")
    assert str(caught.value) == (
        "s3://bucket/lake: object-store lakes are not supported yet; mount the bucket (e.g. "
        "with a FUSE driver) and pass the folder as lake:/mnt/bucket/lake")


def test_open_store_gives_a_lake_and_reads_never_create_one(tmp_path: Path) -> None:
    with pytest.raises(StoreNotFoundError):
        cargotrace.open_store(f"lake:{tmp_path}/none", read_only=True)
    assert not (tmp_path / "none").exists()
    with cargotrace.open_store(f"lake:{tmp_path}/lk") as store:
        assert isinstance(store, LakeStore)
        assert store.created
    assert (tmp_path / "lk" / MARKER).is_file()
    with cargotrace.open_store(tmp_path / "lk", read_only=True) as store:  # a folder: a lake
        assert not store.created
        assert read_meta(store, "schema_version") == 1
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(StoreError) as caught:
        cargotrace.open_store(tmp_path / "other")
    assert str(caught.value) == (
        f"{tmp_path / 'other'}: this folder is not a cargotrace lake (no {MARKER}) and is not "
        "empty; give a new or empty folder for a new lake")


def test_every_table_has_the_declared_columns_and_types(tmp_path: Path) -> None:
    """The lake's tables come from schema.SPECS, the one declaration: the same names and
    types as the DuckDB store's, whether a table is a view over files or a working copy."""
    with cargotrace.open_store(tmp_path / "t.duckdb") as duck, \
            cargotrace.open_store(f"lake:{tmp_path}/lk") as lake:
        for name in SPECS:
            sql = f'SELECT column_name, column_type FROM (DESCRIBE "{name}")'
            assert lake.con.execute(sql).fetchall() == duck.con.execute(sql).fetchall(), name


def test_a_second_writer_gets_one_line_naming_the_holder(tmp_path: Path) -> None:
    root = tmp_path / "lk"
    with cargotrace.open_store(f"lake:{root}"):
        holder = json.loads((root / LOCK).read_text())
        with pytest.raises(LakeLockedError) as caught:
            cargotrace.open_store(f"lake:{root}")
        assert str(caught.value) == (
            f"{root}: another process is writing this lake: pid {os.getpid()} on "
            f"{socket.gethostname()} (`{holder['command']}`) since {holder['since']}; wait "
            f"for it to finish (if it is gone, delete {root / LOCK})")
        assert "\n" not in str(caught.value)
        with cargotrace.open_store(f"lake:{root}", read_only=True) as reader:  # readers: no lock
            assert reader.count("positions") == 0
    assert not (root / LOCK).exists()  # given back at close


def _lake_with_a_dead_holder(tmp_path: Path, pid: int) -> tuple[Path, dict[str, Any]]:
    """A new lake whose lock names process `pid` of this host, which is not running."""
    root = tmp_path / "lk"
    with cargotrace.open_store(f"lake:{root}"):
        pass
    dead = {"pid": pid, "host": socket.gethostname(), "command": "cargotrace ingest",
            "since": "2026-12-07T10:00:00+00:00"}
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    (root / LOCK).write_text(json.dumps(dead))
    return root, dead


def test_a_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    root, dead = _lake_with_a_dead_holder(tmp_path, 2**22 + 12345)
    with cargotrace.open_store(f"lake:{root}") as store:
        assert json.loads((root / LOCK).read_text())["pid"] == os.getpid()
        write_meta(store, "note", "after the takeover")
    with cargotrace.open_store(f"lake:{root}", read_only=True) as store:
        assert read_meta(store, "note") == "after the takeover"


def test_two_writers_that_see_the_same_dead_holder_do_not_both_take_the_lock(
    tmp_path: Path,
) -> None:
    """The slower of two takeovers must not delete the lock the faster one has just taken."""
    root, dead = _lake_with_a_dead_holder(tmp_path, 2**22 + 12346)
    seen_by_slower = Holder(**dead)  # read before the faster one took over
    faster, slower = WriterLock(root), WriterLock(root)
    faster.acquire()
    assert faster.took_over == seen_by_slower
    assert not slower._take_over(seen_by_slower)
    assert json.loads((root / LOCK).read_text())["pid"] == os.getpid()  # still the faster's
    with pytest.raises(LakeLockedError, match="another process is writing this lake"):
        slower.acquire()
    faster.release()
    # a takeover under way elsewhere (its marker): nobody else removes the dead lock
    (root / LOCK).write_text(json.dumps(dead))
    (root / (LOCK + ".takeover")).touch()
    with pytest.raises(LakeLockedError, match="taking it over"):
        WriterLock(root).acquire()
    assert json.loads((root / LOCK).read_text()) == dead


def test_a_takeover_marker_left_by_a_killed_writer_is_cleared_and_the_lock_taken(
    tmp_path: Path,
) -> None:
    """A writer killed between creating `_lock.json.takeover` and removing it used to stop
    every later writer for good; its marker names a process that is gone, so it is cleared."""
    root = tmp_path / "lk"
    with cargotrace.open_store(f"lake:{root}"):
        pass
    dead = {"pid": 2**22 + 12347, "host": socket.gethostname(), "command": "cargotrace ingest",
            "since": "2026-12-07T10:00:00+00:00"}
    killed_taking_over = dict(dead, pid=2**22 + 12348, since=Holder.this_process().since)
    for d in (dead, killed_taking_over):
        with pytest.raises(ProcessLookupError):
            os.kill(d["pid"], 0)
    (root / LOCK).write_text(json.dumps(dead))
    (root / (LOCK + ".takeover")).write_text(json.dumps(killed_taking_over))
    with cargotrace.open_store(f"lake:{root}") as store:
        assert json.loads((root / LOCK).read_text())["pid"] == os.getpid()
        write_meta(store, "note", "after clearing the marker")
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(LOCK)) == []


def test_a_live_or_recent_takeover_marker_is_respected_and_an_old_one_cleared(
    tmp_path: Path,
) -> None:
    root = tmp_path / "lk"
    with cargotrace.open_store(f"lake:{root}"):
        pass
    dead = {"pid": 2**22 + 12349, "host": socket.gethostname(), "command": "cargotrace ingest",
            "since": "2026-12-07T10:00:00+00:00"}
    with pytest.raises(ProcessLookupError):
        os.kill(dead["pid"], 0)
    marker = root / (LOCK + ".takeover")
    live = Holder.this_process().__dict__  # this test's process: alive, taking over just now
    elsewhere_now = dict(live, pid=1, host="another-host")  # can't be checked: wait for it
    for owner in (live, elsewhere_now):
        (root / LOCK).write_text(json.dumps(dead))
        marker.write_text(json.dumps(owner))
        with pytest.raises(LakeLockedError, match="taking it over"):
            WriterLock(root).acquire()
        assert json.loads((root / LOCK).read_text()) == dead  # not taken over
        assert json.loads(marker.read_text()) == owner  # nor its marker removed
    # the same marker from another host, older than the timeout: its owner is stuck or gone
    old = datetime.now(UTC) - timedelta(seconds=TAKEOVER_TIMEOUT_S + 5)
    marker.write_text(json.dumps(dict(elsewhere_now, since=old.isoformat(timespec="seconds"))))
    lock = WriterLock(root)
    lock.acquire()
    assert lock.took_over == Holder(**dead)
    assert not marker.exists()
    lock.release()


def test_a_write_that_fails_before_its_snapshot_leaves_the_last_one_and_a_rerun_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = tmp_path / "lk"
    with cargotrace.open_store(f"lake:{root}") as store:
        write_meta(store, "kept", 1)
    before = versions(root)

    def fail(*_: object) -> None:
        raise RuntimeError("killed between writing files and committing")

    monkeypatch.setattr("cargotrace.store.lake.store.publish", fail)
    with pytest.raises(RuntimeError), cargotrace.open_store(f"lake:{root}") as store:
        write_meta(store, "lost", 2)
        store.commit("test")
    assert versions(root) == before
    assert len(data_files_on_disk(root) - listed_anywhere(root)) == 1  # the failed commit's
    with cargotrace.open_store(f"lake:{root}", read_only=True) as store:
        assert read_meta(store, "kept") == 1
        assert read_meta(store, "lost") is None
    monkeypatch.undo()
    (root / "_staging").mkdir()  # what a killed writer leaves: the next writer cleans up
    with cargotrace.open_store(f"lake:{root}") as store:
        write_meta(store, "lost", 2)
    assert data_files_on_disk(root) - listed_anywhere(root) == set()
    with cargotrace.open_store(f"lake:{root}", read_only=True) as store:
        assert (read_meta(store, "kept"), read_meta(store, "lost")) == (1, 2)


def test_an_exception_in_a_with_block_commits_nothing(tmp_path: Path) -> None:
    root = tmp_path / "lk"
    with cargotrace.open_store(f"lake:{root}"):
        pass
    before = versions(root)
    with pytest.raises(ValueError), cargotrace.open_store(f"lake:{root}") as store:
        write_meta(store, "half", True)
        raise ValueError("a command failed")
    assert versions(root) == before
    assert not (root / LOCK).exists()


def test_snapshots_list_files_that_hold_the_rows_and_vacuum_keeps_the_newest(
    tmp_path: Path,
) -> None:
    root = tmp_path / "lk"
    for n in range(3):
        with cargotrace.open_store(f"lake:{root}") as store:
            write_meta(store, "n", n)
    snapshot = latest_snapshot(root)
    assert [snapshot.version, snapshot.operation] == [4, "write"]  # create + 3 writes
    meta_files = snapshot.files("meta")
    assert len(meta_files) == 1
    on_disk = pq.read_table(root / meta_files[0].path).to_pydict()
    assert dict(zip(on_disk["key"], on_disk["value"], strict=True)) == {
        "schema_version": "1", "n": "2"}
    assert meta_files[0].rows == 2
    assert len(data_files_on_disk(root)) == 4  # every version's meta file is still there
    assert vacuum(root, keep_versions=1) == 3
    assert versions(root) == [4]
    with cargotrace.open_store(f"lake:{root}", read_only=True) as store:
        assert read_meta(store, "n") == 2


def test_the_duckdb_store_is_still_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CARGOTRACE_STORE", raising=False)
    with cargotrace.open_store() as store:
        assert type(store) is Store
    assert (tmp_path / "cargotrace.duckdb").is_file()


def test_compaction_leaves_one_file_per_day_with_the_same_rows(
    shared_data: Path, tmp_path: Path,
) -> None:
    """Two halves of a real day's capture, ingested one after the other, then compacted."""
    from cargotrace.ingest.lake_writer import ingest_into_lake
    from cargotrace.store.lake.appends import compact_days

    root = tmp_path / "lk"
    lines = (shared_data / "ais_positions/marinecadastre_AIS_2022_01_03_first99999.csv"
             ).read_text().splitlines(keepends=True)[:20_001]
    sources = [tmp_path / "first.csv", tmp_path / "second.csv"]
    sources[0].write_text("".join(lines[:10_001]))
    sources[1].write_text(lines[0] + "".join(lines[10_001:]))
    with cargotrace.open_store(f"lake:{root}") as lake:
        for source in sources:
            ingest_into_lake(lake, source)
        rows_before = sorted(lake.con.execute("SELECT * FROM positions").fetchall(), key=str)
        files_before = lake.files_of("positions")
        compacted = compact_days(lake, "positions", min_files=1 + 1)
        per_day: dict[str | None, int] = {}
        for f in lake.files_of("positions"):
            per_day[f.day] = per_day.get(f.day, 0) + 1
        assert sorted(lake.con.execute("SELECT * FROM positions").fetchall(), key=str) \
            == rows_before
    assert len(files_before) > len(per_day) and set(per_day.values()) == {1}
    assert compacted.stored == sum(f.rows for f in files_before if f.day in compacted.days)
    assert latest_snapshot(root).operation == "compact"
    on_disk = sum(pq.read_metadata(root / f.path).num_rows
                  for f in latest_snapshot(root).files("positions"))
    assert on_disk == len(rows_before)
