"""The engine machinery: one Ibis expression, identical results on DuckDB and Spark.

Real data: the Solent AIS capture in ../shared/data/ais_positions (see its PROVENANCE.md),
18,620 positions of 91 vessels over 84 minutes, with millisecond timestamps. At scale: the whole
simulated `mixed` scenario the detector tests share (about 300,000 positions), every detector.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pytest

import cargotrace
from cargotrace.detect.run import SUPPORTED, detect
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.store.engines import Engine, parse_java_version, tables_on, to_arrow
from cargotrace.store.schema import TABLES

EARTH_RADIUS_NM = 3440.065  # mean Earth radius (6,371.0088 km) in nautical miles
CHECK_JAVA = Path(__file__).resolve().parents[2] / "bench" / "check_java.py"
JAVA_MISSING = (
    "The Spark engine needs Java 17 or newer ({found}): install it with "
    "`apt-get install openjdk-17-jre-headless` and check with `java -version`."
)


@pytest.fixture(scope="module")
def solent(solent_store: Path) -> Path:
    """A store holding the Solent capture, built once per run (conftest.py) and opened
    read-only by each test."""
    return solent_store


def haversine_nm(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Great-circle distance in nautical miles, as an Ibis expression (runs on any engine)."""
    dlat = (lat2 - lat1).radians()
    dlon = (lon2 - lon1).radians()
    a = (dlat / 2).sin() ** 2 + lat1.radians().cos() * lat2.radians().cos() * (dlon / 2).sin() ** 2
    return 2 * EARTH_RADIUS_NM * a.sqrt().asin()


def gaps_with_implied_speed(positions: Any, min_gap_s: float = 60.0) -> Any:
    """Silences over `min_gap_s` per vessel, with the speed needed to cover the jump (knots).

    The window orders by (ts, lat, lon), a total order on stored positions, so "previous" is the
    same row on every engine even when a vessel reports two fixes at one instant.
    """
    w = ibis.window(group_by="mmsi", order_by=["ts", "lat", "lon"])
    t = positions.mutate(
        prev_ts=positions.ts.lag().over(w),
        prev_lat=positions.lat.lag().over(w),
        prev_lon=positions.lon.lag().over(w),
    )
    t = t.mutate(gap_s=t.ts.delta(t.prev_ts, unit="microsecond").cast("float64") / 1e6)
    t = t.filter(t.gap_s > min_gap_s)
    t = t.mutate(distance_nm=haversine_nm(t.prev_lat, t.prev_lon, t.lat, t.lon))
    t = t.mutate(implied_speed_kn=t.distance_nm / (t.gap_s / 3600.0))
    return t.select("mmsi", "prev_ts", "ts", "gap_s", "distance_nm", "implied_speed_kn")


def assert_same_rows(left: pa.Table, right: pa.Table, rel: float = 1e-9) -> None:
    """Same schema, same rows in the same order; floats equal within `rel` (libm vs the JVM)."""
    assert left.schema == right.schema
    assert left.num_rows == right.num_rows
    for name in left.column_names:
        a, b = left.column(name).to_pylist(), right.column(name).to_pylist()
        if pa.types.is_floating(left.schema.field(name).type):
            bad = [
                (i, x, y)
                for i, (x, y) in enumerate(zip(a, b, strict=True))
                if not (x == y or math.isclose(x, y, rel_tol=rel, abs_tol=rel))
            ]
            assert not bad, f"{name}: {len(bad)} values differ, first {bad[:3]}"
        else:
            assert a == b, name


def test_gap_expression_gives_identical_results_on_both_engines(solent: Path, spark: Any) -> None:
    results = {}
    with cargotrace.open_store(solent, read_only=True) as store:
        for engine in Engine:
            positions = tables_on(engine, store, ["positions"])["positions"]
            results[engine] = to_arrow(gaps_with_implied_speed(positions), order_by=["mmsi", "ts"])
    duck, spark_result = results[Engine.DUCKDB], results[Engine.SPARK]

    assert_same_rows(duck, spark_result)
    for name in ("prev_ts", "ts"):
        assert duck.schema.field(name).type == pa.timestamp("us", tz="UTC")
    # hand-checked on the capture: 1,119 silences over a minute; the first is 212368000's
    # three-minute reporting interval, 13:05:10.627 → 13:08:09.414 (178.787 s)
    assert duck.num_rows == 1119
    first = duck.slice(0, 1).to_pylist()[0]
    assert first["mmsi"] == 212368000
    assert first["gap_s"] == pytest.approx(178.787, abs=1e-9)
    assert str(first["prev_ts"]) == "2016-01-12 13:05:10.627000+00:00"
    assert all(speed >= 0 for speed in duck.column("implied_speed_kn").to_pylist())


