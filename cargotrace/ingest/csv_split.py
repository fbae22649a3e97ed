"""Text to rows and fields for the CSV reader: whole-line blocks, lines, and field splitting.

Kept apart from the block reader (tables.py: chunks, conversion) because this is the
byte-level part: blocks of whole lines read in bulk, a UTF-8 fast path with a per-line fallback,
and splitting on the delimiter with Arrow, or with Python's csv module for rows with quotes,
where every row that cannot be split is named with its problem (never dropped).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO, Any

import numpy as np
import pyarrow as pa

from cargotrace.ingest.table_header import decode_line
from cargotrace.ingest.table_scan import row_problem


def line_blocks(fh: IO[bytes], n_lines: int, read_bytes: int = 1 << 22) -> Iterator[bytes]:
    """Blocks of `n_lines` whole lines (the last block may be shorter and lack its newline)."""
    rest = b""
    eof = False
    while True:
        pieces, count = [rest], rest.count(b"\n")
        while count < n_lines and not eof:
            piece = fh.read(read_bytes)
            eof = not piece
            pieces.append(piece)
            count += piece.count(b"\n")
        buf = b"".join(pieces)
        if not buf:
            return
        if count >= n_lines:
            ends = np.flatnonzero(np.frombuffer(buf, np.uint8) == 10)
            cut = int(ends[n_lines - 1]) + 1
            buf, rest = buf[:cut], buf[cut:]
        else:
            rest = b""
        yield buf


def block_lines(block: bytes) -> tuple[pa.Array, bool]:
    """The block's lines without their line ends, and whether the block was valid UTF-8."""
    import pyarrow.compute as pc

    ends = np.flatnonzero(np.frombuffer(block, np.uint8) == 10)
    n = len(ends) + (0 if block.endswith(b"\n") else 1)
    large = len(block) >= 2**31 - 1
    offsets = np.empty(n + 1, np.int64 if large else np.int32)
    offsets[0] = 0
    offsets[1 : len(ends) + 1] = ends + 1
    offsets[-1] = len(block)
    # the block's lines, each with its line end (trimmed below), without copying the block
    kind = pa.LargeStringArray if large else pa.StringArray
    lines = kind.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(block))
    try:
        lines.validate(full=True)
        clean = True
    except pa.ArrowInvalid:  # not UTF-8: decode line by line (see decode_line)
        lines = pa.array([decode_line(line) for line in block.split(b"\n")[:n]])
        clean = False
    return pc.utf8_rtrim(lines, characters="\r\n").cast(pa.string()), clean


Split = tuple[dict[str, pa.Array], list[tuple[int, str]]]  # columns c<i>; (row index, problem)


class _InvalidRows:
    """Arrow's invalid-row handler: note each row with a wrong field count and skip it."""

    def __init__(self, n_fields: int) -> None:
        self.n_fields = n_fields
        self.rows: list[tuple[int, str]] = []

    def __call__(self, row: Any) -> str:
        index = -1 if row.number is None else row.number - 1
        self.rows.append((index, f"expected {self.n_fields} fields, found {row.actual_columns}"))
        return "skip"


def split_arrow(
    data: bytes, delimiter: str, n_fields: int, used: list[int], n_rows: int
) -> Split | None:
    """Fields of the used columns and the rows with a wrong field count; None if lines merged.

    Arrow numbers invalid rows only when parsing on one thread, so a block with invalid rows
    is parsed twice; clean blocks (the usual case) once, on all cores.
    """
    import pyarrow.csv as pcsv

    names = [f"c{i}" for i in range(n_fields)]
    wanted = [f"c{i}" for i in used]
    for threads in (True, False):
        invalid = _InvalidRows(n_fields)
        try:
            table = pcsv.read_csv(
                io.BytesIO(data),
                read_options=pcsv.ReadOptions(column_names=names, use_threads=threads),
                parse_options=pcsv.ParseOptions(delimiter=delimiter, invalid_row_handler=invalid),
                convert_options=pcsv.ConvertOptions(
                    column_types={c: pa.string() for c in wanted},
                    include_columns=wanted,
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except pa.ArrowInvalid:
            return None
        bad = invalid.rows
        if table.num_rows + len(bad) != n_rows or any(i < 0 for i, _ in bad):
            if threads and bad:
                continue
            return None  # a quote left open merged lines: split line by line instead
        return {c: table.column(c).combine_chunks() for c in wanted}, bad
    return None


def split_python(texts: list[str], delimiter: str, n_fields: int, used: list[int]) -> Split:
    """Fields of the used columns, line by line with Python's csv module (`row_problem`
    judges each line first, as it judges the lines read_csv rejects)."""
    values: dict[int, list[str]] = {i: [] for i in used}
    bad: list[tuple[int, str]] = []
    for index, text in enumerate(texts):
        problem = row_problem(text, delimiter, n_fields)
        if problem is not None:
            bad.append((index, problem))
            continue
        fields = next(csv.reader([text], delimiter=delimiter))
        for i in used:
            values[i].append(fields[i])
    return {f"c{i}": pa.array(values[i], pa.string()) for i in used}, bad
