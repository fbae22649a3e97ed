"""Ingest one file into the store as a single transaction.

Why one transaction: a crash or kill half-way must leave the store exactly as it was, so that a
re-run completes the job with exact counts. Why a hash of the file: ingesting the same file twice
must change nothing and say so, without re-reading millions of rows to find out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from cargotrace.errors import UnreadableInputError
from cargotrace.ingest.formats import detect_format, open_reader
from cargotrace.ingest.params import IngestOptions
from cargotrace.ingest.records import Chunk
from cargotrace.ingest.summary import IngestSummary
from cargotrace.ingest.validate import (
    POSITION_VALUES_SQL,
    REPORT_VALUES_SQL,
    positions_reason_sql,
    reports_reason_sql,
)
from cargotrace.provenance import file_sha256
from cargotrace.store import Store
from cargotrace.store.meta import SIMULATED_AIS, simulator_scenario, write_meta
from cargotrace.store.schema import POSITION_KEY, REPORT_KEY
from cargotrace.store.writes import all_or_nothing
from cargotrace.version import __version__

log = logging.getLogger(__name__)

Progress = Callable[[int], None]  # called with bytes read so far


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise UnreadableInputError(f"{path}: no such file")
    if path.is_dir():
        raise UnreadableInputError(f"{path}: is a directory; pass the files inside it")
    try:
        with path.open("rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise UnreadableInputError(f"{path}: cannot be read ({exc.strerror})") from exc


def ingest_file(
    store: Store,
    path: str | Path,
    options: IngestOptions | None = None,
    progress: Progress | None = None,
) -> IngestSummary:
    """Parse, validate, deduplicate and store one file; return what happened to every record."""
    path = Path(path)
    options = options or IngestOptions()
    _check_readable(path)
    fmt = detect_format(path, options)
    summary = IngestSummary(path=str(path), format=str(fmt), size_bytes=path.stat().st_size)
    summary.sha256 = file_sha256(path)
    options_json = options.to_json()
    previous = store.con.execute(
        "SELECT ingest_id FROM ingests WHERE sha256 = ? AND options = ?::JSON",
        [summary.sha256, options_json],
    ).fetchall()
    if previous:
        summary.ingest_id = int(previous[0][0])
        summary.already_ingested = True
        return summary

    started = time.perf_counter()
    started_at = datetime.now(UTC)
    with all_or_nothing(store, f"the ingest of {path}"):
        con = store.con
        ingest_id = _scalar(store, "SELECT coalesce(max(ingest_id), 0) + 1 FROM ingests")
        summary.ingest_id = ingest_id
        _create_staging(store)
        for chunk in open_reader(fmt, path, options):
            _stage_chunk(store, chunk, summary, options)
            if progress is not None:
                progress(chunk.bytes_read)
        _publish(store, summary, ingest_id)
        _publish_quarantine(store, summary, ingest_id)
        summary.duration_s = time.perf_counter() - started
        _log_ingest(store, summary, fmt, options_json, started_at)
        scenario = simulator_scenario(path)
        if scenario is not None:
            write_meta(store, SIMULATED_AIS, {"scenario": scenario, "file": str(path)})
        con.execute("DROP TABLE stage_positions; DROP TABLE stage_reports; "
                    "DROP TABLE stage_quarantine")
    return summary


def _create_staging(store: Store) -> None:
    """Staging tables with the core tables' columns, declared explicitly.

    Not `CREATE TABLE ... AS SELECT ... LIMIT 0`: with DuckDB 2.0.0, rows inserted into a table
    made that way inside a transaction vanish once an insert reaches one row group (122,880
    rows). tests/ingest/test_tables.py guards this.
    """
    for stage, table in (("stage_positions", "positions"), ("stage_reports", "vessel_reports")):
        columns = store.con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = ? AND column_name NOT IN ('source', 'ingest_id') "
            "ORDER BY ordinal_position",
            [table],
        ).fetchall()
        ddl = ", ".join(f'"{name}" {data_type}' for name, data_type in columns)
        store.con.execute(f"CREATE OR REPLACE TEMP TABLE {stage} ({ddl})")
    store.con.execute(
        "CREATE OR REPLACE TEMP TABLE stage_quarantine "
        "(line_no BIGINT, raw VARCHAR, reason VARCHAR, detail VARCHAR)"
    )


def _stage_chunk(
    store: Store, chunk: Chunk, summary: IngestSummary, options: IngestOptions
) -> None:
    """Validate a chunk: good records to staging, bad ones to the quarantine's staging."""
    con = store.con
    bounds = {
        "earliest": options.validation.earliest_ts,
        "latest": options.validation.latest_ts(),
    }
    summary.records_read += chunk.records_read
    summary.skipped.update(chunk.skipped)
    con.execute("CREATE OR REPLACE TEMP TABLE bad_lines (line_no BIGINT)")
    for name, table, reason_sql, values_sql in (
        ("positions", chunk.positions, positions_reason_sql(), POSITION_VALUES_SQL),
        ("reports", chunk.reports, reports_reason_sql(), REPORT_VALUES_SQL),
    ):
        if table.num_rows == 0:
            continue
        con.register("chunk_in", table)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE chunk_checked AS "
            f"SELECT *, {reason_sql} AS reason FROM chunk_in",
            bounds,
        )
        con.unregister("chunk_in")
        con.execute(
            f"INSERT INTO stage_{name} SELECT {values_sql}, station "
            f"FROM chunk_checked WHERE reason IS NULL"
        )
        # A line that gave both a position and a report (type 19, table rows with static
        # columns) is quarantined once: its report is not counted again.
        bad = (
            "reason IS NOT NULL" if name == "positions" else
            "reason IS NOT NULL AND line_no NOT IN (SELECT line_no FROM bad_lines)"
        )
        con.execute(
            f"INSERT INTO stage_quarantine SELECT line_no, raw, reason, NULL "
            f"FROM chunk_checked WHERE {bad}"
        )
        for reason, n in con.execute(
            f"SELECT reason, count(*) FROM chunk_checked WHERE {bad} GROUP BY ALL"
        ).fetchall():
            summary.quarantined[reason] += int(n)
        if name == "positions":
            con.execute(
                "INSERT INTO bad_lines "
                "SELECT DISTINCT line_no FROM chunk_checked WHERE reason IS NOT NULL"
            )
    con.execute("DROP TABLE IF EXISTS chunk_checked; DROP TABLE IF EXISTS bad_lines")
    if chunk.quarantine.num_rows:
        con.register("quarantine_in", chunk.quarantine)
        con.execute(
            "INSERT INTO stage_quarantine SELECT line_no, raw, reason, detail FROM quarantine_in"
        )
        con.unregister("quarantine_in")
        for reason in chunk.quarantine.column("reason").to_pylist():
            summary.quarantined[reason] += 1


