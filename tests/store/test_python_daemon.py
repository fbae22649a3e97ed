"""Spark's Python daemon imports what its callers name (issue 23's fixed cost), and the store
layer names none of detect's modules itself (the layer rule: tests/test_layers.py)."""

from __future__ import annotations

import sys
from typing import Any

import pytest

import cargotrace.store.engines.session as session_module
from cargotrace.detect.run_detectors import EXECUTOR_MODULES
from cargotrace.store.engines import python_daemon
from cargotrace.store.engines.python_daemon import (
    ALWAYS_PRELOADED,
    PRELOAD_ENV,
    preload,
    preload_on_workers,
    preloaded,
    worker_config,
)


def test_the_daemon_imports_the_modules_its_environment_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the daemon runs before it forks: the listed modules imported, one that cannot be
    imported (a worker without cargotrace's extras) passed over, pyarrow alone by default."""
    monkeypatch.setenv(PRELOAD_ENV, "pyarrow, cargotrace.detect.no_such_module,"
                                    "cargotrace.detect.registry")
    assert preload() == ["pyarrow", "cargotrace.detect.registry"]
    assert "cargotrace.detect.registry" in sys.modules
    monkeypatch.delenv(PRELOAD_ENV)
    assert preload() == list(ALWAYS_PRELOADED)


def test_callers_name_the_modules_in_the_sessions_worker_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before a session starts (none here), what callers ask goes into the settings the
    session starts with, in the order asked, each once, pyarrow first."""
    monkeypatch.setattr(python_daemon, "_wanted", dict.fromkeys(ALWAYS_PRELOADED))
    monkeypatch.setattr(session_module, "current_backend", lambda: None)
    preload_on_workers(EXECUTOR_MODULES)
    preload_on_workers(["cargotrace.detect.registry", "cargotrace.ingest.nmea_columnar"])
    listed = worker_config()[f"spark.executorEnv.{PRELOAD_ENV}"].split(",")
    assert listed == [*ALWAYS_PRELOADED, *EXECUTOR_MODULES, "cargotrace.ingest.nmea_columnar"]


SPARK_SOCKET = r"ignore:unclosed <socket\.socket [^>]*laddr=\('127\.0\.0\.1':ResourceWarning"
"""PySpark 4.0 leaves the socket that collects a job's results to the garbage collector."""


@pytest.mark.spark
@pytest.mark.filterwarnings(SPARK_SOCKET)
def test_spark_workers_are_forked_with_the_detectors_modules_imported(spark: Any) -> None:
    """A worker's environment names what detect asked for, and a worker has it imported
    before its task imports anything but `python_daemon` (the task is `preloaded`)."""
    preload_on_workers(EXECUTOR_MODULES)  # what a detect run asks, before or after the start
    context = spark._session.sparkContext
    [(environment, imported)] = context.parallelize([EXECUTOR_MODULES], 1).map(
        preloaded).collect()
    assert environment.split(",")[:1] == list(ALWAYS_PRELOADED)
    assert set(EXECUTOR_MODULES) <= set(environment.split(","))
    assert imported == list(EXECUTOR_MODULES)

