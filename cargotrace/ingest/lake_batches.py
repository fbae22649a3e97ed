"""Ingest many files: into a lake in batches, each batch one snapshot; into a DuckDB file one
file after another.

Why batches (issue 23): a lake commits a snapshot and writes a Parquet file per day per
commit, so a file ingested alone costs ~0.3-0.5 s even when it holds a few hundred rows, and a
folder of 1,000 daily files leaves the lake 1,000 snapshots and thousands of tiny Parquet files
that every reader opens. Grouped, the files of a batch share one in-memory batch store, one
anti-join against the lake's days, one Parquet file per day and one snapshot
(`lake_writer.ingest_batch_into_lake`). Each file stays its own ingest: skipped on a re-run
when it was committed before, refused in one line when it is unusable without its
batch-mates losing anything, and a kill between batches leaves the lake at the last batch's
snapshot, which a re-run completes.

Why bounded batches: the batch lives in memory (spilling past the ingest's cap) until its
commit, and a kill loses the batch under way; `LakeBatchParams` keeps both small.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cargotrace.errors import CargotraceError
from cargotrace.ingest.params import IngestOptions, LakeBatchParams
from cargotrace.ingest.pipeline import Progress

if TYPE_CHECKING:
    from cargotrace.ingest.lake_writer import FileStage
    from cargotrace.ingest.summary import IngestSummary
    from cargotrace.store.store import Store

__all__ = ["LakeBatchParams", "ingest_files", "plan_batches"]

MIB = 1024 * 1024


def plan_batches(sizes: Sequence[int], params: LakeBatchParams | None = None
                 ) -> list[range]:
    """The batches of files of `sizes` bytes (in order), as ranges of their indexes."""
    params = params or LakeBatchParams()
    limit = params.max_mb * MIB
    batches: list[range] = []
    start, total = 0, 0
    for i, size in enumerate(sizes):
        full = i - start >= params.max_files or (i > start and total + size > limit)
        if full:
            batches.append(range(start, i))
            start, total = i, 0
        total += size
    if start < len(sizes):
        batches.append(range(start, len(sizes)))
    return batches


def _size(path: Path) -> int:
    """Bytes of `path`; 0 for what cannot be stat'ed (its ingest says why, in one line)."""
    try:
        return path.stat().st_size if path.is_file() else 0
    except OSError:
        return 0


def ingest_files(
    store: Store, paths: Sequence[str | Path], options: IngestOptions | None = None,
    params: LakeBatchParams | None = None, progress: Progress | None = None,
    stage: FileStage | None = None,
) -> list[IngestSummary | CargotraceError]:
    """Ingest `paths` into `store` (module docstring): for each file, in order, its summary
    or the one-line error that made it unusable. A lake ingests them in batches
    (`LakeBatchParams`), a DuckDB file one by one, each file its own transaction.
    `progress`: bytes read, over all files; `stage`: lake_writer.FileStage."""
    from cargotrace.ingest.lake_writer import _is_lake, ingest_batch_into_lake, steps_of
    from cargotrace.ingest.pipeline import ingest_file

    store.require_writable(f"ingest {len(paths)} file(s)")
    files = [Path(p) for p in paths]
    outcomes: list[IngestSummary | CargotraceError] = []
    if _is_lake(store):
        params = params or LakeBatchParams()
        sizes = [_size(p) for p in files]
        while len(outcomes) < len(files):  # a batch may close early on its rows
            start = len(outcomes)
            batch = plan_batches(sizes[start:], params)[0]
            outcomes += ingest_batch_into_lake(store, files[start:start + len(batch)], options,
                                               progress, stage, params.max_rows)
        return outcomes
    tell = stage or (lambda _path, _name: None)
    for path in files:
        try:
            outcomes.append(ingest_file(store, path, options, progress, steps_of(path, tell)))
        except CargotraceError as exc:  # its transaction was rolled back
            outcomes.append(exc)
    return outcomes
