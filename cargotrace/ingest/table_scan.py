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

from cargotrace.ingest.csv_split import line_array, line_blocks, split_python
from cargotrace.ingest.reasons import QuarantineReason as R
from cargotrace.ingest.records import (
    STAGED_POSITION_SCHEMA,
    STAGED_QUARANTINE_SCHEMA,
    STAGED_REPORT_SCHEMA,
    Chunk,
)
from cargotrace.ingest.table_formats import Layout
from cargotrace.ingest.table_sql import NULL_TOKEN_MACROS, convert_sql
from cargotrace.store.columns import quoted

log = logging.getLogger(__name__)

# The reader's own connection holds the converted file; past this it spills to a temporary
# folder, so memory is set by this limit, not by the file.
READER_MEMORY_LIMIT = "512MB"


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


# Masks computed by DuckDB: a Python scalar given to pyarrow.compute imports pandas (~0.3 s).
_MASKS = ("kind = 'position' AS is_position, "
          "kind IN ('position', 'report') AND has_static AS is_report, "
          "kind = 'quarantine' AS is_quarantine")


class TableScan:
    """One file converted by DuckDB into `conv` (see `convert_sql`), cut into chunks."""

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
        self.ranked = False  # conv.line_no is the row's rank, not yet its line number

    def close(self) -> None:
        self.con.close()
        self.tmp.cleanup()

    def convert_csv(self, path: Path, delimiter: str, gzipped: bool) -> None:
        """Read the CSV with read_csv (every column as text) and convert it into `conv`;
        `line_no` is then the row's rank among the rows read_csv accepted (`number_lines`)."""
        n_fields = len(self.layout.header)
        columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n_fields))
        # Empty fields as '' (not NULL), as the block reader hands them to convert_sql.
        inputs = ", ".join(f"coalesce(c{i}, '') AS c{i}" for i in self.used)
        rows_in = f"""(
                SELECT row_number() OVER () AS line_no, {inputs}
                FROM read_csv($path, header = true, auto_detect = false, all_varchar = true,
                              encoding = 'utf-8', compression = $compression,
                              columns = {{{columns}}}, delim = $delim, quote = '"',
                              escape = '"', strict_mode = true, null_padding = false,
                              ignore_errors = true, store_rejects = true))"""
        self.con.execute(f"CREATE TEMP TABLE conv AS {convert_sql(self.layout, rows_in)}",
                         {"path": str(path), "delim": delimiter,
                          "compression": "gzip" if gzipped else "none"})
        self.ranked = True

    def rejected_lines(self) -> list[int]:
        """The line numbers read_csv could not read as a row."""
        rows = self.con.execute("SELECT DISTINCT line FROM reject_errors ORDER BY 1").fetchall()
        return [int(line) for (line,) in rows]

    def number_lines(self, total: int, skipped_lines: list[int],
                     framing: dict[int, str]) -> bool:
        """Pair the rows with lines, knowing which lines gave no row, and note why each of
        `framing`'s lines is not a row; False when the counts do not add up."""
        rows = int(self.con.execute("SELECT count(*) FROM conv").fetchall()[0][0])
        if rows + len(skipped_lines) != total:
            return False
        if framing:
            self.con.execute("INSERT INTO framing SELECT unnest($l), unnest($d)",
                             {"l": list(framing), "d": list(framing.values())})
        # rank -> line: the lines that gave a row, in order (lines are numbered from 2)
        self.con.execute(
            f"""CREATE TEMP TABLE line_of_rank AS
                SELECT row_number() OVER (ORDER BY l) AS rank, l AS line_no
                FROM range(2, {total + 2}) t(l) WHERE l NOT IN (SELECT unnest($skip))
                ORDER BY l""", {"skip": skipped_lines or [0]})
        return True

    def convert_parquet(self, path: Path) -> None:
        """Read the Parquet file into `conv`, and each row as JSON (its `raw`) into `raws`."""
        header = self.layout.header
        inputs = ", ".join(f"{quoted(header[i])} AS c{i}" for i in self.used)
        rows_in = (f"(SELECT file_row_number + 1 AS line_no, {inputs} "
                   "FROM read_parquet($path, file_row_number = true))")
        self.con.execute(f"CREATE TEMP TABLE conv AS {convert_sql(self.layout, rows_in)}",
                         {"path": str(path)})
        fields = ", ".join(f"{quoted(name)} := {quoted(name)}" for name in header)
        self.con.execute(
            "CREATE TEMP TABLE raws AS SELECT file_row_number + 1 AS line_no, "
            f"CAST(to_json(struct_pack({fields})) AS VARCHAR) AS raw "
            "FROM read_parquet($path, file_row_number = true)", {"path": str(path)})

    def chunk(self, first: int, n: int, lines: pa.Array | None = None) -> Chunk:
        """The rows of lines first..first+n-1, as the block reader gives them. `lines[i]` is
        the text of line first+i with its line end (None: Parquet, whose texts are in `raws`).
        One query per chunk; Arrow then splits its rows by kind."""
        import pyarrow.compute as pc

        last = first + n - 1
        framed = None
        if lines is None:
            low, high = first, last  # conv.line_no is the line number already
            rows = self._query(f"SELECT c.*, {_MASKS}, r.raw FROM conv c JOIN raws r "
                               f"USING (line_no) WHERE c.line_no BETWEEN {first} AND {last} "
                               f"AND r.line_no BETWEEN {first} AND {last} ORDER BY line_no")
        else:
            lines = pc.utf8_rtrim(lines, characters="\r\n")
            low, high = self.con.execute(
                "SELECT coalesce(min(rank), 0), coalesce(max(rank), -1) FROM line_of_rank "
                f"WHERE line_no BETWEEN {first} AND {last}").fetchall()[0]
            if high - low + 1 == n:  # every line a row: rank r is line r + first - low
                rows = self._query(f"SELECT * REPLACE (line_no + {first - low} AS line_no), "
                                   f"{_MASKS} FROM conv WHERE line_no BETWEEN {low} AND {high} "
                                   "ORDER BY line_no").append_column("raw", lines)
            else:
                rows, framed = self._joined(lines, first, low, high)
        positions = rows.filter(rows.column("is_position"))
        reports = rows.filter(rows.column("is_report"))
        quarantine = rows.filter(rows.column("is_quarantine"))
        if framed is not None and framed.num_rows:
            quarantine = pa.concat_tables([quarantine.select(STAGED_QUARANTINE_SCHEMA.names),
                                           framed]).sort_by("line_no")
        skipped: Counter[str] = Counter()
        for kind, count in self.con.execute(
            "SELECT kind, count(*) FROM conv WHERE line_no BETWEEN ? AND ? AND kind NOT IN "
            "('position', 'report', 'quarantine') GROUP BY kind",
            [low, high]).fetchall():
            skipped[str(kind)] += int(count)
        return Chunk(positions=_select(positions, STAGED_POSITION_SCHEMA),
                     reports=_select(reports, STAGED_REPORT_SCHEMA),
                     quarantine=_select(quarantine, STAGED_QUARANTINE_SCHEMA),
                     records_read=n, bytes_read=0, skipped=skipped)

    def _query(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def _joined(self, lines: pa.Array, first: int, low: int,
                high: int) -> tuple[pa.Table, pa.Table]:
        """Lines that gave no row (blank, or not a CSV row) in the chunk: rows and texts are
        joined by line number; also the chunk's lines that are not CSV rows."""
        self.con.register("lines_in", pa.Table.from_arrays([lines], names=["raw"]))
        texts = (f"(SELECT row_number() OVER () + {first - 1} AS line_no, raw FROM lines_in)")
        rows = self._query(f"SELECT c.* REPLACE (m.line_no AS line_no), {_MASKS}, r.raw "
                           "FROM conv c "
                           f"JOIN line_of_rank m ON m.rank = c.line_no "
                           f"JOIN {texts} r ON r.line_no = m.line_no "
                           f"WHERE c.line_no BETWEEN {low} AND {high} ORDER BY line_no")
        framed = self._query(f"SELECT f.line_no, r.raw, '{R.UNPARSEABLE_ROW}' AS reason, "
                             f"f.detail FROM framing f JOIN {texts} r USING (line_no) "
                             "ORDER BY line_no")
        self.con.unregister("lines_in")
        return rows, _select(framed, STAGED_QUARANTINE_SCHEMA)


def _select(table: pa.Table, schema: pa.Schema) -> pa.Table:
    table = table.select(schema.names)
    return table if table.schema.equals(schema) else table.cast(schema)


def line_texts(fh: IO[bytes], n_lines: int, wanted: set[int]) -> dict[int, str]:
    """The text of the `wanted` lines (`fh` positioned after the header; a UTF-8 file)."""
    texts: dict[int, str] = {}
    first = 2
    for block in line_blocks(fh, n_lines):
        lines = block.split(b"\n")
        for line in wanted:
            if first <= line < first + len(lines):
                texts[line] = lines[line - first].decode("utf-8").rstrip("\r\n")
        first += block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
    return texts


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


def csv_chunks(scan: TableScan, fh: IO[bytes], n_lines: int,
               csv_scan: CsvScan) -> Iterator[Chunk]:
    """Chunks cut as `scan_csv` cut its blocks; `fh` is positioned after the header."""
    first = 2
    for (n, bytes_read), block in zip(csv_scan.blocks, line_blocks(fh, n_lines), strict=True):
        chunk = scan.chunk(first, n, line_array(block))
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


__all__ = ["CsvScan", "TableScan", "csv_chunks", "framing_problems", "line_texts",
           "parquet_chunks", "scan_csv"]
