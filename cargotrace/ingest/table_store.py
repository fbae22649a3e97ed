"""Validate, quarantine, deduplicate and store a staged table file (`SqlSource`) in SQL.

The rules are those the pipeline applies to a chunk, in the same words: the validation SQL of
validate.py (the same reasons for the same records: staging.py's `_BAD`), and the dedupe of
dedupe.py, here over the whole file at once: of the copies of a row within the file the one
with the smallest receiver name (`station`, a named one before none; then the first in the
file) is kept, and none whose key is already stored (only stored rows inside the file's
(ts, mmsi) ranges are read, so the cost is set by the file, not by the store). As the file is
one batch, there is never an earlier batch's copy to replace. Rows whose (mmsi, ts) is the
file's only one are stored in one scan; only copies go through the choice of one per key.

Only the quarantine needs the file again, for the text of its bad records: a CSV's lines are
read back in blocks (bad lines only), a Parquet file's rows as JSON, as the chunk readers
give them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from cargotrace.errors import UnreadableInputError
from cargotrace.ingest.dedupe import key_match, near_sql
from cargotrace.ingest.reasons import QuarantineReason as R
from cargotrace.ingest.summary import IngestSummary
from cargotrace.ingest.table_stage import STAGE_TABLE, SqlSource
from cargotrace.ingest.validate import (
    POSITION_VALUES_SQL,
    REPORT_VALUES_SQL,
    positions_reason_sql,
    reports_reason_sql,
)
from cargotrace.store import Store
from cargotrace.store.columns import TableSpec, quoted
from cargotrace.store.memory import memory_capped
from cargotrace.store.schema import POSITION_KEY, POSITIONS, REPORT_KEY, VESSEL_REPORTS

_BAD_TABLE = f"{STAGE_TABLE}_bad"
_REPEATS_TABLE = f"{STAGE_TABLE}_repeats"  # the (mmsi, ts) pairs of more than one good row
# rows per group of vessels whose copies are chosen among at once (at 250k, a 9.5M-row Parquet
# of copies would run out of 128 MB: see `_store_new_rows`)
_GROUP_ROWS = 100_000
# up to this many repeated (mmsi, ts) pairs, the rows holding one are told apart by a list of
# the pairs' hashes (a rare collision only sends a row through the choice of one copy, where
# it is the only one of its key), not by a join: the rest are stored in one scan, in file
# order without a sort (~25% of the MarineCadastre CSV's inserts, issue 16)
_LISTED_PAIRS = 64


def _staged(spec: TableSpec, where: str, extra: str = "") -> str:
    """The staged rows of `spec`'s table (stored types: see `with_reasons`), and the `extra`
    columns of `STAGE_TABLE`."""
    columns = ", ".join(f"s.{c.name}" for c in spec.columns
                        if c.name not in ("source", "ingest_id"))
    extra = f", {', '.join(f's.{c.strip()}' for c in extra.split(','))}" if extra else ""
    return f"SELECT s.line_no, {columns}{extra} FROM {STAGE_TABLE} s WHERE {where}"


STORED_COLUMNS = {c.name: c.sql for spec in (POSITIONS, VESSEL_REPORTS) for c in spec.columns
                   if c.name not in ("source", "ingest_id")}


def with_reasons(rows_sql: str) -> str:
    """`rows_sql` (convert_sql's rows) with the stored tables' columns in their stored types,
    as the chunk readers' Arrow schemas (records.py) give them, and the first rule each row
    breaks as a position (`position_reason`, for kind 'position') and as a report
    (`report_reason`, kinds 'position' and 'report'); NULL: none. Needs `$earliest`/`$latest`.

    Why when the file is staged: the checks were evaluated once per use (counting, storing
    and quarantining each table: five times per row, ~40% of the SQL after the read); here
    they are evaluated once, in the query that stages the file (no second copy of it)."""
    casts = ", ".join(_cast(name, sql) for name, sql in STORED_COLUMNS.items())
    return f"""SELECT *,
                   CASE WHEN kind = 'position' THEN {positions_reason_sql()} END
                       AS position_reason,
                   CASE WHEN kind IN ('position', 'report') THEN {reports_reason_sql()} END
                       AS report_reason
               FROM (SELECT * REPLACE ({casts}) FROM ({rows_sql}))"""


def _cast(name: str, sql: str) -> str:
    """`name` in its stored type. A time (convert_sql's TIMESTAMP, UTC) becomes the TIMESTAMPTZ
    of the same microseconds by arithmetic: DuckDB's cast goes through ICU's calendar per row
    (~0.08 CPU-s per 1M rows, issue 16); the same instant on a connection in UTC (the store's),
    which an infinite time (no microseconds to count) still reaches through the cast."""
    if sql == "TIMESTAMPTZ":
        return (f"CASE WHEN isfinite({name}) THEN make_timestamptz(epoch_us({name})) "
                f"ELSE CAST({name} AS TIMESTAMPTZ) END AS {name}")
    return f"CAST({name} AS {sql}) AS {name}"


_GOOD_WHERE = {
    "positions": "kind = 'position' AND position_reason IS NULL",
    "vessel_reports": "kind IN ('position', 'report') AND has_static AND report_reason IS NULL",
}
_GOOD = {
    "positions": f"SELECT {POSITION_VALUES_SQL}, station, line_no "
                 f"FROM ({_staged(POSITIONS, _GOOD_WHERE['positions'])})",
    "vessel_reports": f"SELECT {REPORT_VALUES_SQL}, station, line_no "
                      f"FROM ({_staged(VESSEL_REPORTS, _GOOD_WHERE['vessel_reports'])})",
}
# As staging._BAD: a row that gave both a position and a report (kind position, with static
# fields) is quarantined once, for its position: the report's checks are the position's first
# ones, so a bad report is always a bad position too.
_BAD = f"""
    SELECT line_no, reason, detail FROM (
        SELECT line_no,
               CASE kind WHEN 'quarantine' THEN reason
                         WHEN 'position' THEN position_reason
                         WHEN 'report' THEN report_reason END AS reason,
               CASE WHEN kind = 'quarantine' THEN detail END AS detail
        FROM {STAGE_TABLE} WHERE kind IN ('position', 'report', 'quarantine'))
    WHERE reason IS NOT NULL
    UNION ALL
    SELECT unnest($framing_lines::BIGINT[]), '{R.UNPARSEABLE_ROW}',
           unnest($framing_details::VARCHAR[])"""
# One scan for what both tables' inserts need first: good rows, and their (ts, mmsi) ranges;
# the times as microseconds (`_utc`): a TIMESTAMPTZ fetched into Python makes DuckDB import
# pytz (~4 ms of every table ingest's start-up, issue 16).
_GOOD_RANGES = ", ".join(
    f"count(*) FILTER ({where}), epoch_us(min(ts) FILTER ({where})), "
    f"epoch_us(max(ts) FILTER ({where})), "
    f"min(mmsi) FILTER ({where}), max(mmsi) FILTER ({where})"
    for where in _GOOD_WHERE.values())
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _utc(ranges: tuple[Any, ...]) -> tuple[Any, ...]:
    """`_GOOD_RANGES`' values with its microsecond times as UTC datetimes (the same instants
    DuckDB would give)."""
    return tuple(_EPOCH + timedelta(microseconds=v) if i % 5 in (1, 2) and v is not None
                 else v for i, v in enumerate(ranges))


def store_staged(
    store: Store, source: SqlSource, summary: IngestSummary, checks: dict[str, datetime],
    ingest_id: int,
) -> None:
    """Store the staged file's good rows and quarantine its bad ones (inside the ingest's
    transaction), counting everything in `summary` as the chunk path does.

    The rows were checked when the file was staged, against the bounds in `source.checks`;
    `checks` (the ingest's bounds, taken a moment later: `latest_ts` is "now" plus a margin)
    only widens them, so it is not needed again."""
    del checks
    with memory_capped(store, source.memory_mb):
        _store_staged(store, source, summary, ingest_id)


def _store_staged(store: Store, source: SqlSource, summary: IngestSummary,
                  ingest_id: int) -> None:
    con = store.con
    summary.records_read += source.records_read
    summary.skipped.update(source.skipped)
    for kind, count in con.execute(
            f"SELECT kind, count(*) FROM {STAGE_TABLE} "
            "WHERE kind NOT IN ('position', 'report', 'quarantine') GROUP BY kind").fetchall():
        summary.skipped[str(kind)] += int(count)
    _quarantine(store, source, summary, ingest_id)
    ranges = _utc(con.execute(f"SELECT {_GOOD_RANGES} FROM {STAGE_TABLE}").fetchall()[0])
    for i, (spec, key, attr) in enumerate(((POSITIONS, POSITION_KEY, "positions"),
                                           (VESSEL_REPORTS, REPORT_KEY, "reports"))):
        read, stored = _store_new_rows(store, spec, key, ranges[5 * i:5 * i + 5],
                                       summary.path, ingest_id)
        setattr(summary, f"{attr}_read", getattr(summary, f"{attr}_read") + read)
        setattr(summary, f"{attr}_stored", getattr(summary, f"{attr}_stored") + stored)
        setattr(summary, f"duplicate_{attr}",
                getattr(summary, f"{attr}_read") - getattr(summary, f"{attr}_stored"))


def _quarantine(store: Store, source: SqlSource, summary: IngestSummary,
                ingest_id: int) -> None:
    con = store.con
    con.execute(f"DROP TABLE IF EXISTS temp.{_BAD_TABLE}")
    con.execute(f"CREATE TEMP TABLE {_BAD_TABLE} AS {_BAD}",
                {"framing_lines": list(source.framing),
                 "framing_details": list(source.framing.values())})
    counts = con.execute(f"SELECT reason, count(*) FROM {_BAD_TABLE} GROUP BY reason").fetchall()
    if counts:
        params = {"source": summary.path, "ingest_id": ingest_id}
        if source.parquet:
            stored = _quarantine_parquet_rows(store, source, params)
        else:
            stored = _quarantine_csv_lines(store, source, params)
        bad = sum(int(count) for _, count in counts)
        if stored != bad:  # a bad record whose text was not found again: never drop it
            raise UnreadableInputError(
                f"{source.path}: changed while it was read ({bad - stored} of {bad} bad "
                "records not found again); nothing from this file was stored, ingest it again")
    for reason, count in counts:
        summary.quarantined[str(reason)] += int(count)
    con.execute(f"DROP TABLE {_BAD_TABLE}")


_INSERT_BAD = f"""
    INSERT INTO quarantine
    SELECT $source, b.line_no, t.raw, b.reason, b.detail, $ingest_id
    FROM {_BAD_TABLE} b JOIN ({{texts}}) t USING (line_no)
    ORDER BY b.line_no"""


def _quarantine_csv_lines(store: Store, source: SqlSource, params: dict[str, Any]) -> int:
    """Store the bad records with their lines' text, read back piece by piece (memory: a
    piece); return how many were stored."""
    from cargotrace.ingest.table_header import open_rows

    texts = "SELECT unnest($lines::BIGINT[]) AS line_no, unnest($texts::VARCHAR[]) AS raw"
    stored = 0
    with open_rows(source.path) as fh:
        for lines, raw in _lines_wanted(store, fh):
            stored += int(store.con.execute(_INSERT_BAD.format(texts=texts),
                                            {**params, "lines": lines, "texts": raw}
                                            ).fetchall()[0][0])
    return stored


def _lines_wanted(store: Store, fh: IO[bytes]) -> Iterator[tuple[list[int], list[str]]]:
    """The bad lines of each piece of the file (`fh` after its header), with their text."""
    from cargotrace.ingest.table_scan import line_pieces

    for first, lines in line_pieces(fh):
        wanted = [int(line) for (line,) in store.con.execute(
            f"SELECT line_no FROM {_BAD_TABLE} WHERE line_no BETWEEN ? AND ? ORDER BY 1",
            [first, first + len(lines) - 1]).fetchall()]
        if wanted:
            yield wanted, [lines[line - first].decode("utf-8").rstrip("\r") for line in wanted]


def _quarantine_parquet_rows(store: Store, source: SqlSource, params: dict[str, Any]) -> int:
    """Store the bad rows with each row as JSON (its `raw`), as the chunk reader gives them;
    return how many were stored."""
    fields = ", ".join(f"{quoted(name)} := {quoted(name)}" for name in source.header)
    texts = (f"SELECT file_row_number + 1 AS line_no, "
             f"CAST(to_json(struct_pack({fields})) AS VARCHAR) AS raw "
             "FROM read_parquet($path, file_row_number = true) "
             f"WHERE file_row_number + 1 IN (SELECT line_no FROM {_BAD_TABLE})")
    return int(store.con.execute(_INSERT_BAD.format(texts=texts),
                                 {**params, "path": str(source.path)}).fetchall()[0][0])


def _store_new_rows(store: Store, spec: TableSpec, key: tuple[str, ...],
                    ranges: tuple[Any, ...], source: str, ingest_id: int) -> tuple[int, int]:
    """Insert the file's good rows of `spec`'s table that are not stored yet (dedupe.py's
    rules); return (good rows, rows stored). `ranges`: the good rows' count and (ts, mmsi)
    ranges (`_GOOD_RANGES`).

    Why the copies are looked for first: two rows with the same key share their (mmsi, ts),
    so the rows whose (mmsi, ts) is the file's only one (nearly all: 3 of the 99,900
    positions of the MarineCadastre sample repeat) are stored in one scan of the staged file,
    in file order; only the few others go through the choice of one copy per key. Counting
    (mmsi, ts) pairs is an aggregate of fixed-size states that DuckDB spills under the memory
    cap; the choice (an `arg_min` over rows) is not, so it runs in groups of vessels of at
    most `_GROUP_ROWS` rows (every key holds the MMSI: copies always share a group). It was
    the whole file in ten groups of vessels, each a scan of the staged file: most of a
    1M-row Parquet ingest, and its rows stored group by group instead of in file order.

    Why the stored rows are looked at once, first: the file's copies can only be stored by an
    earlier ingest, so the anti-join reads only rows of other ingests, and none at all when
    nothing is stored near the file (a new store, a new day)."""
    good = _GOOD[spec.name]
    read, first_ts, last_ts, low_mmsi, high_mmsi = ranges
    if not read:
        return 0, 0
    con = store.con
    near = near_sql(first_ts, last_ts, low_mmsi, high_mmsi)
    stored_near = con.execute(
        f"SELECT EXISTS (SELECT 1 FROM {spec.name} t WHERE {near})").fetchall()[0][0]
    new = (f"WHERE NOT EXISTS (SELECT 1 FROM {spec.name} t WHERE {near} "
           f"AND t.ingest_id <> $ingest_id AND {key_match(key)})" if stored_near else "")
    params: dict[str, Any] = {"source": source, "ingest_id": ingest_id}
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {_REPEATS_TABLE} AS
                    SELECT s.mmsi, s.ts, count(*) AS n FROM {STAGE_TABLE} s
                    WHERE {_GOOD_WHERE[spec.name]} GROUP BY s.mmsi, s.ts HAVING count(*) > 1""")
    pairs, repeated = (int(n) for n in con.execute(
        f"SELECT count(*), coalesce(sum(n), 0) FROM {_REPEATS_TABLE}").fetchall()[0])
    if 0 < pairs <= _LISTED_PAIRS:  # the few repeated pairs as constants: no join (see above)
        params["repeats"] = [int(h) for (h,) in con.execute(
            f"SELECT DISTINCT hash(mmsi, ts) FROM {_REPEATS_TABLE}").fetchall()]
        pair = "list_contains($repeats::UBIGINT[], hash(g.mmsi, g.ts))"
    else:
        pair = (f"EXISTS (SELECT 1 FROM {_REPEATS_TABLE} r WHERE r.mmsi IS NOT DISTINCT FROM "
                "g.mmsi AND r.ts IS NOT DISTINCT FROM g.ts)")
    single = f"SELECT * FROM ({good}) g WHERE NOT {pair}" if repeated else good
    # a scan keeps the file's order as it stores; a join does not (a sort costs ~1x the insert)
    order = "ORDER BY s.line_no" if pairs > _LISTED_PAIRS or stored_near else ""
    inserted = int(con.execute(
        f"""INSERT INTO {spec.name} BY NAME
            SELECT s.* EXCLUDE (line_no), $source AS source, $ingest_id AS ingest_id
            FROM ({single}) s {new} {order}""", params).fetchall()[0][0])
    if repeated:
        inserted += _store_first_copies(store, spec, key, f"SELECT * FROM ({good}) g WHERE {pair}",
                                        repeated, new, params)
    con.execute(f"DROP TABLE {_REPEATS_TABLE}")
    return int(read), inserted


