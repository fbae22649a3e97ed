"""A detection run's events and its `detected:` notes are one commit (issue 23): a run killed
or failing between writing the events and writing the notes leaves the store as it was, on a
DuckDB file (one transaction), on a lake (one snapshot) and when Spark writes the lake's
events. And Spark's writer refuses what `store_events` refuses (two different events with one
id, events of a kind the run did not ask for), on a lake and on a DuckDB file."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import cargotrace
from cargotrace.detect import run, run_records
from cargotrace.detect.event_writes import write_events
from cargotrace.detect.on_executors import ExecutorEvents
from cargotrace.ingest.gazetteers import load_curated_gazetteer
from cargotrace.ingest.lake_writer import ingest_into_store
from cargotrace.store.engines import Engine, drop_spark_views
from cargotrace.store.events import EVENT_SCHEMA, EventIdCollision, spark_event_schema
from cargotrace.store.lake.layout import STAGING
from cargotrace.store.lake.snapshot import latest_snapshot

from .factories import copy_store

KINDS = ["gap", "port_visit"]


def _state(target: str) -> tuple[list[tuple[Any, ...]], ...]:
    """The store's events, `meta` and outlier flags, in order (what a failed run must leave
    alone)."""
    with cargotrace.open_store(target, read_only=True) as store:
        events = store.con.execute("SELECT * FROM events ORDER BY event_id").fetchall()
        meta = store.con.execute("SELECT * FROM meta ORDER BY key").fetchall()
        flags = store.con.execute("SELECT * FROM position_flags ORDER BY ALL").fetchall()
    return events, meta, flags


def _failing_notes(monkeypatch: pytest.MonkeyPatch, after: int) -> list[str]:
    """The run's notes: `after` kinds' rows written, then a failure (as a run killed there
    would)."""
    recorded: list[str] = []
    insert = run_records.insert_runs

    def failing(store: Any, kinds: Any, *args: Any) -> None:
        insert(store, kinds[:after], *args)
        recorded.extend(str(k) for k in kinds[:after])
        raise RuntimeError("killed between the events and their notes")

    monkeypatch.setattr(run_records, "insert_runs", failing)
    return recorded


@pytest.fixture
def undetected(sea_of_japan: tuple[Path, Path], tmp_path: Path) -> Path:
    """A copy of the sea-of-japan store with its gaps, port visits and their notes removed:
    the run below would store them again."""
    _, path = sea_of_japan
    copy = copy_store(path, tmp_path)
    with cargotrace.open_store(copy) as store:
        store.con.execute("DELETE FROM events WHERE kind IN (SELECT unnest(?))", [KINDS])
        store.con.execute("DELETE FROM meta WHERE key IN (SELECT unnest(?))",
                          [[run.RUN_KEY.format(kind=k) for k in KINDS]])
        store.con.execute("DELETE FROM position_flags")
        # a lone position 5 degrees north, halfway between two of a vessel's fixes: the run
        # flags it (and must store the flag with its events, or not at all)
        store.con.execute("""
            INSERT INTO positions
            SELECT * REPLACE (ts + (next_ts - ts) / 2 AS ts, lat + 5 AS lat)
            FROM (SELECT *, lead(ts) OVER (PARTITION BY mmsi ORDER BY ts) AS next_ts
                  FROM positions) p
            WHERE next_ts - ts BETWEEN INTERVAL 2 MINUTE AND INTERVAL 20 MINUTE
            ORDER BY mmsi, ts LIMIT 1 OFFSET 100""".replace("* REPLACE", "* EXCLUDE (next_ts) "
                                                           "REPLACE"))
    return copy


def _lake(sea_of_japan: tuple[Path, Path], root: Path) -> str:
    """The scenario ingested into a new lake, the curated gazetteer loaded, nothing detected."""
    out, _ = sea_of_japan
    with cargotrace.open_store(f"lake:{root}") as lake:
        for name in ("positions.parquet", "vessel_reports.parquet"):
            ingest_into_store(lake, out / name)
        load_curated_gazetteer(lake)
    return f"lake:{root}"


def test_a_run_failing_before_its_notes_leaves_the_duckdb_file_as_it_was(
        undetected: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _state(str(undetected))
    recorded = _failing_notes(monkeypatch, after=1)
    with pytest.raises(RuntimeError), cargotrace.open_store(undetected) as store:
        run.detect(store, kinds=KINDS)
    assert recorded == ["gap"]  # the events were inserted and one kind's notes written
    assert _state(str(undetected)) == before
    monkeypatch.undo()
    with cargotrace.open_store(undetected) as store:
        summary = run.detect(store, kinds=KINDS)
    events, meta, flags = _state(str(undetected))
    kinds = {row[1] for row in events}
    noted = {key: json.loads(value)["events"] for key, value in meta
             if key.startswith("detected:")}
    assert summary.written["port_visit"] > 0 and {"gap", "port_visit"} <= kinds
    assert noted["detected:port_visit"] == sum(1 for r in events if r[1] == "port_visit")
    with cargotrace.open_store(undetected, read_only=True) as store:
        planted = store.con.execute("""
            SELECT p.mmsi, p.ts FROM positions p JOIN positions q USING (mmsi)
            WHERE p.lat - q.lat > 4.5
              AND abs(epoch(p.ts) - epoch(q.ts)) < 1200 GROUP BY ALL""").fetchall()
        stored = store.con.execute("SELECT mmsi, ts FROM position_flags").fetchall()
    assert planted and set(planted) <= set(stored) and summary.flagged == len(flags)


def test_a_run_failing_before_its_notes_leaves_the_lake_at_its_snapshot(
        sea_of_japan: tuple[Path, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    target = _lake(sea_of_japan, tmp_path / "lk")
    version, before = latest_snapshot(tmp_path / "lk").version, _state(target)
    _failing_notes(monkeypatch, after=1)
    with pytest.raises(RuntimeError), cargotrace.open_store(target) as lake:
        run.detect(lake, kinds=KINDS)
    assert latest_snapshot(tmp_path / "lk").version == version
    assert _state(target) == before and before[0] == []


KILLED = """
import os, signal, sys
import cargotrace
from cargotrace.detect import run, run_records

