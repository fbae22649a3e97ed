"""`ingest --engine spark` (issue 23, item 2): a file cut into byte ranges and decoded by Spark
tasks stores what the laptop ingest stores, in one lake snapshot per file; a re-run adds
nothing, and an ingest killed with SIGKILL leaves the lake at its last snapshot until a re-run
completes it."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

import cargotrace
from cargotrace.ingest.byte_ranges import byte_ranges
from cargotrace.ingest.params import IngestOptions, SparkIngestParams
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.ingest.spark_ingest import spark_ingest_file
from cargotrace.ingest.summary import IngestSummary
from cargotrace.sim.sample import scaled_fleet, write_sample_nmea
from cargotrace.store.lake.files import data_files_on_disk
from cargotrace.store.lake.layout import LOCK, STAGING
from cargotrace.store.lake.snapshot import read_snapshot, versions

pytestmark = pytest.mark.filterwarnings(
    # PySpark collects over a loopback socket it leaves to the garbage collector
    r"ignore:unclosed <socket\.socket [^>]*laddr=\('127\.0\.0\.1':ResourceWarning")
OPTIONS = IngestOptions(assume_time=datetime(2021, 11, 1, tzinfo=UTC))
SMALL = SparkIngestParams(range_mb=0.04)  # ~40 kB per task: several ranges per file
TABLES = ("positions", "vessel_reports", "quarantine")


@pytest.fixture(scope="module")
def feeds(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Every real NMEA file, one after another in one feed (one Spark ingest instead of 13,
    for CI time), and a simulated feed with two-part messages cut by the ranges."""
    folder = tmp_path_factory.mktemp("feeds")
    real = folder / "real.nmea"
    files = sorted(p for p in (shared_data / "ais_nmea").rglob("*") if p.is_file()
                   and p.name != "PROVENANCE.md")
    assert len(files) >= 12
    real.write_bytes(b"".join(p.read_bytes().rstrip(b"\r\n") + b"\n" for p in files))
    simulated = folder / "sim.nmea"
    write_sample_nmea(simulated, hours=2, fleet=scaled_fleet(20))
    return [real, simulated]


def _straddled(path: Path) -> int:
    """Ranges (as `SMALL` cuts the file) that end between the parts of a message."""
    data = path.read_bytes()
    size = path.stat().st_size
    ends = {b for _, b in byte_ranges(path, math.ceil(size / (SMALL.range_mb * 2**20)))}
    return sum(m.end() in ends for m in re.finditer(rb"!AIVDM,2,1,[^\n]*\n", data))


def _rows(store: cargotrace.Store, table: str) -> Any:
    return store.con.sql(f"SELECT * FROM {table}").to_arrow_table()


def _differences(a: Any, b: Any) -> tuple[int, int]:
    """Rows of `a` not in `b` and of `b` not in `a` (SQL EXCEPT ALL both ways)."""
    con = duckdb.connect()
    return (con.sql("SELECT count(*) FROM (SELECT * FROM a EXCEPT ALL SELECT * FROM b)"
                    ).fetchall()[0][0],
            con.sql("SELECT count(*) FROM (SELECT * FROM b EXCEPT ALL SELECT * FROM a)"
                    ).fetchall()[0][0])


def _counts(s: IngestSummary) -> dict[str, Any]:
    doc = s.to_dict()
    for volatile in ("duration_s", "format"):
        doc.pop(volatile)
    return doc


def _ingest_counts(store: cargotrace.Store) -> list[dict[str, Any]]:
    """Each ingest's recorded summary (the `ingests` row's JSON), less its duration."""
    found = []
    for (counts,) in store.con.execute(
            "SELECT counts::VARCHAR FROM ingests ORDER BY ingest_id").fetchall():
        doc = json.loads(counts)
        doc.pop("duration_s")
        found.append(doc)
    return found


def _changed_copy(path: Path) -> None:
    """The same file with its last three lines once more at the end: a feed that grew."""
    data = path.read_bytes()
    path.write_bytes(data + b"".join(data.splitlines(keepends=True)[-3:]))