def _key_match(columns: tuple[str, ...]) -> str:
    return " AND ".join(f"s.{c} IS NOT DISTINCT FROM t.{c}" for c in columns)


def _publish(store: Store, summary: IngestSummary, ingest_id: int) -> None:
    """Move staged records into the core tables, skipping any already there (dedupe)."""
    con = store.con
    params = {"source": summary.path, "ingest_id": ingest_id}
    for table, stage, key, attr in (
        ("positions", "stage_positions", POSITION_KEY, "positions"),
        ("vessel_reports", "stage_reports", REPORT_KEY, "reports"),
    ):
        staged = _scalar(store, f"SELECT count(*) FROM {stage}")
        keys = ", ".join(key)
        row = con.execute(
            f"""INSERT INTO {table} BY NAME
                SELECT s.*, $source AS source, $ingest_id AS ingest_id
                FROM (SELECT * FROM {stage}
                      QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY station) = 1) s
                WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {_key_match(key)})""",
            params,
        ).fetchall()
        stored = int(row[0][0])
        setattr(summary, f"{attr}_read", staged)
        setattr(summary, f"{attr}_stored", stored)
        setattr(summary, f"duplicate_{attr}", staged - stored)


def _publish_quarantine(store: Store, summary: IngestSummary, ingest_id: int) -> None:
    """Move staged quarantine rows into `quarantine`, skipping those an earlier ingest of the
    same source already put there.

    Why: a changed copy of a file (one line added) has a new hash, so it is read again; its
    good records deduplicate on their keys, and its bad records must too, or every re-ingest
    doubles the quarantine. A bad record is identified by (source, reason, raw text, its
    occurrence among identical (reason, raw) records of that source), not by its line number:
    a line added above it must not make it new, and a bad line repeated n times in a feed stays
    n rows. The rows already there keep their first ingest's line numbers.
    """
    row = store.con.execute(
        """INSERT INTO quarantine
           WITH staged AS (
               SELECT *, row_number() OVER (PARTITION BY reason, raw ORDER BY line_no) AS nth
               FROM stage_quarantine),
           earlier AS (
               SELECT reason, raw, count(*) AS n FROM quarantine WHERE source = $source
               GROUP BY reason, raw)
           SELECT $source, s.line_no, s.raw, s.reason, s.detail, $ingest_id
           FROM staged s LEFT JOIN earlier e
             ON e.reason = s.reason AND e.raw IS NOT DISTINCT FROM s.raw
           WHERE s.nth > coalesce(e.n, 0)
           ORDER BY s.line_no""",
        {"source": summary.path, "ingest_id": ingest_id},
    ).fetchall()
    summary.quarantined_before = summary.quarantined_total - int(row[0][0])


def _scalar(store: Store, sql: str) -> int:
    return int(store.con.execute(sql).fetchall()[0][0])


def _log_ingest(
    store: Store, summary: IngestSummary, fmt: object, options_json: str, started_at: datetime
) -> None:
    import json

    store.con.execute(
        "INSERT INTO ingests VALUES (?, ?, ?, ?, ?, ?::JSON, ?, ?, ?, ?, ?, ?, ?, ?::JSON, ?)",
        [
            summary.ingest_id,
            summary.path,
            summary.size_bytes,
            summary.sha256,
            str(fmt),
            options_json,
            started_at,
            datetime.now(UTC),
            summary.records_read,
            summary.positions_stored,
            summary.reports_stored,
            summary.duplicates,
            summary.quarantined_total,
            json.dumps(summary.to_dict(), default=str),
            __version__,
        ],
    )


def ingest_files(
    store: Store,
    paths: list[Path],
    options: IngestOptions | None = None,
    progress: Progress | None = None,
) -> Iterator[IngestSummary]:
    """Ingest several files, each in its own transaction (one bad file does not undo the others)."""
    for path in paths:
        yield ingest_file(store, path, options, progress)
