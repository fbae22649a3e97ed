"""The identity split and the outlier scan on Spark's executors: no position comes to the driver.

Why (issue 23, item 3): both walk the located positions of the MMSIs with an impossible step
in order, a sequential pass that is no window expression. On DuckDB those positions are
fetched to Python (`to_arrow`) and walked there; on a cluster the jumping MMSIs of billions of
positions are too many for the driver. Here they stay a Spark DataFrame grouped by MMSI, and
the SAME per-MMSI pass (`segments.split_tracks`, `outliers.flag_rows`) runs per group in
`applyInArrow` (one MMSI's positions at once on an executor, never the run's), with its small
run-wide inputs (parameters, the coverage model) pickled along. Only what the passes find
comes back: the flags, and the runs table and shared-MMSI/teleport events of the split, a few
rows per jumping MMSI. DuckDB never comes here.

Each MMSI is walked on its own on either engine (the passes loop over `tracks_of`, one track
per MMSI), so a group's result is exactly the driver's share for that MMSI.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pyarrow as pa

from cargotrace.detect.coverage import ALL_OBSERVED, CoverageModel
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.outliers import FLAG_SCHEMA, flag_rows
from cargotrace.detect.params import IdentityParams, OutlierParams
from cargotrace.detect.segments import EPOCH, RUNS_SCHEMA, Segmentation, split_tracks
from cargotrace.store.events import Event

SPLIT_SCHEMA = pa.schema([
    ("mmsi", pa.int64()),
    ("first_rn", pa.int64()), ("last_rn", pa.int64()), ("segment", pa.int64()),
    ("ordinal", pa.int64()), ("start_us", pa.int64()), ("end_us", pa.int64()),
    ("lat", pa.float64()), ("lon", pa.float64()), ("attrs", pa.string()),
])
"""One MMSI's split as rows: its runs (`first_rn`, `last_rn`, `segment`; the rest NULL) and
its events (`ordinal`, their order on the driver; times as microseconds, attrs as JSON;
the run columns NULL). An identity event of the split carries nothing else."""


def _us(value: Any) -> int:
    return int((value - EPOCH) // timedelta(microseconds=1))


def split_rows(data: pa.Table, params: IdentityParams, coverage: CoverageModel) -> pa.Table:
    """One group's positions (one MMSI: mmsi, ts, lat, lon) to its split as `SPLIT_SCHEMA`
    rows (runs on an executor)."""
    found = split_tracks(data, params, coverage)
    runs = found.runs.to_pylist()
    rows: list[dict[str, Any]] = [{**r} for r in runs]
    for ordinal, event in enumerate(found.events):
        rows.append({"mmsi": event.mmsi, "ordinal": ordinal, "start_us": _us(event.start),
                     "end_us": _us(event.end), "lat": event.lat, "lon": event.lon,
                     "attrs": json.dumps(event.attrs)})
    return pa.Table.from_pylist(rows, schema=SPLIT_SCHEMA)


def segmentation_of(rows: pa.Table) -> Segmentation:
    """The collected `SPLIT_SCHEMA` rows as the driver's `Segmentation`: the runs in
    (mmsi, first row) order and the events in (mmsi, ordinal) order, as `split_tracks` gives
    them over all MMSIs at once."""
    rows = rows.sort_by([("mmsi", "ascending"), ("first_rn", "ascending"),
                         ("ordinal", "ascending")])
    runs, events, mmsis = [], [], set()
    for r in rows.to_pylist():
        if r["ordinal"] is None:
            runs.append({name: r[name] for name in RUNS_SCHEMA.names})
            mmsis.add(r["mmsi"])
            continue
        events.append(Event(EventKind.IDENTITY, int(r["mmsi"]),
                            EPOCH + timedelta(microseconds=r["start_us"]),
                            EPOCH + timedelta(microseconds=r["end_us"]),
                            lat=r["lat"], lon=r["lon"], attrs=json.loads(r["attrs"])))
    return Segmentation(pa.Table.from_pylist(runs, schema=RUNS_SCHEMA), events, len(mmsis))


def _per_mmsi(expr: Any, on_group: Any, schema: pa.Schema) -> pa.Table:
    """`on_group` run on each MMSI's rows of `expr` (an Ibis expression on the PySpark
    backend) on the executors; what they return, collected (results, not positions)."""
    import ibis
    from pyspark.sql.pandas.types import from_arrow_schema

    from cargotrace.store.engines.shared_ctes import spark_query

    table = expr.as_table()
    backend = ibis.get_backend(table)
    query = spark_query(backend, table)
    try:
        frame = query.frame.groupBy("mmsi").applyInArrow(on_group, from_arrow_schema(schema))
        return frame.toArrow().cast(schema)
    finally:
        query.release(backend._session)


def split_on_executors(expr: Any, params: IdentityParams,
                       coverage: CoverageModel = ALL_OBSERVED) -> Segmentation:
    """`segments.split_segments` on Spark: `expr`, the jumping MMSIs' located positions, is
    split per MMSI on the executors; the runs and events come back."""

    def on_group(group: pa.Table) -> pa.Table:
        return split_rows(group, params, coverage)

    return segmentation_of(_per_mmsi(expr, on_group, SPLIT_SCHEMA))


def outliers_on_executors(expr: Any, params: OutlierParams) -> pa.Table:
    """`outliers.scan_outliers`' flags on Spark: `expr`, the jumping MMSIs' located positions,
    is scanned per MMSI on the executors; the flags come back, ordered as on the driver."""

    def on_group(group: pa.Table) -> pa.Table:
        return flag_rows(group, params)

    flags = _per_mmsi(expr, on_group, FLAG_SCHEMA)
    return flags.sort_by([(c, "ascending") for c in ("mmsi", "ts", "lat", "lon")])
