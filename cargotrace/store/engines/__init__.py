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

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
        shuffle_partitions,
        spark_backend,
        stop_spark,
    )

# Loaded on first use (PEP 562): `Engine` names an option of `cargotrace detect`, and the
# handoff and Spark session modules import DuckDB, Arrow and Ibis (architecture.md, "Start-up").
_SOURCES = {
    "EngineError": "cargotrace.errors",
    "Engine": "cargotrace.store.engines.engine",
    "STAGING_ENV": "cargotrace.store.engines.handoff",
    "VIEW_PREFIX": "cargotrace.store.engines.handoff",
    "Handoff": "cargotrace.store.engines.handoff",
    "choose_handoff": "cargotrace.store.engines.handoff",
    "drop_spark_views": "cargotrace.store.engines.handoff",
    "export_parquet": "cargotrace.store.engines.handoff",
    "staging_root": "cargotrace.store.engines.handoff",
    "tables_on": "cargotrace.store.engines.handoff",
    "JAVA_MIN": "cargotrace.store.engines.java",
    "java_executable": "cargotrace.store.engines.java",
    "java_problem": "cargotrace.store.engines.java",
    "parse_java_version": "cargotrace.store.engines.java",
    "to_arrow": "cargotrace.store.engines.results",
    "DEFAULT_DRIVER_MEMORY": "cargotrace.store.engines.session",
    "DRIVER_MEMORY_ENV": "cargotrace.store.engines.session",
    "REMOTE_ENV": "cargotrace.store.engines.session",
    "SPARK_CONFIG": "cargotrace.store.engines.session",
    "SPARK_JAVA_OPTIONS": "cargotrace.store.engines.session",
    "SPARK_MASTER": "cargotrace.store.engines.session",
    "connect_problem": "cargotrace.store.engines.session",
    "shuffle_partitions": "cargotrace.store.engines.session",
    "current_backend": "cargotrace.store.engines.session",
    "driver_memory": "cargotrace.store.engines.session",
    "is_connect_session": "cargotrace.store.engines.session",
    "is_remote": "cargotrace.store.engines.session",
    "spark_backend": "cargotrace.store.engines.session",
    "stop_spark": "cargotrace.store.engines.session",
}

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
    "shuffle_partitions",
    "spark_backend",
    "staging_root",
    "stop_spark",
    "tables_on",
    "to_arrow",
]


def __getattr__(name: str) -> object:
    if name in _SOURCES:
        value = getattr(importlib.import_module(_SOURCES[name]), name)
        globals()[name] = value  # found directly next time
        return value
    raise AttributeError(f"module 'cargotrace.store.engines' has no attribute {name!r}")
