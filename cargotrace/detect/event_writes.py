"""Where a detection run's events are written: by Spark on a lake when the executors made them,
else on the client in one batch (`store_events`).

Why a module of its own: the run (`run.py`) decides what to detect and in which order; this
is the one place that knows the two ways events reach a store, so the run does not import the
lake's Spark writer or Spark's union of frames.
"""

from __future__ import annotations

import functools
from datetime import datetime

import pyarrow as pa

from cargotrace.detect.on_executors import ExecutorEvents, collect_rows
from cargotrace.store.events import EVENT_SCHEMA, BeforeCommit, Replaced, store_events
from cargotrace.store.store import Store

__all__ = ["write_events"]


def write_events(store: Store, tables: list[pa.Table], frames: list[ExecutorEvents],
                 kinds: list[str], since: datetime | None, until: datetime | None,
                 before_commit: BeforeCommit | None = None) -> Replaced:
    """Replace the run's events: on a lake, by Spark when events were made on the executors;
    else on the client (`store_events`), executor-made rows collected first. `before_commit`
    (the run's notes) is committed with the events either way: one DuckDB transaction, or
    one lake snapshot."""
    from cargotrace.store.lake.store import LakeStore

    if frames and isinstance(store, LakeStore):
        from cargotrace.store.lake.spark_events import replace_events_on_spark

        return replace_events_on_spark(store, tables, [f.frame for f in frames], kinds,
                                       since, until, before_commit)
    if frames:
        tables = [*tables, _collect_together(frames)]
    return store_events(store, pa.concat_tables(tables) if tables else EVENT_SCHEMA.empty_table(),
                        kinds, since, until, before_commit)


def _collect_together(frames: list[ExecutorEvents]) -> pa.Table:
    """The rows of every executor-made frame in one Spark query (a union), not one collection
    per detector: each collection is a query planned and run on its own, about a second apiece
    on a cold local JVM."""
    together = ExecutorEvents(functools.reduce(lambda a, b: a.unionByName(b),
                                               (f.frame for f in frames)), [])
    return collect_rows(together)
