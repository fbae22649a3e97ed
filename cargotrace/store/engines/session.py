"""The process-wide SparkSession behind `--engine spark`: local mode, or Spark Connect.

One session per process because starting one costs 5-20 s (a JVM) and Spark allows only one
active SparkContext per JVM anyway. pyspark and the JVM are imported and started lazily: the
DuckDB path never pays for them. Settings and measurements: docs/decisions/0003-engines.md;
running on a cluster: docs/reference/spark.md.
"""

from __future__ import annotations

import atexit
import fcntl
import logging
import os
import re
import shlex
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cargotrace.errors import EngineError
from cargotrace.store.engines.java import java_executable, java_problem

log = logging.getLogger(__name__)

REMOTE_ENV = "SPARK_REMOTE"
"""Set to a Spark Connect URL (`sc://host:15002`) to run on that server instead of locally."""

DRIVER_MEMORY_ENV = "CARGOTRACE_SPARK_DRIVER_MEMORY"
DEFAULT_DRIVER_MEMORY = "4g"
"""Heap of the local-mode JVM, which runs the driver *and* the executors. Spark's own default
(1g) is tight for a few million positions with several windows and joins in flight; 4g leaves
most of a 24 GB, 2-core machine to DuckDB and the OS (the JVM takes heap as it needs it)."""

CONNECT_DEFAULT_PORT = 15002
CONNECT_TIMEOUT_S = 10.0

_MEMORY = re.compile(r"^[1-9]\d*(?:b|kb?|mb?|gb?|tb?)?$", re.IGNORECASE)


SPARK_JAVA_OPTIONS = ("-Duser.timezone=UTC -XX:TieredStopAtLevel=1 -XX:+UseSerialGC "
                      "-XX:ReservedCodeCacheSize=256m")
"""UTC in the JVM too (Spark's own time zone is set separately); the C1-only JIT and the serial
collector roughly halve start-up and first-query times on small local jobs (measurements in
docs/decisions/0003-engines.md). With C1 only, the JVM reserves just 48 MB for compiled code: a
long session (the test suite's one shared session, a day of queries) filled it, the JIT stopped
and Spark failed with "Out of space in CodeCache for adapters"; 256 MB is the size the JVM
reserves with its full tiered JIT (only what is used is committed)."""

LOCAL_CORES = 2
"""Local mode on two cores: the size of the development machines (see STACK-NOTES.md)."""
SPARK_MASTER = f"local[{LOCAL_CORES}]"

POSITIONS_PER_SHUFFLE_PARTITION = 1_000_000
"""Local mode's shuffle partitions grow with the run's positions (`shuffle_partitions`): about
a million rows (some 100 MB in Spark's memory with the track's columns) per task keeps a task's
sort within the executor's share of the heap, while a small run keeps one task per core."""

SPARK_CONFIG: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    # The default of 200 shuffle partitions makes every small window or join schedule 200 tasks;
    # `tables_on` raises it with the run's size (`shuffle_partitions`).
    "spark.sql.shuffle.partitions": str(LOCAL_CORES),
    "spark.default.parallelism": str(LOCAL_CORES),
    # Adaptive execution (Spark's default, stated so it stays on): small shuffles coalesced,
    # skewed joins split, and joins to small tables (places) turned into broadcasts at run time.
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # detectors' threads share the cores (detect/fan_out.py); workers fork with code imported
    "spark.scheduler.mode": "FAIR",
    "spark.python.daemon.module": "cargotrace.store.engines.python_daemon",
}
"""Local-mode settings. Added per process: `spark.driver.memory` (see `driver_memory`),
`spark.driver.extraJavaOptions` (SPARK_JAVA_OPTIONS, the class-data-sharing archive's options
from `class_cache`, and a log4j configuration) and `spark.sql.warehouse.dir`, both in a fresh
temporary folder (`scratch_folder`).

Evaluated on the 8,417-position store and not kept (issue 23, 2026-12-07, load 11-15, JVM
CPU-seconds of a whole `detect`, which vary by ±2 s between identical runs at that load; events
identical): `spark.sql.constraintPropagation.enabled=false` with adaptive execution off (28.9 s
against 28.0 and 30.5 s for these settings), whole-stage code generation off with
interpreted expressions (`spark.sql.codegen.wholeStage=false`,
`spark.sql.codegen.factoryMode=NO_CODEGEN`: 25.6 and 29.6 s, and Spark logged
`checkpointRDDBlockIdNotFoundError` traces with it). Planning is not where the small run's
time goes: parse and analysis are 3.5-12 s, optimisation 3 s and physical planning 1 s of
the run's wall time at load 5-15, against 50-85 s for executing some 30 small jobs
(docs/reference/spark.md, "Where the rest goes")."""

