"""The Parquet hand-off from the store to Spark, and the Spark engine's settings (issue 4).

Real data: the Solent AIS capture in ../shared/data/ais_positions (PROVENANCE.md there), the
curated gazetteer (VARCHAR[] aliases) and events a detector wrote (JSON attrs, TIMESTAMPTZ).
"""

from __future__ import annotations

import json
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import cargotrace
from cargotrace.detect.run import detect
from cargotrace.ingest.gazetteers import load_curated_gazetteer
from cargotrace.store import engines
from cargotrace.store.engines import (
    DRIVER_MEMORY_ENV,
    STAGING_ENV,
    Engine,
    EngineError,
    Handoff,
    choose_handoff,
    connect_problem,
    driver_memory,
    drop_spark_views,
    export_parquet,
    spark_backend,
    tables_on,
    to_arrow,
)
from cargotrace.store.engines import handoff as handoff_module
from cargotrace.store.engines import session as session_module
from cargotrace.store.schema import TABLES

# PySpark 4.0 leaves its result socket to the garbage collector (see tests/detect/conftest.py)
SPARK_SOCKET = r"ignore:unclosed <socket\.socket [^>]*laddr=\('127\.0\.0\.1':ResourceWarning"


@pytest.fixture(scope="module")
def solent(solent_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Solent positions (ingested once per run, tests/conftest.py), and in a copy the curated
    places and the loitering events `detect` finds in them (the rendezvous preset's 1 h fits
    the 84-minute capture; its one identity finding, a position 3,832 km off, is a flagged
    glitch, not an event). The shore floor is off: the Solent is all within 20 nm of land, and
    the ships at anchor off the Isle of Wight are what is exported."""
    path = tmp_path_factory.mktemp("handoff") / "solent.duckdb"
    shutil.copyfile(solent_store, path)
    with cargotrace.open_store(path) as store:
        load_curated_gazetteer(store)
        detect(store, kinds=["loitering"], preset="rendezvous",
               overrides={"loitering.min_shore_distance_nm": "0"})
    return path


# --- choices and settings, no JVM -----------------------------------------------------------


@pytest.mark.parametrize(
    ("remote", "staging", "expected"),
    [
        pytest.param(False, None, Handoff.PARQUET, id="local_temp_folder"),
        pytest.param(False, "/mnt/shared", Handoff.PARQUET, id="local_named_folder"),
        pytest.param(True, "/mnt/shared", Handoff.PARQUET, id="connect_shared_folder"),
        pytest.param(True, None, Handoff.ARROW, id="connect_no_shared_folder"),
    ],
)
def test_handoff_choice(remote: bool, staging: str | None, expected: Handoff) -> None:
    assert choose_handoff(remote, staging) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", "4g"), ("6g", "6g"), ("6144m", "6144m"), (" 2G ", "2G"), ("512mb", "512mb")],
)
def test_driver_memory(monkeypatch: pytest.MonkeyPatch, value: str, expected: str) -> None:
    monkeypatch.setenv(DRIVER_MEMORY_ENV, value)
    assert driver_memory() == expected


@pytest.mark.parametrize("value", ["lots", "4 g", "-1g", "0", "4gib"])
def test_driver_memory_rejects_nonsense(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(DRIVER_MEMORY_ENV, value)
    with pytest.raises(EngineError) as info:
        driver_memory()
    assert str(info.value) == (
        f"CARGOTRACE_SPARK_DRIVER_MEMORY={value.strip()!r}: expected a JVM memory size such as "
        "4g or 6144m"
    )


def test_staging_must_be_a_folder_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(STAGING_ENV, "s3://bucket/cargotrace")
    monkeypatch.setattr(handoff_module, "_root", None)
    with pytest.raises(EngineError) as info:
        engines.staging_root()
    assert str(info.value) == (
        "CARGOTRACE_SPARK_STAGING=s3://bucket/cargotrace: must be a folder path (DuckDB writes "
        "the files); mount shared storage and give its local path"
    )


def test_staging_inside_the_named_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(STAGING_ENV, str(tmp_path / "shared"))
    monkeypatch.setattr(handoff_module, "_root", None)
    root = engines.staging_root()
    # a folder of its own inside the shared one: two processes never delete each other's files
    assert root.parent == tmp_path / "shared" and root.name.startswith("cargotrace-staging-")
    assert engines.staging_root() == root


def test_export_keeps_types(solent: Path, tmp_path: Path) -> None:
    """What Spark will read: UTC instants, lists of aliases, JSON text, row for row."""
    with cargotrace.open_store(solent, read_only=True) as store:
        for name in ("positions", "places", "events"):
            path = export_parquet(store, name, tmp_path)
            exported = pq.read_table(path)
            assert exported.num_rows == store.count(name), name
        expected_ts = store.con.sql("SELECT ts FROM positions ORDER BY ALL").fetchall()
    positions = pq.read_table(tmp_path / "positions.parquet")
    assert positions.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert sorted(positions.column("ts").to_pylist()) == [row[0] for row in expected_ts]
    places = pq.read_table(tmp_path / "places.parquet")
    assert places.schema.field("aliases").type.value_type == pa.string()
    najin = next(row for row in places.to_pylist() if row["place_id"] == "ct:najin")
    assert najin["aliases"][:2] == ["Rajin", "Rason"]
    events = pq.read_table(tmp_path / "events.parquet").to_pylist()
    assert events and all(json.loads(e["attrs"])["duration_h"] >= 1 for e in events)


# --- on Spark (local mode) ------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark() -> Any:
    """The process-wide session (shared with tests/detect; stopped at exit, not here)."""
    return spark_backend()


@pytest.fixture
def staged(spark: Any) -> Iterator[None]:
    yield
    drop_spark_views()


@pytest.mark.spark
@pytest.mark.filterwarnings(SPARK_SOCKET)
def test_every_table_reaches_spark_through_parquet(solent: Path, staged: None) -> None:
    with cargotrace.open_store(solent, read_only=True) as store:
        tables = tables_on(Engine.SPARK, store, list(TABLES))
        for name, table in tables.items():
            expected = store.table(name)
            # Spark views are all nullable; types must be the store's (json, timestamp('UTC'))
            assert {n: t.copy(nullable=True) for n, t in table.schema().items()} == {
                n: t.copy(nullable=True) for n, t in expected.schema().items()
            }, name
            flat = [n for n, t in expected.schema().items() if not t.is_array()]
            if name in ("positions", "places", "events"):
                got = to_arrow(table, order_by=flat[:1])
                want = to_arrow(expected, order_by=flat[:1])
                assert got.equals(want), name
            else:
                counted = to_arrow(table.count().as_table()).column(0)[0].as_py()
                assert counted == store.count(name), name
    assert got.num_rows > 0  # events: the loitering detector found something to compare


@pytest.mark.spark
@pytest.mark.filterwarnings(SPARK_SOCKET)
def test_the_schema_given_to_spark_is_the_one_it_infers(solent: Path, spark: Any,
                                                         tmp_path: Path) -> None:
    """The hand-off reads each file with the store's schema given (no footer-reading job per
    table): that schema must be exactly what Spark reads from DuckDB's file by itself."""
    from ibis.backends.pyspark.datatypes import PySparkSchema

    with cargotrace.open_store(solent, read_only=True) as store:
        for name in TABLES:
            path = export_parquet(store, name, tmp_path / name)
            inferred = spark._session.read.parquet(path.absolute().as_uri()).schema
            given = PySparkSchema.from_ibis(store.table(name).schema())
            assert [(f.name, f.dataType) for f in inferred.fields] == [
                (f.name, f.dataType) for f in given.fields], name


