"""How the store's tables reach Spark: Parquet files the executors read, or Arrow uploads.

Spark cannot open a DuckDB file, so `tables_on` hands each needed table over in one of two ways:

- **Parquet** (local mode always; Spark Connect when `CARGOTRACE_SPARK_STAGING` is set): DuckDB
  writes `COPY (SELECT * FROM t) TO '<staging>/<view>/t.parquet'` and Spark reads the file
  itself, so no row passes through the Python or JVM driver (the old Arrow copy held every row
  in the driver's heap). Types round-trip: TIMESTAMPTZ is written as UTC instants
  (`isAdjustedToUTC`), which Spark reads as TIMESTAMP; VARCHAR[] as a list of strings; JSON as
  strings. The staging folder must be readable by Spark's executors under the same path (on a
  cluster: a shared mount); it is read through a `file://` URI so a cluster whose default file
  system is HDFS or S3 does not look for it there.
- **Arrow upload** (Spark Connect without a staging folder): the table is read into Arrow here
  and sent with `createDataFrame`; PySpark's Connect client uploads anything over
  `spark.sql.session.localRelationCacheThreshold` (64 MB) as a chunked artifact. It needs no
  shared file system, but the whole table passes through this process and the server's driver,
  so it suits modest stores; see docs/reference/spark.md.

A lake (`store/lake/`, docs/reference/lake.md) needs neither for its day-partitioned and
appended tables: Spark reads the very files the lake's current snapshot lists (`lake` below),
so nothing is exported or uploaded. Tables a run may have changed in memory (places, which
detection fills with the world gazetteer on first use) still go by one of the two ways above.

Either way the result is a temporary view with a unique name (two stores in one session never
see each other's rows), cast to the store's Ibis schema so detectors build the same expression
on both engines.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cargotrace.errors import EngineError
from cargotrace.store.engines.engine import Engine
from cargotrace.store.engines.session import (
    current_backend,
    is_remote,
    shuffle_partitions,
    spark_backend,
)
from cargotrace.store.schema import SPECS, TABLES

if TYPE_CHECKING:
    import ibis

    from cargotrace.store.store import Store

log = logging.getLogger(__name__)

STAGING_ENV = "CARGOTRACE_SPARK_STAGING"
"""Folder for the Parquet hand-off. Default: a temporary folder removed when the process exits.
On a cluster it must be a path every executor can read (a shared mount)."""

VIEW_PREFIX = "cargotrace_"
"""Temporary views made by `tables_on` start with this, so `drop_spark_views` finds only ours."""


class Handoff(StrEnum):
    """How `tables_on` gives Spark a store table."""

    PARQUET = "parquet"
    ARROW = "arrow"
    LAKE = "lake"


def choose_handoff(remote: bool, staging: str | None) -> Handoff:
    """Parquet unless Spark runs elsewhere (Connect) and no shared staging folder is named.

    A Connect server cannot read this machine's temporary folder, so without an explicit
    `CARGOTRACE_SPARK_STAGING` the data has to travel over the Connect channel itself.
    """
    return Handoff.ARROW if remote and not staging else Handoff.PARQUET


_lock = threading.Lock()
_root: Path | None = None
_staged: dict[str, Path] = {}  # view name → its staging folder


def staging_root() -> Path:
    """This process's own staging folder (created once, removed at exit).

    Inside `$CARGOTRACE_SPARK_STAGING` when it is set, so several processes can share a mount
    without deleting each other's files; a fresh temporary folder otherwise.
    """
    global _root
    with _lock:
        if _root is None:
            base = os.environ.get(STAGING_ENV, "").strip()
            if "://" in base:
                raise EngineError(
                    f"{STAGING_ENV}={base}: must be a folder path (DuckDB writes the files); "
                    "mount shared storage and give its local path"
                )
            try:
                if base:
                    Path(base).mkdir(parents=True, exist_ok=True)
                _root = Path(tempfile.mkdtemp(prefix="cargotrace-staging-", dir=base or None))
            except OSError as exc:
                raise EngineError(
                    f"{STAGING_ENV}={base}: cannot create a folder there ({exc})"
                ) from exc
            atexit.register(shutil.rmtree, _root, ignore_errors=True)
        return _root


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def export_parquet(store: Store, name: str, folder: Path) -> Path:
    """Write a store table to `folder/<name>.parquet` (DuckDB's COPY: fast, no Python rows)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.parquet"
    store.con.execute(
        f'COPY (SELECT * FROM "{name}") TO {_sql_string(str(target))} (FORMAT parquet)'
    )
    return target


def _parquet_frame(session: Any, store: Store, name: str, view: str, schema: Any) -> Any:
    """Spark's frame over the table exported to Parquet, read with the store's schema given:
    without it Spark runs a job per table to read the file's footer and infer the schema it
    already knows (the types are the same: `PySparkSchema.from_ibis` of the store's schema is
    what Spark infers from DuckDB's file; tests/store compares them)."""
    from ibis.backends.pyspark.datatypes import PySparkSchema

    folder = staging_root() / view
    path = export_parquet(store, name, folder)
    with _lock:
        _staged[view] = folder
    return session.read.schema(PySparkSchema.from_ibis(schema)).parquet(path.absolute().as_uri())


def _arrow_frame(session: Any, store: Store, name: str, schema: Any) -> Any:
    import pyarrow as pa
    from ibis.backends.pyspark.datatypes import PySparkSchema

    # con.sql(...).to_arrow_table(): DuckDB 2 warns that execute(...) then Arrow copies twice.
    data = store.con.sql(f'SELECT * FROM "{name}"').to_arrow_table()
    # JSON columns arrive as Arrow's JSON extension type, which the Connect client cannot
    # serialise: they are strings to Spark anyway.
    data = data.cast(
        pa.schema(
            [
                pa.field(f.name, pa.string()) if isinstance(f.type, pa.ExtensionType) else f
                for f in data.schema
            ]
        )
    )
    # Spark cannot build a DataFrame from an Arrow table without chunks (an empty table).
    rows: Any = data if data.num_rows else []
    return session.createDataFrame(rows, schema=PySparkSchema.from_ibis(schema))


def _lake_frame(session: Any, store: Store, name: str) -> Any | None:
    """Spark's frame over the lake files of `name` in the store's snapshot (None when `store`
    is not a lake, or keeps `name` as an in-memory working copy, or has no file of it).
    The folder of a day-partitioned table is the `basePath`, so Spark sees the `day=`
    folders as a partition; only the declared columns are kept."""
    from cargotrace.store.lake.layout import TABLE_LAYOUT, Layout
    from cargotrace.store.lake.layout import file_url as _file_url
    from cargotrace.store.lake.store import LakeStore

    if not isinstance(store, LakeStore) or TABLE_LAYOUT[name] is Layout.REWRITE:
        return None
    files = store.read_files(name)  # a windowed detect's days only (`reading_window`)
    if not files:
        return None
    reader = session.read
    if TABLE_LAYOUT[name] is Layout.BY_DAY:
        reader = reader.option("basePath", _file_url(store.root / name))
    uris = [_file_url(store.root / f.path) for f in files]
    return reader.parquet(*uris).select(*SPECS[name].names)


def tables_on(engine: Engine | str, store: Store, names: Iterable[str]) -> dict[str, ibis.Table]:
    """The named core tables as Ibis tables on `engine`, with the store's Ibis schema on both.

    On Spark each table becomes a temporary view (Parquet or Arrow, see the module docstring),
    then is cast to the DuckDB schema: Spark's TIMESTAMP is an instant shown in the session time
    zone (UTC), so labelling it `timestamp('UTC')` is exact, and JSON strings become `json`.
    The views and their staged files stay until `drop_spark_views()` or the end of the process.
    """
    engine = Engine(engine)
    names = list(names)
    unknown = [name for name in names if name not in TABLES]
    if unknown:
        raise EngineError(f"no core table {', '.join(unknown)} (tables: {', '.join(TABLES)})")
    if engine is Engine.DUCKDB:
        return {name: store.table(name) for name in names}

    backend = spark_backend()
    session = backend._session
    if not is_remote() and "positions" in names:
        # a cluster's own configuration decides there; locally, sized to the run's positions
        session.conf.set("spark.sql.shuffle.partitions",
                         str(shuffle_partitions(store.count("positions"))))
    how = choose_handoff(is_remote(), os.environ.get(STAGING_ENV, "").strip() or None)
    tables: dict[str, Any] = {}
    for name in names:
        schema = store.table(name).schema()
        view = f"{VIEW_PREFIX}{name}_{uuid.uuid4().hex[:12]}"
        frame, used = _lake_frame(session, store, name), Handoff.LAKE
        if frame is None and how is Handoff.PARQUET:
            frame, used = _parquet_frame(session, store, name, view, schema), how
        elif frame is None:
            frame, used = _arrow_frame(session, store, name, schema), how
        frame.createOrReplaceTempView(view)
        tables[name] = backend.table(view).cast(schema)
        log.debug("%s → spark view %s (%s)", name, view, used)
    return tables


def drop_spark_views() -> None:
    """Drop the temporary views `tables_on` made and delete their staged Parquet files."""
    backend = current_backend()
    if backend is not None:
        catalog = backend._session.catalog
        for table in catalog.listTables():
            if table.isTemporary and table.name.startswith(VIEW_PREFIX):
                catalog.dropTempView(table.name)
    with _lock:
        folders = list(_staged.values())
        _staged.clear()
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
