"""Where detector expressions run: the embedded DuckDB store (default) or PySpark.

Detectors are Ibis expressions over the core tables, so the same code runs on both engines
(DESIGN.md, "Engines"). This module is the only place that knows how to reach each engine:

- `tables_on(engine, store, names)` gives the named core tables as Ibis tables on that engine;
- `to_arrow(expr, order_by=...)` runs an expression on whichever backend it is bound to and
  returns Arrow with the same conventions on both engines (UTC timestamps in µs, every field
  nullable, optionally a deterministic row order), so results can be compared cell by cell;
- `spark_backend()` starts (once per process) the SparkSession behind the Spark engine.

Spark gets the store's tables by copying them through Arrow into temporary views. That is meant
for tests and modest data (everything passes through the driver's memory); on a cluster, export
the tables to Parquet where the executors can read them and build the Ibis tables with
`spark_backend().read_parquet(...)` instead. See docs/decisions/0003-engines.md.

pyspark and the JVM are imported and started lazily: the DuckDB path never pays for them.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cargotrace.errors import EngineError
from cargotrace.store.schema import TABLES

if TYPE_CHECKING:
    import ibis
    import pyarrow as pa

    from cargotrace.store.store import Store

log = logging.getLogger(__name__)

JAVA_MIN = 17
"""Spark 4 runs on Java 17 or newer only."""

SPARK_MASTER = "local[2]"
"""Local mode on two cores: the size of the development machines (see STACK-NOTES.md)."""

SPARK_JAVA_OPTIONS = "-Duser.timezone=UTC -XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
"""UTC in the JVM too (Spark's own time zone is set separately); the C1-only JIT and the serial
collector roughly halve start-up and first-query times on small local jobs (measurements in
docs/decisions/0003-engines.md)."""

SPARK_CONFIG: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    # The default of 200 shuffle partitions makes every small window or join schedule 200 tasks.
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}
"""Local-mode settings. Added per process: `spark.driver.extraJavaOptions` (SPARK_JAVA_OPTIONS
plus a log4j configuration) and `spark.sql.warehouse.dir`, both in a fresh temporary folder."""

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

VIEW_PREFIX = "cargotrace_"
"""Temporary views made by `tables_on` start with this, so `drop_spark_views` finds only ours."""


class Engine(StrEnum):
    """The engines a detector can run on: `--engine duckdb|spark`."""

    DUCKDB = "duckdb"
    SPARK = "spark"

    @classmethod
    def _missing_(cls, value: object) -> Engine | None:
        # Accept "DuckDB", "Spark" and Ibis' backend name "pyspark" from users and config files.
        if isinstance(value, str):
            name = value.strip().lower()
            if name == "pyspark":
                return cls.SPARK
            for member in cls:
                if member.value == name:
                    return member
        return None


# --- Java -----------------------------------------------------------------------------------

_JAVA_VERSION = re.compile(r'version "(\d+)(?:\.(\d+))?[^"]*"')


def java_executable() -> str | None:
    """The `java` Spark would launch: `$JAVA_HOME/bin/java` if JAVA_HOME is set, else PATH's."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = os.path.join(java_home, "bin", "java")
        return candidate if os.access(candidate, os.X_OK) else None
    return shutil.which("java")


def parse_java_version(text: str) -> int | None:
    """Major version from `java -version` output: 'version "17.0.15"' → 17, '"1.8.0_292"' → 8."""
    match = _JAVA_VERSION.search(text)
    if match is None:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2) is not None:
        return int(match.group(2))
    return major