def test_tables_on_keeps_row_counts_and_types(engine: Engine, solent: Path) -> None:
    with cargotrace.open_store(solent, read_only=True) as store:
        tables = tables_on(engine, store, list(TABLES))
        for name, table in tables.items():
            expected = store.table(name).schema()
            # types as in the store (Spark has no NOT NULL on views, so nullability is ignored)
            assert {n: t.copy(nullable=True) for n, t in table.schema().items()} == {
                n: t.copy(nullable=True) for n, t in expected.items()
            }, name
            counted = to_arrow(table.count().as_table()).column(0)[0].as_py()
            assert counted == store.count(name), name
        positions = to_arrow(tables["positions"], order_by=["mmsi", "ts", "lat", "lon"])
        reference = to_arrow(store.positions, order_by=["mmsi", "ts", "lat", "lon"])
    assert positions.num_rows == 18620
    assert positions.equals(reference)  # every value, timestamps to the microsecond, in UTC


def test_to_arrow_runs_in_memory_tables_on_both_engines(engine: Engine, solent: Path) -> None:
    # detectors pass parameters and watch lists as memtables; Spark must register them first
    # (built from Arrow: a dict memtable goes through pandas, which warns under pandas 3)
    watch = ibis.memtable(pa.table({"mmsi": [212368000, 235070762], "why": ["test", "test"]}))
    with cargotrace.open_store(solent, read_only=True) as store:
        positions = tables_on(engine, store, ["positions"])["positions"]
        counts = to_arrow(
            positions.join(watch, "mmsi").group_by("mmsi", "why").agg(n=ibis._.count()),
            order_by=["mmsi"],
        )
        expected = store.con.sql(
            "SELECT mmsi, count(*) FROM positions WHERE mmsi IN (212368000, 235070762) "
            "GROUP BY mmsi ORDER BY mmsi"
        ).fetchall()
    assert [(r["mmsi"], r["n"]) for r in counts.to_pylist()] == expected


def test_tables_on_rejects_unknown_tables(tmp_store: cargotrace.Store) -> None:
    from cargotrace.store.engines import EngineError

    with pytest.raises(EngineError, match="no core table tracks"):
        tables_on(Engine.DUCKDB, tmp_store, ["positions", "tracks"])


def test_engine_names() -> None:
    assert Engine("duckdb") is Engine.DUCKDB
    assert Engine("PySpark") is Engine.SPARK and Engine("spark") is Engine.SPARK
    with pytest.raises(ValueError):
        Engine("polars")


@pytest.mark.parametrize(
    ("output", "major"),
    [
        pytest.param('openjdk version "17.0.15" 2025-04-15', 17, id="debian_17"),
        pytest.param('openjdk version "21" 2023-09-19', 21, id="bare_21"),
        pytest.param('java version "1.8.0_292"', 8, id="legacy_1_8"),
        pytest.param('openjdk version "17-ea" 2021-09-14', 17, id="early_access"),
        pytest.param("bash: java: command not found", None, id="no_version"),
    ],
)
def test_parse_java_version(output: str, major: int | None) -> None:
    assert parse_java_version(output) == major


def _run_without_java(tmp_path: Path, code: list[str], java_script: str | None) -> Any:
    """Run a Python command with PATH and JAVA_HOME pointing at a folder holding no real Java."""
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True, exist_ok=True)
    if java_script is not None:
        java = home / "bin" / "java"
        java.write_text(java_script)
        java.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("SPARK_REMOTE", "JAVA_HOME")}
    env.update(PATH=str(tmp_path), JAVA_HOME=str(home))
    return subprocess.run(
        [sys.executable, *code], env=env, capture_output=True, text=True, timeout=120
    )


START_SPARK = [
    "-c",
    "from cargotrace.store.engines import EngineError, spark_backend\n"
    "try:\n    spark_backend()\nexcept EngineError as exc:\n    print(exc)\n",
]


