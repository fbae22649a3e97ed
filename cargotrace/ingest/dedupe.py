"""Store a chunk's good records, skipping those already stored (dedupe), at a cost set by the
chunk, not by the store.

Why a window: the anti-join that finds duplicates once read every stored position, so the
100th day of a feed cost far more than the first. A duplicate has the same mmsi and ts as the
row it repeats, so only stored rows inside the chunk's (ts, mmsi) ranges can collide; those
ranges go into the query as constants, which DuckDB checks against each row group's min/max
(zone maps) and skips the row groups outside. Positions are stored in file order, so a day of
feed lands in few row groups; a file whose times jump around costs more, never gives a wrong
answer.

Which copy of a duplicate is kept: within a file, the one with the smallest receiver name
(`station`; a named receiver before none), whichever chunk it is in, so that the stored rows do
not depend on the chunk size; a copy stored by an earlier ingest always stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cargotrace.ingest.staging import ChunkQueries
from cargotrace.store import Store

if TYPE_CHECKING:  # a table staged in SQL never needs pyarrow (start-up, issue 16)
    import pyarrow as pa


@dataclass(frozen=True)
class Stored:
    """What one chunk did to one table."""

    read: int  # good records in the chunk
    bad: int  # records with a bad value (for `staging.quarantine_chunk`)
    stored: int  # rows this ingest now has in addition (new rows less those they replaced)


def _key_match(key: tuple[str, ...]) -> str:
    return " AND ".join(f"s.{c} IS NOT DISTINCT FROM t.{c}" for c in key)


def _ts(micros: int) -> str:
    """A time in µs since the epoch as SQL. Why from µs: `as_py()` of a timestamp scalar
    imports pandas (~0.25 CPU-s per process); of an int64 it does not."""
    value = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
    return f"TIMESTAMPTZ '{value.isoformat()}'"


def store_new_rows(
    queries: ChunkQueries,
    checked: str,
    checks: dict[str, Any],
    table: str,
    key: tuple[str, ...],
    source: str,
    ingest_id: int,
) -> Stored:
    """Insert the good rows of the query `checked` (`staging.CHECKED`, taking the parameters
    `checks`) into `table` unless already there.

    Why the chunk's rows are fetched once as Arrow: the validation and the within-chunk
    dedupe then run once per chunk, not once in each of the count, the DELETE, the INSERT and
    the quarantine's test that read them (together they were 70% of the store's time). Why
    the two existence tests: the DELETE's join and the INSERT's anti-join are skipped when the
    store holds nothing in the chunk's (ts, mmsi) window (a LIMIT 1 scan that the zone maps
    mostly answer).
    """
    import pyarrow.compute as pc

    keys = ", ".join(key)
    rows = queries.arrow(checked, checks)
    reason = rows.column("reason")
    bad = rows.num_rows - reason.null_count
    good_rows = (rows.filter(pc.is_null(reason)) if bad else rows).drop_columns(["reason"])
    read = good_rows.num_rows
    if not read:
        return Stored(0, bad, 0)
    first = _first_copies(queries.store, good_rows, keys)
    ts, mmsi = pc.min_max(first.column("ts").cast("int64")), pc.min_max(first.column("mmsi"))
    near = (f"t.ts BETWEEN {_ts(ts['min'].as_py())} AND {_ts(ts['max'].as_py())} "
            f"AND t.mmsi BETWEEN {mmsi['min'].as_py()} AND {mmsi['max'].as_py()}")
    con = queries.store.con
    # read by name by DuckDB's replacement scan of this frame's variables
    chunk_first = first  # noqa: F841
    replaced = 0
    # an earlier chunk of this file stored a copy from a later-sorting receiver: replace it
    # (the cheap, zone-map-backed test skips the join when this ingest has nothing near)
    mine = _any(con, f"SELECT 1 FROM {table} t WHERE t.ingest_id = $ingest_id AND {near}",
                ingest_id)
    if mine:
        replaced = con.execute(
            f"""DELETE FROM {table} t USING chunk_first s
                WHERE t.ingest_id = $ingest_id AND {near} AND {_key_match(key)}
                  AND s.station IS NOT NULL AND (t.station IS NULL OR s.station < t.station)""",
            {"ingest_id": ingest_id},
        ).fetchall()[0][0]
    params = {"source": source, "ingest_id": ingest_id}
    if mine or _any(con, f"SELECT 1 FROM {table} t WHERE {near}", None):
        sql = f"""INSERT INTO {table} BY NAME
            SELECT s.*, $source AS source, $ingest_id AS ingest_id FROM chunk_first s
            WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {near} AND {_key_match(key)})"""
    else:  # nothing stored near: every row is new, no anti-join
        sql = f"""INSERT INTO {table} BY NAME
            SELECT s.*, $source AS source, $ingest_id AS ingest_id FROM chunk_first s"""
    inserted = con.execute(sql, params).fetchall()[0][0]
    return Stored(int(read), bad, int(inserted) - int(replaced))


def _first_copies(store: Store, good_rows: pa.Table, keys: str) -> pa.Table:
    """The chunk's rows less its own duplicates (the copy from the smallest receiver kept).

    Most chunks have none: a count of distinct keys (a hash aggregate) says so, and the rows
    stay in file order without the window function's sort.
    """
    # read by name by DuckDB's replacement scan of this frame's variables
    chunk_good = good_rows  # noqa: F841
    distinct = store.con.execute(
        f"SELECT count(*) FROM (SELECT DISTINCT {keys} FROM chunk_good)").fetchall()[0][0]
    if distinct == good_rows.num_rows:
        return good_rows
    first: pa.Table = store.con.sql(
        f"""SELECT * FROM chunk_good
            QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY station) = 1"""
    ).to_arrow_table()
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
