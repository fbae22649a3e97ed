"""staging.py's quarantine queries on a real file's chunk: every bad record is quarantined
once (a line whose position and report are both bad, once), and a NULL line_no among the bad
positions no longer swallows the bad reports (it did with `NOT IN (SELECT line_no ...)`)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import cargotrace
from cargotrace.ingest.nmea import read_nmea
from cargotrace.ingest.params import IngestOptions
from cargotrace.ingest.records import Chunk
from cargotrace.ingest.staging import BAD_RECORDS, bounds, check_chunk, quarantine_chunk
from cargotrace.ingest.summary import IngestSummary

OPTIONS = IngestOptions(assume_time=datetime(2021, 11, 1, tzinfo=UTC))
FILE = "ais_nmea/aisdb/test_data_20211101.nm4"  # 5 bad positions, 2 bad reports, 1 line both


def _real_chunk(shared_data: Path) -> Chunk:
    chunks = list(read_nmea(shared_data / FILE, OPTIONS))
    assert len(chunks) == 1
    return chunks[0]


def _with_null_line(chunk: Chunk) -> Chunk:
    """The chunk with one bad position's line_no made NULL: one whose line gave no report."""
    bad = check_chunk(chunk, bounds(OPTIONS)).bad
    report_lines = set(chunk.reports["line_no"].to_pylist())
    line = next(n for n in bad.positions["line_no"].to_pylist() if n not in report_lines)
    column = chunk.positions["line_no"]
    nulled = pc.if_else(pc.equal(column, line), pa.scalar(None, pa.int64()), column)
    positions = chunk.positions.set_column(
        chunk.positions.schema.get_field_index("line_no"), "line_no", nulled)
    return Chunk(positions=positions, reports=chunk.reports, quarantine=chunk.quarantine,
                 records_read=chunk.records_read, bytes_read=chunk.bytes_read)


def _expected(chunk: Chunk) -> Counter[tuple[int | None, str]]:
    """(line, raw) of each record to quarantine, counted with pandas from the bad records
    chunk_checks.py (pyarrow, not the SQL under test) finds."""
    bad = check_chunk(chunk, bounds(OPTIONS)).bad
    positions = bad.positions.to_pandas()
    reports = bad.reports.to_pandas()
    reader = bad.quarantine.to_pandas()
    second = reports[reports["line_no"].isin(positions["line_no"].dropna())]
    reports = reports.drop(second.index)
    rows = [(None if n != n else int(n), raw) for frame in (positions, reports, reader)
            for n, raw in zip(frame["line_no"], frame["raw"], strict=True)]
    return Counter(rows)


@pytest.mark.parametrize("null_line", [False, True])
def test_every_bad_record_of_a_real_chunk_is_quarantined_once(
    shared_data: Path, tmp_path: Path, null_line: bool,
) -> None:
    chunk = _real_chunk(shared_data)
    if null_line:
        chunk = _with_null_line(chunk)
    expected = _expected(chunk)
    bad = check_chunk(chunk, bounds(OPTIONS)).bad
    assert bad.reports.num_rows == 2  # the file's two bad reports, one on a bad position's line
    assert sum(expected.values()) == bad.positions.num_rows + 1 + bad.quarantine.num_rows

    # the whole chunk (range_tasks.py, Spark): BAD_RECORDS names the bad ones itself
    chunk_positions_in, chunk_reports_in = chunk.positions, chunk.reports  # noqa: F841
    chunk_quarantine_in = chunk.quarantine  # noqa: F841
    rows = duckdb.connect().execute(BAD_RECORDS, bounds(OPTIONS)).fetchall()
    assert Counter((n, raw) for n, raw, _, _ in rows) == expected

    # the laptop path: the bad records chunk_checks.py split off, stored in `quarantine`
    with cargotrace.open_store(tmp_path / "t.duckdb") as store:
        summary = IngestSummary(path=FILE, format="nmea")
        quarantine_chunk(store, bad, summary, bounds(OPTIONS), ingest_id=1)
        stored = store.con.execute("SELECT line_no, raw FROM quarantine").fetchall()
    assert Counter(stored) == expected
    assert summary.quarantined.total() == sum(expected.values())
