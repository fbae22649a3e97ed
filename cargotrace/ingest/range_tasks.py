"""What one Spark task does with one byte range of an NMEA file: decode, validate, stage.

Why in plain Python, apart from Spark: the task runs the laptop's own code on the executor
(`nmea_ranges.decode_range`: the same reader and pyais, the same quarantine reasons;
`staging.GOOD_ROWS` / `staging.BAD_RECORDS`: the same validation, in an in-memory DuckDB), so
a range's output is what the laptop ingest would make of those lines, and it can be tested
without a JVM. The task writes its good positions and vessel reports (with their line, for the
dedupe that keeps the first copy) and its quarantine rows as Parquet files in the ingest's
staging folder, and returns only counts: no record passes through the Spark driver.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from cargotrace.ingest.nmea_ranges import RangeTask, decode_range
from cargotrace.ingest.params import IngestOptions
from cargotrace.ingest.records import Chunk
from cargotrace.ingest.staging import BAD_RECORDS, GOOD_ROWS, bounds

STAGED_TABLES = ("positions", "vessel_reports", "quarantine")
"""The staging folder's sub-folders, one Parquet file per range in each (when it has rows)."""

TASK_MEMORY = "512MB"
"""DuckDB's memory limit in a task: it validates one chunk (`chunk_records` lines) at a time."""

COUNT_SCHEMA = "idx long, lines long, checkpoints string"
RESULT_SCHEMA = "idx long, result string"


@dataclass
class RangeResult:
    """What one range gave: the counts an `IngestSummary` adds up."""

    index: int
    records_read: int = 0
    positions_read: int = 0
    reports_read: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    days: set[str] = field(default_factory=set)
    """UTC days (`YYYY-MM-DD`) of its good positions and reports: the partitions it touches."""

    def to_json(self) -> str:
        return json.dumps({"index": self.index, "records_read": self.records_read,
                           "positions_read": self.positions_read,
                           "reports_read": self.reports_read,
                           "quarantined": dict(self.quarantined), "skipped": dict(self.skipped),
                           "days": sorted(self.days)})

    @classmethod
    def from_json(cls, text: str) -> RangeResult:
        doc = json.loads(text)
        return cls(int(doc["index"]), int(doc["records_read"]), int(doc["positions_read"]),
                   int(doc["reports_read"]), Counter(doc["quarantined"]),
                   Counter(doc["skipped"]), set(doc["days"]))


def stage_range(path: Path, task: RangeTask, options: IngestOptions,
                folder: Path) -> RangeResult:
    """Decode and validate the lines `task` owns; write the good rows and the quarantine rows
    under `folder`/<table>/; return the counts."""
    result = RangeResult(task.index)
    con = duckdb.connect(":memory:")
    writers: dict[str, pq.ParquetWriter] = {}
    try:
        con.execute(f"SET threads = 1; SET memory_limit = '{TASK_MEMORY}'; "
                    "SET TimeZone = 'UTC'")
        checks = bounds(options)
        for chunk in decode_range(path, task, options):
            result.records_read += chunk.records_read
            result.skipped.update(chunk.skipped)
            for table, rows in _validated(con, chunk, checks).items():
                if not rows.num_rows:
                    continue
                _count(result, table, rows, con)
                writer = writers.get(table)
                if writer is None:
                    target = folder / table / f"r-{task.index:06d}.parquet"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    writer = writers[table] = pq.ParquetWriter(target, rows.schema)
                writer.write_table(rows.cast(writer.schema))
    finally:
        for writer in writers.values():
            writer.close()
        con.close()
    return result


def _validated(con: Any, chunk: Chunk, checks: dict[str, Any]) -> dict[str, pa.Table]:
    """The chunk's good positions and reports and its quarantine rows, as the laptop ingest
    validates them (staging.py)."""
    # read by name by DuckDB's replacement scan of this frame's variables
    chunk_positions_in = chunk.positions  # noqa: F841
    chunk_reports_in = chunk.reports  # noqa: F841
    chunk_quarantine_in = chunk.quarantine  # noqa: F841
    return {
        "positions": con.sql(GOOD_ROWS["positions"], params=checks).to_arrow_table(),
        "vessel_reports": con.sql(GOOD_ROWS["vessel_reports"], params=checks).to_arrow_table(),
        "quarantine": con.sql(BAD_RECORDS, params=checks).to_arrow_table(),
    }


def _count(result: RangeResult, table: str, rows: pa.Table, con: Any) -> None:
    if table == "quarantine":
        result.quarantined.update(Counter(rows.column("reason").to_pylist()))
        return
    if table == "positions":
        result.positions_read += rows.num_rows
    else:
        result.reports_read += rows.num_rows
    staged = rows  # noqa: F841 (read by DuckDB by name)
    result.days.update(str(d) for (d,) in con.execute(
        "SELECT DISTINCT strftime(ts, '%Y-%m-%d') FROM staged").fetchall())
