"""Cap DuckDB's memory for the length of one job (an ingest), then give the limit back.

Why: DuckDB's default limit is 80% of the machine's memory, and its buffer pool keeps what it
wrote and read while it may: an ingest of a 1M-line file then held ~500 MB in DuckDB alone,
growing with the file. With a cap, DuckDB evicts written blocks and spills what does not fit
to the store's temporary directory (`<store>.tmp`), so memory is set by the work per chunk.
Why only for a job: detection over 100M positions needs gigabytes; the cap must not outlive
the ingest that set it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from cargotrace.errors import StoreError
from cargotrace.store.store import MEMORY_LIMIT_ENV, Store

_UNITS = {"": 1, "B": 1, "BYTES": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def _limit(store: Store) -> str:
    return str(store.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])


def limit_bytes(setting: str) -> float | None:
    """DuckDB's `memory_limit` as shown (e.g. `286.1 MiB`, `6.0 GB`) in bytes; None when it
    is not a number of bytes (DuckDB shows no other form today)."""
    found = re.fullmatch(r"\s*([0-9.]+)\s*([A-Za-z]*)\s*", setting)
    if not found or found.group(2).upper() not in _UNITS:
        return None
    try:
        return float(found.group(1)) * _UNITS[found.group(2).upper()]
    except ValueError:
        return None


LAKE_INGEST_MB = 64
"""A `CARGOTRACE_MEMORY_LIMIT` that an ingest into a lake of a file of up to a million lines
runs under, said when one ran out of memory. What a file needs grows with it: measured
(2026-12-08, load ~12) the Solent CSV (18,623 rows) passes at 16 MB, the MarineCadastre CSV
(99,999 rows) fails at 24 MB and passes at 32 MB, the issue-16 NMEA feed (988,300 lines)
fails at 32 MB (after 68 s, in the publish) and passes at 48 MB. So no limit is refused
before the work; DuckDB's "Out of Memory Error: could not allocate block of size 256.0 KiB"
(or, when the lake could not even be opened, a traceback) becomes one line that names the
limit, says nothing was stored, and what is enough."""


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether DuckDB's "Out of Memory" is `exc` or what caused it (a failed write's
    `StoreError` carries it as its cause)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, duckdb.OutOfMemoryException):
            return True
        seen = seen.__cause__
    return False


def out_of_memory(exc: BaseException, what: str) -> StoreError:
    """DuckDB's "Out of Memory" while doing `what`, in one line: the limit it ran under (the
    user's `CARGOTRACE_MEMORY_LIMIT`, else DuckDB's own) and what is enough."""
    value = os.environ.get(MEMORY_LIMIT_ENV, "").strip()
    limit = f"${MEMORY_LIMIT_ENV}={value}" if value else "DuckDB's memory limit"
    return StoreError(f"out of memory {what} under {limit}: raise it or unset it "
                      f"({LAKE_INGEST_MB} MB is enough to ingest a file of up to a million "
                      "lines into a lake; measured: 32 MB for 100,000 CSV rows, 48 MB for "
                      "988,300 NMEA lines)")


@contextmanager
def memory_capped(store: Store, megabytes: int) -> Iterator[None]:
    """Run the block with DuckDB's memory limit at `megabytes`, or at the limit already set
    when that is lower (a user's stricter `CARGOTRACE_MEMORY_LIMIT` is never raised); no cap
    when 0, or for an in-memory store with nowhere to spill its data (`Store.spills`)."""
    if megabytes <= 0 or not store.spills:
        yield
        return
    before = _limit(store)
    current = limit_bytes(before)
    if current is not None and current <= megabytes * 10**6:
        yield  # already at or under the cap
        return
    store.con.execute(f"SET memory_limit = '{int(megabytes)}MB'")
    try:
        yield
    finally:
        try:
            store.con.execute("RESET memory_limit")  # exact when the limit was DuckDB's own
            if _limit(store) != before:
                store.con.execute(f"SET memory_limit = '{before}'")
        except duckdb.Error:
            pass  # a connection invalidated by a failed write is reopened with the default


@contextmanager
def replacement_scans(store: Store) -> Iterator[None]:
    """Run the block with DuckDB's replacement scans on (queries read Python variables by
    name), then set them back as they were.

    Why: the ingest reads each chunk's Arrow tables by name instead of registering them (see
    ingest/staging.py), and Ibis turns replacement scans off on the connections it wraps
    (`python_enable_replacements`): after a `detect` on the same open store, an ingest failed
    with "Table with name chunk_positions_in does not exist".
    """
    con = store.con
    [(before,)] = con.execute(
        "SELECT current_setting('python_enable_replacements')").fetchall()
    if before:
        yield
        return
    con.execute("SET python_enable_replacements = true")
    try:
        yield
    finally:
        try:
            con.execute("SET python_enable_replacements = false")
        except duckdb.Error:
            pass  # as above: a connection invalidated by a failed write


@contextmanager
def one_thread(store: Store) -> Iterator[None]:
    """Run the block with DuckDB on one thread, then give back its thread count.

    Why: while a chunked ingest stores, the decoding thread (ingest/read_ahead.py) has the
    other core; DuckDB's second thread then only competed with it, and splitting each chunk's
    small inserts across threads cost ~30% more CPU than one thread doing them (measured on
    the issue-16 feed).
    """
    con = store.con
    [(before,)] = con.execute("SELECT current_setting('threads')").fetchall()
    if int(before) == 1:
        yield
        return
    con.execute("SET threads = 1")
    try:
        yield
    finally:
        try:
            con.execute(f"SET threads = {int(before)}")
        except duckdb.Error:
            pass  # a connection invalidated by a failed write is reopened with the default
