"""Snapshots: the list of data files that make up each table at one committed version.

Why: a folder of Parquet files has no transactions. A reader that listed the folder while a
writer was adding files would see half an ingest; a writer killed half-way would leave files
that look like data. So a table is never "the files in its folder": it is the files the current
snapshot lists. A commit writes its data files first (under new, unique names; nothing is ever
overwritten), then publishes snapshot N+1, which lists the whole lake's files, by creating
`_snapshots/<N+1>.json` with an exclusive create (a hard link from a fully written temporary
file). The link either exists, complete, or not at all: readers see version N or N+1, never a
mix, and a killed writer leaves version N in force plus files no snapshot lists (orphans,
removed by the next writer: `files.remove_orphans`). Two writers racing for N+1 cannot both
win (the second link fails), although the writer lock (lock.py) keeps them from trying.

On an object store the same protocol needs a put-if-absent (S3 `If-None-Match: *`, GCS
`ifGenerationMatch=0`, Azure `If-None-Match: *`) in place of the hard link: designed for,
not implemented here (layout.lake_location refuses URLs).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cargotrace.errors import StoreError
from cargotrace.store.lake.layout import FORMAT, FORMAT_VERSION, SNAPSHOTS
from cargotrace.store.schema import SCHEMA_VERSION

_NAME = re.compile(r"^(\d{20})\.json$")


@dataclass(frozen=True)
class DataFile:
    """One Parquet file of a table: its path relative to the lake, and what it holds."""

    path: str
    rows: int
    size_bytes: int
    day: str | None = None
    """The `day=` partition (UTC date of `ts`) for day-partitioned tables, else None."""

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"path": self.path, "rows": self.rows, "size_bytes": self.size_bytes}
        if self.day is not None:
            doc["day"] = self.day
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> DataFile:
        return cls(str(doc["path"]), int(doc["rows"]), int(doc["size_bytes"]), doc.get("day"))


@dataclass(frozen=True)
class Snapshot:
    """One committed version of the lake: every table's files, and what made this version."""

    version: int
    tables: dict[str, tuple[DataFile, ...]] = field(default_factory=dict)
    operation: str = "create"
    details: dict[str, Any] = field(default_factory=dict)
    """Provenance of the commit: e.g. the ingested file, its sha256 and ingest_id."""
    committed_at: str = ""

    def files(self, table: str) -> tuple[DataFile, ...]:
        return self.tables.get(table, ())

    def rows(self, table: str) -> int:
        return sum(f.rows for f in self.files(table))

    def days(self, table: str) -> set[str]:
        return {f.day for f in self.files(table) if f.day is not None}

    def paths(self) -> set[str]:
        """Every data file this snapshot lists, relative to the lake."""
        return {f.path for files in self.tables.values() for f in files}

    def next(
        self, tables: dict[str, tuple[DataFile, ...]], operation: str,
        details: dict[str, Any] | None = None,
    ) -> Snapshot:
        """The snapshot after this one: `tables` replaces the file lists of the tables it
        names (the others are kept as they are)."""
        return replace(self, version=self.version + 1, tables={**self.tables, **tables},
                       operation=operation, details=details or {},
                       committed_at=datetime.now(UTC).isoformat(timespec="microseconds"))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "format_version": FORMAT_VERSION, "schema_version": SCHEMA_VERSION,
            "version": self.version, "committed_at": self.committed_at,
            "operation": self.operation, "details": self.details,
            "tables": {name: [f.to_json() for f in files]
                       for name, files in sorted(self.tables.items())},
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Snapshot:
        return cls(
            version=int(doc["version"]),
            tables={name: tuple(DataFile.from_json(f) for f in files)
                    for name, files in doc.get("tables", {}).items()},
            operation=str(doc.get("operation", "")), details=dict(doc.get("details") or {}),
            committed_at=str(doc.get("committed_at", "")),
        )


def snapshot_path(root: Path, version: int) -> Path:
    return root / SNAPSHOTS / f"{version:020d}.json"


def versions(root: Path) -> list[int]:
    """Committed versions, oldest first (temporary files of unfinished commits are not)."""
    folder = root / SNAPSHOTS
    if not folder.is_dir():
        return []
    found = (_NAME.match(name) for name in os.listdir(folder))
    return sorted(int(m.group(1)) for m in found if m)


def read_snapshot(root: Path, version: int) -> Snapshot:
    path = snapshot_path(root, version)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path}: unreadable lake snapshot ({exc})") from exc
    if doc.get("format") != FORMAT or int(doc.get("format_version", 0)) > FORMAT_VERSION:
        raise StoreError(f"{path}: not a {FORMAT} snapshot of format version "
                         f"{FORMAT_VERSION} or older (found {doc.get('format')!r} "
                         f"{doc.get('format_version')!r}); upgrade cargotrace")
    return Snapshot.from_json(doc)


def latest_snapshot(root: Path) -> Snapshot:
    """The newest committed snapshot, or version 0 (no files) for a lake never written."""
    found = versions(root)
    return read_snapshot(root, found[-1]) if found else Snapshot(0)


def publish(root: Path, snapshot: Snapshot) -> None:
    """Commit `snapshot`: write it whole to a temporary file, make it durable, then give it
    its version's name with an exclusive create. Raises StoreError, and commits nothing,
    when that version exists already (another writer committed it first)."""
    folder = root / SNAPSHOTS
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".tmp-{uuid.uuid4().hex}.json"
    final = snapshot_path(root, snapshot.version)
    with temporary.open("w", encoding="utf-8") as fh:
        json.dump(snapshot.to_json(), fh, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    try:
        os.link(temporary, final)
    except FileExistsError as exc:
        raise StoreError(f"{root}: lake version {snapshot.version} was committed by another "
                         "writer meanwhile; nothing from this write was committed") from exc
    finally:
        temporary.unlink(missing_ok=True)
    sync_folder(folder)


def sync_folder(folder: Path) -> None:
    """Make a folder's new entries durable (a crash after a rename or link keeps it)."""
    fsync_path(folder)


def fsync_path(path: Path) -> None:
    """Flush a file's or a folder's data to disk (both open read-only for fsync on Linux)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
