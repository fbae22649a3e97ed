"""Spark's JVM prints into a log file in the session's scratch folder, not on the user's
terminal (store/engines/jvm_output.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import cargotrace
from cargotrace.store.engines import jvm_output

CHILD = """
import json, sys
from pathlib import Path
from cargotrace.store.engines.jvm_output import JVM_LOG
from cargotrace.store.engines.session import spark_backend
backend = spark_backend()
rows = backend._session.range(3).count()
folder = Path(backend._session.conf.get("spark.sql.warehouse.dir").removeprefix("file:")).parent
log = (folder / JVM_LOG).read_text(errors="replace")
sys.stdout.write(json.dumps({"rows": rows, "log": log}))
"""


@pytest.mark.spark
def test_a_spark_session_leaves_stderr_clean_and_its_jvm_output_in_the_log(
        tmp_path: Path) -> None:
    """Found by a new-user test: every `--engine spark` command printed "WARNING: Using
    incubator modules", "Setting default log level to WARN" and "To adjust logging level use
    sc.setLogLevel" on stderr. A fresh process starting a session (and running one job)
    prints nothing there; the JVM's lines are in the scratch folder's log."""
    env = {**os.environ, "PYTHONPATH": str(Path(cargotrace.__file__).parents[1]),
           "CARGOTRACE_CACHE": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr == ""
    found = json.loads(done.stdout)
    assert found["rows"] == 3
    assert "incubator modules" in found["log"] or "log level" in found["log"], found["log"]


FAILING = """
import sys
from pyspark.sql import SparkSession
from cargotrace.errors import EngineError
from cargotrace.store.engines.jvm_output import start_local
try:
    start_local(SparkSession, "local[1]", {"spark.sql.warehouse.dir": sys.argv[1]})
except EngineError as exc:
    sys.stdout.write(str(exc))
"""


def test_a_jvm_that_does_not_start_is_one_error_naming_a_kept_log(tmp_path: Path) -> None:
    """spark-submit is given an option it refuses, so the JVM exits before it serves: the
    error is one line naming a copy of what it printed, kept in the cache folder (the scratch
    folder goes with the process), and nothing reaches stderr. (In a fresh process: one
    whose JVM is up reuses it.)"""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {**os.environ, "PYTHONPATH": str(Path(cargotrace.__file__).parents[1]),
           "CARGOTRACE_CACHE": str(tmp_path / "cache"),
           "PYSPARK_SUBMIT_ARGS": "--no-such-option pyspark-shell"}
    done = subprocess.run([sys.executable, "-c", FAILING, str(scratch / "warehouse")],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and done.stderr == "", done.stderr[-3000:]
    message = done.stdout
    assert "\n" not in message and message.startswith("Spark's JVM did not start"), message
    kept = Path(message.rsplit(" is in ", 1)[1])
    assert kept.parent == tmp_path / "cache" / jvm_output.KEPT_LOGS
    log = (scratch / jvm_output.JVM_LOG).read_text()
    assert kept.read_text() == log and "no-such-option" in log
