"""Validate one chunk straight from its Arrow tables: its good records go to `dedupe` to be
stored, its bad ones to `quarantine` (inside the ingest's transaction), named by validate.py.

Why no staging tables: a file's records once sat in temporary tables until the whole file was
read, so an ingest held the file in memory (1.1 GB for a 1M-line feed). Per-chunk temporary
tables would not help either: inside a transaction, DuckDB keeps every replaced or dropped
table until the commit. So a chunk is only ever Arrow data, read by the queries that quarantine
and store it, and nothing of it outlives its chunk.

Why the good/bad split is made in pyarrow (chunk_checks.py) and the reasons in SQL: deciding
good or bad is one vectorised pass of a few milliseconds per chunk; naming the first rule a
record breaks is needed only for the bad ones, which are few, so the SQL that names them runs
over them alone (it once ran over the whole chunk, up to three times for a chunk with a bad
record).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from cargotrace.ingest.dedupe import GoodRows, good_rows
from cargotrace.ingest.params import IngestOptions
from cargotrace.ingest.summary import IngestSummary
from cargotrace.ingest.validate import (
    POSITION_VALUES_SQL,
    REPORT_VALUES_SQL,
    positions_reason_sql,
    reports_reason_sql,
)
from cargotrace.store import Store

if TYPE_CHECKING:  # a table staged in SQL never needs pyarrow (start-up, issue 16)
    import pyarrow as pa

    from cargotrace.ingest.records import Chunk

# Per stored table: its chunk's records with the first rule each breaks (NULL: none).
_CHECKED = {
    "positions": f"SELECT *, {positions_reason_sql()} AS reason FROM chunk_positions_in",
    "vessel_reports": f"SELECT *, {reports_reason_sql()} AS reason FROM chunk_reports_in",
}

GOOD_ROWS: dict[str, str] = {
    "positions": f"SELECT {POSITION_VALUES_SQL}, station, line_no "
                 f"FROM ({_CHECKED['positions']}) WHERE reason IS NULL",
    "vessel_reports": f"SELECT {REPORT_VALUES_SQL}, station, line_no "
                      f"FROM ({_CHECKED['vessel_reports']}) WHERE reason IS NULL",
}
"""Per stored table, the chunk's good records with their stored values, with their line: for
a reader that dedupes later and keeps the first copy (spark_ingest.py); takes `bounds`."""

# A line that gave both a position and a report (type 19, table rows with static columns) is
# quarantined once: its report is not counted again. NOT EXISTS, never `NOT IN (SELECT line_no
# ...)`: one NULL line_no among the bad positions made NOT IN drop every bad report, and a report
# without a line was dropped whenever any position was bad. No reader stages a NULL line_no
# today (each numbers its records); a line-less report is kept, being no line's second record.
def _bad_sql(only_with_reason: bool) -> str:
    with_reason = "WHERE reason IS NOT NULL" if only_with_reason else ""
    return f"""
    WITH bad_positions AS (SELECT line_no, raw, reason FROM ({_CHECKED['positions']})
                           {with_reason})
    SELECT line_no, raw, reason, NULL::VARCHAR AS detail FROM bad_positions
    UNION ALL
    SELECT r.line_no, r.raw, r.reason, NULL AS detail
    FROM ({_CHECKED['vessel_reports']}) AS r
    WHERE {"r.reason IS NOT NULL AND" if only_with_reason else ""}
          NOT EXISTS (SELECT 1 FROM bad_positions AS b WHERE b.line_no = r.line_no)
    UNION ALL
    SELECT line_no, raw, reason, detail FROM chunk_quarantine_in"""


# The laptop path hands over only the records chunk_checks.py calls bad: no filter, so a
# record the SQL rules would call good fails the ingest (NOT NULL reason) instead of vanishing.
_BAD = _bad_sql(only_with_reason=False)

BAD_RECORDS = f"""SELECT line_no, raw, reason, detail FROM ({_bad_sql(only_with_reason=True)})
                  ORDER BY line_no"""
"""The quarantine rows of a whole chunk (its reader's and its records' that break a value
rule), in line order, as `quarantine_chunk` stores them; takes `bounds`. For a reader that has
not split the chunk first (range_tasks.py, Spark)."""


def bounds(options: IngestOptions) -> dict[str, datetime]:
    """The believable times of the validation queries (`$earliest`, `$latest`)."""
    return {"earliest": options.validation.earliest_ts,
            "latest": options.validation.latest_ts()}


@dataclass(frozen=True)
class CheckedChunk:
    """A chunk split by the value rules: the good records of each table (staged columns, raw
    values: the sentinels are made NULL as they are stored), a chunk of the bad ones plus
    what the reader quarantined itself, and the chunk as read (for its counts)."""

    read: Chunk
    good_positions: GoodRows
    good_reports: GoodRows
    bad: Chunk

    @property
    def bad_records(self) -> int:
        """Records to quarantine (a line with a bad position and a bad report counts twice
        here, once in `quarantine`)."""
        return int(self.bad.positions.num_rows + self.bad.reports.num_rows
                   + self.bad.quarantine.num_rows)


def _split(table: pa.Table, broken: pa.ChunkedArray) -> tuple[pa.Table, pa.Table]:
    """(good rows, bad rows) of `table`; no copy when every row is good."""
    import pyarrow.compute as pc

    if not pc.any(broken).as_py():
        return table, table.slice(0, 0)
    return table.filter(pc.invert(broken)), table.filter(broken)


def check_chunk(chunk: Chunk, checks: dict[str, datetime]) -> CheckedChunk:
    """Split `chunk` into its good and bad records (one vectorised pass per table), with what
    the dedupe needs of the good ones. Pure pyarrow: the pipeline runs it in the decoding
    thread, so that the thread that stores only waits on DuckDB."""
    from cargotrace.ingest.chunk_checks import position_rule_broken, report_rule_broken
    from cargotrace.ingest.records import Chunk

    earliest, latest = checks["earliest"], checks["latest"]
    good_positions, bad_positions = _split(
        chunk.positions, position_rule_broken(chunk.positions, earliest, latest))
    good_reports, bad_reports = _split(
        chunk.reports, report_rule_broken(chunk.reports, earliest, latest))
    bad = Chunk(positions=bad_positions, reports=bad_reports, quarantine=chunk.quarantine,
                records_read=0, bytes_read=0)
    return CheckedChunk(chunk, good_rows(good_positions), good_rows(good_reports), bad)


def count_chunk(chunk: Chunk, summary: IngestSummary) -> None:
    """Count the chunk's records read and the lines its reader skipped, in `summary`."""
    summary.records_read += chunk.records_read
    summary.skipped.update(chunk.skipped)