@pytest.mark.spark
@pytest.mark.filterwarnings(SPARK_SOCKET)
def test_dropping_views_deletes_their_files(solent: Path, spark: Any) -> None:
    with cargotrace.open_store(solent, read_only=True) as store:
        tables_on(Engine.SPARK, store, ["positions"])
    staged = list(engines.staging_root().glob("cargotrace_positions_*/positions.parquet"))
    assert len(staged) == 1
    drop_spark_views()
    assert not staged[0].exists()
    names = [t.name for t in spark._session.catalog.listTables() if t.isTemporary]
    assert not [n for n in names if n.startswith("cargotrace_")]


@pytest.mark.parametrize(("positions", "expected"), [
    (0, 2), (8_417, 2), (1_000_000, 2), (2_000_001, 3), (9_487_312, 10)])
def test_shuffle_partitions_grow_with_the_positions(positions: int, expected: int) -> None:
    assert engines.shuffle_partitions(positions) == expected


@pytest.mark.spark
@pytest.mark.filterwarnings(SPARK_SOCKET)
def test_a_cte_read_twice_is_computed_once_and_released(solent: Path, staged: None) -> None:
    """Spark would inline the per-MMSI counts at both reads; `spark_query` runs them once as
    a view, the query reads that view, and releasing drops it. The answer is checked against
    a plain DuckDB GROUP BY on the store, and the run's shuffle partitions against its size."""
    from cargotrace.store.engines.shared_ctes import SHARED_PREFIX, spark_query

    with cargotrace.open_store(solent, read_only=True) as store:
        positions = tables_on(Engine.SPARK, store, ["positions"])["positions"]
        per = positions.group_by("mmsi").aggregate(n=positions.count())
        expr = per.filter(per.n >= 100).mutate(busy=True).union(
            per.filter(per.n < 100).mutate(busy=False))
        expected = store.con.execute(
            "SELECT mmsi, count(*) AS n, count(*) >= 100 FROM positions GROUP BY mmsi "
            "ORDER BY mmsi").fetchall()
        partitions = engines.shuffle_partitions(store.count("positions"))
    backend = positions._find_backend()
    session = backend._session
    assert session.conf.get("spark.sql.shuffle.partitions") == str(partitions)
    kept_before = session.sparkContext._jsc.getPersistentRDDs().size()
    query = spark_query(backend, expr)
    views = [view for view, _ in query.shared]
    assert len(views) == 1 and views[0].startswith(SHARED_PREFIX)
    assert session.sparkContext._jsc.getPersistentRDDs().size() == kept_before + 1
    got = sorted((r["mmsi"], r["n"], r["busy"]) for r in query.frame.collect())
    query.release(session)
    assert session.sparkContext._jsc.getPersistentRDDs().size() == kept_before  # freed
    assert got == [tuple(r) for r in expected] and len(got) > 10
    left = [t.name for t in session.catalog.listTables() if t.isTemporary]
    assert not [n for n in left if n.startswith(SHARED_PREFIX)]
    # and through to_arrow, the path every detector takes
    assert to_arrow(expr, order_by=["mmsi"]).num_rows == len(expected)


