"""Detection on Spark without the driver in the way: candidates become events on the executors.

Why (issue 23, item 3): on DuckDB a detector collects its candidates (`to_arrow`) and a Python
post-step turns them into events (coverage model, distance to shore, confidence). On a cluster
the candidates of billions of positions cannot pass through the driver. Here the candidates
stay a Spark DataFrame, are partitioned so that what the post-step needs together (a vessel's
candidates, a pair's steps) lies in one partition, and the SAME post-step function runs per
partition in `mapInArrow`, with its small run-wide inputs (parameters, coverage model, places)
pickled along with it. Each partition's events go through `events_table` there too, so the
result is a Spark DataFrame of event rows in the events table's own layout (`EVENT_SCHEMA`,
one declaration): ids, parameters and provenance computed exactly as on DuckDB.

The partition sees the rows in the order `to_arrow` gives them on the driver (`order_by`, then
every other flat column), cast to the same Ibis-normalised types, so a post-step that reads one
vessel's rows in order finds the same events. DuckDB never comes here.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from cargotrace.detect.kinds import EventKind
from cargotrace.store.engines.results import comparable_schema, sort_keys
from cargotrace.store.events import EVENT_SCHEMA, Event, events_table, spark_event_schema

PostStep = Callable[..., list[Event]]
"""Candidates (Arrow, one or more whole groups) to events: a picklable function (a module-level
function or a `functools.partial` of one) that needs nothing from the driver. With
`Candidates.beside`, it gets a second table: the group's rows of those event rows."""


@dataclass(frozen=True)
class Candidates:
    """A detector's candidates left on the engine, and how they become events.

    `kinds`: the kinds the post-step makes (gaps and coverage exits come from one set of
    silences); `together`: the columns whose rows the post-step must see in one call (a
    vessel: `mmsi`; a pair of segments for encounters); `order_by`: the order `to_arrow`
    would give them; `release`: what to free once the events are written (frames the
    expression reads); `beside`: other kinds' event rows (a Spark DataFrame, `EVENT_SCHEMA`)
    the post-step reads with each group (a vessel's silences with its port visits): the two
    are cogrouped on `together`; `made`: events of these kinds the driver already holds
    (identity's split, which the run needs there anyway), written with the executors';
    `target`: the rows' Arrow schema when `expr` is a Spark DataFrame (default: event rows)."""

    kinds: tuple[EventKind, ...]
    expr: Any
    """An Ibis expression on the PySpark backend, or a Spark DataFrame of other kinds' event
    rows (`EVENT_SCHEMA`) for a detector that reads their events."""
    post_step: PostStep
    together: tuple[str, ...] = ("mmsi",)
    order_by: tuple[str, ...] | None = ("mmsi", "start")
    release: tuple[Any, ...] = ()
    beside: Any = None
    made: tuple[Event, ...] = ()
    target: pa.Schema | None = None


@dataclass(frozen=True)
class Provenance:
    """What `events_table` records with every event of a kind: the preset, the detector's
    parameters, the inputs (places) and the shared parameters (the coverage model's)."""

    preset: str
    params: Any
    inputs: dict[str, Any] | None = None
    shared: dict[str, Any] | None = None

    def rows(self, events: list[Event]) -> pa.Table:
        return events_table(events, self.preset, self.params, self.inputs, self.shared)


@dataclass
class ExecutorEvents:
    """A kind's events as a Spark DataFrame of event rows (`EVENT_SCHEMA`), not yet computed,
    and what must stay alive until they are (shared CTE views, kept frames)."""

    frame: Any
    keep: list[Callable[[], None]] = field(default_factory=list)

    def compute(self) -> None:
        """Make the events now and keep them on the executors (read twice: by the driver's
        Python detector that needs them, then by the write), freed by `release`."""
        from cargotrace.store.engines.shared_ctes import free, keep

        kept = keep(self.frame)
        self.keep.append(lambda: free(kept))
        self.frame = kept

    def only(self, kinds: list[str]) -> None:
        """Keep the rows of `kinds` (those the run stores; a kind made alongside, e.g. coverage
        exits in a run of gaps only, may still have been read by a later detector)."""
        from pyspark.sql import functions as F

        self.frame = self.frame.where(F.col("kind").isin(kinds))

    def release(self) -> None:
        for drop in self.keep:
            drop()
        self.keep.clear()


def partition_events(batches: Iterator[pa.RecordBatch], target: pa.Schema,
                     order_by: tuple[str, ...] | None, post_step: PostStep,
                     provenance: Mapping[str, Provenance]) -> Iterator[pa.RecordBatch]:
    """One partition's candidates to event rows (runs on an executor): the rows cast and
    ordered as `to_arrow` gives them, the post-step, then `events_table` per kind with that
    kind's provenance. The partition's candidates are held at once (a shuffle partition's
    share: the run's candidates over `spark.sql.shuffle.partitions`), never the run's."""
    received = list(batches)
    if not received:
        return
    table = pa.Table.from_batches(received)
    if table.num_rows == 0:
        return
    yield from _rows_of(post_step(_as_on_driver(table, target, order_by)), provenance)


