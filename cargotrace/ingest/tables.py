"""The chunk readers of decoded AIS tables: CSV (plain or gzip-compressed) and Parquet.

An ingest first tries to read a table file with DuckDB's own readers, on the store's
connection (table_stage.py: every Parquet file, and every CSV whose rows are each one line).
The CSVs it cannot pair line by line (a quoted field over a line end, a NUL byte, bad UTF-8, a
stray carriage return) are read here in blocks of `chunk_records` lines, so that every
malformed row is named with its line number and text. Each block is split into fields by
Arrow's CSV parser, and every value is then parsed in one DuckDB query per block, so the Python
loop runs per block, not per row. Arrow can only say *which* rows had the wrong number of
fields; the line numbers and raw text come from our own line splitting, and Arrow's row count
is checked against ours. A quote left open by a corrupt line makes Arrow merge lines: the
counts then disagree and the block is split again, line by line, with Python's `csv` module.

Both paths parse values with the same query (table_sql.py) and give the same rows. Readers
only parse (see records.py). Values that cannot be parsed at all send the row to quarantine;
range checks and "not available" sentinels are left to validate.py.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from cargotrace.errors import UnreadableInputError
from cargotrace.ingest.csv_split import block_lines, line_blocks, split_arrow, split_python
from cargotrace.ingest.params import IngestOptions, InputFormat
from cargotrace.ingest.reasons import QuarantineReason as R
from cargotrace.ingest.records import (
    STAGED_POSITION_SCHEMA,
    STAGED_QUARANTINE_SCHEMA,
    STAGED_REPORT_SCHEMA,
    Chunk,
)
from cargotrace.ingest.table_formats import Layout, resolve_layout
from cargotrace.ingest.table_header import open_stream, read_header
from cargotrace.ingest.table_sql import CONVERT_OPTIMIZERS_OFF, NULL_TOKEN_MACROS, convert_sql

BATCH_ROWS = 16_384


def read_table(path: Path, fmt: InputFormat, options: IngestOptions) -> Iterator[Chunk]:
    """Stream a decoded table as chunks of at most `options.chunk_records` rows."""
    if fmt is InputFormat.PARQUET:
        from cargotrace.ingest.table_parquet import read_parquet

        yield from read_parquet(path, options)
        return
    yield from read_csv_blocks(path, fmt, options)


def read_csv_blocks(path: Path, fmt: InputFormat, options: IngestOptions) -> Iterator[Chunk]:
    """The file in blocks of lines, split by Arrow (or Python's csv), parsed by DuckDB."""
    with open_stream(path) as (raw_file, fh):
        header, delimiter = read_header(path, fh)
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
        self.con.execute(f"SET disabled_optimizers = '{CONVERT_OPTIMIZERS_OFF}'")  # table_sql
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


__all__ = ["read_csv_blocks", "read_table"]
