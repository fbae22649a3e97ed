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

The batch is then published in one commit (`lake_publish.publish_batch`): its new rows into
Parquet files, its quarantine, `ingests` and `meta` rows into the lake's working copies, all
in one snapshot. A kill at any point leaves the previous snapshot in force, and a re-run
redoes the whole file (tests/ingest/test_lake_writer.py).

Memory: the publish runs under the ingest's own cap (`StreamParams.store_memory_mb`) on one
DuckDB thread. Its sort of the batch's rows spills to the batch's folder past the cap; with
256 MB and two threads it held the whole batch and peaked ~170 MB above the decoding phase
(642 MB for the 988,300-line issue-16 feed against 368 MB into a DuckDB file). The spill costs
a few seconds on that feed; a second thread only doubled the sort's buffers.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeGuard

import duckdb

from cargotrace.errors import CargotraceError
from cargotrace.ingest.lake_publish import publish_batch
from cargotrace.ingest.params import IngestOptions
from cargotrace.ingest.pipeline import Progress, Stage, ingest_file
from cargotrace.ingest.summary import IngestSummary
from cargotrace.store.memory import (
    is_out_of_memory,
    memory_capped,
    one_thread,
    out_of_memory,
)
from cargotrace.store.store import Store, apply_settings

if TYPE_CHECKING:
    from cargotrace.store.lake.store import LakeStore

__all__ = ["ingest_batch_into_lake", "ingest_into_lake", "ingest_into_store"]


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
    the lake's, and the publish (sorting and writing the Parquet files) is most of it.
    Raises what the pipeline raises for an unusable file (nothing is committed then)."""
    tell = stage or (lambda _: None)
    [outcome] = ingest_batch_into_lake(lake, [path], options, progress,
                                       lambda _path, name: tell(name))
    if isinstance(outcome, CargotraceError):
        raise outcome
    return outcome


FileStage = Callable[[Path | None, str], None]
"""Called with a file and the step it starts (pipeline.STAGES: "hashing", "reading"), and with
None and "committing" when the batch's snapshot is written (a caller's progress shows which)."""


def ingest_batch_into_lake(
    lake: LakeStore, paths: Sequence[str | Path], options: IngestOptions | None = None,
    progress: Progress | None = None, stage: FileStage | None = None,
    max_rows: int | None = None,
) -> list[IngestSummary | CargotraceError]:
    """Ingest several files into the lake as one batch committed in **one snapshot**: for
    each file, in order, its summary, or the error that made it unusable (a one-line
    `CargotraceError`; its batch-mates are committed without it). `max_rows`: the batch is
    closed once its files stored this many rows (positions and reports); the files left out
    get no outcome (the list is shorter than `paths`), for the caller's next batch.

    Why one snapshot for several files: a snapshot and a Parquet file per day per file cost a
    tiny file ~0.3-0.5 s and fill the lake with tiny files (lake_batches.py groups a folder's
    files into batches). Each file is still its own ingest: its own transaction in the batch
    store (a file that fails leaves no row there), its own `ingests` row and id, skipped on a
    re-run when it was committed with the same content and options; a file's rows duplicating
    an earlier batch-mate's count as duplicates, as in a DuckDB file. A kill before the
    snapshot leaves the lake as it was, and a re-run redoes the whole batch.

    An unexpected error (not a `CargotraceError`) stops the batch: the files ingested before
    it are committed, then it is raised."""
    from cargotrace.store.lake.layout import STAGING

    lake.require_writable(f"ingest {len(paths)} file(s)")
    started = time.perf_counter()
    sources = [str(Path(p)) for p in paths]
    staging = lake.root / STAGING
    staging.mkdir(exist_ok=True)
    outcomes: list[IngestSummary | CargotraceError] = []
    # in the lake's own staging folder, not the system's: what a killed ingest spilled there
    # is removed by the next writer with the rest of what it left (`files.remove_orphans`)
    with tempfile.TemporaryDirectory(prefix="batch-", dir=staging) as folder, \
            BatchStore(Path(folder)) as batch:
        _seed(lake, batch, sources)
        options = options or IngestOptions()
        memory_mb = batch_memory_mb(options.stream.store_memory_mb)
        # the stream parameters are not part of the recorded options: same ingest, same id
        batch_options = replace(options, stream=replace(options.stream,
                                                        store_memory_mb=memory_mb))
        tell = stage or (lambda _path, _name: None)
        failure = _ingest_each(batch, paths, batch_options, progress, tell, max_rows, outcomes)
        done = [s for s in outcomes if isinstance(s, IngestSummary) and not s.already_ingested]
        if done:
            tell(None, "committing")
            publish_started = time.perf_counter()
            try:
                _commit_batch(lake, batch, done, memory_mb)
            except Exception as exc:
                raise _commit_failed(exc, done, failure) from failure
            _share_publish_time(done, time.perf_counter() - publish_started)
        if failure is not None:
            raise failure
    try:
        staging.rmdir()  # `_staging/` stays only while a write is under way
    except OSError:
        pass
    if len(paths) == 1 and done:  # one file: its whole time, seeding and commit included
        done[0].duration_s = time.perf_counter() - started
    return outcomes


def _ingest_each(batch: Store, paths: Sequence[str | Path], options: IngestOptions,
                 progress: Progress | None, tell: FileStage, max_rows: int | None,
                 outcomes: list[IngestSummary | CargotraceError]) -> Exception | None:
    """Each file into the batch store, its outcome appended; the unexpected error that
    stopped the batch (its batch-mates before it are still committed), if any."""
    for path in paths:
        try:
            outcomes.append(ingest_file(batch, path, options, progress,
                                        steps_of(Path(path), tell, batch_commit=True)))
        except CargotraceError as exc:  # the file's own transaction was rolled back
            outcomes.append(exc)
        except Exception as exc:  # noqa: BLE001 - its batch-mates are committed first
            return _told(exc, f"ingesting {Path(path).name} into the lake (the file was not "
                              "stored)")
        if max_rows is not None and _rows_held(outcomes) >= max_rows:
            break
    return None


def _told(exc: Exception, what: str) -> Exception:
    """Running out of the memory cap as one line saying what was not stored (`out_of_memory`),
    any other error as it is."""
    return out_of_memory(exc, what) if is_out_of_memory(exc) else exc


def _commit_failed(exc: Exception, done: list[IngestSummary],
                   failure: Exception | None) -> Exception:
    """The commit's error (`_told`), saying that none of `done` was stored; when a file had
    already stopped the batch (`failure`, raised from it as its cause), naming that too: its
    own message says only that this file was not stored, and its batch-mates were not either."""
    what = f"writing {_names(done)} into the lake (nothing was stored)"
    if failure is not None:
        what = f"{what} after another file of the batch failed ({_one_line(failure)})"
    error = _told(exc, what)
    if failure is not None and error is exc:  # not a message of ours: the failure as a note
        exc.add_note(f"while {what}")
    return error


def _one_line(exc: BaseException) -> str:
    """An error's first line, bounded (it names a file's failure inside another message)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text if len(text) <= 300 else text[:299] + "…"


