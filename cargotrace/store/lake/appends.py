"""Appending rows to a lake's day-partitioned tables without storing a row twice, and
compacting the small files appends leave.

Why only the touched days are read: the dedupe key of positions (mmsi, ts, lat, lon) and of
vessel reports contains `ts`, so a row can only duplicate a row of its own UTC day. A batch of
one day's feed therefore reads that day's files, however many years the lake holds, where the
DuckDB store's anti-join reads the whole table. Existing files are never rewritten: the rows
that are new are written as new files in their day folders (layout.py), committed by the
caller with the rest of its write (`LakeStore.commit(added=...)`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from cargotrace.store.lake.files import day_sql, write_files
from cargotrace.store.lake.layout import TABLE_LAYOUT, Layout
from cargotrace.store.lake.snapshot import DataFile
from cargotrace.store.lake.store import LakeStore, files_sql


class Appended(NamedTuple):
    files: tuple[DataFile, ...]
    """New data files, written but not yet committed."""
    stored: int
    """Rows in them: the batch's rows not already in the lake."""
    days: tuple[str, ...]
    """The day partitions the batch touched."""


def _key_match(columns: tuple[str, ...]) -> str:
    return " AND ".join(f's."{c}" IS NOT DISTINCT FROM t."{c}"' for c in columns)


def append_new_rows(lake: LakeStore, table: str, batch_sql: str,
                    key: tuple[str, ...], con: Any = None) -> Appended:
    """Write the rows of `batch_sql` that the lake's `table` does not hold yet (compared on
    `key`, NULLs equal) as new files of `table`. The batch must already be free of duplicates
    within itself, as the ingest pipeline's staged batches are. `con`: the DuckDB connection
    that can read `batch_sql` (the lake's own when None; the ingest's batch connection,
    ingest/lake_writer.py), in UTC as every store's is.

    Why no copy of the batch first: the new rows go from the batch, through the anti-join
    against the touched days' files, straight into the Parquet `COPY`; the rows stored are
    counted from the written files' footers."""
    if TABLE_LAYOUT[table] is not Layout.BY_DAY:
        raise ValueError(f"{table} is not a day-partitioned lake table")
    lake.require_writable(f"append to {table}")
    con = lake.con if con is None else con
    per_day = dict(sorted((str(d), int(n)) for d, n in con.execute(
        f"SELECT {day_sql()} AS d, count(*) FROM ({batch_sql}) GROUP BY d").fetchall()))
    days = tuple(per_day)
    if not days:
        return Appended((), 0, ())
    files: tuple[DataFile, ...] = ()
    for group in day_groups(per_day, ROWS_PER_WRITE):
        new_rows = f"SELECT * FROM ({batch_sql}) s WHERE {day_sql()} IN " \
                   f"({', '.join(repr(d) for d in group)})"
        existing = lake.files_of(table, group)
        if existing:
            stored_rows = files_sql(lake.root, table, existing)
            new_rows += (f" AND NOT EXISTS (SELECT 1 FROM ({stored_rows}) t"
                         f" WHERE {_key_match(key)})")
        files += write_files(con, lake.root, table, new_rows)
    return Appended(files, sum(f.rows for f in files), days)


ROWS_PER_WRITE = 250_000
"""At most this many rows per partitioned `COPY` (a day with more is written alone).

Why: the partitioned Parquet writer buffers a row group per open day partition while the
sorted rows come in, so its memory grows with the days a write spans times their rows, not
with the rows alone: 1.12M rows over 4 days ran out of the lake ingest's 48 MB cap, 562k over
2 days did not. A batch of several files spans many days; each group of days is one `COPY`
(the batch is scanned once per group: in memory, cheap beside the write)."""


def day_groups(per_day: dict[str, int], rows: int) -> list[tuple[str, ...]]:
    """Consecutive days (of `per_day`: rows per day) grouped so that a group holds at most
    `rows` rows, or a single day."""
    groups: list[list[str]] = []
    held = 0
    for day, n in per_day.items():
        if not groups or held + n > rows:
            groups.append([])
            held = 0
        groups[-1].append(day)
        held += n
    return [tuple(g) for g in groups]


def append_rows(lake: LakeStore, table: str, batch_sql: str, con: Any = None,
                params: dict[str, object] | None = None) -> tuple[DataFile, ...]:
    """Write every row of `batch_sql` as new files of an appended table (quarantine); `con`
    as in `append_new_rows`; `params`: the query's named parameters."""
    if TABLE_LAYOUT[table] is not Layout.APPEND:
        raise ValueError(f"{table} is not an appended lake table")
    lake.require_writable(f"append to {table}")
    return write_files(lake.con if con is None else con, lake.root, table, batch_sql,
                       params)


def compact_days(lake: LakeStore, table: str, min_files: int = 2,
                 days: Iterable[str] | None = None) -> Appended:
    """Rewrite each day partition of `table` that has at least `min_files` files as one file,
    and commit the new file list in one snapshot (readers see the old files or the new ones).
    `days`: only these day partitions (all when None).

    Why: every ingest adds a file per day it touches, and a reader opens every file's footer.
    The old files stay on disk for readers of older versions until `files.vacuum`."""
    return compact_tables(lake, (table,), min_files, days)[table]


def compact_tables(lake: LakeStore, tables: Iterable[str], min_files: int = 2,
                   days: Iterable[str] | None = None) -> dict[str, Appended]:
    """`compact_days` over several day-partitioned tables, all in one snapshot (operation
    `compact`; none when no day needed it)."""
    if min_files < 2:
        raise ValueError("min_files must be at least 2")
    wanted = None if days is None else set(days)
    done: dict[str, Appended] = {}
    replaced: dict[str, tuple[DataFile, ...]] = {}
    for table in tables:
        if TABLE_LAYOUT[table] is not Layout.BY_DAY:
            raise ValueError(f"{table} is not a day-partitioned lake table")
        lake.require_writable(f"compact {table}")
        by_day: dict[str, list[DataFile]] = {}
        for f in lake.files_of(table, wanted):
            by_day.setdefault(str(f.day), []).append(f)
        crowded = sorted(day for day, files in by_day.items() if len(files) >= min_files)
        written: list[DataFile] = []
        for day in crowded:
            written += write_files(lake.con, lake.root, table,
                                   files_sql(lake.root, table, by_day[day]))
        done[table] = Appended(tuple(written), sum(f.rows for f in written), tuple(crowded))
        if crowded:
            kept = tuple(f for f in lake.files_of(table) if f.day not in set(crowded))
            replaced[table] = kept + tuple(written)
    if replaced:
        lake.commit("compact", {"tables": {t: list(a.days) for t, a in done.items() if a.days}},
                    replaced=replaced)
    return done
