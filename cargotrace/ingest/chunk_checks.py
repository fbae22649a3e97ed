"""Which records of a chunk break a value rule, found in one vectorised pass over its Arrow
columns.

Why a second spelling of validate.py's rules: asking DuckDB was most of the store's time (a
query per table and chunk that scanned the Arrow columns, evaluated the CASE and handed the
values back as Arrow: ~0.3 CPU-s per million positions), while pyarrow's kernels answer the
same question in a few milliseconds. Only *whether* a record is bad is decided here; *which*
rule it breaks is still named by validate.py's SQL, over the bad records alone
(`staging.quarantine_chunk`), and the stored values are still computed by its SQL when the rows
are inserted. So the two spellings must agree on one thing, good or bad:
tests/ingest/test_chunk_checks.py compares them on every boundary value of every rule, and
`staging.quarantine_chunk` refuses to go on if a record the mask calls bad gets no reason.
"""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from cargotrace.ingest.arrow_lists import scalar

_MMSI_LOW, _MMSI_HIGH = 100_000_000, 999_999_999


def _outside(values: pa.ChunkedArray, low: float, high: float, unavailable: float | None
             ) -> pa.ChunkedArray:
    """True where a value is present, not the "not available" number, and NaN or outside
    [low, high] (validate.py: `x IS NOT NULL AND x <> sentinel AND (isnan(x) OR x < low OR
    x > high)`). Nulls are filled with `low` first: a missing value breaks no rule."""
    low_, high_ = scalar(low, values.type), scalar(high, values.type)
    filled = pc.fill_null(values, low_)
    broken = pc.or_(pc.less(filled, low_), pc.greater(filled, high_))
    if pa.types.is_floating(filled.type):
        broken = pc.or_(broken, pc.is_nan(filled))
    if unavailable is not None:
        broken = pc.and_(broken, pc.not_equal(filled, scalar(unavailable, values.type)))
    return broken


def common_rule_broken(table: pa.Table, earliest: datetime, latest: datetime
                       ) -> pa.ChunkedArray:
    """True for each record of `table` (a staged position or report) with a missing or
    malformed mmsi, or a missing or unbelievable time (validate.py's `_common_checks`)."""
    mmsi = table.column("mmsi")
    ts = table.column("ts")
    first, last = scalar(earliest, ts.type), scalar(latest, ts.type)
    filled_ts = pc.fill_null(ts, first)
    return pc.or_(
        pc.or_(pc.is_null(mmsi), _outside(mmsi, _MMSI_LOW, _MMSI_HIGH, None)),
        pc.or_(pc.is_null(ts),
               pc.or_(pc.less(filled_ts, first), pc.greater(filled_ts, last))),
    )


def position_rule_broken(table: pa.Table, earliest: datetime, latest: datetime
                         ) -> pa.ChunkedArray:
    """True for each staged position that breaks any rule of validate.py's
    `positions_reason_sql`."""
    broken = common_rule_broken(table, earliest, latest)
    for column, low, high, unavailable in (("lat", -90, 90, 91), ("lon", -180, 180, 181),
                                           ("sog", 0, 102.3, None), ("cog", 0, 360, None),
                                           ("heading", 0, 359, 511)):
        broken = pc.or_(broken, _outside(table.column(column), low, high, unavailable))
    return broken


def report_rule_broken(table: pa.Table, earliest: datetime, latest: datetime
                       ) -> pa.ChunkedArray:
    """True for each staged report that breaks a rule of validate.py's `reports_reason_sql`."""
    return common_rule_broken(table, earliest, latest)