@pytest.mark.spark
def test_spark_stores_what_the_laptop_ingest_stores_and_a_rerun_adds_nothing(
    feeds: list[Path], tmp_path: Path, spark: Any,
) -> None:
    """Both real and simulated feeds, then a changed copy of the real one (it adds only its
    new rows and quarantines nothing twice), on the laptop's DuckDB file and on a lake
    written by Spark."""
    assert _straddled(feeds[1]) >= 2
    original = feeds[0].read_bytes()
    found: dict[str, list[IngestSummary]] = {}
    for where in ("duck", "lake"):
        feeds[0].write_bytes(original)
        location = str(tmp_path / "s.duckdb") if where == "duck" else f"lake:{tmp_path}/lk"
        with cargotrace.open_store(location) as store:
            if where == "duck":
                found[where] = [ingest_file(store, feed, OPTIONS) for feed in feeds]
                _changed_copy(feeds[0])
                found[where].append(ingest_file(store, feeds[0], OPTIONS))
                continue
            found[where] = [spark_ingest_file(store, feed, OPTIONS, SMALL) for feed in feeds]
            version = store.snapshot.version
            again = spark_ingest_file(store, feeds[0], OPTIONS, SMALL)
            assert again.already_ingested and store.snapshot.version == version
            _changed_copy(feeds[0])
            cached_before = set(spark._session.sparkContext._jsc.getPersistentRDDs().keys())
            found[where].append(spark_ingest_file(store, feeds[0], OPTIONS, SMALL))
            # its quarantine rows, cached to be counted and written, are not kept by the session
            assert set(spark._session.sparkContext._jsc.getPersistentRDDs().keys()) == cached_before
    root = tmp_path / "lk"
    assert [read_snapshot(root, v).operation for v in versions(root)] == \
        ["create", "ingest", "ingest", "ingest"]
    assert not (root / STAGING).exists()
    assert [_counts(s) for s in found["lake"]] == [_counts(s) for s in found["duck"]]
    first, _, changed = found["lake"]
    # only what its three added lines gave (their context differs at the end) is new
    assert changed.positions_stored <= 3
    assert changed.duplicate_positions >= first.positions_stored > 2500
    assert changed.quarantined_before == first.quarantined_total > 100
    with cargotrace.open_store(tmp_path / "s.duckdb", read_only=True) as duck, \
            cargotrace.open_store(f"lake:{root}", read_only=True) as lake:
        for table in TABLES:
            assert _differences(_rows(lake, table), _rows(duck, table)) == (0, 0), table
        assert _ingest_counts(lake) == _ingest_counts(duck)
        # independent counts, from the reference store's own rows
        stored = duck.con.execute("SELECT count(*) FROM positions").fetchall()[0][0]
        assert lake.count("positions") == stored == sum(s.positions_stored
                                                        for s in found["lake"])
        quarantined = duck.con.execute("SELECT count(*) FROM quarantine").fetchall()[0][0]
        assert quarantined == sum(s.quarantined_total - s.quarantined_before
                                  for s in found["lake"])
        by_reason = dict(duck.con.execute("SELECT reason, count(*) FROM quarantine "
                                          "WHERE ingest_id = 1 GROUP BY ALL").fetchall())
        assert first.quarantined == by_reason
        assert quarantined > 100 and stored > 5000
    feeds[0].write_bytes(original)


KILL_AFTER_STAGING = textwrap.dedent("""
    import sys
    import cargotrace
    from cargotrace.ingest.params import SparkIngestParams
    from cargotrace.ingest.spark_ingest import spark_ingest_file

    def staged(_bytes):  # the tasks have written their rows; the commit has not happened
        print("staged", flush=True)
        sys.stdin.read()  # wait here for SIGKILL

    with cargotrace.open_store("lake:" + sys.argv[1]) as lake:
        spark_ingest_file(lake, sys.argv[2], params=SparkIngestParams(0.04), progress=staged)
""")


@pytest.mark.usefixtures("spark")
@pytest.mark.spark
def test_a_spark_ingest_killed_before_its_commit_leaves_the_lake_and_a_rerun_completes(
    feeds: list[Path], tmp_path: Path,
) -> None:
    simulated = feeds[1]
    root = tmp_path / "lk"
    with cargotrace.open_store(f"lake:{root}"):
        pass
    before = versions(root)
    env = {**os.environ, "PYTHONPATH": str(Path(cargotrace.__file__).parents[1])}
    with subprocess.Popen([sys.executable, "-c", KILL_AFTER_STAGING, str(root),
                           str(simulated)], env=env, stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "staged"
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=60) == -signal.SIGKILL
    assert versions(root) == before
    assert (root / LOCK).is_file()  # the dead writer's
    staged = [p for p in (root / STAGING).rglob("*.parquet")]
    assert staged  # its tasks' rows, and its new files (listed by no snapshot)
    with cargotrace.open_store(f"lake:{root}", read_only=True) as lake:
        assert lake.count("positions") == 0
    with cargotrace.open_store(f"lake:{root}") as lake:  # takes the dead writer's lock over
        assert not (root / STAGING).exists()  # the orphans went with the takeover
        summary = spark_ingest_file(lake, simulated, params=SMALL)
        assert not summary.already_ingested
    listed = {p for v in versions(root) for p in read_snapshot(root, v).paths()}
    assert data_files_on_disk(root) == listed
    with cargotrace.open_store(tmp_path / "ref.duckdb") as reference:
        ingest_file(reference, simulated)
        with cargotrace.open_store(f"lake:{root}", read_only=True) as lake:
            for table in TABLES:
                assert _differences(_rows(lake, table), _rows(reference, table)) == (0, 0)
            assert lake.count("positions") == summary.positions_stored > 1000


