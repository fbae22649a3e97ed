"""A Parquet file read in chunks, for an ingest that cannot stage it in SQL (table_stage.py).

Why a chunk reader at all: the pipeline stages a Parquet file on the store's connection and
stores it in SQL; this path serves `read_table` (the chunk reader's interface) and a file the
store's connection refused. DuckDB's read_parquet converts the whole file (`convert_sql`, the
same value rules as every table reader) into a temporary table of the reader's own connection,
spilled to disk past `READER_MEMORY_LIMIT`, from which `Chunk`s are cut by row number; a row's
`raw` (its quarantine text) is the row as JSON.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

from cargotrace.errors import UnreadableInputError
from cargotrace.ingest.params import IngestOptions, InputFormat
from cargotrace.ingest.records import (
    STAGED_POSITION_SCHEMA,
    STAGED_QUARANTINE_SCHEMA,
    STAGED_REPORT_SCHEMA,
    Chunk,
)
from cargotrace.ingest.table_formats import Layout, resolve_layout
from cargotrace.ingest.table_sql import (
    NULL_TOKEN_MACROS,
    TYPED_CONVERT_OPTIMIZERS_OFF,
    convert_sql,
    parquet_inputs,
)
from cargotrace.store.columns import quoted

# The reader's own connection holds the converted file; past this it spills to a temporary
# folder, so memory is set by this limit, not by the file.
READER_MEMORY_LIMIT = "512MB"
# Masks computed by DuckDB: a Python scalar given to pyarrow.compute imports pandas (~0.3 s).
_MASKS = ("kind = 'position' AS is_position, "
          "kind IN ('position', 'report') AND has_static AS is_report, "
          "kind = 'quarantine' AS is_quarantine")


def read_parquet(path: Path, options: IngestOptions) -> Iterator[Chunk]:
    """Chunks of at most `options.chunk_records` rows; a row's `line_no` is its number from 1."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UnreadableInputError(f"{path}: not a readable Parquet file ({first_line})") from exc
    header = parquet.schema_arrow.names
    layout = resolve_layout(path, header, InputFormat.PARQUET, options.column_map())
    rows, size, n_rows = parquet.metadata.num_rows, path.stat().st_size, options.chunk_records
    scan = ParquetScan(layout)
    try:
        scan.convert(path)
        for start in range(0, rows, n_rows):
            n = min(n_rows, rows - start)
            chunk = scan.chunk(start + 1, n)
            chunk.bytes_read = size * (start + n) // max(rows, 1)
            yield chunk
    finally:
        scan.close()


class ParquetScan:
    """One Parquet file converted by DuckDB into `conv` (see `convert_sql`), cut into chunks."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.tmp = tempfile.TemporaryDirectory(prefix="cargotrace-read-")
        self.con = duckdb.connect(config={"memory_limit": READER_MEMORY_LIMIT,
                                          "temp_directory": self.tmp.name})
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute(f"SET disabled_optimizers = '{TYPED_CONVERT_OPTIMIZERS_OFF}'")
        for macro in NULL_TOKEN_MACROS:
            self.con.execute(macro)

    def close(self) -> None:
        self.con.close()
        self.tmp.cleanup()

    def convert(self, path: Path) -> None:
        """Read the file into `conv`, and each row as JSON (its `raw`) into `raws`."""
        header = self.layout.header
        types = [str(kind) for (_, kind, *_) in self.con.execute(
            "DESCRIBE SELECT * FROM read_parquet($path)", {"path": str(path)}).fetchall()]
        layout, inputs, typed = parquet_inputs(self.layout, types)
        rows_in = (f"(SELECT file_row_number + 1 AS line_no, {inputs} "
                   "FROM read_parquet($path, file_row_number = true))")
        self.con.execute(f"CREATE TEMP TABLE conv AS {convert_sql(layout, rows_in, typed)}",
                         {"path": str(path)})
        fields = ", ".join(f"{quoted(name)} := {quoted(name)}" for name in header)
        self.con.execute(
            "CREATE TEMP TABLE raws AS SELECT file_row_number + 1 AS line_no, "
            f"CAST(to_json(struct_pack({fields})) AS VARCHAR) AS raw "
            "FROM read_parquet($path, file_row_number = true)", {"path": str(path)})

    def chunk(self, first: int, n: int) -> Chunk:
        """The rows first..first+n-1, as the other chunk readers give them: one query, then
        Arrow splits its rows by kind."""
        last = first + n - 1
        rows = self.con.sql(f"SELECT c.*, {_MASKS}, r.raw FROM conv c JOIN raws r "
                            f"USING (line_no) WHERE c.line_no BETWEEN {first} AND {last} "
                            f"AND r.line_no BETWEEN {first} AND {last} ORDER BY line_no"
                            ).to_arrow_table()
        skipped: Counter[str] = Counter()
        for kind, count in self.con.execute(
            "SELECT kind, count(*) FROM conv WHERE line_no BETWEEN ? AND ? AND kind NOT IN "
            "('position', 'report', 'quarantine') GROUP BY kind", [first, last]).fetchall():
            skipped[str(kind)] += int(count)
        return Chunk(
            positions=_select(rows.filter(rows.column("is_position")), STAGED_POSITION_SCHEMA),
            reports=_select(rows.filter(rows.column("is_report")), STAGED_REPORT_SCHEMA),
            quarantine=_select(rows.filter(rows.column("is_quarantine")),
                               STAGED_QUARANTINE_SCHEMA),
            records_read=n, bytes_read=0, skipped=skipped)


def _select(table: pa.Table, schema: pa.Schema) -> pa.Table:
    table = table.select(schema.names)
    return table if table.schema.equals(schema) else table.cast(schema)


__all__ = ["ParquetScan", "read_parquet"]
