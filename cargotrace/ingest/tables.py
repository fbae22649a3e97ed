"""Readers for decoded AIS tables: CSV (plain or gzip-compressed) and Parquet.

Parquet files, and CSV files whose every row is one line, are read by DuckDB's own readers in
one query per file (table_scan.py). Other CSVs (a quoted field over a line end, a NUL byte, bad
UTF-8, a stray carriage return) are read here in blocks of `chunk_records` lines, so that every
malformed row is named with its line number and text. Each block is split into fields by Arrow's
CSV parser, and every value is then parsed in one DuckDB query per block, so the Python loop
runs per block, not per row. Arrow can only say *which* rows had the wrong number of fields; the
line numbers and raw text come from our own line splitting, and Arrow's row count is checked
against ours. A quote left open by a corrupt line makes Arrow merge lines: the counts then
disagree and the block is split again, line by line, with Python's `csv` module.

Both paths parse values with the same query (table_sql.py) and give the same chunks. Readers
only parse (see records.py). Values that cannot be parsed at all send the row to quarantine;
range checks and "not available" sentinels are left to validate.py.
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import duckdb
import numpy as np
import pyarrow as pa

from cargotrace.errors import UnreadableInputError
from cargotrace.ingest.csv_split import (
    block_lines,
    decode_line,
    line_blocks,
    split_arrow,
    split_python,
)
from cargotrace.ingest.params import IngestOptions, InputFormat
from cargotrace.ingest.reasons import QuarantineReason as R
from cargotrace.ingest.records import (
    STAGED_POSITION_SCHEMA,
    STAGED_QUARANTINE_SCHEMA,
    STAGED_REPORT_SCHEMA,
    Chunk,
)
from cargotrace.ingest.table_formats import Layout, profile_format, resolve_layout
from cargotrace.ingest.table_scan import (
    CsvScan,
    TableScan,
    csv_chunks,
    framing_problems,
    line_texts,
    parquet_chunks,
    scan_csv,
)
from cargotrace.ingest.table_sql import NULL_TOKEN_MACROS, convert_sql

log = logging.getLogger(__name__)

DELIMITERS = (",", ";", "\t", "|")
MAX_HEADER_BYTES = 1 << 20
BATCH_ROWS = 16_384
GZIP_MAGIC = b"\x1f\x8b"


def sniff_csv_format(path: Path, head: bytes, options: IngestOptions) -> InputFormat:
    """The table format a file's header shows; one-line UnreadableInputError when there is none."""
    if head.startswith(GZIP_MAGIC):
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head)
        except zlib.error as exc:
            raise UnreadableInputError(f"{path}: not a readable gzip file ({exc})") from exc
    first = head.split(b"\n", 1)[0]
    header, _ = _parse_header(path, first, head)
    layout = resolve_layout(path, header, InputFormat.AUTO, options.column_map())
    return profile_format(layout.profile)


def read_table(path: Path, fmt: InputFormat, options: IngestOptions) -> Iterator[Chunk]:
    """Stream a decoded table as chunks of at most `options.chunk_records` rows."""
    if fmt is InputFormat.PARQUET:
        yield from _read_parquet(path, options)
        return
    with _open_stream(path) as (raw_file, fh):
        header, delimiter = _read_header(path, fh)
        layout = resolve_layout(path, header, fmt, options.column_map())
        try:
            csv_scan = scan_csv(raw_file, fh, options.chunk_records)
        except (OSError, EOFError, zlib.error):
            csv_scan = None  # a damaged stream: the block reader says where
    if csv_scan is not None and csv_scan.pairable:
        scan = TableScan(layout)
        try:
            yield from _read_csv_whole(path, delimiter, scan, csv_scan, options)
            return
        except _NotPairable:
            pass
        finally:
            scan.close()
    log.debug("%s: read_csv's rows do not pair with the lines; reading in blocks", path)
    yield from _read_csv_blocks(path, fmt, options)


class _NotPairable(Exception):
    """read_csv's rows cannot be paired with the file's lines (raised before any chunk)."""


def _read_csv_whole(
    path: Path, delimiter: str, scan: TableScan, csv_scan: CsvScan, options: IngestOptions
) -> Iterator[Chunk]:
    """The file through DuckDB's read_csv (see table_scan.py)."""
    with path.open("rb") as probe:
        gzipped = probe.read(2) == GZIP_MAGIC
    try:
        scan.convert_csv(path, delimiter, gzipped)
        rejected = scan.rejected_lines()
        texts: dict[int, str] = {}
        if rejected:
            with _open_stream(path) as (_, fh):
                fh.readline(MAX_HEADER_BYTES)
                texts = line_texts(fh, options.chunk_records, set(rejected))
        problems = framing_problems(texts, delimiter, len(scan.layout.header))
        skipped_lines = sorted(set(rejected) | set(csv_scan.blank_lines))
        if problems is None or not scan.number_lines(csv_scan.lines, skipped_lines, problems):
            raise _NotPairable
    except duckdb.Error as exc:  # e.g. a quote read_csv's strict mode refuses
        log.debug("%s: read_csv failed (%s)", path, str(exc).splitlines()[0])
        raise _NotPairable from exc
    with _open_stream(path) as (_, fh):
        fh.readline(MAX_HEADER_BYTES)
        yield from csv_chunks(scan, fh, options.chunk_records, csv_scan)


