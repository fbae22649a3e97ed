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
# only by exact message (pytest runs with filterwarnings=error everywhere else):
KNOWN_WARNINGS = (
    # ibis-framework 12.0.0 reads table schemas with DuckDB's fetch_arrow_table(), which DuckDB
    # 2.0 deprecates; every Store.table() call raises it. Remove once ibis uses to_arrow_table().
    r"ignore:fetch_arrow_table\(\) is deprecated, use to_arrow_table\(\) instead"
    r":DeprecationWarning",
    # PySpark 4.0 collects results over a loopback socket it leaves to the garbage collector
    # ("The socket will be automatically closed when garbage-collected", pyspark/util.py);
    # CPython reports it as soon as the collection ends, inside the query call.
    r"ignore:unclosed <socket\.socket [^>]*laddr=\('127\.0\.0\.1':ResourceWarning",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "spark: runs on the PySpark engine (starts a local JVM)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A conftest's pytestmark does not apply to its folder, so mark this folder's tests here.
    for item in items:
        if item.path.is_relative_to(HERE):
            for spec in KNOWN_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(spec))


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """The Ibis PySpark backend, one SparkSession for the whole run, stopped at the end."""
    backend = spark_backend()
    yield backend
    stop_spark()


@pytest.fixture(
    params=[
        pytest.param(Engine.DUCKDB, id="duckdb"),
        pytest.param(Engine.SPARK, id="spark", marks=pytest.mark.spark),
    ]
)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """Each test once per engine; Spark's copied views are dropped after each Spark test."""
    if request.param is Engine.SPARK:
        request.getfixturevalue("spark")
        yield Engine.SPARK
        drop_spark_views()
    else:
        yield Engine.DUCKDB
