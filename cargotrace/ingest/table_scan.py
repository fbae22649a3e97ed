"""Decoded tables read by DuckDB's own readers (read_csv, read_parquet), in one query per file.

Why: parsing a CSV in Python blocks (tables.py) cost ~8x DuckDB's `read_csv` of the same file
(issue 16). Here DuckDB reads and parses the whole file on all cores; `convert_sql` (the same
value rules as the block reader) turns it into our fields in the same query, into a temporary
table of the reader's own connection (spilled to disk when large), from which `Chunk`s are
cut by line number.

The catch is line numbers: `read_csv` numbers only the rows it rejects, so accepted rows are
paired with the file's lines by order. That pairing is exact only when every row is one
physical line, which a byte scan checks first (`scan_csv`): valid UTF-8, no NUL, no carriage
return other than in CRLF, and no line with an odd number of quotes (a quoted field running
over a line end). After the query, DuckDB's count plus its rejected and blank lines must equal
the scan's count. A file that fails either check is read by the block reader instead, which
names every malformed row (tables.py); so results are the same either way, only slower.
"""

from __future__ import annotations

import logging
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import duckdb
import numpy as np
import pyarrow as pa

from cargotrace.ingest.csv_split import line_blocks, split_python
from cargotrace.ingest.reasons import QuarantineReason as R
from cargotrace.ingest.records import (
    STAGED_POSITION_SCHEMA,
    STAGED_QUARANTINE_SCHEMA,
    STAGED_REPORT_SCHEMA,
    Chunk,
)
from cargotrace.ingest.table_formats import Layout
from cargotrace.ingest.table_sql import NULL_TOKEN_MACROS, convert_sql

log = logging.getLogger(__name__)

# The reader's own connection holds the converted file; past this it spills to a temporary
# folder, so memory is set by this limit, not by the file.
READER_MEMORY_LIMIT = "256MB"


@dataclass
class CsvScan:
    """What a byte scan of a CSV's data lines (after the header) found."""

    pairable: bool = True  # every row is one physical line: read_csv's rows pair with lines
    blocks: list[tuple[int, int]] = field(default_factory=list)  # (lines, bytes read after)
    blank_lines: list[int] = field(default_factory=list)  # line numbers (the header is 1)

    @property
    def lines(self) -> int:
        return sum(n for n, _ in self.blocks)


def scan_csv(raw_file: IO[bytes], fh: IO[bytes], n_lines: int) -> CsvScan:
    """Scan the data lines in blocks of `n_lines` (as the block reader cuts them)."""
    scan = CsvScan()
    first = 2
    endings: set[str] = set()
    for block in line_blocks(fh, n_lines):
        n = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
        scan.blocks.append((n, raw_file.tell()))
        if scan.pairable:
            endings.add(_line_ending(block))
            scan.pairable = len(endings) == 1 and "mixed" not in endings and _pairable(block)
        if scan.pairable and (block.startswith((b"\n", b"\r\n")) or b"\n\n" in block
                              or b"\n\r\n" in block):
            lines = block.decode("utf-8").split("\n")[:n]
            scan.blank_lines += [first + i for i, line in enumerate(lines) if line in ("", "\r")]
        first += n
    return scan


def _line_ending(block: bytes) -> str:
    """"lf" or "crlf" (read_csv takes one kind per file), or "mixed" (or a stray CR)."""
    crs = block.count(b"\r")
    if not crs:
        return "lf"
    if crs == block.count(b"\r\n") == block.count(b"\n"):
        return "crlf"
    return "mixed"


def _pairable(block: bytes) -> bool:
    """True when every line of the block is one whole CSV row that read_csv sees as we do."""
    if b"\x00" in block:
        return False
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if b'"' not in block:
        return True
    data = np.frombuffer(block, np.uint8)
    ends = np.flatnonzero(data == 10)
    quotes = np.flatnonzero(data == 34)
    per_line = np.bincount(np.searchsorted(ends, quotes), minlength=len(ends) + 1)
    return not bool(np.any(per_line & 1))


# The DuckDB type that gives each staged column's Arrow type as is (no cast, no
# pyarrow.compute: its import alone costs a table ingest ~0.06 s).
_SQL_OF_ARROW = {"int64": "BIGINT", "int32": "INTEGER", "int16": "SMALLINT", "int8": "TINYINT",
                 "double": "DOUBLE", "string": "VARCHAR", "bool": "BOOLEAN",
                 "timestamp[us, tz=UTC]": "TIMESTAMPTZ"}