@pytest.mark.parametrize(
    ("java_script", "found"),
    [
        pytest.param(None, "no JAVA_HOME/bin/java", id="missing"),
        pytest.param(
            "#!/bin/sh\necho 'openjdk version \"11.0.2\" 2019-01-15' >&2\n",
            "found Java 11",
            id="java_11",
        ),
    ],
)
def test_spark_without_java_explains_in_one_line(
    tmp_path: Path, java_script: str | None, found: str
) -> None:
    done = _run_without_java(tmp_path, START_SPARK, java_script)
    assert done.returncode == 0, done.stderr
    assert done.stdout == JAVA_MISSING.format(found=found) + "\n"

    check = _run_without_java(tmp_path, [str(CHECK_JAVA)], java_script)
    assert check.returncode == 1
    assert check.stderr == JAVA_MISSING.format(found=found) + "\n"


def _all_events(path: Path) -> list[tuple[Any, ...]]:
    with cargotrace.open_store(path, read_only=True) as store:
        return store.con.execute(
            'SELECT event_id, kind, mmsi, other_mmsi, start, "end", lat, lon, place_id, '
            "confidence, attrs, params, pipeline_version FROM events ORDER BY event_id"
        ).fetchall()


def _notes(path: Path) -> dict[str, dict[str, Any]]:
    """Each kind's `detected:` notes, without what differs by run (engine, time)."""
    with cargotrace.open_store(path, read_only=True) as store:
        rows = store.con.execute("SELECT key, value FROM meta WHERE key LIKE 'detected:%'"
                                 ).fetchall()
    return {key: {k: v for k, v in json.loads(value).items() if k not in ("engine", "ran_at")}
            for key, value in rows}


def _refuse_the_drivers_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every detector's candidates and events stay on Spark's executors: the driver's
    collections of identity's report changes and of dark voyages' silences, the driver's
    detectors that read other kinds' events in Python, and those reads, all refuse."""
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("collected to the driver")

    for name in ("cargotrace.detect.identity.to_arrow", "cargotrace.detect.dark_voyages.to_arrow",
                 "cargotrace.detect.run_detectors.events_from_rows",
                 "cargotrace.detect.registry.detect_dark_voyages",
                 "cargotrace.detect.registry.detect_draught_changes",
                 "cargotrace.detect.registry.detect_shuttles",
                 "cargotrace.detect.registry.dark_port_calls"):
        monkeypatch.setattr(name, refuse)


def test_issue_4_every_detector_agrees_on_the_whole_mixed_scenario(
    spark: Any, mixed_sim: Path, mixed_meetings: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue #4: `detect` on Spark stores exactly DuckDB's events, every column, on the whole
    scenario (not a slice): the tables reach Spark as Parquet files, not through the driver,
    and every detector makes its events on the executors (issue 23: the driver's paths
    refuse). The runs' notes are the same too."""
    out, shared = mixed_sim, mixed_meetings
    stores = {engine: tmp_path / f"{engine}.duckdb" for engine in Engine}
    for engine, path in stores.items():
        shutil.copyfile(shared, path)
        with cargotrace.open_store(path) as store:
            store.con.execute("DELETE FROM events")
            # static reports too (the shared store has none): name, IMO and draught changes
            ingest_file(store, out / "vessel_reports.parquet")
            positions = store.count("positions")
            if engine is Engine.SPARK:
                _refuse_the_drivers_paths(monkeypatch)
            summary = detect(store, engine=engine)
        assert set(summary.written) == set(SUPPORTED)
    duck, on_spark = _all_events(stores[Engine.DUCKDB]), _all_events(stores[Engine.SPARK])
    assert positions > 250_000
    found = {kind: sum(1 for row in duck if row[1] == kind) for kind in SUPPORTED}
    # every kind the scenario plants is found (identity, gaps, visits, meetings, ...); its
    # feed is satellite-style (shore stations and satellites), so no silence leaves coverage
    assert all(found[kind] > 0 for kind in SUPPORTED if kind != "left_coverage"), found
    assert found["left_coverage"] == 0
    changes = {json.loads(row[10])["identity_kind"] for row in duck if row[1] == "identity"}
    assert {"name_change", "imo_change", "flag_change", "shared_mmsi"} <= changes
    assert on_spark == duck
    assert _notes(stores[Engine.SPARK]) == _notes(stores[Engine.DUCKDB])