SPARK_LOG4J = """\
# cargotrace: Spark's JVM logs errors only (its default logs INFO and WARN lines to stderr)
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = stderr
appender.console.type = Console
appender.console.name = stderr
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
"""

_lock = threading.Lock()
_backend: Any = None


def driver_memory() -> str:
    """`$CARGOTRACE_SPARK_DRIVER_MEMORY` (a JVM size such as 4g or 6144m), else 4g.

    Read when the local JVM starts: `spark.driver.memory` cannot change afterwards, and it is
    ignored with Spark Connect, where the server's own configuration decides.
    """
    value = os.environ.get(DRIVER_MEMORY_ENV, "").strip() or DEFAULT_DRIVER_MEMORY
    if not _MEMORY.match(value):
        raise EngineError(
            f"{DRIVER_MEMORY_ENV}={value!r}: expected a JVM memory size such as 4g or 6144m"
        )
    return value


def shuffle_partitions(positions: int, cores: int = LOCAL_CORES) -> int:
    """Shuffle partitions for a run over `positions` rows: one per core at least, else one per
    `POSITIONS_PER_SHUFFLE_PARTITION` (adaptive execution merges the ones that come out small)."""
    return max(cores, -(-positions // POSITIONS_PER_SHUFFLE_PARTITION))


def is_remote() -> bool:
    """True when the Spark engine is (or will be) a Spark Connect session (`SPARK_REMOTE`)."""
    return bool(os.environ.get(REMOTE_ENV))


def _quiet_loggers() -> None:
    """py4j logs every gateway call at INFO/DEBUG; keep it (and pyspark) to warnings.

    Only loggers nobody configured are touched, so an explicit user setting wins.
    """
    for name in ("py4j", "py4j.clientserver", "py4j.java_gateway", "pyspark"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)


def connect_problem(url: str, timeout_s: float = CONNECT_TIMEOUT_S) -> str | None:
    """None when the Spark Connect URL's host accepts a TCP connection, else why not.

    Checked first because PySpark's Connect client retries an unreachable server silently for
    several minutes before failing.
    """
    parsed = urlsplit(url)
    if parsed.scheme != "sc" or not parsed.hostname:
        return "expected a Spark Connect URL such as sc://host:15002"
    try:
        port = parsed.port or CONNECT_DEFAULT_PORT
        with socket.create_connection((parsed.hostname, port), timeout=timeout_s):
            return None
    except ValueError as exc:  # a port that is not a number
        return f"bad port ({exc})"
    except OSError as exc:
        return f"cannot reach {parsed.hostname}:{port} ({exc.strerror or exc})"


def _connect_session() -> Any:
    """A Spark Connect session on `$SPARK_REMOTE` (a cluster); no local JVM is needed."""
    try:
        from pyspark.sql import SparkSession
        from pyspark.sql.connect.utils import check_dependencies

        check_dependencies("pyspark.sql.connect")
    except ImportError as exc:
        raise EngineError(
            f"SPARK_REMOTE is set but the Spark Connect client is missing ({exc}): "
            "install cargotrace's `spark` extra (grpcio, grpcio-status, "
            "googleapis-common-protos, protobuf at the pinned versions)"
        ) from exc
    url = os.environ[REMOTE_ENV]
    problem = connect_problem(url)
    if problem is not None:
        raise EngineError(f"SPARK_REMOTE={url}: {problem}")
    try:
        return SparkSession.builder.remote(url).getOrCreate()
    except Exception as exc:  # pyspark raises several unrelated types for a bad URL
        raise EngineError(
            f"SPARK_REMOTE={url}: cannot open a Spark Connect session ({exc})"
        ) from exc


SCRATCH_PREFIX = "cargotrace-spark-"
"""Per-process scratch folders (`scratch_folder`) in the temporary folder start with this."""


def scratch_folder(parent: Path | None = None) -> Path:
    """A fresh folder for this process's Spark scratch (log configuration, warehouse),
    removed at exit; folders left by processes that died without their exit handlers (killed,
    e.g. by the kill tests or a timeout) are removed first.

    The default ./spark-warehouse would outlive the run and break the next one
    (LOCATION_ALREADY_EXISTS), hence a folder per process. The process holds a lock on the
    folder's `OWNER_FILE` for its lifetime: the kernel drops it when the process dies, however
    it dies, so a later process tells an orphan from a live session's folder even when the two
    do not see each other's process ids (containers sharing /tmp)."""
    parent = Path(parent or tempfile.gettempdir())
    for folder in parent.glob(f"{SCRATCH_PREFIX}*"):
        if _orphaned(folder):
            shutil.rmtree(folder, ignore_errors=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=parent))
    owner = os.open(scratch / OWNER_FILE, os.O_WRONLY | os.O_CREAT, 0o600)  # held: the lock
    fcntl.flock(owner, fcntl.LOCK_EX | fcntl.LOCK_NB)                      # lives with it
    _HELD.append(owner)
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    return scratch


OWNER_FILE = ".owner"
"""The file in a scratch folder its process keeps locked while it lives."""

_HELD: list[int] = []
"""This process's locked owner files (descriptors closed, and so unlocked, when it exits)."""


def _orphaned(folder: Path) -> bool:
    """True when `folder` is a scratch folder whose process has gone: its owner file can be
    locked. A folder without one (made by an older version) counts as orphaned once a day old."""
    try:
        with open(folder / OWNER_FILE) as owner:
            try:
                fcntl.flock(owner, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return False  # locked: its process lives
            return True
    except FileNotFoundError:
        pass
    except OSError:  # someone else's folder we may not open: leave it
        return False
    try:
        return time.time() - folder.stat().st_mtime > ORPHAN_AGE_S
    except OSError:
        return False


ORPHAN_AGE_S = 86_400.0
"""Scratch folders without an owner file (older versions) are removed after a day."""


def _local_session() -> Any:
    """A local-mode session configured for small, reproducible jobs (see SPARK_CONFIG)."""
    problem = java_problem()
    if problem is not None:
        raise EngineError(problem)
    memory = driver_memory()
    # Spark binds to the host's address by default; the loopback interface always exists.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Python UDFs run in worker processes: make them use this interpreter (the venv's).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    scratch = scratch_folder()
    log4j = scratch / "log4j2.properties"
    log4j.write_text(SPARK_LOG4J)

    import pyspark
    from pyspark.sql import SparkSession

    from cargotrace.cache import cache_dir
    from cargotrace.store.engines import class_cache, python_daemon

    java = java_executable() or "java"  # java_problem() found one
    try:
        build = class_cache.spark_build(pyspark.__version__, Path(pyspark.__file__).parent)
        sharing = class_cache.java_options(cache_dir(), java, build, SPARK_JAVA_OPTIONS)
    except OSError as exc:  # no writable cache folder: start without the archive
        log.info("no class-data-sharing archive for Spark (%s)", exc)
        sharing = ""

    def config(sharing: str) -> dict[str, str]:
        return {
            **SPARK_CONFIG,
            # pyspark passes the builder's settings to spark-submit, which sizes the JVM with it
            "spark.driver.memory": memory,
            "spark.driver.extraJavaOptions": " ".join(filter(None, [
                SPARK_JAVA_OPTIONS, sharing,
                shlex.quote(f"-Dlog4j2.configurationFile={log4j.as_uri()}")])),
            "spark.sql.warehouse.dir": str(scratch / "warehouse"),
            # what the callers' executor code needs, imported by the daemon before it forks
            **python_daemon.worker_config(),
        }

    try:
        session = _start(SparkSession, config(sharing))
    except Exception as exc:
        # a damaged archive (cut short by a full disk or a copy) stops the JVM at start:
        # remove it, so this and every later session start without it (one is made again)
        archive = class_cache.archive_in(sharing)
        if archive is None:
            raise
        log.warning("Spark did not start with the class archive %s (%s): removed, starting "
                    "without it", archive, str(exc).splitlines()[0] if str(exc) else exc)
        archive.unlink(missing_ok=True)
        session = _start(SparkSession, config(""))
    session.sparkContext.setLogLevel("ERROR")
    python_daemon.warm_up(session)  # the Python workers started while the driver plans
    return session


def _start(session_class: Any, config: dict[str, str]) -> Any:
    """A local session with `config` (a JVM started by spark-submit, its output in the
    scratch folder: `jvm_output.py`)."""
    from cargotrace.store.engines.jvm_output import start_local

    return start_local(session_class, SPARK_MASTER, config)


def is_connect_session(session: Any) -> bool:
    """True for a Spark Connect session (a gRPC client), False for a classic one (py4j)."""
    return type(session).__module__.startswith("pyspark.sql.connect")


def _backend_class() -> type[Any]:
    """Ibis' PySpark backend with three fixes, for in-memory tables and `Table.cache()`.

    - Ibis 12 turns every `ibis.memtable` into a pandas frame before `createDataFrame`: with
      Spark Connect that warns ("'verifySchema' is ignored") and round-trips timestamps through
      pandas, while PySpark 4 builds DataFrames from Arrow directly on both kinds of session.
    - `Table.cache()` runs the SQL without registering the memtables the expression uses (its
      execute() does), so caching anything built on one fails with TABLE_OR_VIEW_NOT_FOUND.
    - A cached table is kept with `localCheckpoint()`, computed at once, on classic and Connect
      sessions alike (`shared_ctes.keep` says why), its shared CTEs computed once first
      (`shared_ctes.spark_query`). On Spark Connect a persisted SQL frame is not even found
      again by the server's cache lookup (encounters plus loitering took 52 s instead of 15 s
      on the Connect test data).
    """
    import ibis
    from ibis.backends.pyspark import Backend
    from ibis.backends.pyspark.datatypes import PySparkSchema

    # Loading the backend through `ibis.pyspark` registers its options (`ibis.options.pyspark`),
    # which its SQL compiler reads; importing the class alone does not.
    if ibis.pyspark.name != "pyspark":
        raise EngineError(f"ibis' pyspark backend is not installed ({ibis.pyspark.name})")

    class CargotraceSparkBackend(Backend):  # type: ignore[misc]
        def _create_cached_table(self, name: str, expr: Any) -> Any:
            from cargotrace.store.engines.shared_ctes import keep, spark_query

            query = spark_query(self, expr)  # its shared CTEs computed once (shared_ctes.py)
            frame = keep(query.frame)  # computed now, so the shared CTEs it read are released
            query.release(self._session)
            frame.createOrReplaceTempView(name)
            self._cached_dataframes[name] = frame
            return self.table(name)

        def _drop_cached_table(self, name: str) -> None:
            self._session.catalog.dropTempView(name)
            from cargotrace.store.engines.shared_ctes import free

            free(self._cached_dataframes.pop(name))

        def _register_in_memory_table(self, op: Any) -> None:
            data = op.data.to_pyarrow(op.schema)
            # Spark cannot build a DataFrame from an Arrow table without chunks (no rows).
            rows: Any = data if data.num_rows else []
            frame = self._session.createDataFrame(rows, schema=PySparkSchema.from_ibis(op.schema))
            frame.createOrReplaceTempView(op.name)

    return CargotraceSparkBackend


def spark_backend() -> Any:
    """The Ibis PySpark backend on this process's SparkSession, created on first use.

    Local mode (`local[2]`) unless `SPARK_REMOTE` names a Spark Connect server. Raises
    EngineError with the fix when Java 17+ (local mode) or the Connect client is missing.
    """
    global _backend
    with _lock:
        if _backend is None:
            _quiet_loggers()
            remote = is_remote()
            session = _connect_session() if remote else _local_session()
            # Ibis sets spark.sql.session.timeZone=UTC again here, which matters for Connect.
            _backend = _backend_class()().connect(session)
            log.info("spark session ready (%s)", "connect" if remote else SPARK_MASTER)
        return _backend


def current_backend() -> Any:
    """The running backend, or None when no Spark session was started in this process."""
    with _lock:
        return _backend


def stop_spark() -> None:
    """Stop the process-wide session (end of a test run); the next `spark_backend()` restarts."""
    global _backend
    with _lock:
        if _backend is not None:
            _backend.disconnect()
            _backend = None
