"""A detection run on Spark writes the lake's events itself: no event passes through the driver.

Why (issue 23, item 3): on a cluster the events of a region's year are made on the executors
(`detect/on_executors.py`); bringing them to the client to write one DuckDB working copy would
put the driver back in the path. Here Spark applies `store_events`' rule itself:

- the events given that start in [since, until) are the new ones (those outside are counted
  in `outside`, not stored); identical rows are stored once (`folded`); two different rows
  with one id raise `EventIdCollision` and nothing is written;
- the lake's events of the run's kinds that start in the window are replaced (`removed`);
- the whole new events table (the kept rows and the new ones: the events table is rewritten
  whole, `layout.py`) is written by the executors as Parquet into the lake's `_staging/`,
  moved into `events/` and published as the next snapshot (`LakeStore.commit`, as
  `spark_ingest.py` commits), after which the client's working copy is read again;
- what the caller writes in `before_commit` (`detect`'s `detected:` notes in `meta`) goes
  into that same snapshot: written to the working copy inside a transaction before the
  Parquet is, published with the events, rolled back if anything fails first. A run killed
  at any point leaves the lake at its previous snapshot (events and notes as they were) or
  at the new one (both new): never events without their notes.

Counts come from Spark aggregates over the given events, computed once and kept on the
executors (a checkpoint: the detectors' post-steps do not run again for each count).
"""

from __future__ import annotations

import shutil
import uuid
from datetime import datetime
from functools import reduce
from typing import Any

import pyarrow as pa

from cargotrace.store.engines.shared_ctes import free, keep
from cargotrace.store.events import (
    BeforeCommit,
    EventIdCollision,
    Replaced,
    spark_event_schema,
)
from cargotrace.store.lake.files import move_into_place
from cargotrace.store.lake.layout import STAGING, file_url
from cargotrace.store.lake.store import LakeStore
from cargotrace.store.schema import EVENTS


def _in_window(since: datetime | None, until: datetime | None) -> Any:
    """`since <= start < until` as a Spark column (either bound may be None), the rule of
    `windows.window_sql`."""
    from pyspark.sql import functions as F

    condition = F.lit(True)
    if since is not None:
        condition = condition & (F.col("start") >= F.lit(since))
    if until is not None:
        condition = condition & (F.col("start") < F.lit(until))
    return condition


def _given(spark: Any, tables: list[pa.Table], frames: list[Any]) -> Any:
    """Every event row of the run as one frame: the executors' and the few the driver made
    (detectors without an executor path), in the events layout."""
    schema = spark_event_schema()
    names = EVENTS.names
    parts = [f.select(*names) for f in frames]
    parts += [spark.createDataFrame(t.select(names), schema=schema) for t in tables if t.num_rows]
    return reduce(lambda a, b: a.unionByName(b), parts)


def _refuse_collisions(new: Any) -> None:
    from pyspark.sql import functions as F

    shared = new.groupBy("event_id").count().where(F.col("count") > 1).limit(1).collect()
    if shared:
        event_id = shared[0]["event_id"]
        rows = new.where(F.col("event_id") == event_id).limit(2).collect()
        shown = [", ".join(f"{k}={v}" for k, v in r.asDict().items() if k != "event_id")[:400]
                 for r in rows]
        raise EventIdCollision(
            f"two different events share event_id {event_id}: ({shown[0]}) and ({shown[1]})")


def replace_events_on_spark(
    lake: LakeStore, tables: list[pa.Table], frames: list[Any], kinds: list[str],
    since: datetime | None = None, until: datetime | None = None,
    before_commit: BeforeCommit | None = None,
) -> Replaced:
    """`store_events` on a lake, done by Spark (module doc): one snapshot, which also holds
    what `before_commit` writes to the lake's working copies (`detect`'s notes)."""
    from pyspark.sql import functions as F

    lake.require_writable("store events")
    if "events" in lake.changed_tables():  # a pending change to the working copy first
        lake.commit("write")
    spark = frames[0].sparkSession
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    inside = _in_window(since, until)
    given = keep(_given(spark, tables, frames))
    try:
        counts = given.groupBy("kind", inside.alias("inside")).count().collect()
        strays = {r["kind"] for r in counts} - set(kinds)
        if strays:  # they would be added on every re-run, never replaced
            raise ValueError(f"store_events: events of {sorted(strays)} given with kinds={kinds}")
        new = given.where(inside).distinct()
        _refuse_collisions(new)
        by_kind = {r["kind"]: int(r["count"]) for r in new.groupBy("kind").count().collect()}
        files = lake.files_of("events")
        schema = spark_event_schema()
        old = (spark.read.schema(schema).parquet(*[file_url(lake.root / f.path) for f in files])
               if files else spark.createDataFrame([], schema))
        replaced = F.col("kind").isin(kinds) & inside
        removed = old.where(replaced).count()
        written = sum(by_kind.values())
        given_rows = sum(int(r["count"]) for r in counts)
        in_window = sum(int(r["count"]) for r in counts if r["inside"])
        result = Replaced(removed, written, in_window - written,
                          {k: by_kind.get(k, 0) for k in kinds}, given_rows - in_window)
        # the working copies' changes (notes) are rolled back unless the snapshot is published
        lake.con.begin()
        try:
            if before_commit is not None:
                before_commit(result)
            _write_and_commit(lake, old.where(~replaced).unionByName(new), {
                "engine": "spark", "kinds": kinds, "removed": removed, "written": written})
            lake.con.commit()
        except BaseException:
            lake.con.rollback()
            raise
        lake.reload("events")
    finally:
        free(given)
    return result


def _write_and_commit(lake: LakeStore, events: Any, details: dict[str, Any]) -> None:
    """The new events table written by the executors into `_staging/`, moved into `events/`
    and published with the changed working copies as one `detect` snapshot."""
    staging = lake.root / STAGING / uuid.uuid4().hex
    try:
        (events.select(*EVENTS.names).sortWithinPartitions("start", "kind", "event_id")
         .write.option("compression", "zstd").mode("error").parquet(file_url(staging)))
        placed = tuple(move_into_place(lake.root, "events", staging))
        lake.commit("detect", details, replaced={"events": placed})
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        try:
            staging.parent.rmdir()  # `_staging/` stays only while a write is under way
        except OSError:
            pass
