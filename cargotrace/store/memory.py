"""Cap DuckDB's memory for the length of one job (an ingest), then give the limit back.

Why: DuckDB's default limit is 80% of the machine's memory, and its buffer pool keeps what it
wrote and read while it may: an ingest of a 1M-line file then held ~500 MB in DuckDB alone,
growing with the file. With a cap, DuckDB evicts written blocks and spills what does not fit
to the store's temporary directory (`<store>.tmp`), so memory is set by the work per chunk.
Why only for a job: detection over 100M positions needs gigabytes; the cap must not outlive
the ingest that set it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from cargotrace.store.store import Store

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
