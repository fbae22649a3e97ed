"""Ingest one file into a lake: the laptop pipeline's batch, committed to the lake's files.

Why through the pipeline on a batch store: the pipeline (pipeline.py) already reads every
format, validates, quarantines with reason codes, dedupes within the file, skips a file
ingested before with the same options, and keeps memory bounded while it does; none of that is
repeated here. The seam is `ingest_file(batch, path, options, progress)`, unchanged: the batch
is an in-memory DuckDB store (`BatchStore`) seeded with what the pipeline consults in the
target store (the lake's `ingests`, and its `quarantine` rows of the same source), so ingest
ids, the "already ingested" answer and the quarantine's per-source dedupe are the lake's.

Why in memory: the batch's rows are written to disk once, as the lake's Parquet files. A
scratch DuckDB file wrote them a first time (decision 0012), to be read back and deleted. The
ingest's memory cap still holds: DuckDB moves what does not fit to a folder in the lake's
`_staging/`, so a killed ingest's spill goes with the next writer's orphan clean-up.

The batch is then published in one commit (`_publish`): positions and vessel reports not
already in their day partitions go from the batch straight into new Parquet files (the
anti-join and the `COPY` are one query on the batch's connection), the batch's quarantine rows
are appended, and the ingest's row (with its counts corrected for rows the lake already held)
and any `meta` it wrote go into the lake's working copies, all in one snapshot. A kill at any
point leaves the previous snapshot in force, and a re-run redoes the whole file
(tests/ingest/test_lake_writer.py).

Memory: the publish runs under the ingest's own cap (`StreamParams.store_memory_mb`) on one
DuckDB thread. Its sort of the batch's rows spills to the batch's folder past the cap; with
256 MB and two threads it held the whole batch and peaked ~170 MB above the decoding phase
(642 MB for the 988,300-line issue-16 feed against 368 MB into a DuckDB file). The spill costs
a few seconds on that feed; a second thread only doubled the sort's buffers.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeGuard

import duckdb

from cargotrace.ingest.params import IngestOptions
from cargotrace.ingest.pipeline import Progress, Stage, ingest_file
from cargotrace.ingest.summary import IngestSummary
from cargotrace.store.memory import (
    is_out_of_memory,
    memory_capped,
    one_thread,
    out_of_memory,
)
from cargotrace.store.schema import POSITION_KEY, REPORT_KEY
from cargotrace.store.store import Store, apply_settings

if TYPE_CHECKING:
    from cargotrace.store.lake.snapshot import DataFile
    from cargotrace.store.lake.store import LakeStore

__all__ = ["ingest_into_lake", "ingest_into_store"]


def ingest_into_store(
    store: Store, path: str | Path, options: IngestOptions | None = None,
    progress: Progress | None = None, stage: Stage | None = None,
) -> IngestSummary:
    """Ingest one file into either kind of store: a lake through `ingest_into_lake`, a DuckDB
    file through the pipeline directly (what `cargotrace ingest` calls). `progress`, `stage`:
    pipeline.Progress and pipeline.Stage."""
    store.require_writable(f"ingest {Path(path).name}")
    if _is_lake(store):
        return ingest_into_lake(store, path, options, progress, stage)
    return ingest_file(store, path, options, progress, stage)


def _is_lake(store: Store) -> TypeGuard[LakeStore]:
    """Whether `store` is a `LakeStore`, without importing the lake's modules when no lake is
    open: they import pyarrow (~0.2 s of a CSV ingest's start-up, issue 16), and a LakeStore
    can only exist once its module is loaded."""
    module = sys.modules.get("cargotrace.store.lake.store")
    return module is not None and isinstance(store, module.LakeStore)


def ingest_into_lake(
    lake: LakeStore, path: str | Path, options: IngestOptions | None = None,
    progress: Progress | None = None, stage: Stage | None = None,
) -> IngestSummary:
    """Parse, validate, deduplicate and commit one file to the lake (module docstring).
    `stage` hears "committing" once, when the publish starts: the batch's own commit is not
    the lake's, and the publish (sorting and writing the Parquet files) is most of it."""
    lake.require_writable(f"ingest {Path(path).name}")
    try:
        return _ingest_into_lake(lake, path, options, progress, stage)
    except Exception as exc:
        if is_out_of_memory(exc):  # the batch and the lake are as they were: nothing stored
            raise out_of_memory(exc, f"ingesting {Path(path).name} into the lake (nothing "
                                     "was stored)") from exc
        raise


def _ingest_into_lake(
    lake: LakeStore, path: str | Path, options: IngestOptions | None,
    progress: Progress | None, stage: Stage | None,
) -> IngestSummary:
    started = time.perf_counter()
    from cargotrace.store.lake.layout import STAGING

    source = str(Path(path))
    staging = lake.root / STAGING
    staging.mkdir(exist_ok=True)
    # in the lake's own staging folder, not the system's: what a killed ingest spilled there
    # is removed by the next writer with the rest of what it left (`files.remove_orphans`)
    with tempfile.TemporaryDirectory(prefix="batch-", dir=staging) as folder, \
            BatchStore(Path(folder)) as batch:
        _seed(lake, batch, source)
        options = options or IngestOptions()
        memory_mb = batch_memory_mb(options.stream.store_memory_mb)
        # the stream parameters are not part of the recorded options: same ingest, same id
        batch_options = replace(options, stream=replace(options.stream,
                                                        store_memory_mb=memory_mb))
        tell = stage or (lambda _: None)
        summary = ingest_file(batch, path, batch_options, progress,
                              lambda name: None if name == "committing" else tell(name))
        if summary.already_ingested:
            return summary
        tell("committing")
        lake.con.begin()
        try:
            # the ingest's own cap, on one thread: the sort beyond it spills to the batch's
            # folder (module docstring, "Memory")
            with memory_capped(batch, max(memory_mb, PUBLISH_FLOOR_MB) if memory_mb else 0), \
                    one_thread(batch):
                _publish(lake, batch, summary)
            lake.con.commit()
        except BaseException:
            lake.con.rollback()  # the working copies go back to the committed snapshot
            raise
    try:
        staging.rmdir()  # `_staging/` stays only while a write is under way
    except OSError:
        pass
    summary.duration_s = time.perf_counter() - started
    return summary


BATCH_SHARE = 0.75
"""The share of the ingest's DuckDB cap (`StreamParams.store_memory_mb`) that the lake's
in-memory batch gets, while it is filled and while it is published.

Why less than the whole cap: an in-memory batch holds more outside DuckDB's accounting than a
store file's transaction does (its rows stay in memory blocks rather than written to the file
as they come), and the lake's own connection and pyarrow's Parquet module sit beside it.
Measured on the issue-16 feed (988,300 lines): at the full 64 MB the lake ingest peaked ~35 MB
above the DuckDB file's 368 MB; at 48 MB it is at the file's (docs/reference/performance.md)."""


BATCH_FLOOR_MB = 16
"""The share is never taken below this (a cap the user set lower is kept as it is): DuckDB
cannot pin the blocks of a batch below ~12 MB."""


PUBLISH_FLOOR_MB = 32
"""The least cap the publish runs under: its sort and Parquet writer need a few row groups'
buffers pinned at once, which a 12 MB cap (enough to fill the batch) cannot give."""


def batch_memory_mb(store_memory_mb: int) -> int:
    """The batch's cap for an ingest cap of `store_memory_mb` (0: none, DuckDB's own)."""
    if not store_memory_mb:
        return 0
    return max(min(store_memory_mb, BATCH_FLOOR_MB), round(store_memory_mb * BATCH_SHARE))


class BatchStore(Store):
    """An in-memory DuckDB store that holds one file's batch, spilling what does not fit under
    the ingest's memory cap to `spill` (a folder of the lake's `_staging/`).

    Why in memory: the batch is read once more, to be written as the lake's Parquet files, and
    then thrown away; a DuckDB file wrote every row to disk a first time (its blocks, then a
    checkpoint) for nothing. Memory stays bounded by the cap (`store.memory.memory_capped`
    applies to it, as `spills` is true): past it DuckDB writes blocks to `spill`, so a large
    file costs some temporary disk, a file that fits costs none."""

    def __init__(self, spill: Path) -> None:
        # its path is the spill folder: a failure names the lake's batch, not ":memory:"
        self.spill = spill
        super().__init__(spill)

    @property
    def spills(self) -> bool:
        return True

    def _connect(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(":memory:")
        apply_settings(con, spill=self.spill)
        return con


def _seed(lake: LakeStore, batch: Store, source: str) -> None:
    """Give the batch store what the pipeline looks up in its target: every ingest (ids and
    the already-ingested check) and the quarantine rows of this source (its dedupe)."""
    for table, where, params in (("ingests", "true", []),
                                 ("quarantine", "source = ?", [source])):
        rows = lake.con.sql(f"SELECT * FROM {table} WHERE {where}",
                            params=params).to_arrow_table()
        if rows.num_rows:
            batch.con.register("seed_rows", rows)
            batch.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM seed_rows")
            batch.con.unregister("seed_rows")


def _publish(lake: LakeStore, batch: Store, summary: IngestSummary) -> None:
    """The batch's rows into the lake, and one snapshot committing them (module docstring):
    the rows go from the batch's connection straight into Parquet; the `ingests` row and the
    `meta` rows (a few) are copied into the lake's working copies."""
    from cargotrace.store.lake.appends import append_new_rows, append_rows

    ingest_id = summary.ingest_id
    assert ingest_id is not None  # the pipeline numbers every ingest it stores
    positions = append_new_rows(lake, "positions", "SELECT * FROM positions", POSITION_KEY,
                                con=batch.con)
    reports = append_new_rows(lake, "vessel_reports", "SELECT * FROM vessel_reports",
                              REPORT_KEY, con=batch.con)
    replaced: dict[str, tuple[DataFile, ...]] = {}
    if summary.quarantine_resolved:  # earlier rows of this source are gone from the batch
        replaced["quarantine"] = _rewritten_quarantine(lake, batch, summary.path)
        quarantined: tuple[DataFile, ...] = ()
    else:
        quarantined = append_rows(lake, "quarantine",
                                  f"SELECT * FROM quarantine WHERE ingest_id = {ingest_id:d}",
                                  con=batch.con)
    # rows of the file that the lake held already are duplicates, as in the DuckDB store
    summary.duplicate_positions += summary.positions_stored - positions.stored
    summary.positions_stored = positions.stored
    summary.duplicate_reports += summary.reports_stored - reports.stored
    summary.reports_stored = reports.stored
    con = lake.con
    for table, where in (("ingests", f"ingest_id = {ingest_id:d}"),
                         ("meta", "key <> 'schema_version'")):
        rows = batch.con.sql(f"SELECT * FROM {table} WHERE {where}").to_arrow_table()
        con.register("batch_rows", rows)
        try:
            verb = "INSERT" if table == "ingests" else "INSERT OR REPLACE"
            con.execute(f"{verb} INTO {table} BY NAME SELECT * FROM batch_rows")
        finally:
            con.unregister("batch_rows")
    con.execute("UPDATE ingests SET positions_stored = ?, reports_stored = ?, duplicates = ?, "
                "counts = ?::JSON WHERE ingest_id = ?",
                [summary.positions_stored, summary.reports_stored, summary.duplicates,
                 json.dumps(summary.to_dict(), default=str), ingest_id])
    lake.commit("ingest", {
        "path": summary.path, "sha256": summary.sha256, "ingest_id": ingest_id,
        "positions_stored": positions.stored, "reports_stored": reports.stored,
        "days": sorted({*positions.days, *reports.days}),
        "quarantine_resolved": summary.quarantine_resolved,
    }, {"positions": positions.files, "vessel_reports": reports.files,
        "quarantine": quarantined}, replaced)


def _rewritten_quarantine(lake: LakeStore, batch: Store, source: str) -> tuple[DataFile, ...]:
    """The lake's new `quarantine` file list when this ingest resolved rows of earlier
    ingests (dedupe.resolve_quarantined, run in the batch, which was seeded with every row of
    this source): the files holding rows of this source are replaced by the batch's rows of
    it (and the other sources' rows those files hold, if any); the other files are kept. The
    old files stay for readers of older versions until a vacuum."""
    from cargotrace.store.lake.appends import append_rows
    from cargotrace.store.lake.files import write_files
    from cargotrace.store.lake.store import files_sql

    files = lake.files_of("quarantine")
    holding = {str(r[0]) for r in lake.con.execute(
        "SELECT DISTINCT filename FROM read_parquet(?, filename = true) WHERE source = ?",
        [[str(lake.root / f.path) for f in files], source]).fetchall()} if files else set()
    old = [f for f in files if str(lake.root / f.path) in holding]
    kept = tuple(f for f in files if f not in old)
    others = write_files(lake.con, lake.root, "quarantine",
                         f"SELECT * FROM ({files_sql(lake.root, 'quarantine', old)}) "
                         "WHERE source <> $source", {"source": source}) if old else ()
    mine = append_rows(lake, "quarantine", "SELECT * FROM quarantine", con=batch.con)
    return kept + others + mine
