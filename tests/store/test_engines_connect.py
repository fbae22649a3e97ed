"""`--engine spark` through Spark Connect (`SPARK_REMOTE`), against a local Connect server.

The server is the one PySpark's wheel ships (`pyspark/jars/spark-connect_2.13-*.jar`), started
with the wheel's `spark-submit` on a free loopback port, as `start-connect-server.sh` would on a
cluster (docs/reference/spark.md). The client runs in a subprocess: a Connect session sets
process-wide PySpark state (`SPARK_CONNECT_MODE_ENABLED`) that would turn the test run's shared
local session into a Connect one. Data: a small `mixed` scenario from the simulator, with
planted gaps, identity manipulation, meetings and loitering near the curated places.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyspark
import pytest

import cargotrace
from cargotrace.detect.run import detect
from cargotrace.ingest.gazetteers import load_curated_gazetteer
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.sim.params import BehaviourCounts, ScenarioParams
from cargotrace.sim.run import simulate
from cargotrace.store.engines import SPARK_CONFIG, SPARK_JAVA_OPTIONS, STAGING_ENV

pytestmark = pytest.mark.spark

SPARK_SUBMIT = Path(pyspark.__file__).parent / "bin" / "spark-submit"
CONNECT_SERVER = "org.apache.spark.sql.connect.service.SparkConnectServer"
SERVER_START_S = 180  # a cold JVM on a loaded 2-core machine takes 15-60 s
KINDS = ["identity", "gap", "possible_dark_port_call", "encounter"]
"""Stored by DuckDB in the reference store; each Connect run below recomputes some of them."""

CLIENT = """\
import json, os, sys
import cargotrace
from cargotrace.detect.run import detect
from cargotrace.store.engines import spark_backend, staging_root

with cargotrace.open_store(sys.argv[1]) as store:
    summary = detect(store, kinds=sys.argv[2].split(","), engine="spark")
    session = spark_backend()._session
    staged = sorted(p.name for p in staging_root().glob("*/*.parquet"))
