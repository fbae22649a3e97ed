"""Run an Ibis expression on Spark with every CTE it uses more than once computed once.

Ibis compiles a detector to one query whose intermediate tables are CTEs (`WITH t25 AS ...`),
many of them read two or more times (a port visit's positions near places are read by the
visit grouping and by its stop count; each of those reads the place cells twice). DuckDB
materialises such a CTE once. Spark's optimiser inlines every deterministic CTE at each
reference (its `InlineCTE` rule; no setting keeps them), so a chain of shared CTEs multiplies:
the port visit query on 8,417 positions became a plan of 61 broadcast joins and 45 window
operators, 126 stages and ~30 s, almost all of it scheduling. Here each CTE read more than
once is run first, kept on the executors (`keep`: a local checkpoint) under a temporary view,
and the query reads that view instead. Engine-specific by design: the detectors stay one Ibis
expression for both engines.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import sqlglot.expressions as sge

_WITH = "with_" if "with_" in sge.Select.arg_types else "with"
"""The argument a query's WITH clause sits in (sqlglot 30 renamed `with` to `with_`)."""

SHARED_PREFIX = "cargotrace_shared_"
"""Temporary views of materialised CTEs start with this (dropped by `SparkQuery.release`)."""


@dataclass
class SparkQuery:
    """A Spark DataFrame for an expression, and the shared CTEs it reads (kept until release)."""

    frame: Any
    shared: list[tuple[str, Any]] = field(default_factory=list)

    def release(self, session: Any) -> None:
        """Drop the views and free the executors' copies of the shared CTEs."""
        for view, frame in self.shared:
            session.catalog.dropTempView(view)
            free(frame)
        self.shared.clear()


def free(frame: Any) -> None:
    """Free the executors' copy of a frame kept by `cache()` or `localCheckpoint()`.

    `unpersist()` only knows cached plans; a local checkpoint is an RDD persisted under a
    plain scan of it (`LogicalRDD`), which Spark would otherwise free only once the JVM's
    garbage collector found it unreachable (classic sessions: unpersisted here at once)."""
    frame.unpersist()
    jdf = getattr(frame, "_jdf", None)  # classic sessions only; Connect frees on release
    if jdf is not None:
        plan = jdf.queryExecution().logical()
        if plan.getClass().getSimpleName() == "LogicalRDD":
            plan.rdd().unpersist(False)


def _references(query: sge.Expression, name: str) -> int:
    """How many times `query` reads the CTE `name` (bare table names only)."""
    return sum(1 for table in query.find_all(sge.Table)
               if table.name == name and not table.args.get("db") and not table.args.get("catalog"))


def _point_at(query: sge.Expression, name: str, view: str) -> None:
    """Make every read of the CTE `name` read the temporary view `view` (aliases kept)."""
    for table in list(query.find_all(sge.Table)):
        if table.name == name and not table.args.get("db") and not table.args.get("catalog"):
            table.set("this", sge.to_identifier(view, quoted=True))


def keep(frame: Any) -> Any:
    """`frame` computed now, once, and kept on the executors as a local checkpoint.

    A checkpoint, not `cache()`: a query reading a cached frame carries the frame's whole
    plan, which Spark analyses again and matches against every cached plan on each read, and
    the detectors' kept tables (the sorted track, the resampled tracks, shared CTEs) are read
    by many wide queries. A checkpoint is read as a plain scan of its blocks. On the
    8,417-position lake (load 12-15) this took the port-visit step from 20.5 s with `cache()`
    to 14.8 s, and encounters from 71.6 s to 12.3 s. Spark Connect needs it anyway (its cache
    lookup misses SQL frames, session.py). The price: a lost executor fails the run instead
    of recomputing the frame."""
    return frame.localCheckpoint()  # eager by default


def keep_for_query(frame: Any) -> Any:
    """A shared CTE kept for the one query that reads it, computed with that query.

    Its exchanges (shuffles, broadcasts) run now, as adaptive execution plans them, but its
    last stage is computed by the query's own job, not by a job of its own: one Spark job
    less per shared CTE (a job is 0.1-1 s on a small local run, most of the cost there).
    The query reads it as a plain scan all the same, and Spark's block manager computes
    each partition once even when two of the query's stages read it at the same time. Only
    for frames freed after their query has run (`SparkQuery.release`): a lazy checkpoint
    whose blocks were freed before it was computed cannot be read."""
    return frame.localCheckpoint(eager=False)


def materialise_shared(session: Any, query: sge.Expression, dialect: str,
                       ) -> tuple[sge.Expression, list[tuple[str, Any]]]:
    """`query` with each CTE read more than once replaced by a computed temporary view.

    CTEs are visited in order, so one built on an earlier shared CTE reads that CTE's view;
    the CTEs read once stay in the query (and are carried into the shared CTEs that read
    them). Returns the rewritten query and the (view, frame) pairs to release afterwards."""
    with_ = query.args.get(_WITH)
    if with_ is None:
        return query, []
    kept: list[sge.CTE] = []
    shared: list[tuple[str, Any]] = []
    try:
        for cte in list(with_.expressions):
            name = cte.alias
            if _references(query, name) <= 1:
                kept.append(cte)
                continue
            body = cte.this.copy()
            if kept:
                body.set(_WITH, sge.With(expressions=[k.copy() for k in kept]))
            view = f"{SHARED_PREFIX}{uuid.uuid4().hex[:12]}"
            frame = keep_for_query(session.sql(body.sql(dialect=dialect)))
            frame.createOrReplaceTempView(view)
            shared.append((view, frame))
            _point_at(query, name, view)
    except BaseException:
        SparkQuery(None, shared).release(session)
        raise
    if kept:
        with_.set("expressions", kept)
    else:
        query.set(_WITH, None)
    return query, shared


def spark_query(backend: Any, expr: Any) -> SparkQuery:
    """The DataFrame of an Ibis expression on the PySpark backend, shared CTEs computed once.

    Registers the in-memory tables and UDFs the expression uses first, as Ibis' own
    execute() does (private, but stable at the pinned ibis-framework version)."""
    backend._run_pre_execute_hooks(expr)
    session = backend._session
    query = backend.compiler.to_sqlglot(expr)
    query, shared = materialise_shared(session, query, backend.dialect)
    try:
        frame = session.sql(query.sql(dialect=backend.dialect))
    except BaseException:
        SparkQuery(None, shared).release(session)
        raise
    return SparkQuery(frame, shared)
