"""Identity's name / IMO / call-sign and flag changes on Spark's executors: no report, no
candidate comes to the driver.

Why (issue 23, item 3): on DuckDB identity fetches three things to Python: the distinct names
(their comparison key transliterates, which SQL cannot), the MMSIs with two values of a field,
then the change and flag-change candidates, turned into events there. Across a region's year
those are millions of names and MMSIs. Here the names' keys are computed where the names are
(`mapInArrow` over the distinct names, the same `name_key`), kept on the executors and read by
the same Ibis expressions as a table; the changing MMSIs are kept there too (one checkpoint,
read by the three fields' parts); and the candidates of both kinds are one expression
(`identity.report_candidates`) whose rows become events per partition
(`on_executors.event_frame`). DuckDB never comes here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from cargotrace.detect.on_executors import KeptView, kept_table
from cargotrace.store.names import name_key

KEYS_SCHEMA = pa.schema([("raw_name", pa.string()), ("name_key", pa.string())])


def keys_of(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """One partition's distinct names to (raw_name, name_key) rows, as `identity.name_keys`
    makes them on the driver (the key NULL when nothing is left of the name)."""
    for batch in batches:
        raw = [n for n in batch.column(0).to_pylist() if n is not None]
        keys = [name_key(n).compact or None for n in raw]
        yield pa.RecordBatch.from_arrays([pa.array(raw, pa.string()),
                                          pa.array(keys, pa.string())], schema=KEYS_SCHEMA)


def name_keys_on_executors(reports: Any) -> tuple[Any, KeptView]:
    """`identity.name_keys` on Spark: the distinct names' keys as an Ibis table on the PySpark
    backend (computed on the executors, kept there), and what frees it."""
    import ibis
    from pyspark.sql.pandas.types import from_arrow_schema

    from cargotrace.store.engines.shared_ctes import spark_query

    names = reports.select(raw_name=reports.name).distinct()
    backend = ibis.get_backend(names)
    query = spark_query(backend, names)
    try:
        return kept_table(backend, query.frame.mapInArrow(keys_of,
                                                          from_arrow_schema(KEYS_SCHEMA)))
    finally:
        query.release(backend._session)


def report_candidates_on_executors(positions: Any, reports: Any) -> tuple[Any, tuple[Any, ...]]:
    """The identity candidates from the reports (`identity.report_candidates`) left on Spark,
    and what to release once their events are written (the keys, the changing MMSIs)."""
    from cargotrace.detect.identity import changing_mmsis, report_candidates

    keys, kept = name_keys_on_executors(reports)
    changing = changing_mmsis(reports, keys).cache()
    return report_candidates(positions, reports, changing, keys), (changing, kept)