print(json.dumps({"session": type(session).__module__, "staged": staged,
                  "written": summary.written}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def connect_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Spark Connect server on a free loopback port for this module, stopped afterwards."""
    folder = tmp_path_factory.mktemp("connect-server")
    port = _free_port()
    settings = {
        **SPARK_CONFIG,
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        "spark.driver.memory": "2g",
        "spark.driver.extraJavaOptions": SPARK_JAVA_OPTIONS,
        "spark.sql.warehouse.dir": str(folder / "warehouse"),
    }
    command = [str(SPARK_SUBMIT), "--class", CONNECT_SERVER, "--master", "local[2]"]
    for key, value in settings.items():
        command += ["--conf", f"{key}={value}"]
    command.append("spark-internal")  # no application jar: the class ships with Spark
    env = {k: v for k, v in os.environ.items() if k not in ("SPARK_REMOTE", "SPARK_HOME")}
    env.update(SPARK_LOCAL_IP="127.0.0.1", PYSPARK_PYTHON=sys.executable)
    log = folder / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    try:
        deadline = time.monotonic() + SERVER_START_S
        while not _listening(port):
            assert server.poll() is None, f"Connect server exited:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"no server after {SERVER_START_S} s"
            time.sleep(0.5)
        yield f"sc://127.0.0.1:{port}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the group we started: spark-submit's java
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)


@pytest.fixture(scope="module")
def small_mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 16-vessel, 5-day `mixed` scenario, ingested, with the curated places and DuckDB's
    events for KINDS already stored (the reference)."""
    out = tmp_path_factory.mktemp("small-mixed")
    behaviours = BehaviourCounts(
        gaps=3, encounters=2, loiterings=2, shared_mmsis=1, name_changes=1, teleports=1,
        dark_port_calls=2,
    )
    simulate(
        ScenarioParams.for_scenario("mixed", vessels=16, days=5, seed=5, behaviours=behaviours),
        out,
    )
    path = out / "s.duckdb"
    with cargotrace.open_store(path) as store:
        ingest_file(store, out / "positions.parquet")
        ingest_file(store, out / "vessel_reports.parquet")
        load_curated_gazetteer(store)
        detect(store, kinds=KINDS)
    return path


def _events(path: Path) -> list[tuple[Any, ...]]:
    with cargotrace.open_store(path, read_only=True) as store:
        return store.con.execute(
            'SELECT event_id, kind, mmsi, other_mmsi, start, "end", lat, lon, place_id, '
            "confidence, attrs, params FROM events ORDER BY event_id"
        ).fetchall()


def _detect_through_connect(url: str, reference: Path, folder: Path, kinds: list[str],
                            staging: Path | None) -> tuple[dict[str, Any], Path]:
    copy = folder / "connect.duckdb"
    shutil.copyfile(reference, copy)
    with cargotrace.open_store(copy) as store:
        store.con.execute("DELETE FROM events")
    env = {k: v for k, v in os.environ.items() if k != STAGING_ENV}
    env["SPARK_REMOTE"] = url
    if staging is not None:
        env[STAGING_ENV] = str(staging)
    done = subprocess.run(
        [sys.executable, "-c", CLIENT, str(copy), ",".join(kinds)],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1]), copy


@pytest.mark.parametrize(
    ("shared_staging", "kinds"),
    [
        # split MMSIs (an in-memory table of runs, uploaded from Arrow), a self-join
        pytest.param(False, ["identity", "encounter"], id="arrow_upload"),
        # gaps (range joins per vessel), then port visits and the watched places
        pytest.param(True, ["gap", "possible_dark_port_call"], id="parquet_staging"),
    ],
)
def test_connect_gives_the_same_events_as_duckdb(
    connect_url: str, small_mixed: Path, tmp_path: Path, shared_staging: bool, kinds: list[str]
) -> None:
    staging = tmp_path / "shared" if shared_staging else None
    result, copy = _detect_through_connect(connect_url, small_mixed, tmp_path, kinds, staging)

    assert result["session"] == "pyspark.sql.connect.session"
    # the server reads staged Parquet only when told where a shared folder is
    expected_staged = ["places.parquet", "positions.parquet", "vessel_reports.parquet"]
    assert result["staged"] == (expected_staged if shared_staging else [])
    reference = [row for row in _events(small_mixed) if row[1] in kinds]
    assert {row[1] for row in reference} == set(kinds)  # the scenario has each kind
    assert _events(copy) == reference
    assert sum(result["written"].values()) == len(reference)
    if staging is not None:
        assert list(staging.iterdir()) == []  # the client removed its staging folder at exit


INGEST_CLIENT = """\
import json, sys
from pathlib import Path
import cargotrace
from cargotrace.ingest.params import SparkIngestParams
from cargotrace.ingest.spark_ingest import spark_ingest_file
from cargotrace.store.engines import spark_backend

with cargotrace.open_store("lake:" + sys.argv[1]) as lake:
    summary = spark_ingest_file(lake, Path(sys.argv[2]), params=SparkIngestParams(0.02))
print(json.dumps({"session": type(spark_backend()._session).__module__,
                  "positions": summary.positions_stored, "reports": summary.reports_stored,
                  "quarantined": summary.quarantined_total}))
"""


def test_connect_ingests_an_nmea_file_into_a_lake_both_sides_see_as_the_laptop_does(
    connect_url: str, shared_data: Path, tmp_path: Path
) -> None:
    """`ingest --engine spark` through a Connect server: the executors read the file and write
    the lake by path (here the same machine: storage both sides see), cut in byte ranges of
    20 KiB; the rows are the DuckDB lake ingest's, counted by SQL over both lakes."""
    feed = shared_data / "ais_nmea/aisdb/test_data_20211101.nm4"
    env = {**os.environ, "SPARK_REMOTE": connect_url}
    done = subprocess.run([sys.executable, "-c", INGEST_CLIENT, str(tmp_path / "sc"), str(feed)],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["session"] == "pyspark.sql.connect.session"
    from cargotrace.ingest.lake_writer import ingest_into_lake

    with cargotrace.open_store(f"lake:{tmp_path / 'laptop'}") as laptop:
        ingest_into_lake(laptop, feed)
    with cargotrace.open_store(f"lake:{tmp_path / 'sc'}", read_only=True) as sc, \
            cargotrace.open_store(f"lake:{tmp_path / 'laptop'}", read_only=True) as laptop:
        for table, counted in (("positions", "positions"), ("vessel_reports", "reports"),
                               ("quarantine", "quarantined")):
            rows = f"SELECT * EXCLUDE (ingest_id) FROM {table} ORDER BY ALL"
            assert sc.con.execute(rows).fetchall() == laptop.con.execute(rows).fetchall()
            assert sc.count(table) == result[counted] > 0, table
