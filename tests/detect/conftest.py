"""Engine parity fixtures: every detector test can run on DuckDB and on Spark.

Use as `def test_x(engine, tmp_store): tables = tables_on(engine, tmp_store, ["positions"])`.
Spark starts once per test run (5-20 s), and only when a Spark-parametrised test is collected
and selected: `pytest -m "not spark"` is the quick loop that never starts a JVM.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cargotrace.store.engines import Engine, drop_spark_views, spark_backend, stop_spark

HERE = Path(__file__).resolve().parent

# Warnings raised by the pinned third-party stack, not by us, silenced for tests/detect only and
# only by exact message (pytest runs with filterwarnings=error; ibis 12's DuckDB deprecation is
# ignored in pyproject.toml already):
KNOWN_WARNINGS = (
    # PySpark 4.0 collects results over a loopback socket it leaves to the garbage collector
    # ("The socket will be automatically closed when garbage-collected", pyspark/util.py);
    # CPython reports it as soon as the collection ends, inside the query call.
    r"ignore:unclosed <socket\.socket [^>]*laddr=\('127\.0\.0\.1':ResourceWarning",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "spark: runs on the PySpark engine (starts a local JVM)")


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A conftest's pytestmark does not apply to its folder, so mark this folder's tests here.
    # The `spark` marker is added here too, not in the fixture's params: this conftest is
    # imported before its pytest_configure registers the marker, and --strict-markers rejects
    # an unregistered one. Any test using the Spark session gets it, directly or via `engine`.
    for item in items:
        if not item.path.is_relative_to(HERE):
            continue
        for spec in KNOWN_WARNINGS:
            item.add_marker(pytest.mark.filterwarnings(spec))
        callspec = getattr(item, "callspec", None)
        uses_spark = "spark" in getattr(item, "fixturenames", ()) or (
            callspec is not None and callspec.params.get("engine") is Engine.SPARK
        )
        if uses_spark:
            item.add_marker("spark")


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """The Ibis PySpark backend, one SparkSession for the whole run, stopped at the end."""
    backend = spark_backend()
    yield backend
    stop_spark()


@pytest.fixture(params=[Engine.DUCKDB, Engine.SPARK], ids=str)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """Each test once per engine; Spark's views and their staged Parquet files are dropped
    after each Spark test."""
    if request.param is Engine.SPARK:
        request.getfixturevalue("spark")
        yield Engine.SPARK
        drop_spark_views()
    else:
        yield Engine.DUCKDB
