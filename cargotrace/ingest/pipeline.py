"""Ingest one file into the store as a single transaction, streamed chunk by chunk.

Why one transaction: a crash or kill half-way must leave the store exactly as it was, so that a
re-run completes the job with exact counts. Why a hash of the file: ingesting the same file twice
must change nothing and say so, without re-reading millions of rows to find out. Why chunk by
chunk: memory is set by the chunk size, not the file's (docs/decisions/0001): a worker thread
decodes the next chunks (`read_ahead`) while DuckDB validates (`staging`) and stores
(`dedupe`) the current one, with its memory capped (`store.memory`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import closing, nullcontext
from datetime import UTC, datetime
from pathlib import Path

from cargotrace.errors import UnreadableInputError
from cargotrace.ingest.dedupe import (
    StoredSoFar,
    drop_requarantined,
    resolve_quarantined,
    store_new_rows,
)
from cargotrace.ingest.formats import detect_format, open_reader
from cargotrace.ingest.params import IngestOptions, InputFormat
from cargotrace.ingest.read_ahead import ReadAhead, read_ahead
from cargotrace.ingest.staging import (
    CheckedChunk,
    bounds,
    check_chunk,
    count_chunk,
    quarantine_chunk,
)
from cargotrace.ingest.summary import IngestSummary
from cargotrace.ingest.table_stage import SqlSource, staged_in_sql
from cargotrace.ingest.table_store import store_staged
from cargotrace.ingest.validate import POSITION_VALUES_SQL, REPORT_VALUES_SQL
from cargotrace.provenance import file_sha256
from cargotrace.store import Store
from cargotrace.store.memory import memory_capped, one_thread, replacement_scans
from cargotrace.store.meta import SIMULATED_AIS, simulator_scenario, write_meta
from cargotrace.store.schema import POSITION_KEY, REPORT_KEY
from cargotrace.store.writes import all_or_nothing
from cargotrace.version import __version__

log = logging.getLogger(__name__)

Progress = Callable[[int], None]
"""Called with the bytes of the file read since its last call (a bar advances by them)."""
Stage = Callable[[str], None]
"""Called with the name of the step an ingest starts (`STAGES`), so that a caller's progress
shows what happens while no bytes are read: hashing the file before the first chunk, and the
commit (a lake's Parquet files) after the last one. The library never draws."""
STAGES = ("hashing", "reading", "committing")


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
    stage: Stage | None = None,
) -> IngestSummary:
    """Parse, validate, deduplicate and store one file; return what happened to every record.
    `progress` and `stage`: see `Progress` and `Stage`."""
    path = Path(path)
    options = options or IngestOptions()
    _check_readable(path)
    fmt = detect_format(path, options)
    summary = IngestSummary(path=str(path), format=str(fmt), size_bytes=path.stat().st_size)
    checks = bounds(options)
    # an NMEA file is always read in chunks: the decoding thread starts on it while the file
    # is hashed (~0.1 s that were spent before any decoding), and stops if it was ingested
    early = _checked_chunks(fmt, path, options, checks) if fmt is InputFormat.NMEA else None
    tell = stage or (lambda _: None)
    with closing(early) if early is not None else nullcontext():
        tell("hashing")
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
        tell("reading")
        _ingest(store, path, fmt, options, options_json, checks, summary, early, progress, tell)
    return summary


def _memory_mb(staged: SqlSource | None, options: IngestOptions) -> int:
    """DuckDB's cap while the file is stored: a table staged in SQL keeps the limit it was
    staged under (at least 128 MB: its deduplication runs in SQL over whole groups of vessels;
    the 64 MB of a chunk pushed the staged table to disk and a 3M-row Parquet out of memory)."""
    return staged.memory_mb if staged is not None else options.stream.store_memory_mb


def _checked_chunks(fmt: InputFormat, path: Path, options: IngestOptions,
                    checks: dict[str, datetime]) -> ReadAhead[CheckedChunk]:
    """The file's chunks, decoded and split into good and bad records in the decoding
    thread, which starts now."""
    checked = (check_chunk(chunk, checks) for chunk in open_reader(fmt, path, options))
    return read_ahead(checked, options.stream.chunks_ahead)


def _ingest(store: Store, path: Path, fmt: InputFormat, options: IngestOptions,
            options_json: str, checks: dict[str, datetime], summary: IngestSummary,
            early: ReadAhead[CheckedChunk] | None, progress: Progress | None,
            tell: Stage) -> None:
    """Store the file in one transaction (module docstring); `early`: its chunks, if their
    decoding has already begun."""
    started = time.perf_counter()
    started_at = datetime.now(UTC)
    with staged_in_sql(store, fmt, path, options) as staged, \
            memory_capped(store, _memory_mb(staged, options)), \
            replacement_scans(store), \
            all_or_nothing(store, f"the ingest of {path}"):
        ingest_id = _scalar(store, "SELECT coalesce(max(ingest_id), 0) + 1 FROM ingests")
        summary.ingest_id = ingest_id
        if staged is not None:  # a table DuckDB has read: stored in SQL (table_store.py)
            store_staged(store, staged, summary, checks, ingest_id)
            if progress is not None:
                progress(summary.size_bytes)
        else:
            chunks = early if early is not None else _checked_chunks(fmt, path, options, checks)
            # on a failure, the decoding thread stops before the rollback
            so_far = {t: StoredSoFar.of(store, t) for t in ("positions", "vessel_reports")}
            with closing(chunks), one_thread(store):
                for chunk in chunks:
                    _store_chunk(store, chunk, summary, checks, ingest_id, so_far)
                    if progress is not None:
                        progress(chunk.read.bytes_read)
        summary.quarantine_resolved = resolve_quarantined(store, summary.path, summary.sha256,
                                                          ingest_id)
        summary.quarantined_before = drop_requarantined(store, summary.path, ingest_id)
        summary.duration_s = time.perf_counter() - started
        _log_ingest(store, summary, fmt, options_json, started_at)
        scenario = simulator_scenario(path)
        if scenario is not None:
            write_meta(store, SIMULATED_AIS, {"scenario": scenario, "file": str(path)})
        tell("committing")


def _store_chunk(
    store: Store,
    checked: CheckedChunk,
    summary: IngestSummary,
    checks: dict[str, datetime],
    ingest_id: int,
    so_far: dict[str, StoredSoFar],
) -> None:
    """Store a checked chunk's new good records and quarantine its bad ones (`so_far`: what
    the ingest knows of each table, `dedupe.StoredSoFar`)."""
    count_chunk(checked.read, summary)
    for good, values_sql, table, key, attr in (
        (checked.good_positions, POSITION_VALUES_SQL, "positions", POSITION_KEY, "positions"),
        (checked.good_reports, REPORT_VALUES_SQL, "vessel_reports", REPORT_KEY, "reports"),
    ):
        stored = store_new_rows(store, good, values_sql, table, key, summary.path, ingest_id,
                                so_far[table])
        read = getattr(summary, f"{attr}_read") + good.table.num_rows
        stored += getattr(summary, f"{attr}_stored")
        setattr(summary, f"{attr}_read", read)
        setattr(summary, f"{attr}_stored", stored)
        setattr(summary, f"duplicate_{attr}", read - stored)
    if checked.bad_records:
        quarantine_chunk(store, checked.bad, summary, checks, ingest_id)


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