def _names(done: list[IngestSummary]) -> str:
    return Path(done[0].path).name if len(done) == 1 else f"{len(done)} files"


def steps_of(path: Path, tell: FileStage, batch_commit: bool = False) -> Stage:
    """`tell` as the pipeline's `Stage` for one file; `batch_commit`: its "committing" is the
    batch store's, not the lake's (told once for the batch), so it is not passed on."""
    def step(name: str) -> None:
        if not (batch_commit and name == "committing"):
            tell(path, name)
    return step


def _rows_held(outcomes: list[IngestSummary | CargotraceError]) -> int:
    """Rows the batch store holds: what its files stored in it."""
    return sum(s.positions_stored + s.reports_stored for s in outcomes
               if isinstance(s, IngestSummary) and not s.already_ingested)


def _commit_batch(lake: LakeStore, batch: Store, done: list[IngestSummary],
                  memory_mb: int) -> None:
    """The batch's publish in one transaction of the lake's working copies (module docstring)."""
    lake.con.begin()
    try:
        # the ingest's own cap, on one thread: the sort beyond it spills to the batch's
        # folder (module docstring, "Memory")
        with memory_capped(batch, max(memory_mb, PUBLISH_FLOOR_MB) if memory_mb else 0), \
                one_thread(batch):
            publish_batch(lake, batch, done)
        lake.con.commit()
    except BaseException:
        lake.con.rollback()  # the working copies go back to the committed snapshot
        raise


def _share_publish_time(done: list[IngestSummary], seconds: float) -> None:
    """Each file's duration gets the batch's commit in proportion to its bytes."""
    total = sum(s.size_bytes for s in done) or 1
    for s in done:
        s.duration_s += seconds * s.size_bytes / total


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


def _seed(lake: LakeStore, batch: Store, sources: list[str]) -> None:
    """Give the batch store what the pipeline looks up in its target: every ingest (ids and
    the already-ingested check) and the quarantine rows of these sources (its dedupe)."""
    for table, where, params in (("ingests", "true", []),
                                 ("quarantine", "list_contains(?, source)", [sources])):
        rows = lake.con.sql(f"SELECT * FROM {table} WHERE {where}",
                            params=params).to_arrow_table()
        if rows.num_rows:
            batch.con.register("seed_rows", rows)
            batch.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM seed_rows")
            batch.con.unregister("seed_rows")
