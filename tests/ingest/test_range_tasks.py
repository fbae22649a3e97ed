"""One Spark task's work without Spark: a byte range decoded and validated as the laptop does."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import cargotrace
from cargotrace.ingest.byte_ranges import byte_ranges
from cargotrace.ingest.nmea_ranges import count_lines, plan_tasks
from cargotrace.ingest.params import IngestOptions, InputFormat
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.ingest.range_tasks import stage_range


@pytest.mark.parametrize("name", ["pyais/mixed.txt", "pyais/nmea_data_sample.txt"])
def test_a_range_quarantines_what_the_laptop_ingest_quarantines(
        name: str, shared_data: Path, tmp_path: Path) -> None:
    """Only the records that break a rule are quarantined, with their reason (a merge once
    made every good record a quarantine row with no reason)."""
    path = shared_data / "ais_nmea" / name
    options = IngestOptions(format=InputFormat.NMEA,
                            assume_time=datetime(2021, 11, 1, tzinfo=UTC))
    ranges = byte_ranges(path, 1)
    tasks = plan_tasks(ranges, [count_lines(path, *r) for r in ranges], path.stat().st_size,
                       options.chunk_records)
    result = stage_range(path, tasks[0], options, tmp_path / "stage")
    with cargotrace.open_store(tmp_path / "laptop.duckdb") as store:
        summary = ingest_file(store, path, options)
        laptop = store.con.execute(
            "SELECT line_no, raw, reason, detail FROM quarantine ORDER BY line_no, reason"
        ).fetchall()
    folder = tmp_path / "stage" / "quarantine"
    staged = pq.read_table(folder).to_pylist() if folder.exists() else []
    rows = sorted((int(r["line_no"]), r["raw"], r["reason"], r["detail"]) for r in staged)
    assert rows == sorted(laptop)
    assert all(reason is not None for _, _, reason, _ in rows)
    assert dict(result.quarantined) == dict(summary.quarantined)
    assert result.positions_read == summary.positions_read