def quarantine_chunk(
    store: Store,
    bad: Chunk,
    summary: IngestSummary,
    checks: dict[str, datetime],
    ingest_id: int,
) -> None:
    """Store the chunk's bad records (`CheckedChunk.bad`) in `quarantine`, in line order, each
    with the first rule it breaks, and count them in `summary`.

    A record chunk_checks.py calls bad but validate.py's SQL calls good would get no reason:
    `quarantine.reason` is NOT NULL, so the ingest then fails and stores nothing, rather than
    lose the record (tests/ingest/test_chunk_checks.py keeps the two in agreement).
    """
    # read by name by DuckDB's replacement scan of this frame's variables (not `register()`:
    # inside a transaction DuckDB keeps every registered table alive until the commit, which
    # once made an ingest hold every chunk of the file)
    chunk_positions_in = bad.positions  # noqa: F841
    chunk_reports_in = bad.reports  # noqa: F841
    chunk_quarantine_in = bad.quarantine  # noqa: F841
    reasons = store.con.execute(
        f"""INSERT INTO quarantine
            SELECT $source, line_no, raw, reason, detail, $ingest_id
            FROM ({_BAD}) ORDER BY line_no
            RETURNING reason""",
        {"source": summary.path, "ingest_id": ingest_id, **checks},
    ).fetchall()
    for (reason,) in reasons:
        summary.quarantined[reason] += 1