def _read_header(path: Path, fh: IO[bytes]) -> tuple[list[str], str]:
    first = fh.readline(MAX_HEADER_BYTES)
    if not first:
        raise UnreadableInputError(f"{path}: the file is empty")
    if not first.endswith(b"\n") and len(first) == MAX_HEADER_BYTES:
        raise UnreadableInputError(
            f"{path}: not a CSV file: the first line is longer than {MAX_HEADER_BYTES} bytes"
        )
    return _parse_header(path, first, first)


def _read_csv_blocks(path: Path, fmt: InputFormat, options: IngestOptions) -> Iterator[Chunk]:
    """The file in blocks of lines, split by Arrow (or Python's csv), parsed by DuckDB."""
    with _open_stream(path) as (raw_file, fh):
        header, delimiter = _read_header(path, fh)
        layout = resolve_layout(path, header, fmt, options.column_map())
        converter = _Converter(layout)
        line_no = 2  # the header is line 1
        try:
            for block in line_blocks(fh, options.chunk_records):
                chunk = _csv_chunk(block, line_no, delimiter, layout, converter)
                chunk.bytes_read = raw_file.tell()
                yield chunk
                line_no += chunk.records_read
        except (OSError, EOFError, zlib.error) as exc:
            raise UnreadableInputError(
                f"{path}: the compressed stream is corrupt or truncated after line "
                f"{line_no - 1} ({exc})"
            ) from exc
        finally:
            converter.close()


@contextmanager
def _open_stream(path: Path) -> Iterator[tuple[IO[bytes], IO[bytes]]]:
    """The file, and a binary stream of its content (decompressed when it is gzip)."""
    with path.open("rb") as raw_file:
        if raw_file.read(2) == GZIP_MAGIC:
            raw_file.seek(0)
            with gzip.GzipFile(fileobj=raw_file) as gz:
                yield raw_file, io.BufferedReader(gz, buffer_size=1 << 20)
        else:
            raw_file.seek(0)
            yield raw_file, raw_file


def _parse_header(path: Path, first: bytes, head: bytes) -> tuple[list[str], str]:
    """The header's column names and the delimiter; binary content is refused here.

    Only the header line (and a head where most lines hold NUL bytes) decides that a file is
    binary: a NUL inside a later row is damage to that row, which `_csv_chunk` quarantines.
    """
    nul = first.find(b"\x00")
    lines = head.split(b"\n")
    if nul < 0 and sum(b"\x00" in line for line in lines) * 2 > len(lines):
        nul = head.find(b"\x00")
    controls = sum(first.count(bytes([b])) for b in (*range(1, 9), *range(14, 32)))
    if nul >= 0 or controls > len(first) // 20:
        where = f" (byte 0x00 at offset {nul})" if nul >= 0 else ""
        raise UnreadableInputError(
            f"{path}: cannot tell the format: binary content, not CSV text{where}; "
            "pass a CSV, NMEA or Parquet file"
        )
    text = decode_line(first).lstrip("\ufeff").rstrip("\r\n")
    delimiter = max(DELIMITERS, key=text.count)
    names = next(csv.reader([text], delimiter=delimiter), [])
    return [n.strip() for n in names], delimiter


