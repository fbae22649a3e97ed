"""A table file read and converted by DuckDB on the store's own connection (`SqlSource`).

Why: parsing a CSV in Python blocks (tables.py) cost ~8x DuckDB's `read_csv` of the same file,
and cutting DuckDB's result into Arrow chunks for the pipeline to hand back to DuckDB cost more
than the read itself (issue 16). Here one query (`convert_sql`, the block reader's value rules)
reads the whole file with read_csv or read_parquet, on every core, into a temporary table of
the store's connection (read through the view `STAGE_TABLE`: `_create_stage`), and
table_store.py validates, deduplicates and stores it from there in SQL: no row reaches
Python, and neither numpy nor pyarrow is imported.

A CSV qualifies when read_csv's rows pair with its lines (the byte scan and the counts of
table_scan.py); a Parquet file always. Any other file returns None and is read in chunks by
the block reader, so the stored rows, quarantine and counts are the same either way.

Why before the ingest's transaction: a query that fails inside a DuckDB transaction aborts it,
and read_csv can refuse a file (strict mode); outside, a failure only means "read it in
chunks". The temporary table is not part of the store file, and is dropped when the ingest ends
(`staged_in_sql`).
"""

from __future__ import annotations

import logging
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from cargotrace.ingest.params import IngestOptions, InputFormat
from cargotrace.ingest.staging import bounds
from cargotrace.store import Store
from cargotrace.store.memory import memory_capped

if TYPE_CHECKING:
    from cargotrace.ingest.table_formats import Layout

log = logging.getLogger(__name__)

STAGE_TABLE = "cargotrace_table_stage"  # temporary: the converted rows (see `convert_sql`)
STAGE_ROWS = f"{STAGE_TABLE}_rows"  # what `STAGE_TABLE`, a view, reads (see `_create_stage`)
BUFFER = 8 << 20  # read_csv's buffer per thread (its default, 32 MB, fails a 64 MB cap)
# DuckDB's memory while a file is staged and stored in SQL: at least this (unless uncapped).
# Under ~100 MB the whole-file dedupe of a 1M-row CSV fails with "Out of Memory" instead of
# spilling; with 128 MB that ingest peaked at 290 MB (the process, measured).
MIN_STAGE_MEMORY_MB = 128
_REJECTS = ("cargotrace_csv_rejects", "cargotrace_csv_reject_scans")
_BLOCKS = "read_csv's rows do not pair with the lines; reading in blocks"  # `ingest -v`


@dataclass
class SqlSource:
    """A file whose rows are in `STAGE_TABLE`, `line_no` being each row's line (CSV; the header
    is line 1) or row number (Parquet, from 1)."""

    path: Path
    parquet: bool
    header: list[str]
    records_read: int  # data lines (CSV) or rows (Parquet)
    skipped: Counter[str] = field(default_factory=Counter)  # blank lines
    framing: dict[int, str] = field(default_factory=dict)  # CSV lines that are not a row: why
    memory_mb: int = MIN_STAGE_MEMORY_MB  # DuckDB's memory limit while staging (0: none)
    checks: dict[str, datetime] = field(default_factory=dict)  # the bounds rows were checked by


@contextmanager
def staged_in_sql(
    store: Store, fmt: InputFormat, path: Path, options: IngestOptions
) -> Iterator[SqlSource | None]:
    """The file staged in `STAGE_TABLE` for the length of the block, or None when it must be
    read in chunks (NMEA; a CSV whose rows do not pair with its lines; a file DuckDB refuses)."""
    source = None
    try:
        if fmt is not InputFormat.NMEA:
            with memory_capped(store, stage_memory_mb(options)):
                source = _stage(store, fmt, path, options)
        yield source
    finally:
        if fmt is not InputFormat.NMEA:
            _drop(store)


def stage_memory_mb(options: IngestOptions) -> int:
    """The user's cap on DuckDB's memory during an ingest, raised to what staging needs."""
    megabytes = options.stream.store_memory_mb
    return megabytes and max(megabytes, MIN_STAGE_MEMORY_MB)


