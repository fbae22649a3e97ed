"""All-or-nothing writes that leave the store as it was when the disk (or DuckDB) fails.

Why a module of its own: a commit that cannot write (disk full, file size limit, read-only
remount) made DuckDB invalidate the database, the rollback then failed with "cannot rollback -
no transaction is active", and that second error masked the cause under a 45-line traceback,
while the store file stayed grown to fill the disk. Here the cause becomes one `StoreError`
naming the store, the rollback's own failure is ignored, and the file is cut back to its size
before the write when that is provably safe (see `_shrink`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from cargotrace.errors import StoreError
from cargotrace.store.store import Store

log = logging.getLogger(__name__)



def is_write_failure(exc: BaseException) -> bool:
    """Whether DuckDB failed to write the store file or its write-ahead log: an I/O error, a
    fatal error (a failed checkpoint invalidates the database), or a commit whose log write
    failed ("Failed to commit: Could not write file ...wal": File too large)."""
    if isinstance(exc, duckdb.IOException | duckdb.FatalException | duckdb.OutOfMemoryException):
        return True
    return isinstance(exc, duckdb.Error) and "Could not write file" in str(exc)


def _wal(path: Path) -> Path:
    return Path(f"{path}.wal")


def _has_log(path: Path) -> bool:
    """A write-ahead log with content (DuckDB leaves an empty one after a failed log write)."""
    wal = _wal(path)
    return wal.is_file() and wal.stat().st_size > 0


def write_failure_cause(exc: BaseException) -> str:
    """The operating system's words for a failed write (e.g. "No space left on device"), else
    DuckDB's first line, without its "FATAL Error: Failed to ... because of error:" wrapping."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    found = re.search(r'Could not (?:write|open|truncate|create)[^"]*"[^"]*":? ?([^"]+)$', first)
    if found and found.group(1).strip():
        return found.group(1).strip().rstrip(".")
    return re.sub(r"^(FATAL |IO )?Error: ", "", first)


@contextmanager
def all_or_nothing(store: Store, what: str) -> Iterator[None]:
    """Run the block in one transaction; on any failure the store is left as it was.

    A failure that is not about writing the store (a bad input file, Ctrl-C) is re-raised as is
    after the rollback. A failed write to the store is raised as one StoreError: "<store>:
    <cause> (<what> undone; the store is as it was)"; the connection is reopened so that the
    store stays usable (e.g. for the next file of an ingest, once space is freed).
    """
    path = store.path
    on_disk = str(path) != ":memory:" and path.is_file()
    size_before = path.stat().st_size if on_disk else None
    wal_before = on_disk and _wal(path).exists()
    log_before = on_disk and _has_log(path)
    store.con.begin()
    try:
        yield
        store.con.commit()
    except BaseException as exc:
        try:
            store.con.rollback()
        except duckdb.Error as rollback_error:  # e.g. no transaction left after a failed commit
            log.debug("rollback after %r failed: %s", exc, rollback_error)
        if not is_write_failure(exc):
            raise
        cause = write_failure_cause(exc)
        try:
            store.con.close()
        except duckdb.Error:
            pass
        shrunk = _shrink(path, size_before, log_before)
        if on_disk and not wal_before and _wal(path).is_file() and not _has_log(path):
            _wal(path).unlink()  # the empty log this write left behind
        try:
            store.reconnect()
        except StoreError as reopen_error:
            raise StoreError(f"{path}: {cause} ({what} undone; the store cannot be opened "
                             f"again until space is freed: {reopen_error})") from exc
        state = "the store is as it was" if shrunk else "no data from it was stored"
        raise StoreError(f"{path}: {cause} ({what} undone; {state})") from exc


def _shrink(path: Path, size_before: int | None, log_before: bool) -> bool:
    """Cut the file back to its size before the write, when that is safe; True when the file
    is back at that size.

    Safe when there was and is no write-ahead log: every committed byte was then in the blocks
    the file had before the write (DuckDB writes its header last, so a failed checkpoint left
    the old header in force), and what lies beyond is the failed write's unreferenced blocks.
    With a log, DuckDB may replay blocks written beyond the old end: the file is left alone.
    """
    if size_before is None or log_before or _has_log(path) or not path.is_file():
        return False
    size = path.stat().st_size
    if size > size_before:
        with path.open("r+b") as fh:
            fh.truncate(size_before)
    return path.stat().st_size == size_before