def _csv_chunk(
    block: bytes, first_line_no: int, delimiter: str, layout: Layout, conv: _Converter
) -> Chunk:
    import pyarrow.compute as pc  # the block reader's only: start-up of read_csv's path

    raw, clean = block_lines(block)
    n = len(raw)
    line_nos = np.arange(first_line_no, first_line_no + n, dtype=np.int64)
    nonblank = pc.greater(pc.utf8_length(raw), 0).to_numpy(zero_copy_only=False)
    has_nul = pc.match_substring(raw, "\x00").to_numpy(zero_copy_only=False)
    fed = np.flatnonzero(nonblank & ~has_nul)
    if clean and len(fed) == n:
        data = block
    else:
        data = "\n".join(raw.take(pa.array(fed)).to_pylist()).encode("utf-8")
    n_fields = len(layout.header)
    used = sorted({i for cols in layout.sources.values() for i in cols})
    split = split_arrow(data, delimiter, n_fields, used, len(fed))
    if split is None:
        split = split_python(raw.take(pa.array(fed)).to_pylist(), delimiter, n_fields, used)
    columns, bad = split
    good = np.ones(len(fed), dtype=bool)
    good[[i for i, _ in bad]] = False
    rows = pa.array(fed[good])
    nul_rows = np.flatnonzero(has_nul)
    bad_rows = pa.array(np.concatenate([fed[[i for i, _ in bad]], nul_rows]), pa.int64())
    problems = [problem for _, problem in bad] + [
        f"a NUL byte (0x00) at character {text.index(chr(0)) + 1}: binary data inside a text row"
        for text in raw.take(pa.array(nul_rows, pa.int64())).to_pylist()
    ]
    framing = pa.table(
        {
            "line_no": pa.array(line_nos).take(bad_rows),
            "raw": raw.take(bad_rows),
            "reason": pa.array([str(R.UNPARSEABLE_ROW)] * len(problems), pa.string()),
            "detail": pa.array(problems, pa.string()),
        },
        schema=STAGED_QUARANTINE_SCHEMA,
    )
    result = conv.convert(pa.table({"line_no": pa.array(line_nos).take(rows), **columns}))
    chunk = _assemble(result, raw, first_line_no, framing, records_read=n)
    blank = int(n - np.count_nonzero(nonblank))  # NUL rows are quarantined above, not blank
    if blank:
        chunk.skipped["blank_lines"] += blank
    return chunk


def _read_parquet(path: Path, options: IngestOptions) -> Iterator[Chunk]:
    """The file through DuckDB's read_parquet; a row's `raw` is the row as JSON."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UnreadableInputError(f"{path}: not a readable Parquet file ({first_line})") from exc
    header = parquet.schema_arrow.names
    layout = resolve_layout(path, header, InputFormat.PARQUET, options.column_map())
    rows = parquet.metadata.num_rows
    scan = TableScan(layout)
    try:
        scan.convert_parquet(path)
        yield from parquet_chunks(scan, rows, path.stat().st_size, options.chunk_records)
    finally:
        scan.close()


def _assemble(
    result: pa.Table, raw: pa.Array, first_line_no: int, framing: pa.Table, records_read: int
) -> Chunk:
    """Split converted rows into staged positions, reports, quarantine and skip counts.

    `raw[i]` is the text of line `first_line_no + i`; rows are paired with it by line number,
    as DuckDB may return a block's rows out of order when it scans on several threads.
    """
    import pyarrow.compute as pc

    kind = result.column("kind")

    def rows(mask: pa.ChunkedArray, schema: pa.Schema) -> pa.Table:
        part = result.take(pc.indices_nonzero(mask))
        offsets = pc.subtract(part.column("line_no"), pa.scalar(first_line_no, pa.int64()))
        return _select(part.append_column("raw", raw.take(offsets)), schema)

    positions = rows(pc.equal(kind, "position"), STAGED_POSITION_SCHEMA)
    has_static = result.column("has_static")
    reports = rows(pc.and_(pc.is_in(kind, pa.array(["position", "report"])), has_static),
                   STAGED_REPORT_SCHEMA)
    quarantined = rows(pc.equal(kind, "quarantine"), STAGED_QUARANTINE_SCHEMA)
    skipped: Counter[str] = Counter()
    for item in pc.value_counts(kind).to_pylist():
        if item["values"] not in ("position", "report", "quarantine"):
            skipped[item["values"]] += item["counts"]
    quarantine = pa.concat_tables([framing, quarantined]).sort_by("line_no")
    return Chunk(
        positions=positions,
        reports=reports,
        quarantine=quarantine,
        records_read=records_read,
        bytes_read=0,
        skipped=skipped,
    )


def _select(table: pa.Table, schema: pa.Schema) -> pa.Table:
    columns = [
        table.column(f.name).cast(f.type) if f.name in table.column_names
        else pa.nulls(table.num_rows, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


class _Converter:
    """Parses the text fields of a block of rows in one DuckDB query (see `convert_sql`)."""

    def __init__(self, layout: Layout) -> None:
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        # DuckDB plans `x IN (constants)` as a join, evaluated on every row even inside a CASE
        # branch few rows reach; as a plain expression the convert query runs ~2x faster.
        self.con.execute("SET disabled_optimizers = 'in_clause'")
        for macro in NULL_TOKEN_MACROS:
            self.con.execute(macro)
        self.sql = convert_sql(layout)

    def convert(self, rows: pa.Table) -> pa.Table:
        """The parsed rows, in no particular order (see `convert_sql` for the columns)."""
        # DuckDB scans one Arrow batch per thread: smaller batches let it use every core.
        rows = pa.Table.from_batches(rows.to_batches(max_chunksize=BATCH_ROWS), rows.schema)
        self.con.register("rows_in", rows)
        try:
            result: pa.Table = self.con.sql(self.sql).to_arrow_table()
        finally:
            self.con.unregister("rows_in")
        return result

    def close(self) -> None:
        self.con.close()


__all__ = ["read_table", "sniff_csv_format"]