def _stage(store: Store, fmt: InputFormat, path: Path, options: IngestOptions) -> SqlSource | None:
    # here, not at the top: an NMEA ingest never needs the table reader (start-up, issue 16)
    from cargotrace.ingest.table_sql import (
        CONVERT_OPTIMIZERS_OFF,
        NULL_TOKEN_MACROS,
        TYPED_CONVERT_OPTIMIZERS_OFF,
    )

    _drop(store)
    con = store.con
    (optimizers,) = con.execute("SELECT current_setting('disabled_optimizers')").fetchall()[0]
    off = TYPED_CONVERT_OPTIMIZERS_OFF if fmt is InputFormat.PARQUET else CONVERT_OPTIMIZERS_OFF
    con.execute(f"SET disabled_optimizers = '{off}'")  # why: table_sql.py
    for macro in NULL_TOKEN_MACROS:  # temporary: nothing of the reader enters the store file
        con.execute(macro.replace("CREATE MACRO", "CREATE OR REPLACE TEMP MACRO", 1))
    try:
        if fmt is InputFormat.PARQUET:
            return _stage_parquet(store, path, options)
        return _stage_csv(store, fmt, path, options)
    except duckdb.Error as exc:  # a file DuckDB refuses: the chunk readers say why, or cope
        log.debug("%s: not staged in SQL (%s)", path, str(exc).splitlines()[0])
        _drop(store)
        return None
    finally:
        con.execute(f"SET disabled_optimizers = '{optimizers}'")


def _stage_csv(store: Store, fmt: InputFormat, path: Path,
               options: IngestOptions) -> SqlSource | None:
    from cargotrace.ingest.table_formats import resolve_layout
    from cargotrace.ingest.table_header import is_gzip, open_rows, open_stream, read_header
    from cargotrace.ingest.table_scan import (
        blank_lines,
        framing_problems,
        line_texts,
        scan_csv,
    )

    with open_stream(path) as (_, fh):
        header, delimiter = read_header(path, fh)
        layout = resolve_layout(path, header, fmt, options.column_map())
        try:
            scan = scan_csv(fh)
        except (OSError, EOFError, zlib.error):
            return None  # a damaged stream: the block reader says where
    if not scan.pairable:
        log.debug("%s: %s", path, _BLOCKS)
        return None
    checks = bounds(options)
    _convert_csv(store, layout, path, delimiter, is_gzip(path), checks)
    rejected = [int(line) for (line,) in store.con.execute(
        f"SELECT DISTINCT line FROM {_REJECTS[0]} ORDER BY 1").fetchall()]
    texts: dict[int, str] = {}
    if rejected:
        with open_rows(path) as fh:
            texts = line_texts(fh, set(rejected))
    framing = framing_problems(texts, delimiter, len(header))
    rows = int(store.con.execute(f"SELECT count(*) FROM {STAGE_ROWS}").fetchall()[0][0])
    blank: list[int] = []
    if rows + len(rejected) != scan.lines:
        with open_rows(path) as fh:
            blank = blank_lines(fh)
    skipped_lines = sorted(set(rejected) | set(blank))
    if framing is None or rows + len(skipped_lines) != scan.lines:
        log.debug("%s: %s", path, _BLOCKS)
        _drop(store)
        return None
    if skipped_lines:
        _renumber(store, skipped_lines)
    skipped: Counter[str] = Counter()
    if blank:
        skipped["blank_lines"] = len(blank)
    return SqlSource(path=path, parquet=False, header=header, records_read=scan.lines,
                     skipped=skipped, framing=framing, memory_mb=stage_memory_mb(options),
                     checks=checks)


def _convert_csv(store: Store, layout: Layout, path: Path, delimiter: str,
                 gzipped: bool, checks: dict[str, datetime]) -> None:
    """read_csv (every column as text), `convert_sql` and the checks (`with_reasons`) in one
    query; `line_no` is the row's rank among those read_csv accepted, plus one: its line when
    no line was skipped."""
    from cargotrace.ingest.table_sql import convert_sql

    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(layout.header)))
    used = sorted({i for cols in layout.sources.values() for i in cols})
    # Empty fields as '' (not NULL), as the block reader hands them to convert_sql.
    inputs = ", ".join(f"coalesce(c{i}, '') AS c{i}" for i in used)
    rows_in = f"""(
            SELECT row_number() OVER () + 1 AS line_no, {inputs}
            FROM read_csv($path, header = true, auto_detect = false, all_varchar = true,
                          encoding = 'utf-8', compression = $compression,
                          columns = {{{columns}}}, delim = $delim, quote = '"',
                          escape = '"', strict_mode = true, null_padding = false,
                          ignore_errors = true, store_rejects = true, buffer_size = $buffer,
                          rejects_table = '{_REJECTS[0]}', rejects_scan = '{_REJECTS[1]}'))"""
    _create_stage(store, layout, convert_sql(layout, rows_in),
                  {"path": str(path), "delim": delimiter,
                   "compression": "gzip" if gzipped else "none", "buffer": BUFFER, **checks})