def test_spark_ingest_into_a_duckdb_file_is_refused_in_one_line(
    shared_data: Path, tmp_path: Path,
) -> None:
    """Refused before any Spark starts: Spark tasks write a lake's files, a DuckDB file has
    one writer."""
    store = tmp_path / "s.duckdb"
    env = {**os.environ, "PYTHONPATH": str(Path(cargotrace.__file__).parents[1])}
    done = subprocess.run([sys.executable, "-m", "cargotrace", "ingest", "--engine", "spark",
                           "--store", str(store), str(shared_data / "ais_nmea/pyais/sample.ais")],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"Error: {store}: --engine spark ingests into a lake only; pass --store lake:DIR "
        "(see docs/reference/lake.md)"]


@pytest.mark.spark
def test_spark_ingest_resolves_earlier_quarantine_rows_of_the_same_file(
    shared_data: Path, tmp_path: Path, spark: Any,
) -> None:
    """The pyais sample has no receive times: read plain, its records are `missing_time`;
    read again with --assume-time they are stored, and the first ingest's rows for them must
    leave `quarantine` (`quarantine_resolved`), on a Spark-written lake as on the laptop."""
    sample = shared_data / "ais_nmea/pyais/nmea_data_sample.txt"
    runs = (IngestOptions(), OPTIONS)
    found: dict[str, list[IngestSummary]] = {}
    with cargotrace.open_store(tmp_path / "s.duckdb") as duck:
        found["duck"] = [ingest_file(duck, sample, options) for options in runs]
    with cargotrace.open_store(f"lake:{tmp_path}/lk") as lake:
        found["lake"] = [spark_ingest_file(lake, sample, options, SMALL) for options in runs]
    # the independent count: the first run's rows whose line a fresh --assume-time run of the
    # same file does not quarantine
    with cargotrace.open_store(tmp_path / "first.duckdb") as first_only, \
            cargotrace.open_store(tmp_path / "second.duckdb") as second_only:
        ingest_file(first_only, sample, runs[0])
        ingest_file(second_only, sample, runs[1])
        first = first_only.con.sql("SELECT line_no, reason FROM quarantine").to_arrow_table()
        second = second_only.con.sql(  # noqa: F841 (read by name in the SQL below)
            "SELECT line_no FROM quarantine").to_arrow_table()
    con = duckdb.connect()
    missing = con.sql("SELECT count(*) FROM first WHERE reason = 'missing_time'").fetchall()
    resolved = con.sql("SELECT count(*) FROM first WHERE line_no NOT IN "
                       "(SELECT line_no FROM second)").fetchall()[0][0]
    assert missing == [(764,)] and resolved >= 764
    assert [s.quarantine_resolved for s in found["lake"]] == [0, resolved]
    assert [_counts(s) for s in found["lake"]] == [_counts(s) for s in found["duck"]]
    root = tmp_path / "lk"
    with cargotrace.open_store(tmp_path / "s.duckdb", read_only=True) as duck, \
            cargotrace.open_store(f"lake:{root}", read_only=True) as lake:
        assert _differences(_rows(lake, "quarantine"), _rows(duck, "quarantine")) == (0, 0)
        assert lake.count("quarantine") == len(first) - resolved
        assert lake.con.execute("SELECT count(*) FROM quarantine WHERE reason = "
                                "'missing_time'").fetchall() == [(0,)]
        assert _ingest_counts(lake) == _ingest_counts(duck)
    assert read_snapshot(root, versions(root)[-1]).details["quarantine_resolved"] == resolved


@pytest.mark.spark
def test_executors_that_do_not_see_the_lake_are_refused_in_one_line_before_any_task(
    shared_data: Path, tmp_path: Path, spark: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With Spark Connect the executors read the input and write the lake by path: a folder
    they do not see (here one that exists nowhere, asked of the local executors as a remote
    session's would be) is named in one line."""
    import cargotrace.store.engines.session as session
    from cargotrace.errors import StoreError
    from cargotrace.ingest.spark_storage import require_shared_storage

    feed = shared_data / "ais_nmea/aisdb/test_data_20211101.nm4"
    require_shared_storage(spark._session, feed, tmp_path)  # local mode: nothing to check
    monkeypatch.setattr(session, "is_remote", lambda: True)
    require_shared_storage(spark._session, feed, tmp_path)  # both seen: no error
    unseen = tmp_path / "mounted-on-the-client-only"
    with pytest.raises(StoreError) as refused:
        require_shared_storage(spark._session, feed, unseen)
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(f"SPARK_REMOTE: the Spark executors do not see {unseen} as ")
    assert "docs/reference/spark.md" in message