class TableScan:
    """One file converted by DuckDB: `conv` (see `convert_sql`) and `raws` (line_no, raw),
    then joined into `rows`."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.tmp = tempfile.TemporaryDirectory(prefix="cargotrace-read-")
        self.con = duckdb.connect(config={"memory_limit": READER_MEMORY_LIMIT,
                                          "temp_directory": self.tmp.name})
        self.con.execute("SET TimeZone = 'UTC'")
        # see tables._Converter: `IN (constants)` as a plain expression is ~2x faster
        self.con.execute("SET disabled_optimizers = 'in_clause'")
        for macro in NULL_TOKEN_MACROS:
            self.con.execute(macro)
        self.con.execute("CREATE TEMP TABLE framing (line_no BIGINT, detail VARCHAR)")
        self.used = sorted({i for cols in layout.sources.values() for i in cols})

    def close(self) -> None:
        self.con.close()
        self.tmp.cleanup()

    def convert_csv(self, path: Path, delimiter: str, gzipped: bool) -> None:
        """Read the CSV with read_csv (every column as text) and convert it into `conv`, whose
        `line_no` is then the row's rank among the rows read_csv accepted; and each line's
        text into `raws` (read_csv with one column: a NUL never occurs in a pairable file)."""
        n_fields = len(self.layout.header)
        columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n_fields))
        # Empty fields as '' (not NULL), as the block reader hands them to convert_sql.
        inputs = ", ".join(f"coalesce(c{i}, '') AS c{i}" for i in self.used)
        common = ("header = true, auto_detect = false, all_varchar = true, encoding = 'utf-8', "
                  "compression = $compression")
        params = {"path": str(path), "compression": "gzip" if gzipped else "none"}
        rows_in = f"""(
                SELECT row_number() OVER () AS line_no, {inputs}
                FROM read_csv($path, {common}, columns = {{{columns}}}, delim = $delim,
                              quote = '"', escape = '"', strict_mode = true,
                              null_padding = false, ignore_errors = true,
                              store_rejects = true))"""
        self.con.execute(f"CREATE TEMP TABLE conv AS {convert_sql(self.layout, rows_in)}",
                         params | {"delim": delimiter})
        # A blank line is a NULL row here (read_csv skips it above): ranks are line numbers.
        self.con.execute(
            "CREATE TEMP TABLE raws AS SELECT row_number() OVER () + 1 AS line_no, "
            f"coalesce(raw, '') AS raw FROM read_csv($path, {common}, "
            "columns = {'raw': 'VARCHAR'}, delim = chr(0), quote = '', escape = '')", params)

    def rejected_lines(self) -> dict[int, str]:
        """The text of each line read_csv could not read as a row, by line number."""
        rows = self.con.execute(
            "SELECT line_no, raw FROM raws WHERE line_no IN "
            "(SELECT line FROM reject_errors) ORDER BY line_no").fetchall()
        return {int(line): str(text) for line, text in rows}

    def number_lines(self, total: int, skipped_lines: list[int],
                     framing: dict[int, str]) -> bool:
        """Give each converted row its line number, knowing which lines gave no row, and note
        why each of `framing`'s lines is not a row; False when the counts do not add up (the
        rows cannot be paired with lines)."""
        rows = int(self.con.execute("SELECT count(*) FROM conv").fetchall()[0][0])
        lines = int(self.con.execute("SELECT count(*) FROM raws").fetchall()[0][0])
        if rows + len(skipped_lines) != total or lines != total:
            return False
        if framing:
            self.con.execute("INSERT INTO framing SELECT unnest($l), unnest($d)",
                             {"l": list(framing), "d": list(framing.values())})
        if not skipped_lines:  # the row of rank k is line k + 1 (the header is line 1)
            self.join_raw_texts("JOIN raws r ON r.line_no = c.line_no + 1")
            return True
        self.con.execute("CREATE TEMP TABLE no_row AS SELECT unnest($lines) AS line_no",
                         {"lines": skipped_lines})
        self.con.execute(
            f"""CREATE TEMP TABLE line_of_rank AS
                SELECT row_number() OVER (ORDER BY l) AS rank, l AS line_no
                FROM range(2, {total + 2}) t(l) WHERE l NOT IN (SELECT line_no FROM no_row)""")
        self.join_raw_texts("JOIN line_of_rank m ON m.rank = c.line_no "
                            "JOIN raws r ON r.line_no = m.line_no")
        return True

    def join_raw_texts(self, join: str = "JOIN raws r ON r.line_no = c.line_no") -> None:
        """`rows`: `conv`'s rows with their line number and raw text, in line order (chunks
        are cut from it by line number)."""
        self.con.execute("CREATE TEMP TABLE rows AS SELECT c.* REPLACE (r.line_no AS line_no), "
                         f"r.raw FROM conv c {join} ORDER BY line_no")
        self.con.execute("DROP TABLE conv")

    def convert_parquet(self, path: Path) -> None:
        """Read the Parquet file into `conv`, and each row as JSON (its `raw`) into `raws`."""
        header = self.layout.header
        inputs = ", ".join(f"{_quoted(header[i])} AS c{i}" for i in self.used)
        rows_in = (f"(SELECT file_row_number + 1 AS line_no, {inputs} "
                   "FROM read_parquet($path, file_row_number = true))")
        self.con.execute(f"CREATE TEMP TABLE conv AS {convert_sql(self.layout, rows_in)}",
                         {"path": str(path)})
        fields = ", ".join(f"{_quoted(name)} := {_quoted(name)}" for name in header)
        self.con.execute(
            "CREATE TEMP TABLE raws AS SELECT file_row_number + 1 AS line_no, "
            f"CAST(to_json(struct_pack({fields})) AS VARCHAR) AS raw "
            "FROM read_parquet($path, file_row_number = true)", {"path": str(path)})
        self.join_raw_texts()

    def chunk(self, first: int, n: int) -> Chunk:
        """The rows of lines first..first+n-1, as the block reader gives them."""
        lines = f"BETWEEN {first} AND {first + n - 1}"
        positions = self._rows(STAGED_POSITION_SCHEMA, f"line_no {lines} AND kind = 'position'")
        reports = self._rows(STAGED_REPORT_SCHEMA, f"line_no {lines} AND "
                             "kind IN ('position', 'report') AND has_static")
        quarantine = self._rows(STAGED_QUARANTINE_SCHEMA, f"line_no {lines} AND "
                                "kind = 'quarantine'", framing=f"f.line_no {lines}")
        skipped: Counter[str] = Counter()
        for kind, count in self.con.execute(
            f"SELECT kind, count(*) FROM rows WHERE line_no {lines} AND kind NOT IN "
            "('position', 'report', 'quarantine') GROUP BY kind"
        ).fetchall():
            skipped[str(kind)] += int(count)
        return Chunk(positions=positions, reports=reports, quarantine=quarantine,
                     records_read=n, bytes_read=0, skipped=skipped)

    def _rows(self, schema: pa.Schema, where: str, framing: str = "") -> pa.Table:
        """The staged columns of the rows matching `where`; with `framing`, also the lines
        read_csv could not read as rows."""
        def column(name: str, source: str) -> str:
            return f"CAST({source} AS {_SQL_OF_ARROW[str(schema.field(name).type)]}) AS {name}"

        select = ", ".join(column(name, name) for name in schema.names)
        sql = f"SELECT {select} FROM rows WHERE {where}"
        if framing:
            sources = {"raw": "r.raw", "line_no": "f.line_no", "detail": "f.detail",
                       "reason": f"'{R.UNPARSEABLE_ROW}'"}
            rows = ", ".join(column(name, sources[name]) for name in schema.names)
            sql += f" UNION ALL SELECT {rows} FROM framing f JOIN raws r USING (line_no) " \
                   f"WHERE {framing}"
        table = self.con.sql(f"{sql} ORDER BY line_no").to_arrow_table()
        return table if table.schema.equals(schema) else table.cast(schema)


def framing_problems(texts: dict[int, str], delimiter: str,
                     n_fields: int) -> dict[int, str] | None:
    """Why each line read_csv rejected is not a row, in the block reader's words; None when
    our own split finds nothing wrong with one (the two readers disagree: the block reader
    is used)."""
    problems: dict[int, str] = {}
    for line, text in texts.items():
        _, bad = split_python([text], delimiter, n_fields, [])
        if not bad:
            return None
        problems[line] = bad[0][1]
    return problems


def csv_chunks(scan: TableScan, csv_scan: CsvScan) -> Iterator[Chunk]:
    """Chunks cut as `scan_csv` cut its blocks."""
    first = 2
    for n, bytes_read in csv_scan.blocks:
        chunk = scan.chunk(first, n)
        blank = sum(1 for line in csv_scan.blank_lines if first <= line < first + n)
        if blank:
            chunk.skipped["blank_lines"] += blank
        chunk.bytes_read = bytes_read
        yield chunk
        first += n


def parquet_chunks(scan: TableScan, rows: int, size: int, n_rows: int) -> Iterator[Chunk]:
    for start in range(0, rows, n_rows):
        n = min(n_rows, rows - start)
        chunk = scan.chunk(start + 1, n)
        chunk.bytes_read = size * (start + n) // max(rows, 1)
        yield chunk


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


__all__ = ["CsvScan", "TableScan", "csv_chunks", "framing_problems", "parquet_chunks",
           "scan_csv"]