def _create_stage(store: Store, layout: Layout, rows_sql: str, params: dict[str, object]) -> None:
    """Stage `rows_sql` (convert_sql's rows of the file, checked by `with_reasons`) in
    `STAGE_ROWS`, without the stored columns the file has no source for, and make
    `STAGE_TABLE` the view that gives them back as NULL.

    Why: those columns are NULL on every row (a file of positions has no name, IMO, ...: 9 of
    the 19), and materialising them was ~40% of staging a 1M-row Parquet file (issue 16); in
    a view they are constants that cost nothing to read."""
    from cargotrace.ingest.table_store import STORED_COLUMNS, with_reasons

    absent = {name: sql for name, sql in STORED_COLUMNS.items() if name not in layout.sources}
    exclude = f" EXCLUDE ({', '.join(absent)})" if absent else ""
    store.con.execute(
        f"CREATE TEMP TABLE {STAGE_ROWS} AS SELECT *{exclude} FROM ({with_reasons(rows_sql)})",
        params)
    nulls = "".join(f", CAST(NULL AS {sql}) AS {name}" for name, sql in absent.items())
    store.con.execute(f"CREATE OR REPLACE TEMP VIEW {STAGE_TABLE} AS "
                      f"SELECT *{nulls} FROM {STAGE_ROWS}")


def _renumber(store: Store, skipped_lines: list[int]) -> None:
    """Give each row its line when some lines gave no row (blank, or not a CSV row).

    The row of rank r (line_no r + 1 so far) is on line r + 1 + j, j the number of skipped
    lines before it; the ranks from which j applies are the skipped lines' s_j - j + 1 (s_j the
    j-th of them, from 1), so one ASOF join finds every row's j."""
    starts = [s - j + 1 for j, s in enumerate(skipped_lines, start=1)]
    renumbered = f"{STAGE_ROWS}_lines"
    store.con.execute(
        f"""CREATE TEMP TABLE {renumbered} AS
            SELECT c.* REPLACE (c.line_no + coalesce(o.j, 0) AS line_no)
            FROM {STAGE_ROWS} c ASOF LEFT JOIN (
                SELECT start, max(j) AS j
                FROM (SELECT unnest($starts) AS start, unnest($j) AS j) GROUP BY start) o
              ON c.line_no >= o.start""",
        {"starts": starts, "j": list(range(1, len(starts) + 1))})
    store.con.execute(f"DROP TABLE {STAGE_ROWS}")
    store.con.execute(f"ALTER TABLE {renumbered} RENAME TO {STAGE_ROWS}")


def _stage_parquet(store: Store, path: Path, options: IngestOptions) -> SqlSource:
    from cargotrace.ingest.table_formats import resolve_layout
    from cargotrace.ingest.table_sql import convert_sql, parquet_inputs

    described = store.con.execute(
        "DESCRIBE SELECT * FROM read_parquet($path)", {"path": str(path)}).fetchall()
    header = [str(name) for (name, *_) in described]
    layout = resolve_layout(path, header, InputFormat.PARQUET, options.column_map())
    layout, inputs, typed = parquet_inputs(layout, [str(kind) for (_, kind, *_) in described])
    rows_in = (f"(SELECT file_row_number + 1 AS line_no, {inputs} "
               "FROM read_parquet($path, file_row_number = true))")
    checks = bounds(options)
    _create_stage(store, layout, convert_sql(layout, rows_in, typed), {"path": str(path), **checks})
    rows = int(store.con.execute(f"SELECT count(*) FROM {STAGE_ROWS}").fetchall()[0][0])
    return SqlSource(path=path, parquet=True, header=header, records_read=rows,
                     memory_mb=stage_memory_mb(options), checks=checks)


def _drop(store: Store) -> None:
    """Remove what staging left on the store's connection (nothing of it is in the file).

    A connection the failed ingest left unusable has nothing to drop: its error, already on
    its way to the user, must not be replaced by this one."""
    try:
        store.con.execute(f"DROP VIEW IF EXISTS temp.{STAGE_TABLE}")
        for table in (STAGE_ROWS, *_REJECTS):
            store.con.execute(f"DROP TABLE IF EXISTS temp.{table}")
        for macro in ("ct_val", "ct_text"):
            store.con.execute(f"DROP MACRO IF EXISTS temp.{macro}")
    except duckdb.Error:
        pass


__all__ = ["STAGE_TABLE", "SqlSource", "staged_in_sql"]
