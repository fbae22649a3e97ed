"""Keeping a lake small and quick to read: compaction and vacuum, as typed functions.

Why: every ingest adds one file per day it touches, and every commit adds a snapshot and
leaves the files it replaced on disk for readers of older versions. Over months a day holds
dozens of small files (each one a footer a reader opens) and the folders hold every version
ever written. `compact` rewrites crowded day partitions as one file each, in one snapshot;
`vacuum` deletes the snapshots older than the newest few and every data file that none of the
kept ones lists. Both write, so they need a writing open (the writer lock): no ingest runs
meanwhile. `cargotrace lake compact|vacuum` call these (docs/reference/lake.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from cargotrace.errors import ParamsError
from cargotrace.store.lake.appends import compact_tables
from cargotrace.store.lake.files import apply_vacuum, vacuum_plan
from cargotrace.store.lake.layout import TABLE_LAYOUT, Layout
from cargotrace.store.lake.params import DEFAULT_KEEP_VERSIONS, CompactParams
from cargotrace.store.lake.store import LakeStore

DAY_TABLES = tuple(name for name, layout in TABLE_LAYOUT.items() if layout is Layout.BY_DAY)


@dataclass(frozen=True)
class CompactSummary:
    """What `compact` did, per table: the days rewritten, the files before and after."""

    version: int | None
    """The snapshot that committed it; None when no day needed compacting."""
    days: dict[str, list[str]] = field(default_factory=dict)
    files_before: dict[str, int] = field(default_factory=dict)
    files_after: dict[str, int] = field(default_factory=dict)
    rows_rewritten: dict[str, int] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compact(lake: LakeStore, params: CompactParams | None = None) -> CompactSummary:
    """Rewrite the crowded day partitions of positions and vessel_reports, one file per day,
    in one snapshot. The rows are the same before and after; the replaced files stay on disk
    until `vacuum_lake` (readers of older versions still use them)."""
    params = params or CompactParams()
    lake.require_writable("compact the lake")
    before = {t: len(lake.files_of(t)) for t in DAY_TABLES}
    version = lake.snapshot.version
    done = compact_tables(lake, DAY_TABLES, params.min_files,
                          None if params.day is None else [params.day])
    return CompactSummary(
        version=lake.snapshot.version if lake.snapshot.version != version else None,
        days={t: list(a.days) for t, a in done.items()},
        files_before=before, files_after={t: len(lake.files_of(t)) for t in DAY_TABLES},
        rows_rewritten={t: a.stored for t, a in done.items()}, params=asdict(params))


@dataclass(frozen=True)
class VacuumSummary:
    """What `vacuum` deleted (or, with `dry_run`, would delete)."""

    snapshots_removed: list[int]
    files_removed: int
    bytes_freed: int
    versions_kept: list[int]
    dry_run: bool
    keep_versions: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def vacuum_lake(lake: LakeStore, keep_versions: int = DEFAULT_KEEP_VERSIONS,
                dry_run: bool = False) -> VacuumSummary:
    """Delete the snapshots older than the newest `keep_versions` and the data files that no
    kept snapshot lists (`files.vacuum`). The current snapshot is always kept, so the lake
    reads the same before and after."""
    if keep_versions < 1:
        raise ParamsError(f"--keep {keep_versions}: must be at least 1 (the current version)")
    lake.require_writable("vacuum the lake")
    plan = vacuum_plan(lake.root, keep_versions)
    freed = sum((lake.root / name).stat().st_size for name in plan.unused
                if (lake.root / name).is_file())
    if not dry_run:
        apply_vacuum(lake.root, plan)
    return VacuumSummary(plan.dropped, len(plan.unused), freed, plan.kept, dry_run,
                         keep_versions)
