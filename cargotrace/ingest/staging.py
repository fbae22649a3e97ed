"""Validate one chunk in DuckDB, straight from its Arrow tables: its bad records go to
`quarantine` (inside the ingest's transaction), its good ones are a query that `dedupe` stores.

Why no staging tables: a file's records once sat in temporary tables until the whole file was
read, so an ingest held the file in memory (1.1 GB for a 1M-line feed). Per-chunk temporary
tables would not help either: inside a transaction, DuckDB keeps every replaced or dropped
table until the commit. So a chunk is only ever Arrow data read by the queries that quarantine and
store it (`ChunkQueries`), and nothing of it outlives its chunk.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyarrow as pa

from cargotrace.ingest.params import IngestOptions
from cargotrace.ingest.records import Chunk
from cargotrace.ingest.summary import IngestSummary
from cargotrace.ingest.validate import (
    POSITION_VALUES_SQL,
    REPORT_VALUES_SQL,
    positions_reason_sql,
    reports_reason_sql,
)
from cargotrace.store import Store

# Per stored table: its chunk's records with the first rule each breaks (NULL: none).
_CHECKED = {
    "positions": f"SELECT *, {positions_reason_sql()} AS reason FROM chunk_positions_in",
    "vessel_reports": f"SELECT *, {reports_reason_sql()} AS reason FROM chunk_reports_in",
}

CHECKED: dict[str, str] = {
    "positions": f"SELECT {POSITION_VALUES_SQL}, station, reason "
                 f"FROM ({_CHECKED['positions']})",
    "vessel_reports": f"SELECT {REPORT_VALUES_SQL}, station, reason "
                      f"FROM ({_CHECKED['vessel_reports']})",
}
"""Per stored table, a query of the chunk's records with their stored values (all columns but
`source` and `ingest_id`) and `reason`, the first rule each breaks (NULL: a good record); it
takes the `bounds` parameters. The bad ones' values are not stored: `quarantine_chunk` stores
their raw text."""

GOOD_ROWS: dict[str, str] = {
    "positions": f"SELECT {POSITION_VALUES_SQL}, station, line_no "
                 f"FROM ({_CHECKED['positions']}) WHERE reason IS NULL",
    "vessel_reports": f"SELECT {REPORT_VALUES_SQL}, station, line_no "
                      f"FROM ({_CHECKED['vessel_reports']}) WHERE reason IS NULL",
}
"""Per stored table, the chunk's good records as `CHECKED` stores them, with their line: for
a reader that dedupes later and keeps the first copy (spark_ingest.py); takes `bounds`."""

# A line that gave both a position and a report (type 19, table rows with static columns) is
# quarantined once: its report is not counted again.
_BAD = f"""
    SELECT line_no, raw, reason, NULL::VARCHAR AS detail
    FROM ({_CHECKED['positions']}) WHERE reason IS NOT NULL
    UNION ALL
    SELECT line_no, raw, reason, NULL AS detail
    FROM ({_CHECKED['vessel_reports']}) WHERE reason IS NOT NULL
      AND line_no NOT IN (SELECT line_no FROM ({_CHECKED['positions']})
                          WHERE reason IS NOT NULL)
    UNION ALL
    SELECT line_no, raw, reason, detail FROM chunk_quarantine_in"""


BAD_RECORDS = f"SELECT line_no, raw, reason, detail FROM ({_BAD}) ORDER BY line_no"
"""The chunk's quarantine rows (its reader's and its bad values'), in line order, as
`quarantine_chunk` stores them; takes `bounds`."""


def bounds(options: IngestOptions) -> dict[str, datetime]:
    """The believable times of the validation queries (`$earliest`, `$latest`)."""
    return {"earliest": options.validation.earliest_ts,
            "latest": options.validation.latest_ts()}


class ChunkQueries:
    """Run queries that read a chunk's Arrow tables as `chunk_positions_in`,
    `chunk_reports_in` and `chunk_quarantine_in`, without copying them.

    Why not `con.register()`: inside a transaction DuckDB keeps every registered (and then
    unregistered) table alive until the commit, so an ingest held every chunk of the file
    (that, more than anything, made memory grow with the file). DuckDB's replacement scan reads
    a Python variable named in the query instead, and lets go of it with the query.
    """

    def __init__(self, store: Store, chunk: Chunk) -> None:
        self.store = store
        self.chunk = chunk

    def rows(self, sql: str, params: dict[str, Any]) -> list[Any]:
        """The result of `sql` (with named `params`) over the chunk's tables."""
        # read by name by DuckDB's replacement scan of this frame's variables
        chunk_positions_in = self.chunk.positions  # noqa: F841
        chunk_reports_in = self.chunk.reports  # noqa: F841
        chunk_quarantine_in = self.chunk.quarantine  # noqa: F841
        return self.store.con.execute(sql, params).fetchall()

    def arrow(self, sql: str, params: dict[str, Any]) -> pa.Table:
        """The result of `sql` (with named `params`) over the chunk's tables, as Arrow."""
        chunk_positions_in = self.chunk.positions  # noqa: F841
        chunk_reports_in = self.chunk.reports  # noqa: F841
        chunk_quarantine_in = self.chunk.quarantine  # noqa: F841
        return self.store.con.sql(sql, params=params).to_arrow_table()


def count_chunk(chunk: Chunk, summary: IngestSummary) -> None:
    """Count the chunk's records read and the lines its reader skipped, in `summary`."""
    summary.records_read += chunk.records_read
    summary.skipped.update(chunk.skipped)


def quarantine_chunk(
    queries: ChunkQueries,
    summary: IngestSummary,
    checks: dict[str, datetime],
    ingest_id: int,
) -> None:
    """Store the chunk's bad records in `quarantine`, in line order, and count them in
    `summary` (the caller skips this when `CHECKED` found no bad value and the reader
    quarantined nothing: most chunks of a good feed)."""
    reasons = queries.rows(
        f"""INSERT INTO quarantine
            SELECT $source, line_no, raw, reason, detail, $ingest_id
            FROM ({_BAD}) ORDER BY line_no
            RETURNING reason""",
        {"source": summary.path, "ingest_id": ingest_id, **checks},
    )
    for (reason,) in reasons:
        summary.quarantined[reason] += 1
