"""Detection on a lake (issue 23): the same events as on the DuckDB store, from positions read
out of day partitions, with events that straddle midnight (and so two partitions)."""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

import cargotrace
from cargotrace.detect.run import detect
from cargotrace.ingest.gazetteers import load_curated_gazetteer
from cargotrace.ingest.lake_writer import ingest_into_store
from cargotrace.store.engines import Engine, drop_spark_views
from cargotrace.store.events import list_events
from cargotrace.store.lake.snapshot import latest_snapshot


@pytest.fixture(scope="module")
def detected_lake(sea_of_japan: tuple[Path, Path],
                  tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sea-of-japan scenario built as the shared DuckDB store was (both files, the curated
    gazetteer, every detector), in a lake."""
    out, _ = sea_of_japan
    root = tmp_path_factory.mktemp("lake") / "lk"
    with cargotrace.open_store(f"lake:{root}") as lake:
        for name in ("positions.parquet", "vessel_reports.parquet"):
            ingest_into_store(lake, out / name)
        load_curated_gazetteer(lake)
        detect(lake)
    return root


def _events(store: cargotrace.Store) -> list[tuple[object, ...]]:
    return store.con.execute("SELECT * FROM events ORDER BY event_id").fetchall()


def _events_differ(lake: cargotrace.Store, duck_path: Path) -> int:
    """Events in the lake and not in the DuckDB file at `duck_path`, and the reverse (SQL)."""
    lake.con.execute(f"ATTACH '{duck_path}' AS duck (READ_ONLY)")
    return int(lake.con.execute("""
        SELECT count(*) FROM (
            (SELECT * FROM events EXCEPT SELECT * FROM duck.events) UNION ALL
            (SELECT * FROM duck.events EXCEPT SELECT * FROM events))""").fetchall()[0][0])


def test_the_lake_gives_the_duckdb_stores_events(
    sea_of_japan: tuple[Path, Path], detected_lake: Path,
) -> None:
    _, duck_path = sea_of_japan
    with cargotrace.open_store(duck_path, read_only=True) as duck, \
            cargotrace.open_store(f"lake:{detected_lake}", read_only=True) as lake:
        assert _events(lake) == _events(duck)
        assert list_events(lake, kind="gap") == list_events(duck, kind="gap")
        found = lake.con.execute("SELECT kind, start, \"end\" FROM events").fetchall()
    events = pd.DataFrame(found, columns=["kind", "start", "end"]).dropna()
    straddling = events[events["start"].dt.date != events["end"].dt.date]
    assert len(straddling) >= 10  # events across midnight: built from two day partitions
    assert {"port_visit", "gap"} <= set(straddling["kind"])
    days = latest_snapshot(detected_lake).days("positions")
    assert {str(d) for d in straddling["start"].dt.date} <= days


@pytest.mark.parametrize("args", [["events", "--format", "json"], ["vessels", "--json"]],
                         ids=" ".join)
def test_reading_commands_answer_from_a_lake_as_from_the_duckdb_store(
    sea_of_japan: tuple[Path, Path], detected_lake: Path, args: list[str],
) -> None:
    from typer.testing import CliRunner

    from cargotrace.cli.app import app

    _, duck_path = sea_of_japan
    on_lake = CliRunner().invoke(app, [*args, "--store", f"lake:{detected_lake}"])
    on_file = CliRunner().invoke(app, [*args, "--store", str(duck_path)])
    assert on_lake.exit_code == on_file.exit_code == 0, on_lake.output
    assert on_lake.stdout == on_file.stdout
    assert len(on_lake.stdout) > 1000


def test_detecting_again_on_the_lake_changes_no_event(detected_lake: Path) -> None:
    with cargotrace.open_store(f"lake:{detected_lake}", read_only=True) as lake:
        before = _events(lake)
    with cargotrace.open_store(f"lake:{detected_lake}") as lake:
        summary = detect(lake)
        version = lake.snapshot.version
    assert summary.replaced == len(before)
    with cargotrace.open_store(f"lake:{detected_lake}", read_only=True) as lake:
        assert _events(lake) == before
        assert lake.snapshot.version == version + 1  # the run's `detected:` notes in meta
        assert lake.snapshot.operation == "write"


def test_spark_reads_the_lakes_own_files_and_writes_the_same_events(
    spark: Any, sea_of_japan: tuple[Path, Path], detected_lake: Path, tmp_path: Path,
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No export, no upload, no event through the driver: Spark reads the day partitions the
    snapshot lists, makes every kind on its executors (identity's split and report changes,
    gaps, port visits, possible dark port calls, dark voyages and draught changes from the
    rows of the kinds they read kept there, encounters, loitering, shuttles by vessel then by
    place pair; the driver's paths refuse here), and writes the lake's events table itself
    (its own Parquet files, one `detect` snapshot that holds the run's notes too), replacing
    the DuckDB-detected events (some across midnight, so built from two partitions) with
    identical ones: the lake's events after the Spark run are the DuckDB file's, row for
    row (SQL EXCEPT both ways). Port visits run the widest query (shared CTEs computed once
    on Spark, store/engines/shared_ctes.py); the mixed scenario on Spark: test_engines.py."""
    _, duck_path = sea_of_japan
    root = tmp_path / "lk"
    shutil.copytree(detected_lake, root)
    caplog.set_level(logging.DEBUG, logger="cargotrace.store.engines.handoff")
    kinds = ["identity", "gap", "port_visit", "possible_dark_port_call", "dark_voyage",
             "draught_change", "encounter", "loitering", "shuttle"]

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("made or collected on the driver")

    for name in ("registry.dark_port_calls", "registry.detect_dark_voyages",
                 "registry.detect_draught_changes", "registry.detect_shuttles",
                 "identity.to_arrow", "dark_voyages.to_arrow", "run_detectors.events_from_rows",
                 "run_detectors.collect_rows", "event_writes.collect_rows"):
        monkeypatch.setattr(f"cargotrace.detect.{name}", refuse)
    try:
        with cargotrace.open_store(f"lake:{root}") as lake:
            before = lake.snapshot.version
            summary = detect(lake, kinds=kinds, engine=Engine.SPARK)
    finally:
        drop_spark_views()
    with cargotrace.open_store(duck_path, read_only=True) as duck:
        stored = dict(duck.con.execute(
            "SELECT kind, count(*) FROM events WHERE kind IN (SELECT unnest(?)) "
            "GROUP BY kind", [kinds]).fetchall())
        across = dict(duck.con.execute(
            "SELECT kind, count(*) FROM events WHERE kind IN ('gap', 'port_visit') AND "
            "start::DATE <> \"end\"::DATE GROUP BY kind").fetchall())
    assert set(across) == {"gap", "port_visit"}  # each kind has events across midnight
    assert stored["port_visit"] > 0 and stored["encounter"] > 0 and stored["identity"] > 0
    assert stored["possible_dark_port_call"] > 0 and stored["shuttle"] > 0
    assert stored["dark_voyage"] > 0 and stored["draught_change"] > 0
    assert summary.written == {k: stored.get(k, 0) for k in kinds}
    assert summary.replaced == sum(stored.values())
    handed = {r.getMessage().split(" ")[0]: r.getMessage().rsplit("(", 1)[1]
              for r in caplog.records if "spark view" in r.getMessage()}
    assert handed == {"positions": "lake)", "vessel_reports": "lake)", "places": "parquet)"}
    # Spark's writer made the events files, committed as one `detect` snapshot with the
    # run's `detected:` notes (meta's new file): the last one
    written_by_spark = json.loads((root / "_snapshots" / f"{before + 1:020d}.json").read_text())
    assert written_by_spark["operation"] == "detect"
    assert written_by_spark["details"]["engine"] == "spark"
    assert latest_snapshot(root).version == before + 1
    with cargotrace.open_store(f"lake:{root}", read_only=True) as lake:
        noted = dict(lake.con.execute("SELECT key, value FROM meta WHERE key LIKE 'detected:%'"
                                      ).fetchall())
    assert {json.loads(noted[f"detected:{k}"])["engine"] for k in kinds} == {"spark"}
    files = latest_snapshot(root).files("events")
    assert files and all(Path(f.path).name.startswith("part-") for f in files)
    with cargotrace.open_store(f"lake:{root}", read_only=True) as lake:
        differ = _events_differ(lake, duck_path)
        on_lake = lake.con.execute("SELECT count(*) FROM events").fetchall()[0][0]
    with cargotrace.open_store(duck_path, read_only=True) as duck:
        assert on_lake == duck.count("events")
    assert differ == 0


def test_readers_answer_while_a_writer_holds_the_lock_and_cannot_write(
    detected_lake: Path, tmp_path: Path,
) -> None:
    """An ingest in progress (a held lock naming a live process: this one) stops neither
    `events` nor `vessels`; a write through a read-only open is refused in one line."""
    from typer.testing import CliRunner

    from cargotrace.cli.app import app
    from cargotrace.errors import StoreError
    from cargotrace.ingest.lake_writer import ingest_into_store
    from cargotrace.store.events import store_events
    from cargotrace.store.lake.files import data_files_on_disk
    from cargotrace.store.lake.layout import LOCK
    from cargotrace.store.lake.lock import Holder, LakeLockedError

    root = tmp_path / "lk"
    shutil.copytree(detected_lake, root)
    holder = Holder.this_process().__dict__ | {"command": "cargotrace ingest big.nmea"}
    (root / LOCK).write_text(json.dumps(holder))
    with pytest.raises(LakeLockedError):  # the lock is live: a writer would wait
        cargotrace.open_store(f"lake:{root}")
    snapshot = json.loads(max((root / "_snapshots").glob("*.json")).read_text())
    stored = sum(pq.read_metadata(root / f["path"]).num_rows
                 for f in snapshot["tables"]["events"])
    listed = CliRunner().invoke(app, ["events", "--format", "json", "--store", f"lake:{root}"])
    assert listed.exit_code == 0, listed.output
    assert len(json.loads(listed.stdout)) == stored > 0
    mmsis = pd.concat(pd.read_parquet(root / f["path"], columns=["mmsi"])
                      for f in snapshot["tables"]["positions"])["mmsi"].nunique()
    found = CliRunner().invoke(app, ["vessels", "--json", "--store", f"lake:{root}"])
    assert found.exit_code == 0, found.output
    assert len(json.loads(found.stdout)) == mmsis > 0

    on_disk = data_files_on_disk(root)
    with cargotrace.open_store(f"lake:{root}", read_only=True) as lake:
        events = lake.con.sql("SELECT * FROM events").to_arrow_table()
        with pytest.raises(StoreError) as caught:
            store_events(lake, events, ["gap"])
        assert str(caught.value) == (
            f"{root}: opened read-only, so it cannot store events; open it for writing (a "
            "writing command, or open_store(read_only=False))")
        with pytest.raises(StoreError, match="opened read-only, so it cannot ingest x.csv"):
            ingest_into_store(lake, tmp_path / "x.csv")
    assert data_files_on_disk(root) == on_disk
    assert json.loads((root / LOCK).read_text())["pid"] == os.getpid()  # still the holder's


def test_a_windowed_redetect_on_a_lake_reads_its_margins_and_changes_no_event(
    sea_of_japan: tuple[Path, Path], detected_lake: Path, tmp_path: Path,
) -> None:
    """`detect --since/--until` on a lake opens only the day partitions of the window and of
    its kinds' margins (`window.py`): with every other day's files moved away while it runs
    (every query on a view binds its files again), it still runs, and the lake's events are
    then exactly the full detect's on the DuckDB store (SQL EXCEPT both ways)."""
    from datetime import UTC, datetime, timedelta

    import duckdb

    from cargotrace.detect.kinds import EventKind
    from cargotrace.detect.presets import GFW
    from cargotrace.detect.window import read_range
    from cargotrace.store.lake.store import days_of_window

    kinds = ["gap", "left_coverage", "encounter", "loitering"]  # margins of days, not weeks
    _, duck_path = sea_of_japan
    root = tmp_path / "lk"
    shutil.copytree(detected_lake, root)
    days = sorted(latest_snapshot(root).days("positions"))
    with cargotrace.open_store(duck_path, read_only=True) as duck:
        starts = [r[0] for r in duck.con.execute(
            "SELECT start FROM events WHERE kind IN (SELECT unnest(?)) ORDER BY start",
            [kinds]).fetchall()]
    # the day of the middle such event: the window holds one, and days lie on both sides
    since = datetime.combine(starts[len(starts) // 2].date(), datetime.min.time(), UTC)
    until = since + timedelta(days=1)
    read_since, read_until, _ = read_range([EventKind(k) for k in kinds], GFW,
                                                since, until)
    read = days_of_window(days, read_since, read_until)
    snapshot = json.loads(max((root / "_snapshots").glob("*.json")).read_text())
    far = [root / f["path"] for table in ("positions", "vessel_reports")
           for f in snapshot["tables"][table] if f["day"] not in read]
    aside = tmp_path / "aside"
    aside.mkdir()

    def put_back(step: str, done: int, total: int) -> None:
        if step == "done":  # the window's views are left at the end: the files must be back
            for path in far:
                shutil.move(aside / path.name, path)

    with cargotrace.open_store(f"lake:{root}") as lake:
        for path in far:  # listed by the snapshot read, but gone while detect runs
            shutil.move(path, aside / path.name)
        with pytest.raises(duckdb.IOException):  # every query on a view binds its files
            lake.con.execute("SELECT count(*) FROM positions").fetchall()
        summary = detect(lake, kinds=kinds, since=since, until=until, progress=put_back)
    assert all(path.is_file() for path in far) and len(far) >= 2
    assert summary.window["read_until"] == read_until.isoformat()  # type: ignore[union-attr]
    with cargotrace.open_store(f"lake:{root}", read_only=True) as lake:
        differ = _events_differ(lake, duck_path)
        in_window = lake.con.execute(
            "SELECT count(*) FROM events WHERE kind IN (SELECT unnest(?)) AND start >= ? "
            "AND start < ?", [kinds, since, until]).fetchall()[0][0]
    assert differ == 0
    assert sum(summary.written.values()) == in_window >= 1


def test_a_windowed_redetect_on_spark_reads_the_margin_days_and_changes_no_gap(
    spark: Any, sea_of_japan: tuple[Path, Path], detected_lake: Path, tmp_path: Path,
) -> None:
    """Spark reads the lake's files of the window and its margins (`read_files`), and a
    windowed gap re-detect there leaves the lake's events those of the full DuckDB detect."""
    from datetime import UTC, datetime, timedelta

    _, duck_path = sea_of_japan
    root = tmp_path / "lk"
    shutil.copytree(detected_lake, root)
    with cargotrace.open_store(duck_path, read_only=True) as duck:
        first = duck.con.execute("SELECT min(start) FROM events WHERE kind = 'gap'"
                                 ).fetchall()[0][0]
    since = datetime.combine(first.date(), datetime.min.time(), UTC)
    try:
        with cargotrace.open_store(f"lake:{root}") as lake:
            summary = detect(lake, kinds=["gap"], engine=Engine.SPARK, since=since,
                             until=since + timedelta(days=1))
    finally:
        drop_spark_views()
    assert summary.written["gap"] >= 1 and summary.replaced == summary.written["gap"]
    with cargotrace.open_store(duck_path, read_only=True) as duck, \
            cargotrace.open_store(f"lake:{root}", read_only=True) as lake:
        assert _events(lake) == _events(duck)


def test_a_lake_tells_whether_a_feed_goes_on_after_a_window(detected_lake: Path) -> None:
    """A windowed run of several feeds asks, per feed, whether its sources have positions
    after the range read (`has_positions_from(moment, sources)`, `feeds.py`): the lake reads
    the later days' files for it even inside a reading window that leaves them out."""
    from datetime import timedelta

    with cargotrace.open_store(f"lake:{detected_lake}", read_only=True) as lake:
        sources, first, last = lake.con.execute(
            "SELECT list(DISTINCT source), min(ts), max(ts) FROM positions").fetchone() or ()
        middle = first + (last - first) / 2
        moments = [middle, middle.replace(hour=0, minute=0, second=0, microsecond=0),
                   last, last + timedelta(seconds=1)]
        expected = {(m, tuple(s)): lake.con.execute(  # over every day, before any window
            "SELECT count(*) > 0 FROM positions WHERE ts >= ? AND list_contains(?, source)",
            [m, s]).fetchone()[0] for m in moments for s in (sources, ["elsewhere.nmea"])}
        with lake.reading_window(first, middle):
            answers = {(m, tuple(s)): lake.has_positions_from(m, s)
                       for m in moments for s in (sources, ["elsewhere.nmea"])}
    assert answers == expected and sum(expected.values()) == 3