def _as_on_driver(table: pa.Table, target: pa.Schema, order_by: tuple[str, ...] | None
                  ) -> pa.Table:
    """The rows cast and ordered as `to_arrow` gives them on the driver."""
    table = table.select(target.names).cast(target)
    if order_by is not None:
        table = table.sort_by(sort_keys(table.schema, order_by))
    return table


def _rows_of(events: list[Event], provenance: Mapping[str, Provenance]
             ) -> Iterator[pa.RecordBatch]:
    for kind, recorded in provenance.items():
        mine = [e for e in events if str(e.kind) == kind]
        if mine:
            yield from recorded.rows(mine).to_batches()


def group_events(group: pa.Table, beside: pa.Table, target: pa.Schema,
                 order_by: tuple[str, ...] | None, post_step: PostStep,
                 provenance: Mapping[str, Provenance]) -> pa.Table:
    """One cogroup's candidates and its rows of the events read beside them (runs on an
    executor) to event rows: as `partition_events`, the other kinds' rows given as they
    read back on the driver (`EVENT_SCHEMA`, in `event_id` order: a stable order where the
    driver's list order is Spark's own)."""
    if group.num_rows == 0:
        return EVENT_SCHEMA.empty_table()
    beside = (beside.select(EVENT_SCHEMA.names).cast(EVENT_SCHEMA).sort_by("event_id")
              if beside.num_rows else EVENT_SCHEMA.empty_table())
    events = post_step(_as_on_driver(group, target, order_by), beside)
    batches = list(_rows_of(events, provenance))
    return pa.Table.from_batches(batches, EVENT_SCHEMA) if batches else EVENT_SCHEMA.empty_table()


def event_frame(candidates: Candidates, provenance: Mapping[str, Provenance]) -> ExecutorEvents:
    """The events of `candidates` of the kinds in `provenance` (the run's, with what each
    records) as a Spark DataFrame, computed on the executors."""
    import ibis

    from cargotrace.store.engines.shared_ctes import spark_query

    keep: list[Callable[[], None]] = []
    if hasattr(candidates.expr, "as_table"):
        table_expr = candidates.expr.as_table()
        backend = ibis.get_backend(table_expr)
        query = spark_query(backend, table_expr)
        target = comparable_schema(table_expr)
        session = backend._session
        keep.append(lambda: query.release(session))
        rows = query.frame
    else:  # a Spark DataFrame: other kinds' event rows (`Context.engine_events`) or rows
        # a step on the executors made (`target`)
        rows, target = candidates.expr, candidates.target or EVENT_SCHEMA
    order_by, post_step, provenance = candidates.order_by, candidates.post_step, dict(provenance)
    schema = spark_event_schema()
    if candidates.beside is not None:
        def on_group(group: pa.Table, beside: pa.Table) -> pa.Table:
            return group_events(group, beside, target, order_by, post_step, provenance)

        together = candidates.together
        frame = rows.groupBy(*together).cogroup(candidates.beside.groupBy(*together)
                                                ).applyInArrow(on_group, schema)
    else:
        def on_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            return partition_events(batches, target, order_by, post_step, provenance)

        frame = rows.repartition(*candidates.together).mapInArrow(on_partition, schema)
    if candidates.made:  # the driver's few, in the same layout
        made = pa.concat_tables([recorded.rows([e for e in candidates.made
                                                if str(e.kind) == kind])
                                 for kind, recorded in provenance.items()])
        frame = frame.unionByName(frame.sparkSession.createDataFrame(made, schema=schema))
    keep += [kept.release for kept in candidates.release]
    return ExecutorEvents(frame, keep)


@dataclass
class KeptView:
    """A frame kept on the executors under a temporary view that Ibis reads as a table;
    `release` drops both (a `Candidates.release` entry)."""

    session: Any
    view: str
    frame: Any

    def release(self) -> None:
        from cargotrace.store.engines.shared_ctes import free

        self.session.catalog.dropTempView(self.view)
        free(self.frame)


def kept_table(backend: Any, frame: Any) -> tuple[Any, KeptView]:
    """A Spark DataFrame made on the executors (e.g. by `mapInArrow`, or from other kinds'
    event rows) computed once, kept there, and read by Ibis expressions on the PySpark
    `backend` as a table; with what frees it."""
    from cargotrace.store.engines.shared_ctes import keep

    kept = keep(frame)
    view = f"cargotrace_kept_{uuid.uuid4().hex}"
    kept.createOrReplaceTempView(view)
    return backend.table(view), KeptView(backend._session, view, kept)


def events_from_rows(rows: pa.Table) -> list[Event]:
    """Event rows back as `Event`s, for a detector that reads another kind's events in Python
    (dark port calls read gaps and port visits): their attrs are JSON, so they read back as
    they were written, and each event's id is its row's."""
    return [Event(r["kind"], int(r["mmsi"]), r["start"], r["end"], r["other_mmsi"], r["lat"],
                  r["lon"], r["place_id"], r["confidence"], json.loads(r["attrs"]))
            for r in rows.to_pylist()]


def collect_rows(events: ExecutorEvents) -> pa.Table:
    """The event rows on the client, in `EVENT_SCHEMA` (a DuckDB-file store lives there)."""
    return events.frame.toArrow().cast(EVENT_SCHEMA)
