"""Store a chunk's good records, skipping those already stored (dedupe), at a cost set by the
chunk, not by the store.

Why a window: the anti-join that finds duplicates once read every stored position, so the
100th day of a feed cost far more than the first. A duplicate has the same mmsi and ts as the
row it repeats, so only stored rows inside the chunk's (ts, mmsi) ranges can collide; those
ranges go into the query as constants, which DuckDB checks against each row group's min/max
(zone maps) and skips the row groups outside. Positions are stored in file order, so a day of
feed lands in few row groups; a file whose times jump around costs more, never gives a wrong
answer. When nothing is stored in the window and no (mmsi, ts) repeats within the chunk (most
chunks of a feed heard by one receiver), the rows are inserted straight from Arrow, with no
join and no copy.

Which copy of a duplicate is kept (the rule of the SQL table path too, table_store.py): within
a file, the one with the smallest receiver name (`station`; a named receiver before none), then
the first in the file, whichever chunk it is in, so that the stored rows do not depend on the
chunk size; a copy stored by an earlier ingest always stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cargotrace.store import Store

if TYPE_CHECKING:  # a table staged in SQL never needs pyarrow (start-up, issue 16)
    import pyarrow as pa

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class GoodRows:
    """A chunk's good staged rows of one table, with what the dedupe needs to know of them
    before it asks DuckDB anything (computed in the decoding thread: see `good_rows`)."""

    table: pa.Table
    window: tuple[datetime, datetime, int, int] | None  # (ts, ts, mmsi, mmsi); None: no rows
    pairs_repeat: bool  # two rows may share an (mmsi, ts)


def good_rows(table: pa.Table) -> GoodRows:
    """`table` with its (ts, mmsi) window and whether an (mmsi, ts) may repeat in it.

    Two rows with the same key have the same (mmsi, ts), so when a hash of the pairs has no
    repeat (a pyarrow count of a few milliseconds), no key repeats; else (a hash collision, or
    a fix heard twice) `store_new_rows` counts the keys as they will be stored. A report's
    hash also takes its `ship_type`, part of its key and stored as staged: the A and B parts of
    a type 24 report share their time, but only part B has a ship type, so they no longer make
    every chunk of a feed count its keys in DuckDB (~0.13 CPU-s per 1M lines)."""
    import pyarrow.compute as pc

    if not table.num_rows:
        return GoodRows(table, None, False)
    import pyarrow as pa

    from cargotrace.ingest.arrow_lists import from_micros, scalar

    micros = pc.cast(table.column("ts"), "int64")  # as int64: no pandas (arrow_lists.py)
    ts, mmsi = pc.min_max(micros), pc.min_max(table.column("mmsi"))
    pairs = pc.bit_wise_xor(  # wraps on overflow: a hash
        pc.multiply(micros, scalar(1_000_000_007, pa.int64())), table.column("mmsi"))
    if "ship_type" in table.column_names:  # a report (REPORT_KEY)
        ship_type = pc.fill_null(pc.cast(table.column("ship_type"), pa.int64()),
                                 scalar(-1, pa.int64()))
        pairs = pc.bit_wise_xor(pairs, pc.shift_left(pc.add(ship_type, scalar(2, pa.int64())),
                                                     scalar(52, pa.int64())))
    return GoodRows(table, (from_micros(ts["min"].as_py()), from_micros(ts["max"].as_py()),
                            int(mmsi["min"].as_py()), int(mmsi["max"].as_py())),
                    pc.count_distinct(pairs).as_py() < table.num_rows)


Window = tuple[datetime, datetime, int, int]  # (first ts, last ts, lowest mmsi, highest mmsi)


def _overlap(a: Window, b: Window) -> bool:
    return a[0] <= b[1] and b[0] <= a[1] and a[2] <= b[3] and b[2] <= a[3]


@dataclass
class StoredSoFar:
    """What one ingest knows of a table's rows without asking DuckDB: the (ts, mmsi) window
    of the rows stored before it began, the latest time of the chunks it stored before the
    last one, and the last chunk's window and (mmsi, ts) pairs.

    Why: asking DuckDB whether a stored row shares an (mmsi, ts) with the chunk (`_collides`:
    two queries per chunk and table) was a third of the storing thread's time on a 1M-line
    feed, and for a feed read in time order the answer is known here: the rows stored before
    the ingest lie outside the chunk's window (a new day of feed), the earlier chunks end
    before it begins, and the last chunk shares at most the boundary second, whose pairs are
    compared in memory. Whenever that is not so (times that jump back, a day read again),
    DuckDB is asked as before: the same answer, only the cost differs."""

    before: Window | None  # the table's rows stored before this ingest; None: no row
    older_until: datetime | None = None  # latest time of the chunks before the last one
    last_window: Window | None = None
    last: pa.Table | None = None  # the last chunk's good rows

    @classmethod
    def of(cls, store: Store, table: str) -> StoredSoFar:
        """The table as the ingest finds it (one query at its start: DuckDB answers it from
        its statistics, ~1 ms on 20M rows)."""
        [(first, last, low, high)] = store.con.execute(
            f"SELECT min(ts), max(ts), min(mmsi), max(mmsi) FROM {table}").fetchall()
        return cls(None if first is None else (first, last, int(low), int(high)))

    def collides(self, rows: GoodRows) -> bool | None:
        """Whether a stored row shares an (mmsi, ts) with `rows`; None: only DuckDB can say."""
        import pyarrow.compute as pc

        window = rows.window
        if window is None:
            return False
        if self.before is not None and _overlap(self.before, window):
            return None
        if self.older_until is not None and self.older_until >= window[0]:
            return None
        if self.last_window is None or self.last is None or not _overlap(self.last_window,
                                                                          window):
            return False
        first, last = window[0], self.last_window[1]  # the times both chunks span
        if last - first >= _EXACT_SPAN:
            return None
        new, old = _keys(rows.table, first, last), _keys(self.last, first, last)
        if not len(new) or not len(old):
            return False
        return bool(pc.any(pc.is_in(new, value_set=old)).as_py())

    def add(self, rows: GoodRows) -> None:
        """`rows` are now stored (those that were new)."""
        if rows.window is None:
            return
        if self.last_window is not None:
            until = self.last_window[1]
            self.older_until = until if self.older_until is None else max(self.older_until,
                                                                          until)
        self.last_window, self.last = rows.window, rows.table.select(["mmsi", "ts"])


_EXACT_SPAN = timedelta(microseconds=1 << 33)  # ~2.4 h: what `_keys` can number exactly


def _keys(table: pa.Table, first: datetime, last: datetime) -> pa.Array:
    """Each (mmsi, ts) of `table` with `first <= ts <= last` as one exact int64: µs after
    `first` (< 2^33: `_EXACT_SPAN`) times 2^30, plus the mmsi (a good row's is below 2^30).
    Why not a join: pyarrow's joins run on its thread pool (more threads, more memory)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from cargotrace.ingest.arrow_lists import scalar

    ts = table.column("ts")
    inside = pc.and_(pc.greater_equal(ts, scalar(first, ts.type)),
                     pc.less_equal(ts, scalar(last, ts.type)))
    near = table.filter(inside)
    micros = pc.cast(near.column("ts"), pa.int64())
    start = scalar((first - _EPOCH) // timedelta(microseconds=1), pa.int64())
    shifted = pc.shift_left(pc.subtract(micros, start), scalar(30, pa.int64()))
    return pc.add(shifted, near.column("mmsi")).combine_chunks()


def key_match(key: tuple[str, ...]) -> str:
    """SQL: row `s` has the same key as stored row `t` (NULL equal to NULL)."""
    return " AND ".join(f"s.{c} IS NOT DISTINCT FROM t.{c}" for c in key)


def timestamp_sql(value: datetime) -> str:
    """A time as an SQL constant (constants, not parameters, let DuckDB prune by zone maps)."""
    return f"TIMESTAMPTZ '{value.isoformat()}'"


def near_sql(first_ts: datetime, last_ts: datetime, low_mmsi: int, high_mmsi: int) -> str:
    """SQL: stored row `t` lies in the (ts, mmsi) window where new rows can collide."""
    return (f"t.ts BETWEEN {timestamp_sql(first_ts)} AND {timestamp_sql(last_ts)} "
            f"AND t.mmsi BETWEEN {int(low_mmsi)} AND {int(high_mmsi)}")


def store_new_rows(
    store: Store,
    rows: GoodRows,
    values_sql: str,
    table: str,
    key: tuple[str, ...],
    source: str,
    ingest_id: int,
    so_far: StoredSoFar | None = None,
) -> int:
    """Insert the chunk's good staged rows into `table`, with their stored values
    (`values_sql`, validate.py), unless already there; return how many rows this ingest now
    has in addition (new rows less those they replaced). `so_far`: what the ingest knows of
    `table` (`StoredSoFar`, updated here), to ask DuckDB less.

    Why the tests first: the stored values' copy, the DELETE's join and the INSERT's
    anti-join are needed only when a stored row shares an (mmsi, ts) with the chunk
    (`_collides`) or two of the chunk's rows share a key (`rows`); most chunks have neither.
    Consecutive chunks of a feed share their boundary second, so "anything stored in the
    window" alone would send most chunks down the slow way.
    """
    if rows.window is None:
        return 0
    good = rows.table
    con = store.con
    near = near_sql(*rows.window)
    params = {"source": source, "ingest_id": ingest_id}
    known = None if so_far is None else so_far.collides(rows)
    collides = _collides(store, good, table, near) if known is None else known
    if so_far is not None:
        so_far.add(rows)
    repeats = rows.pairs_repeat and _keys_repeat(store, good, values_sql, key)
    if not (collides or repeats):  # every row is new: straight from Arrow
        # read by name by DuckDB's replacement scan of this frame's variables
        chunk_good = good  # noqa: F841
        inserted = con.execute(
            f"""INSERT INTO {table} BY NAME
                SELECT {values_sql}, station, $source AS source, $ingest_id AS ingest_id
                FROM chunk_good""", params).fetchall()[0][0]
        return int(inserted)
    chunk_first = _first_copies(store, good, values_sql, key, repeats)  # noqa: F841
    replaced = 0
    mine = collides and _any(
        con, f"SELECT 1 FROM {table} t WHERE t.ingest_id = $ingest_id AND {near}", ingest_id)
    # an earlier chunk of this file stored a copy from a later-sorting receiver: replace it
    if mine:
        replaced = con.execute(
            f"""DELETE FROM {table} t USING chunk_first s
                WHERE t.ingest_id = $ingest_id AND {near} AND {key_match(key)}
                  AND s.station IS NOT NULL AND (t.station IS NULL OR s.station < t.station)""",
            {"ingest_id": ingest_id},
        ).fetchall()[0][0]
    anti_join = (f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {near} AND {key_match(key)})"
                 if collides else "")
    inserted = con.execute(
        f"""INSERT INTO {table} BY NAME
            SELECT s.*, $source AS source, $ingest_id AS ingest_id FROM chunk_first s
            {anti_join}""", params).fetchall()[0][0]
    return int(inserted) - int(replaced)


def _collides(store: Store, good: pa.Table, table: str, near: str) -> bool:
    """Whether a row stored in the window `near` shares an (mmsi, ts) with a row of `good`.

    The stored rows' own time span in the window comes first (the zone maps skip the row
    groups outside it); only the chunk's rows inside that span are then joined with them: in
    a feed read in time order, the previous chunk's rows of the boundary second."""
    import pyarrow as pa
    import pyarrow.compute as pc

    [(first, last)] = store.con.execute(
        f"SELECT min(t.ts), max(t.ts) FROM {table} t WHERE {near}").fetchall()
    if first is None:
        return False
    ts = good.column("ts")
    span = pc.and_(pc.greater_equal(ts, pa.scalar(first, type=ts.type)),
                   pc.less_equal(ts, pa.scalar(last, type=ts.type)))
    # read by name by DuckDB's replacement scan of this frame's variables
    chunk_near = good.select(["mmsi", "ts"]).filter(span)  # noqa: F841
    return bool(store.con.execute(
        f"""SELECT 1 FROM {table} t JOIN chunk_near s ON s.mmsi = t.mmsi AND s.ts = t.ts
            WHERE {near} LIMIT 1""").fetchall())


def _keys_repeat(store: Store, good: pa.Table, values_sql: str, key: tuple[str, ...]) -> bool:
    """Whether two rows of `good` have the same key once stored (a DuckDB distinct: a few
    milliseconds per chunk; the window of `_first_copies` costs ten times more)."""
    # read by name by DuckDB's replacement scan of this frame's variables
    chunk_good = good  # noqa: F841
    [(keys,)] = store.con.execute(
        f"""SELECT count(*) FROM (SELECT DISTINCT {", ".join(key)}
                                  FROM (SELECT {values_sql} FROM chunk_good))""").fetchall()
    return bool(keys < good.num_rows)


def _first_copies(store: Store, good: pa.Table, values_sql: str, key: tuple[str, ...],
                  repeats: bool) -> pa.Table:
    """The chunk's rows with their stored values, less its own duplicates (when it has
    `repeats`): of each key's copies, the one the module's rule keeps, in file order."""
    # read by name by DuckDB's replacement scan of this frame's variables
    chunk_good = good  # noqa: F841
    stored = f"SELECT {values_sql}, station, line_no FROM chunk_good"
    if repeats:
        stored = f"""SELECT * FROM ({stored})
            QUALIFY row_number() OVER (PARTITION BY {", ".join(key)}
                                       ORDER BY station NULLS LAST, line_no) = 1"""
    first: pa.Table = store.con.sql(
        f"SELECT * EXCLUDE (line_no) FROM ({stored}) ORDER BY line_no").to_arrow_table()
    return first


def _any(con: Any, sql: str, ingest_id: int | None) -> bool:
    """Whether `sql` has a row (LIMIT 1: DuckDB stops at the first row group that has one)."""
    params = {} if ingest_id is None else {"ingest_id": ingest_id}
    return bool(con.execute(f"{sql} LIMIT 1", params).fetchall())


def drop_requarantined(store: Store, source: str, ingest_id: int) -> int:
    """Remove this ingest's quarantine rows that an earlier ingest of the same source already
    stored; return how many (see docs/reference/quarantine-reasons.md).

    A bad record is identified by (source, reason, raw text, its occurrence among identical
    (reason, raw) records of that source), not by its line number: a line added above it must
    not make it new, and a bad line repeated n times in a feed stays n rows. The rows already
    there keep their first ingest's line numbers. Costs nothing when the source is new.
    """
    params = {"source": source, "ingest_id": ingest_id}
    earlier = store.con.execute(
        "SELECT count(*) FROM quarantine WHERE source = $source AND ingest_id <> $ingest_id",
        params,
    ).fetchall()[0][0]
    if not earlier:
        return 0
    removed = store.con.execute(
        """DELETE FROM quarantine WHERE rowid IN (
               WITH mine AS (
                   SELECT rowid AS row_id, reason, raw,
                          row_number() OVER (PARTITION BY reason, raw ORDER BY line_no) AS nth
                   FROM quarantine WHERE ingest_id = $ingest_id),
               earlier AS (
                   SELECT reason, raw, count(*) AS n FROM quarantine
                   WHERE source = $source AND ingest_id <> $ingest_id GROUP BY reason, raw)
               SELECT m.row_id FROM mine m JOIN earlier e
                 ON e.reason = m.reason AND e.raw IS NOT DISTINCT FROM m.raw
               WHERE m.nth <= e.n)""",
        params,
    ).fetchall()[0][0]
    return int(removed)


def resolve_quarantined(store: Store, source: str, sha256: str, ingest_id: int) -> int:
    """Remove the quarantine rows of earlier ingests of this same file (same `source`, same
    content: sha256) whose line this ingest read without quarantining it; return how many.

    Why: a feed without times quarantines its records as `missing_time`; read again with
    `--assume-time` they are stored, and rows left in `quarantine` would count as bad records
    that are not. Only the same content is compared: its line numbers then name the same
    records (in a changed file a line number names another record, and a record gone from the
    file is not thereby stored). A line quarantined again, for any reason, is kept. Provenance
    stays: the earlier ingest's row in `ingests` keeps its counts, this one's summary says how
    many rows it resolved (`quarantine_resolved`).
    """
    params = {"source": source, "sha256": sha256, "ingest_id": ingest_id}
    earlier = store.con.execute(  # costs nothing for a file never ingested before
        "SELECT count(*) FROM ingests WHERE sha256 = $sha256 AND ingest_id <> $ingest_id",
        {"sha256": sha256, "ingest_id": ingest_id}).fetchall()[0][0]
    if not earlier:
        return 0
    removed = store.con.execute(
        """DELETE FROM quarantine WHERE rowid IN (
               SELECT q.rowid FROM quarantine q
               WHERE q.source = $source AND q.ingest_id <> $ingest_id
                 AND q.line_no IS NOT NULL
                 AND q.ingest_id IN (SELECT ingest_id FROM ingests WHERE sha256 = $sha256)
                 AND NOT EXISTS (SELECT 1 FROM quarantine m
                                 WHERE m.ingest_id = $ingest_id AND m.line_no = q.line_no))""",
        params,
    ).fetchall()[0][0]
    return int(removed)
