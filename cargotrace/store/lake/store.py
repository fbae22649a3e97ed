"""A lake opened with DuckDB: the same `Store` interface over a folder of Parquet files.

Why a `Store`: every layer above (detection, events, vessels, places, screening, reports) reads
and writes the core tables through `store.con` and `store.table(...)` by name. A `LakeStore`
gives them a DuckDB connection (in memory) where those names are:

- **views** over the current snapshot's files for the big tables (`positions`,
  `vessel_reports` read with `hive_partitioning`; `quarantine`), which only the ingest writer
  appends to (`appends.py`, `ingest/lake_writer.py`);
- **working copies** of every other table (events, places, meta, ingests, position_flags, the
  sanctions and case tables), loaded from their one file each, written to as the DuckDB store
  is (so `store_events` replaces events "exactly as the DuckDB store does": it is the same
  code), and written back as new files when they changed (a content fingerprint tells).

Nothing reaches the lake until `commit()`, which writes the changed working copies and any
appended files and publishes the next snapshot (snapshot.py). `close()` commits; leaving a
`with` block on an exception, or `abort()`, discards what was not committed. A writing open
takes the writer lock (lock.py) until it closes; a read-only open takes no lock, so it reads
while an ingest runs, sees the snapshot that was current when it opened, and refuses every
write (`Store.require_writable`; its tables are all views).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb

from cargotrace.errors import StoreError, StoreNotFoundError
from cargotrace.store.lake.files import remove_orphans, write_files
from cargotrace.store.lake.layout import (
    FORMAT,
    FORMAT_VERSION,
    MARKER,
    PARTITION_COLUMN,
    STAGING,
    TABLE_LAYOUT,
    Layout,
)
from cargotrace.store.lake.lock import WriterLock
from cargotrace.store.lake.snapshot import DataFile, Snapshot, latest_snapshot, publish
from cargotrace.store.schema import SCHEMA_VERSION, SPECS, TABLES
from cargotrace.store.store import Store, apply_settings

log = logging.getLogger(__name__)

Fingerprint = tuple[int, int]


def files_sql(root: Path, table: str, files: Iterable[DataFile]) -> str:
    """A SELECT of `table`'s declared columns, with their declared types, from `files`; no
    files: the same columns and no rows. The one place a lake table is read, on DuckDB."""
    spec = SPECS[table]
    paths = [str(root / f.path) for f in files]
    if not paths:
        columns = ", ".join(f'CAST(NULL AS {c.sql}) AS "{c.name}"' for c in spec.columns)
        return f"SELECT {columns} WHERE false"
    columns = ", ".join(f'CAST("{c.name}" AS {c.sql}) AS "{c.name}"' for c in spec.columns)
    listed = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
    hive = "true" if TABLE_LAYOUT[table] is Layout.BY_DAY else "false"
    return (f"SELECT {columns} FROM read_parquet([{listed}], hive_partitioning = {hive}, "
            "union_by_name = true)")


def days_of_window(days: Iterable[str], since: datetime | None,
                   until: datetime | None) -> frozenset[str]:
    """The partition days (UTC dates, `YYYY-MM-DD`) among `days` that can hold a `ts` with
    `since <= ts < until`; a naive bound is UTC, as on the command line."""
    first = _utc(since).date().isoformat() if since is not None else None
    last = (_utc(until) - timedelta(microseconds=1)).date().isoformat() \
        if until is not None else None
    return frozenset(d for d in days
                     if (first is None or d >= first) and (last is None or d <= last))


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


class LakeStore(Store):
    """An open lake (see the module's docstring); `root` is its folder, `snapshot` the version
    read. `store.path` is the folder too, for messages."""

    def __init__(self, root: Path, read_only: bool = False, create: bool = True) -> None:
        self.root = self.path = root
        exists = (root / MARKER).is_file()
        if not exists and (read_only or not create):
            raise StoreNotFoundError(str(root))
        if not exists and root.is_dir() and any(root.iterdir()):
            raise StoreError(f"{root}: this folder is not a cargotrace lake (no {MARKER}) and "
                             "is not empty; give a new or empty folder for a new lake")
        self.created = not exists
        self.read_only = read_only
        self._lock: WriterLock | None = None
        self._fingerprints: dict[str, Fingerprint] = {}
        self._days: frozenset[str] | None = None
        """The day partitions readers see while a `reading_window` is open (None: all)."""
        if not read_only:
            root.mkdir(parents=True, exist_ok=True)
            self._lock = WriterLock(root)
            self._lock.acquire()
            try:
                self._prepare(exists)
            except BaseException:
                self._lock.release()
                raise
        try:
            self.snapshot = latest_snapshot(root)
            self.con = self._connect()
            try:
                self._load()
            except duckdb.OutOfMemoryException as exc:  # a memory limit of a few MB
                from cargotrace.store.memory import out_of_memory

                raise out_of_memory(exc, "opening the lake") from exc
            if self.created:
                self.commit("create")
        except BaseException:
            if self._lock is not None:
                self._lock.release()
            if not read_only:
                self.remove_created()  # a lake this open began is not left half made
            raise

    def _prepare(self, exists: bool) -> None:
        """As the lock's new holder: write the marker of a new lake; clear what a killed
        writer left (its orphan files, its staging folder)."""
        if not exists:
            doc = {"format": FORMAT, "format_version": FORMAT_VERSION,
                   "created_at": datetime.now(UTC).isoformat(timespec="seconds")}
            (self.root / MARKER).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        assert self._lock is not None
        if self._lock.took_over is not None or (self.root / STAGING).exists():
            remove_orphans(self.root)

    def _connect(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(":memory:")
        # an in-memory database spills to ./.tmp by default: use the system's temporary folder
        apply_settings(con, spill=Path(tempfile.gettempdir()) / f"cargotrace-duckdb-{os.getpid()}")
        return con

    def reconnect(self) -> None:
        raise StoreError(f"{self.root}: a lake's connection cannot be reopened; open it again")

    def _create_tables(self) -> None:  # the lake's tables are made by _load
        pass

    def _load(self) -> None:
        """Views over the snapshot's files for the appended tables; working copies of the
        others, with their declared constraints (e.g. `meta`'s key, which INSERT OR REPLACE
        needs). A read-only open makes every table a view: nothing is copied into memory, and
        a write DuckDB is asked to do fails there instead of being silently dropped at close."""
        for name in SPECS:
            files = self.snapshot.files(name)
            if TABLE_LAYOUT[name] is Layout.REWRITE and not self.read_only:
                self.con.execute(f'DROP TABLE IF EXISTS "{name}"')
                self.con.execute(TABLES[name])
                if files:
                    self.con.execute(f'INSERT INTO "{name}" BY NAME '
                                     f"{files_sql(self.root, name, files)}")
            else:
                self.con.execute(f'CREATE OR REPLACE VIEW "{name}" AS '
                                 f"{files_sql(self.root, name, files)}")
        if self.read_only:
            return
        self.con.execute("INSERT INTO meta VALUES ('schema_version', ?) "
                         "ON CONFLICT DO NOTHING", [str(SCHEMA_VERSION)])
        self._fingerprints = self._fingerprint_all()
        self._fingerprints["meta"] = (-1, -1) if self.created else self._fingerprints["meta"]

    @staticmethod
    def _working_copies() -> list[str]:
        return [n for n, layout in TABLE_LAYOUT.items() if layout is Layout.REWRITE]

    def _fingerprint(self, name: str) -> Fingerprint:
        """Row count and a sum of row hashes: changes when any row is added, removed or
        changed (order-independent, so reading a table back gives the same value)."""
        return self._fingerprint_all([name])[name]

    def _fingerprint_all(self, names: list[str] | None = None) -> dict[str, Fingerprint]:
        """`_fingerprint` of every working copy (or of `names`) in one query: a commit
        hashes them all, and one query per table was ~20 ms of every small file's ingest."""
        names = self._working_copies() if names is None else names
        parts = " UNION ALL ".join(
            f"SELECT {i} AS i, count(*) AS n, coalesce(sum(hash(t)::HUGEINT), 0) AS h "
            f'FROM "{name}" AS t' for i, name in enumerate(names))
        rows = self.con.execute(parts).fetchall()
        return {names[int(i)]: (int(n), int(h)) for i, n, h in rows}

    def changed_tables(self) -> list[str]:
        """The working copies that differ from the snapshot read (what `commit` writes)."""
        return list(self._changed())

    def _changed(self) -> dict[str, Fingerprint]:
        """The changed working copies with their new fingerprints (each table hashed once)."""
        if self.read_only:
            return {}
        now = self._fingerprint_all()
        return {n: f for n, f in now.items() if f != self._fingerprints.get(n)}

    def commit(
        self, operation: str = "write", details: dict[str, Any] | None = None,
        added: dict[str, tuple[DataFile, ...]] | None = None,
        replaced: dict[str, tuple[DataFile, ...]] | None = None,
    ) -> Snapshot | None:
        """Publish the next snapshot: the changed working copies written as new files, plus
        `added` (files already written by an appending writer, listed after the table's
        current files) and `replaced` (a table's whole new file list, e.g. after compaction).
        None when there was nothing to commit."""
        self.require_writable("commit a new version")
        tables = {name: self.snapshot.files(name) + files
                  for name, files in (added or {}).items() if files}
        tables.update(replaced or {})
        changed = self._changed()
        for name in changed:
            tables[name] = write_files(self.con, self.root, name, f'SELECT * FROM "{name}"')
        if not tables:
            return None
        snapshot = self.snapshot.next(tables, operation, {
            "command": " ".join(sys.argv)[:500], **(details or {})})
        publish(self.root, snapshot)
        self.snapshot = snapshot
        for name in tables:
            if TABLE_LAYOUT[name] is not Layout.REWRITE:
                self.con.execute(f'CREATE OR REPLACE VIEW "{name}" AS '
                                 f"{files_sql(self.root, name, self.read_files(name))}")
            else:  # what was written is what was hashed: no second pass over the rows
                self._fingerprints[name] = changed.get(name) or self._fingerprint(name)
        log.debug("%s: committed version %d (%s)", self.root, snapshot.version, operation)
        return snapshot

    def reload(self, table: str) -> None:
        """Read a working copy again from the snapshot's files, after another engine wrote
        and committed the table (Spark's events, `spark_events.py`): later readers in this
        process see what was committed, and `commit` does not write the old copy back."""
        self.con.execute(f'DELETE FROM "{table}"')
        files = self.snapshot.files(table)
        if files:
            self.con.execute(f'INSERT INTO "{table}" BY NAME {files_sql(self.root, table, files)}')
        self._fingerprints[table] = self._fingerprint(table)

    def read_files(self, table: str) -> tuple[DataFile, ...]:
        """The files a reader of `table` reads now: the snapshot's, narrowed to the days of a
        `reading_window` while one is open (Spark's frames read these too)."""
        if self._days is None or TABLE_LAYOUT[table] is not Layout.BY_DAY:
            return self.files_of(table)
        return self.files_of(table, self._days)

    @contextmanager
    def reading_window(self, since: datetime | None, until: datetime | None) -> Iterator[None]:
        """Within the block, `positions` and `vessel_reports` are views over the day partitions
        that hold `since <= ts < until` only: the other days' files are not even opened (a
        windowed detect on a lake of years reads its days). Rows of those days outside the
        window are still there; readers filter on `ts` as on the DuckDB store."""
        if since is None and until is None:
            yield
            return
        previous = self._days
        self._days = days_of_window(self.snapshot.days("positions")
                                    | self.snapshot.days("vessel_reports"), since, until)
        try:
            self._views()
            yield
        finally:
            self._days = previous
            self._views()

    def has_positions_from(self, moment: datetime, sources: Iterable[str] | None = None
                           ) -> bool:
        """As on the DuckDB store, from the snapshot's days where they tell: a later day's
        partition, or `moment`'s own day from its midnight on, holds positions at or after it;
        only `moment`'s day (read by the window ending there) is queried. With `sources` the
        days cannot tell: the `source` column of `moment`'s day and later is read (asked only
        by a windowed run of several feeds, for a feed whose last position read is early)."""
        moment = _utc(moment)
        day = moment.date().isoformat()
        days = self.snapshot.days("positions")
        if sources is not None:
            later = self.files_of("positions", [d for d in days if d >= day])
            return bool(later) and bool(self.con.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM ({files_sql(self.root, 'positions', later)})"
                " WHERE ts >= ? AND list_contains(?, source) LIMIT 1)",
                [moment, list(sources)]).fetchall()[0][0])
        if any(d > day for d in days):
            return True
        if day not in days:
            return False
        if moment == moment.replace(hour=0, minute=0, second=0, microsecond=0):
            return True
        return super().has_positions_from(moment)

    def _views(self) -> None:
        for name, layout in TABLE_LAYOUT.items():
            if layout is Layout.BY_DAY:
                self.con.execute(f'CREATE OR REPLACE VIEW "{name}" AS '
                                 f"{files_sql(self.root, name, self.read_files(name))}")

    def files_of(self, table: str, days: Iterable[str] | None = None) -> tuple[DataFile, ...]:
        """The current snapshot's files of `table`, only those of `days` when given."""
        files = self.snapshot.files(table)
        if days is None:
            return files
        wanted = set(days)
        return tuple(f for f in files if f.day in wanted)

    def count(self, name: str) -> int:
        if name in SPECS and TABLE_LAYOUT[name] is not Layout.REWRITE:
            # from the snapshot: no file is opened
            return sum(f.rows for f in self.read_files(name))
        return super().count(name)

    def abort(self) -> None:
        """Close without committing: what was not committed is discarded."""
        try:
            self.con.close()
        finally:
            if self._lock is not None:
                self._lock.release()

    def close(self) -> None:
        """Commit what changed (a writing open), then close and give back the lock."""
        try:
            if not self.read_only:
                self.commit("write")
        except BaseException:
            self.abort()
            raise
        self.abort()

    def remove_created(self) -> None:
        """Remove a lake this open created (a command that failed on a mistyped path)."""
        import shutil

        if self.created:
            shutil.rmtree(self.root, ignore_errors=True)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


__all__ = ["PARTITION_COLUMN", "LakeStore", "files_sql"]