@pytest.mark.spark
def test_driver_memory_reaches_the_jvm(spark: Any) -> None:
    """`spark.driver.memory` only works when set before the JVM starts: check the heap."""
    session = spark._session
    assert session.conf.get("spark.driver.memory") == driver_memory()
    size = re.fullmatch(r"(\d+)([mg])b?", driver_memory().lower())
    assert size is not None, "this check reads sizes in m or g only"
    heap_bytes = int(size[1]) * 2 ** (30 if size[2] == "g" else 20)
    max_heap = session.sparkContext._jvm.java.lang.Runtime.getRuntime().maxMemory()
    # the JVM keeps one survivor space out of the usable maximum, so it is a little under -Xmx
    assert 0.85 * heap_bytes <= max_heap <= heap_bytes


@pytest.mark.spark
def test_the_local_jvm_maps_the_class_archive_or_makes_it(spark: Any) -> None:
    """Local mode's JVM starts with the machine's class-data-sharing archive mapped, or, when
    none is finished yet, asked to write one at exit (`class_cache.py`): read from the JVM's
    own arguments and memory map, not from our configuration."""
    jvm = spark._session.sparkContext._jvm
    args = list(jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments())
    mapped = [a.split("=", 1)[1] for a in args if a.startswith("-XX:SharedArchiveFile=")]
    making = [a.split("=", 1)[1] for a in args if a.startswith("-XX:ArchiveClassesAtExit=")]
    assert len(mapped) + len(making) == 1, args
    assert "-Xlog:cds=off" in args  # its messages would go to the CLI's stdout
    if mapped:
        maps = jvm.java.nio.file.Files.readString(jvm.java.io.File("/proc/self/maps").toPath())
        assert mapped[0] in maps
    else:
        assert making[0].endswith(".part")


# --- Spark Connect URLs, checked before PySpark's client retries for minutes ------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_connect_server_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    port = _closed_port()
    monkeypatch.setenv("SPARK_REMOTE", f"sc://127.0.0.1:{port}")
    with pytest.raises(EngineError) as info:
        session_module._connect_session()
    assert str(info.value) == (
        f"SPARK_REMOTE=sc://127.0.0.1:{port}: cannot reach 127.0.0.1:{port} (Connection refused)"
    )


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:15002", "expected a Spark Connect URL such as sc://host:15002"),
        ("sc://", "expected a Spark Connect URL such as sc://host:15002"),
        ("sc://127.0.0.1:port", "bad port (Port could not be cast to integer value as 'port')"),
    ],
)
def test_connect_url_problems(url: str, problem: str) -> None:
    assert connect_problem(url) == problem


def test_listening_connect_server_is_fine() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert connect_problem(f"sc://127.0.0.1:{server.getsockname()[1]}/;use_ssl=false") is None
