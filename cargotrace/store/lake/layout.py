"""Where a lake's files live, how each table is laid out, and how `--store` names a lake.

Why a module of its own: the folder layout is the contract between every engine that reads or
writes a lake (DuckDB on a laptop today, Spark on a cluster next), so it is written down once,
here and in docs/reference/lake.md, instead of being spelled out by each writer.

```
LAKE/
  cargotrace-lake.json                      marker: format name and version (written once)
  _snapshots/00000000000000000007.json      one file per committed table version (snapshot.py)
  _lock.json                                the writing process, while one writes (lock.py)
  _staging/<uuid>/                          files being written; moved into place, then committed
  positions/day=2024-01-01/<uuid>.parquet   day-partitioned tables (UTC day of `ts`)
  vessel_reports/day=2024-01-01/<uuid>.parquet
  quarantine/<uuid>.parquet                 appended per ingest, never rewritten
  events/<uuid>.parquet                     every other table: rewritten whole when it changes
```
Folder and file names starting with `_` or `.` are not data: Spark's and DuckDB's Hive
partition discovery skip them too.
"""

from __future__ import annotations

import enum
import os
import re
from pathlib import Path

from cargotrace.errors import StoreError
from cargotrace.store.schema import SPECS

FORMAT = "cargotrace-lake"
FORMAT_VERSION = 1
MARKER = "cargotrace-lake.json"
SNAPSHOTS = "_snapshots"
LOCK = "_lock.json"
STAGING = "_staging"
PARTITION_COLUMN = "day"
"""The Hive partition key of the day-partitioned tables: the UTC date of `ts`, `YYYY-MM-DD`."""

LAKE_PREFIX = "lake:"
FILE_PREFIX = "file:"
# `:/+`, not `://`: a --store typed as a Path arrives as "s3:/bucket/lake"
OBJECT_STORE = re.compile(r"^(s3|s3a|gs|gcs|abfss?|az|hdfs):/+", re.IGNORECASE)


class Layout(enum.StrEnum):
    """How a table's files are kept."""

    BY_DAY = "by_day"
    """Appended in `day=YYYY-MM-DD` partitions, deduplicated within the touched days."""
    APPEND = "append"
    """Appended, one file per write, never rewritten (quarantine)."""
    REWRITE = "rewrite"
    """Small tables: the whole table is one file, written again when it changes."""


TABLE_LAYOUT: dict[str, Layout] = {
    name: (Layout.BY_DAY if name in ("positions", "vessel_reports")
           else Layout.APPEND if name == "quarantine" else Layout.REWRITE)
    for name in SPECS
}
"""Every stored table (`schema.SPECS`, the one declaration) and how the lake keeps it."""

SORT_KEYS: dict[str, tuple[str, ...]] = {
    "positions": ("mmsi", "ts"),
    "vessel_reports": ("mmsi", "ts"),
}
"""Row order inside a data file: by vessel then time, so Parquet's row-group statistics let a
reader skip row groups by MMSI and time."""


def lake_location(text: str | os.PathLike[str]) -> Path | None:
    """The folder a `--store` value names as a lake, or None for a DuckDB file.

    A lake is named by `lake:PATH`, by `file://PATH` (or `file:PATH`), or by an existing folder.
    Anything else, including a path that does not exist yet, is a DuckDB file as before, so
    the laptop default is unchanged. An object-store URL (`s3://`...) is refused with one line:
    the layout is designed for object stores, but this version reads and writes local folders
    (and mounted buckets) only.
    """
    raw = os.fspath(text)
    if OBJECT_STORE.match(raw):
        raise StoreError(f"{as_typed(raw)}: object-store lakes are not supported yet; mount the "
                         "bucket (e.g. with a FUSE driver) and pass the folder as "
                         "lake:/mnt/bucket/lake")
    if raw.startswith(LAKE_PREFIX):
        return Path(raw[len(LAKE_PREFIX):]).expanduser()
    if raw.startswith(FILE_PREFIX):
        rest = raw[len(FILE_PREFIX):]
        if rest.startswith("//"):  # file:///abs/path, or file://localhost/abs/path
            host, _, path = rest[2:].partition("/")
            if host not in ("", "localhost"):
                raise StoreError(f"{raw}: a file:// URL must name a local folder (host "
                                 f"{host!r} is not this machine)")
            rest = "/" + path
        return Path(rest)
    folder = Path(raw)
    return folder if folder.is_dir() else None


def as_typed(url: str) -> str:
    """An object-store URL as the user typed it: a `--store` value is parsed as a Path, which
    turns `s3://bucket/x` into `s3:/bucket/x`, and echoing that back reads as a typo of ours
    (the `//` after the scheme is the only part of a URL a Path drops)."""
    found = OBJECT_STORE.match(url)
    if found is None:
        return url
    return f"{found.group(1)}://{url[found.end():]}"


def is_lake(text: str | os.PathLike[str]) -> bool:
    """Whether a `--store` value names a lake (see `lake_location`)."""
    return lake_location(text) is not None


def relative(root: Path, path: Path) -> str:
    """A data file's name in a snapshot: relative to the lake, with `/` separators, so that a
    lake can be moved or mounted elsewhere (and read by Spark under another prefix)."""
    return path.relative_to(root).as_posix()


def file_url(path: Path) -> str:
    """The `file://` URL Spark reads a lake path by: the absolute path as it is, since
    Hadoop's paths do not percent-decode (`Path.as_uri()`'s `day%3D2024-01-01` would name a
    folder that does not exist)."""
    return "file://" + path.absolute().as_posix()
