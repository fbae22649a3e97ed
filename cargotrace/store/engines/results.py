"""Run an expression on whichever engine it is bound to and return comparable Arrow."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cargotrace.errors import EngineError

if TYPE_CHECKING:
    import ibis
    import pyarrow as pa


def _normalised_type(dtype: pa.DataType) -> pa.DataType:
    import pyarrow as pa

    if pa.types.is_timestamp(dtype):
        # Spark returns session-zone (UTC) values, sometimes without a zone; all our times are UTC.
        return pa.timestamp("us", tz="UTC")
    return dtype


def sort_keys(schema: pa.Schema, order_by: Sequence[str]) -> list[tuple[str, str]]:
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


def comparable_schema(table_expr: ibis.Table) -> pa.Schema:
    """The Arrow schema `to_arrow` gives `table_expr`'s rows (the Ibis types, times µs UTC,
    every field nullable); Spark's executors cast their partitions to it too
    (`detect/on_executors.py`), so a post-step sees the same values wherever it runs."""
    import pyarrow as pa

    return pa.schema([pa.field(field.name, _normalised_type(field.type), nullable=True)
                      for field in table_expr.schema().to_pyarrow()])


def to_arrow(expr: ibis.Expr, order_by: Sequence[str] | None = None) -> pa.Table:
    """Run `expr` on the backend it is bound to and return Arrow comparable across engines.

    Normalised so results from DuckDB and Spark can be compared cell by cell: columns get the
    expression's Ibis types, timestamps are µs in UTC (Spark hands back zone-less values),
    every field is nullable (Ibis' nullability is a guess: it marks `lag()` of a NOT NULL
    column NOT NULL), and with `order_by` rows are sorted by those columns, then by every other
    flat column, so engines that return rows in different orders compare equal.

    On Spark the query runs through Spark's own Arrow collection, not Ibis' pandas round trip,
    which is faster and keeps microseconds (classic and Spark Connect sessions alike).
    """
    import ibis

    table_expr = expr.as_table()
    backend = ibis.get_backend(table_expr)
    if backend.name == "pyspark":
        from cargotrace.store.engines.shared_ctes import spark_query

        query = spark_query(backend, table_expr)  # shared CTEs computed once (shared_ctes.py)
        try:
            result = query.frame.toArrow()
        finally:
            query.release(backend._session)
    elif backend.name == "duckdb":
        # straight from DuckDB: Ibis' to_pyarrow imports pandas through its result converter
        # (about 0.3 s, paid by every detection run on its first query)
        backend._run_pre_execute_hooks(table_expr)
        result = backend.con.sql(str(backend.compile(table_expr))).to_arrow_table()
    else:
        result = table_expr.to_pyarrow()

    result = result.cast(comparable_schema(table_expr))
    if order_by is not None:
        result = result.sort_by(sort_keys(result.schema, order_by))
    return result
