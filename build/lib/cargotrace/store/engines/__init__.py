"""Where detector expressions run: the embedded DuckDB store (default) or PySpark.

Detectors are Ibis expressions over the core tables, so the same code runs on both engines
(DESIGN.md, "Engines"). This package is the only place that knows how to reach each engine:

- `tables_on(engine, store, names)` gives the named core tables as Ibis tables on that engine
  (`handoff`: on Spark via Parquet files DuckDB writes, or Arrow uploads to Spark Connect);
- `to_arrow(expr, order_by=...)` runs an expression on whichever backend it is bound to and
  returns Arrow with the same conventions on both engines (`results`);
- `spark_backend()` starts (once per process) the SparkSession behind the Spark engine, local
  or Spark Connect when `SPARK_REMOTE` is set (`session`); `java_problem()` explains a missing
  Java in one line (`java`).

Decisions and measurements: docs/decisions/0003-engines.md; clusters: docs/reference/spark.md.
"""

from __future__ import annotations

from cargotrace.errors import EngineError
from cargotrace.store.engines.engine import Engine
from cargotrace.store.engines.handoff import (
    STAGING_ENV,
    VIEW_PREFIX,
    Handoff,
    choose_handoff,
    drop_spark_views,
    export_parquet,
    staging_root,
    tables_on,
)
from cargotrace.store.engines.java import (
    JAVA_MIN,
    java_executable,
    java_problem,
    parse_java_version,
)
from cargotrace.store.engines.results import to_arrow
from cargotrace.store.engines.session import (
    DEFAULT_DRIVER_MEMORY,
    DRIVER_MEMORY_ENV,
    REMOTE_ENV,
    SPARK_CONFIG,
    SPARK_JAVA_OPTIONS,
    SPARK_MASTER,
    connect_problem,
    current_backend,
    driver_memory,
    is_connect_session,
    is_remote,
    spark_backend,
    stop_spark,
)

__all__ = [
    "DEFAULT_DRIVER_MEMORY",
    "DRIVER_MEMORY_ENV",
    "JAVA_MIN",
    "REMOTE_ENV",
    "SPARK_CONFIG",
    "SPARK_JAVA_OPTIONS",
    "SPARK_MASTER",
    "STAGING_ENV",
    "VIEW_PREFIX",
    "Engine",
    "EngineError",
    "Handoff",
    "current_backend",
    "driver_memory",
    "drop_spark_views",
    "export_parquet",
    "choose_handoff",
    "connect_problem",
    "is_connect_session",
    "is_remote",
    "java_executable",
    "java_problem",
    "parse_java_version",
    "spark_backend",
    "staging_root",
    "stop_spark",
    "tables_on",
    "to_arrow",
]
