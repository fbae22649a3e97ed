"""chunk_checks.py (pyarrow) and validate.py (SQL) agree, record for record, on which staged
records break a rule: on every boundary value of every rule, one column at a time and in
random combinations, and on the real files' staged records."""

from __future__ import annotations

import itertools
import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from cargotrace.ingest.chunk_checks import position_rule_broken, report_rule_broken
from cargotrace.ingest.nmea import read_nmea
from cargotrace.ingest.params import IngestOptions
from cargotrace.ingest.records import STAGED_POSITION_SCHEMA, STAGED_REPORT_SCHEMA
from cargotrace.ingest.validate import positions_reason_sql, reports_reason_sql

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2026, 12, 8, 18, tzinfo=UTC)
_US = timedelta(microseconds=1)
_INF = math.inf

# Each column's values on and around its rules' edges (and AIS's "not available" numbers).
EDGES: dict[str, list[Any]] = {
    "mmsi": [None, 0, 99_999_999, 100_000_000, 366_000_001, 999_999_999, 1_000_000_000, -5],
    "ts": [None, EARLIEST - _US, EARLIEST, datetime(2023, 9, 1, tzinfo=UTC), LATEST,
           LATEST + _US],
    "lat": [None, math.nan, -_INF, _INF, -90.000001, -90.0, 0.0, -0.0, 90.0, 90.000001,
            91.0, 91.5, 181.0],
    "lon": [None, math.nan, -_INF, _INF, -180.000001, -180.0, 180.0, 180.000001, 181.0,
            181.5, 91.0],
    "sog": [None, math.nan, -_INF, _INF, -0.0001, 0.0, 102.2, 102.25, 102.3, 102.30001,
            102.4, 1023.0],
    "cog": [None, math.nan, -_INF, _INF, -0.1, 0.0, 359.9, 360.0, 360.1, 409.5],
    "heading": [None, -1, 0, 359, 360, 510, 511, 512],
}
GOOD = {"mmsi": 366_000_001, "ts": datetime(2023, 9, 1, tzinfo=UTC), "lat": 50.0,
        "lon": -1.0, "sog": 10.0, "cog": 90.0, "heading": 90}


def _positions(rows: list[dict[str, Any]]) -> pa.Table:
    columns = {name: [row.get(name) for row in rows] for name in STAGED_POSITION_SCHEMA.names}
    columns["line_no"] = list(range(1, len(rows) + 1))
    columns["raw"] = ["x"] * len(rows)
    return pa.table(columns, schema=STAGED_POSITION_SCHEMA)


def _edge_rows() -> list[dict[str, Any]]:
    """Every edge value of each column with the others good, then 3,000 random mixes."""
    rows = [{**GOOD, column: value} for column, values in EDGES.items() for value in values]
    rng = random.Random(16)
    rows += [{c: rng.choice(values) for c, values in EDGES.items()} for _ in range(3_000)]
    return rows


def _sql_bad(table: pa.Table, reason_sql: str) -> list[bool]:
    """validate.py's answer, in DuckDB: the record has a reason."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    staged = table  # noqa: F841  # read by DuckDB's replacement scan
    return [bool(bad) for (bad,) in con.execute(
        f"SELECT ({reason_sql}) IS NOT NULL FROM staged ORDER BY line_no",
        {"earliest": EARLIEST, "latest": LATEST}).fetchall()]


def test_positions_agree_on_every_edge_value() -> None:
    table = _positions(_edge_rows())
    mask = position_rule_broken(table, EARLIEST, LATEST).to_pylist()
    expected = _sql_bad(table, positions_reason_sql())
    disagree = [(row, m) for row, m, e in zip(table.to_pylist(), mask, expected, strict=True)
                if m != e]
    assert not disagree
    assert 0 < sum(expected) < len(expected)  # both kinds of records were tried


def test_reports_agree_on_every_edge_value() -> None:
    rows = [{"mmsi": m, "ts": t} for m, t in itertools.product(EDGES["mmsi"], EDGES["ts"])]
    columns = {name: [row.get(name) for row in rows] for name in STAGED_REPORT_SCHEMA.names}
    columns["line_no"] = list(range(1, len(rows) + 1))
    table = pa.table(columns, schema=STAGED_REPORT_SCHEMA)
    mask = report_rule_broken(table, EARLIEST, LATEST).to_pylist()
    assert mask == _sql_bad(table, reports_reason_sql())
    assert 0 < sum(mask) < len(mask)


@pytest.mark.parametrize("name", ["ais_nmea/aisdb/test_data_20211101.nm4",
                                  "ais_nmea/pyais/mixed.txt"])
def test_real_staged_records_agree(shared_data: Path, name: str) -> None:
    """The real files' staged records (with the decoder's own out-of-range values), read with
    an assumed time where they carry none."""
    options = IngestOptions(assume_time=datetime(2021, 11, 1, tzinfo=UTC))
    for chunk in read_nmea(shared_data / name, options):
        positions = chunk.positions.sort_by("line_no")
        assert position_rule_broken(positions, EARLIEST, LATEST).to_pylist() == \
            _sql_bad(positions, positions_reason_sql())
        reports = chunk.reports.sort_by("line_no")
        assert report_rule_broken(reports, EARLIEST, LATEST).to_pylist() == \
            _sql_bad(reports, reports_reason_sql())