def killed(*args):
    os.kill(os.getpid(), signal.SIGKILL)

run_records.insert_runs = killed
with cargotrace.open_store(sys.argv[1]) as store:
    run.detect(store, kinds=sys.argv[2].split(","))
"""


@pytest.mark.parametrize("on", ["duckdb", "lake"])
def test_a_run_killed_before_its_notes_leaves_the_store_as_it_was(
        on: str, undetected: Path, sea_of_japan: tuple[Path, Path], tmp_path: Path) -> None:
    """SIGKILL where the notes are written (after the events were inserted): the next open
    finds the events and notes of before, on a DuckDB file and on a lake."""
    target = str(undetected) if on == "duckdb" else _lake(sea_of_japan, tmp_path / "lk")
    before = _state(target)
    done = subprocess.run([sys.executable, "-c", KILLED, target, ",".join(KINDS)],
                          env={**os.environ, "PYTHONPATH": os.getcwd()}, check=False,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    assert _state(target) == before


# --- Spark --------------------------------------------------------------------------------------

def test_spark_fails_before_its_notes_and_the_lake_stays_at_its_snapshot(
        spark: Any, sea_of_japan: tuple[Path, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Spark makes the events on the executors and writes the lake's events table; the notes
    fail: nothing was published (same snapshot, same events and notes) and no staged file is
    left. Then the same run succeeds and its notes are in the events' own snapshot."""
    root = tmp_path / "lk"
    target = _lake(sea_of_japan, root)
    version, before = latest_snapshot(root).version, _state(target)
    _failing_notes(monkeypatch, after=1)
    try:
        with pytest.raises(RuntimeError), cargotrace.open_store(target) as lake:
            run.detect(lake, kinds=KINDS, engine=Engine.SPARK)
        assert latest_snapshot(root).version == version
        assert _state(target) == before and not (root / STAGING).exists()
        monkeypatch.undo()
        with cargotrace.open_store(target) as lake:
            summary = run.detect(lake, kinds=KINDS, engine=Engine.SPARK)
    finally:
        drop_spark_views()
    snapshot = latest_snapshot(root)
    assert snapshot.version == version + 1 and snapshot.operation == "detect"
    events, meta, _ = _state(target)
    noted = {key: json.loads(value) for key, value in meta if key.startswith("detected:")}
    assert set(noted) == {f"detected:{k}" for k in KINDS}
    for kind in KINDS:
        assert noted[f"detected:{kind}"]["events"] == summary.written[kind] == sum(
            1 for r in events if r[1] == kind)
    assert summary.written["port_visit"] > 0


def _frame(spark: Any, rows: pa.Table) -> ExecutorEvents:
    return ExecutorEvents(spark._session.createDataFrame(rows, schema=spark_event_schema()))


@pytest.mark.parametrize("on", ["duckdb", "lake"])
def test_spark_written_events_refuse_an_id_collision_and_a_stray_kind(
        spark: Any, on: str, sea_of_japan: tuple[Path, Path], tmp_path: Path) -> None:
    """Event rows made on the executors, written to a lake by Spark or collected to a DuckDB
    file: two different rows with one id fail the write (naming the id), and so do events of
    a kind the run did not ask for; the store is left as it was either way."""
    _, path = sea_of_japan
    target = (str(copy_store(path, tmp_path)) if on == "duckdb"
              else _lake(sea_of_japan, tmp_path / "lk"))
    with cargotrace.open_store(path, read_only=True) as store:
        visits = store.con.sql("SELECT * FROM events WHERE kind = 'port_visit' "
                               "ORDER BY event_id").to_arrow_table().cast(EVENT_SCHEMA)
    changed = visits.slice(0, 1).set_column(
        visits.schema.get_field_index("attrs"), "attrs", pa.array(['{"changed": true}']))
    twice = pa.concat_tables([visits, changed])
    before = _state(target)
    version = None if on == "duckdb" else latest_snapshot(tmp_path / "lk").version
    try:
        with cargotrace.open_store(target) as store:
            with pytest.raises(EventIdCollision, match=visits.column("event_id")[0].as_py()):
                write_events(store, [], [_frame(spark, twice)], ["port_visit"], None, None)
            with pytest.raises(ValueError, match="port_visit"):
                write_events(store, [], [_frame(spark, visits)], ["gap"], None, None)
    finally:
        drop_spark_views()
    assert _state(target) == before
    if version is not None:
        assert latest_snapshot(tmp_path / "lk").version == version
    assert visits.num_rows > 2 and pc.count_distinct(visits.column("mmsi")).as_py() >= 2
    shutil.rmtree(tmp_path / "lk", ignore_errors=True)
