"""Where the output of Spark's JVM goes: a log file in the session's scratch folder.

Why: `--engine spark` printed the JVM's own lines on the user's terminal ("WARNING: Using
incubator modules: jdk.incubator.vector", "Setting default log level to WARN", "To adjust
logging level use sc.setLogLevel(newLevel)..."), between cargotrace's progress and its
results: noise a user cannot act on, and a script reading stderr has to filter. pyspark starts
the JVM (spark-submit) with the Python process's stdout and stderr; it also takes the Popen
arguments to start it with (`launch_gateway(conf, popen_kwargs)`, documented for capturing
its output), so the JVM is started here with both sent to `JVM_LOG` in the scratch folder
(`session.scratch_folder`). Everything the JVM and its Python workers print later goes there
too; errors reach the user as Python exceptions, and a JVM that does not start is reported in
one line naming a copy of the log kept in cargotrace's cache folder (the scratch folder goes
with the process).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from cargotrace.errors import EngineError

JVM_LOG = "spark-jvm.log"
"""The file in the scratch folder that holds what Spark's JVM prints."""
KEPT_LOGS = "spark-logs"
"""The folder of cargotrace's cache (`cache.cache_dir`) where the log of a JVM that did not
start is kept."""

__all__ = ["JVM_LOG", "KEPT_LOGS", "jvm_log_of", "start_local"]


def jvm_log_of(config: dict[str, str]) -> Path:
    """The JVM's log for a session of `config`: beside its warehouse, in the scratch folder."""
    return Path(config["spark.sql.warehouse.dir"]).parent / JVM_LOG


def start_local(session_class: Any, master: str, config: dict[str, str]) -> Any:
    """A local session with `config`, its JVM's output in `jvm_log_of(config)`. When this
    process's JVM is already up (a session stopped and started again), it is reused: it has
    nothing new to print."""
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    builder = session_class.builder.master(master).appName("cargotrace")
    for key, value in config.items():
        builder = builder.config(key, value)
    if SparkContext._gateway is not None:  # pyspark keeps its JVM for the next context
        return builder.getOrCreate()
    log = jvm_log_of(config)
    conf = SparkConf().setMaster(master).setAppName("cargotrace").setAll(list(config.items()))
    with log.open("ab") as sink:
        try:
            gateway = launch_gateway(  # type: ignore[no-untyped-call]
                conf, popen_kwargs={"stdout": sink, "stderr": sink})
            SparkContext(conf=conf, gateway=gateway)
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise EngineError(f"Spark's JVM did not start ({first}); what it printed is in "
                              f"{keep(log)}") from exc
    return builder.getOrCreate()


def keep(log: Path) -> Path:
    """A copy of `log` in the cache folder (the scratch folder is removed when the process
    ends), or `log` itself when no copy can be written."""
    from cargotrace.cache import cache_dir

    try:
        folder = cache_dir() / KEPT_LOGS
        folder.mkdir(parents=True, exist_ok=True)
        kept = folder / f"jvm-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}.log"
        shutil.copyfile(log, kept)
        return kept
    except OSError:
        return log
