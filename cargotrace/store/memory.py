"""Cap DuckDB's memory for the length of one job (an ingest), then give the limit back.

Why: DuckDB's default limit is 80% of the machine's memory, and its buffer pool keeps what it
wrote and read while it may: an ingest of a 1M-line file then held ~500 MB in DuckDB alone,
growing with the file. With a cap, DuckDB evicts written blocks and spills what does not fit
to the store's temporary directory (`<store>.tmp`), so memory is set by the work per chunk.
Why only for a job: detection over 100M positions needs gigabytes; the cap must not outlive
the ingest that set it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from cargotrace.store.store import Store


def _limit(store: Store) -> str:
    return str(store.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])


@contextmanager
def memory_capped(store: Store, megabytes: int) -> Iterator[None]:
    """Run the block with DuckDB's memory limit at `megabytes` (no cap when 0, or for an
    in-memory store, whose data has nowhere to spill but memory)."""
    if megabytes <= 0 or str(store.path) == ":memory:":
        yield
        return
    before = _limit(store)
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