def java_problem() -> str | None:
    """None when a Java new enough for Spark is installed, else the one-line explanation.

    Checked before starting Spark because, without it, PySpark only reports that "the Java
    gateway process exited" after printing shell errors; `bench/check_java.py` reuses it so
    `make test` explains the same thing before running any test.
    """
    java = java_executable()
    if java is None:
        where = "JAVA_HOME/bin/java" if os.environ.get("JAVA_HOME") else "java on PATH"
        found = f"no {where}"
    else:
        try:
            done = subprocess.run(
                [java, "-version"], capture_output=True, text=True, timeout=60, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            found = f"`{java} -version` failed: {exc}"
        else:
            version = parse_java_version(done.stderr + done.stdout)
            if version is not None and version >= JAVA_MIN:
                return None
            found = f"found Java {version}" if version is not None else f"{java}: no version"
    return (
        f"The Spark engine needs Java {JAVA_MIN} or newer ({found}): install it with "
        f"`apt-get install openjdk-{JAVA_MIN}-jre-headless` and check with `java -version`."
    )


# --- the process-wide SparkSession ------------------------------------------------------------

_lock = threading.Lock()
_backend: Any = None


def _quiet_loggers() -> None:
    """py4j logs every gateway call at INFO/DEBUG; keep it (and pyspark) to warnings.

    Only loggers nobody configured are touched, so an explicit user setting wins.
    """
    for name in ("py4j", "py4j.clientserver", "py4j.java_gateway", "pyspark"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)


def _connect_session() -> Any:
    """A Spark Connect session on `$SPARK_REMOTE` (a cluster); no local JVM is needed."""
    try:
        from pyspark.sql import SparkSession
        from pyspark.sql.connect.utils import check_dependencies

        check_dependencies("pyspark.sql.connect")
    except ImportError as exc:
        raise EngineError(
            f"SPARK_REMOTE is set but the Spark Connect client is missing ({exc}): "
            "install `pyspark[connect]` at the pinned pyspark version"
        ) from exc
    return SparkSession.builder.remote(os.environ["SPARK_REMOTE"]).getOrCreate()


def _local_session() -> Any:
    """A local-mode session configured for small, reproducible jobs (see SPARK_CONFIG)."""
    problem = java_problem()
    if problem is not None:
        raise EngineError(problem)
    # Spark binds to the host's address by default; the loopback interface always exists.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Python UDFs run in worker processes: make them use this interpreter (the venv's).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # The default ./spark-warehouse would outlive the run and break the next one
    # (LOCATION_ALREADY_EXISTS), so each process gets its own folder, removed at exit.
    scratch = Path(tempfile.mkdtemp(prefix="cargotrace-spark-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    log4j = scratch / "log4j2.properties"
    log4j.write_text(SPARK_LOG4J)
    config = {
        **SPARK_CONFIG,
        "spark.driver.extraJavaOptions": (
            f"{SPARK_JAVA_OPTIONS} {shlex.quote(f'-Dlog4j2.configurationFile={log4j.as_uri()}')}"
        ),
        "spark.sql.warehouse.dir": str(scratch / "warehouse"),
    }

    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(SPARK_MASTER).appName("cargotrace")
    for key, value in config.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_backend() -> Any:
    """The Ibis PySpark backend on this process's SparkSession, created on first use.

    One session per process because starting one costs 5-20 s (a JVM) and Spark allows only one
    active SparkContext per JVM anyway. Local mode (`local[2]`) unless `SPARK_REMOTE` names a
    Spark Connect server. Raises EngineError with the fix when Java 17+ is missing.
    """
    global _backend
    with _lock:
        if _backend is None:
            _quiet_loggers()
            import ibis

            remote = bool(os.environ.get("SPARK_REMOTE"))
            session = _connect_session() if remote else _local_session()
            # ibis sets spark.sql.session.timeZone=UTC again here, which matters for Connect.
            _backend = ibis.pyspark.connect(session)
            log.info("spark session ready (%s)", "connect" if remote else SPARK_MASTER)
        return _backend


def stop_spark() -> None:
    """Stop the process-wide session (end of a test run); the next `spark_backend()` restarts."""
    global _backend
    with _lock:
        if _backend is not None:
            _backend.disconnect()
            _backend = None


def drop_spark_views() -> None:
    """Drop the temporary views `tables_on` made, freeing the copied data in the driver."""
    with _lock:
        backend = _backend
    if backend is None:
        return
    catalog = backend._session.catalog
    for table in catalog.listTables():
        if table.isTemporary and table.name.startswith(VIEW_PREFIX):
            catalog.dropTempView(table.name)


# --- tables and results -------------------------------------------------------------------------


def tables_on(engine: Engine | str, store: Store, names: Iterable[str]) -> dict[str, ibis.Table]:
    """The named core tables as Ibis tables on `engine`, with the store's Ibis schema on both.

    On Spark each table is copied from the store through Arrow into a temporary view with a
    unique name (two stores in one session never see each other's rows), then cast to the
    DuckDB schema: Spark's TIMESTAMP is an instant shown in the session time zone (UTC), so
    labelling it `timestamp('UTC')` is exact, and detectors see the same types on both engines.
    Copying is for tests and modest data; see the module docstring for clusters.
    """
    engine = Engine(engine)
    names = list(names)
    unknown = [name for name in names if name not in TABLES]
    if unknown:
        raise EngineError(f"no core table {', '.join(unknown)} (tables: {', '.join(TABLES)})")
    if engine is Engine.DUCKDB:
        return {name: store.table(name) for name in names}

    from ibis.backends.pyspark.datatypes import PySparkSchema

    backend = spark_backend()
    session = backend._session
    tables: dict[str, Any] = {}
    for name in names:
        schema = store.table(name).schema()
        # con.sql(...).to_arrow_table(): DuckDB 2 warns that execute(...) then Arrow copies twice.
        data = store.con.sql(f'SELECT * FROM "{name}"').to_arrow_table()
        view = f"{VIEW_PREFIX}{name}_{uuid.uuid4().hex[:12]}"
        # Spark cannot build a DataFrame from an Arrow table without chunks (an empty table).
        rows: Any = data if data.num_rows else []
        frame = session.createDataFrame(rows, schema=PySparkSchema.from_ibis(schema))
        frame.createOrReplaceTempView(view)
        tables[name] = backend.table(view).cast(schema)
    return tables


def _normalised_type(dtype: pa.DataType) -> pa.DataType:
    import pyarrow as pa

    if pa.types.is_timestamp(dtype):
        # Spark returns session-zone (UTC) values, sometimes without a zone; all our times are UTC.
        return pa.timestamp("us", tz="UTC")
    return dtype


def _sort_keys(schema: pa.Schema, order_by: Sequence[str]) -> list[tuple[str, str]]:
    """`order_by` first, then every other flat column as a tie-breaker (lists cannot be sorted)."""
    import pyarrow as pa

    missing = [name for name in order_by if name not in schema.names]
    if missing:
        raise EngineError(f"cannot order by {', '.join(missing)}: not in the result")
    rest = [
        field.name
        for field in schema
        if field.name not in order_by and not pa.types.is_nested(field.type)
    ]
    return [(name, "ascending") for name in [*order_by, *rest]]


def to_arrow(expr: ibis.Expr, order_by: Sequence[str] | None = None) -> pa.Table:
    """Run `expr` on the backend it is bound to and return Arrow comparable across engines.

    Normalised so results from DuckDB and Spark can be compared cell by cell: columns get the
    expression's Ibis types, timestamps are µs in UTC (Spark hands back zone-less values),
    every field is nullable (Ibis' nullability is a guess: it marks `lag()` of a NOT NULL
    column NOT NULL), and with `order_by` rows are sorted by those columns, then by every other
    flat column, so engines that return rows in different orders compare equal.

    On Spark the query runs through Spark's own Arrow collection, not Ibis' pandas round trip,
    which is faster and keeps microseconds.
    """
    import ibis
    import pyarrow as pa

    table_expr = expr.as_table()
    backend = ibis.get_backend(table_expr)
    if backend.name == "pyspark":
        # Registers in-memory tables (ibis.memtable) and UDFs the expression uses, as Ibis'
        # own execute() does; private, but stable at the pinned ibis-framework version.
        backend._run_pre_execute_hooks(table_expr)
        result = backend.raw_sql(backend.compile(table_expr)).toArrow()
    else:
        result = table_expr.to_pyarrow()

    target = pa.schema(
        [
            pa.field(field.name, _normalised_type(field.type), nullable=True)
            for field in table_expr.schema().to_pyarrow()
        ]
    )
    result = result.cast(target)
    if order_by is not None:
        result = result.sort_by(_sort_keys(result.schema, order_by))
    return result
