"""Writing a table's Parquet files into the lake, and removing files no snapshot needs.

Why files are written to `_staging/` first and then moved: DuckDB's partitioned `COPY` chooses
the file names inside each `day=` folder, so writing straight into the table's folder would
leave no way to tell this write's files from the others. In `_staging/<uuid>/` every file is
this write's; each is then renamed into place (atomic on one file system) and listed, with its
row count from the Parquet footer, for the snapshot that commits it. Until that commit the
files are orphans: no reader sees them, and a writer killed now leaves them for
`remove_orphans`.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow.parquet as pq

from cargotrace.store.lake.layout import (
    PARTITION_COLUMN,
    SORT_KEYS,
    STAGING,
    TABLE_LAYOUT,
    Layout,
    relative,
)
from cargotrace.store.lake.params import DEFAULT_KEEP_VERSIONS
from cargotrace.store.lake.snapshot import (
    DataFile,
    fsync_path,
    read_snapshot,
    snapshot_path,
    sync_folder,
    versions,
)
from cargotrace.store.schema import SPECS

log = logging.getLogger(__name__)

PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION zstd"
"""zstd: about a third smaller than snappy on positions; DuckDB, Spark and pyarrow read it."""


def day_sql(column: str = "ts") -> str:
    """The partition value of a row: the UTC date of `column` as `YYYY-MM-DD` (the connection's
    time zone is UTC: store.LakeStore sets it)."""
    return f"strftime(\"{column}\", '%Y-%m-%d')"


def write_files(con: Any, root: Path, table: str, select_sql: str,
                params: dict[str, object] | None = None) -> tuple[DataFile, ...]:
    """Write the rows of `select_sql` (the table's columns, by name) as new data files of
    `table`, laid out as `layout.TABLE_LAYOUT` says; the files, not yet committed. No rows:
    no file."""
    spec = SPECS[table]
    columns = ", ".join(f'"{c}"' for c in spec.names)
    order = ", ".join(f'"{c}"' for c in SORT_KEYS.get(table, ()))
    by_day = TABLE_LAYOUT[table] is Layout.BY_DAY
    staging = root / STAGING / uuid.uuid4().hex
    staging.mkdir(parents=True)
    try:
        query = f"SELECT {columns}" + (f", {day_sql()} AS {PARTITION_COLUMN}" if by_day else "")
        query += f" FROM ({select_sql})" + (f" ORDER BY {order}" if order else "")
        if by_day:
            target = f"'{staging}' ({PARQUET_OPTIONS}, PARTITION_BY ({PARTITION_COLUMN}), " \
                     "FILENAME_PATTERN '{uuid}')"
        else:
            target = f"'{staging / (uuid.uuid4().hex + '.parquet')}' ({PARQUET_OPTIONS})"
        con.execute(f"COPY ({query}) TO {target}", params or {})
        return tuple(move_into_place(root, table, staging))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        try:
            staging.parent.rmdir()  # `_staging/` stays only while a write is under way
        except OSError:
            pass  # another write's folder is in it, or it is gone already


def move_into_place(root: Path, table: str, staging: Path) -> list[DataFile]:
    placed: list[DataFile] = []
    for folder, _, names in sorted(os.walk(staging)):
        for name in sorted(n for n in names if n.endswith(".parquet")):
            source = Path(folder) / name
            rows = pq.read_metadata(source).num_rows
            if rows == 0:
                continue
            part = Path(folder).relative_to(staging)
            day = part.name.split("=", 1)[1] if part.name.startswith(f"{PARTITION_COLUMN}=") \
                else None
            destination = root / table / part / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            fsync_path(source)
            os.rename(source, destination)
            sync_folder(destination.parent)
            placed.append(DataFile(relative(root, destination), rows,
                                   destination.stat().st_size, day))
    return placed


def data_files_on_disk(root: Path) -> set[str]:
    """Every Parquet file under the tables' folders, relative to the lake."""
    found: set[str] = set()
    for table in TABLE_LAYOUT:
        folder = root / table
        if not folder.is_dir():
            continue
        for sub, _, names in os.walk(folder):
            found.update(relative(root, Path(sub) / n) for n in names if n.endswith(".parquet"))
    return found


def remove_orphans(root: Path) -> int:
    """Delete the data files no snapshot lists and whatever `_staging/` holds: what a writer
    killed before its commit left behind. Only the lock holder may call this (another
    writer's files are orphans until it commits); the number of files removed."""
    listed: set[str] = set()
    for version in versions(root):
        listed |= read_snapshot(root, version).paths()
    orphans = sorted(data_files_on_disk(root) - listed)
    for name in orphans:
        (root / name).unlink(missing_ok=True)
    shutil.rmtree(root / STAGING, ignore_errors=True)
    if orphans:
        log.info("%s: removed %d file(s) an unfinished write left behind", root, len(orphans))
    return len(orphans)


class VacuumPlan(NamedTuple):
    """What `vacuum` deletes."""

    dropped: list[int]
    """Snapshot versions older than the newest `keep_versions`."""
    kept: list[int]
    """The versions that stay (the newest always does)."""
    unused: list[str]
    """Data files no kept version lists (relative to the lake): the files only old versions
    listed, and the orphans a killed writer left."""


def vacuum_plan(root: Path, keep_versions: int = DEFAULT_KEEP_VERSIONS) -> VacuumPlan:
    """What `vacuum` would delete, touching nothing."""
    if keep_versions < 1:
        raise ValueError("keep_versions must be at least 1")
    found = versions(root)
    kept, dropped = found[-keep_versions:], found[:-keep_versions]
    listed: set[str] = set()
    for version in kept:
        listed |= read_snapshot(root, version).paths()
    return VacuumPlan(dropped, kept, sorted(data_files_on_disk(root) - listed))


def apply_vacuum(root: Path, plan: VacuumPlan) -> int:
    """Delete what `plan` lists: its unused data files first, then its dropped snapshots (a
    crash half-way leaves snapshots whose files are all there); the data files deleted. Only
    the lock holder may call this."""
    for name in plan.unused:
        (root / name).unlink(missing_ok=True)
    for version in plan.dropped:
        snapshot_path(root, version).unlink(missing_ok=True)
    return len(plan.unused)


def vacuum(root: Path, keep_versions: int = DEFAULT_KEEP_VERSIONS) -> int:
    """Delete the snapshots older than the newest `keep_versions` and the data files only they
    listed; the number of data files deleted. Only the lock holder may call this. A reader
    still reading a deleted version fails, so keep enough versions for the longest read."""
    return apply_vacuum(root, vacuum_plan(root, keep_versions))