def _store_first_copies(store: Store, spec: TableSpec, key: tuple[str, ...], rows: str,
                        count: int, new: str, params: dict[str, Any]) -> int:
    """Insert, of each key's copies among `rows` (`count` rows), the one a window
    `ORDER BY station NULLS LAST, line_no` would rank first (found by an aggregate: a third
    of the window's time), unless `new` finds it stored; in groups of vessels (see
    `_store_new_rows`); return how many were stored."""
    keys = ", ".join(key)
    rest = [c for c in spec.names if c not in (*key, "source", "ingest_id")] + ["line_no"]
    groups = -(-count // _GROUP_ROWS)
    grouped = f"SELECT * FROM ({rows}) WHERE hash(mmsi) % {groups} = $group"
    first = f"""(SELECT {keys}, {", ".join(f"kept.{c} AS {c}" for c in rest)}
                 FROM (SELECT {keys}, arg_min({{{", ".join(f"'{c}': {c}" for c in rest)}}},
                                              (station IS NULL, station, line_no)) AS kept
                       FROM ({grouped}) GROUP BY {keys}))"""
    inserted = 0
    for group in range(groups):
        inserted += store.con.execute(
            f"""INSERT INTO {spec.name} BY NAME
                SELECT s.* EXCLUDE (line_no), $source AS source, $ingest_id AS ingest_id
                FROM {first} s {new}
                ORDER BY s.line_no""", {**params, "group": group}).fetchall()[0][0]
    return int(inserted)


__all__ = ["store_staged"]
