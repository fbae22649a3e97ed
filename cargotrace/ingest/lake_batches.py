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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cargotrace.errors import CargotraceError, ParamsError
from cargotrace.ingest.params import IngestOptions
from cargotrace.ingest.pipeline import Progress

if TYPE_CHECKING:
    from cargotrace.ingest.lake_writer import FileStage
    from cargotrace.ingest.summary import IngestSummary
    from cargotrace.store.store import Store

__all__ = ["LakeBatchParams", "ingest_files", "plan_batches"]

MIB = 1024 * 1024


@dataclass(frozen=True)
class LakeBatchParams:
    """How `ingest_files` groups a lake ingest's files into batches (one snapshot each).

    A batch is closed when adding the next file would pass `max_files` files or `max_mb` MiB
    of input, or once its files stored `max_rows` rows; a file larger than `max_mb` is a batch
    of its own (one snapshot per file, as before batches). Files keep their order."""

    max_files: int = 500
    """At most this many files per snapshot. 500 daily files (more than a year) commit at
    once; a kill loses at most that many files' work."""
    max_mb: float = 256.0
    """At most this many MiB of input files per snapshot. About the size of one large file that
    the lake ingest already commits alone (a 1M-line NMEA feed is ~75 MiB); more would make a
    kill lose more work and the batch spill more, for no fewer snapshots worth having."""

    max_rows: int = 1_000_000
    """A batch is closed once its files stored this many rows (positions and vessel reports),
    whatever their bytes: Parquet input holds ~10x more rows per MiB than NMEA or CSV, and the
    batch's commit writes every day it spans at once under the ingest's memory cap. A
    35-file, 10M-row batch of daily Parquet files ran out of the 48 MB cap there; one file
    of ~1M rows (the 988,300-line feed) is what a single-file ingest already commits."""

    def __post_init__(self) -> None:
        if self.max_files < 1:
            raise ParamsError(f"max_files must be at least 1 (got {self.max_files})")
        if not self.max_mb > 0:
            raise ParamsError(f"max_mb must be positive (got {self.max_mb})")
        if self.max_rows < 1:
            raise ParamsError(f"max_rows must be at least 1 (got {self.max_rows})")


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
