"""Opening a table file: its byte stream (plain or gzip), its header and its delimiter.

Kept apart from the readers because every CSV ingest needs it before it knows which reader
will run, and it imports neither numpy nor pyarrow: a CSV that DuckDB's read_csv reads
(table_stage.py) never loads them (~0.2 s of start-up, issue 16). Binary content is refused
here with one line, before any reader starts.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from cargotrace.errors import UnreadableInputError
from cargotrace.ingest.params import IngestOptions, InputFormat

DELIMITERS = (",", ";", "\t", "|")
MAX_HEADER_BYTES = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"


def sniff_csv_format(path: Path, head: bytes, options: IngestOptions) -> InputFormat:
    """The table format a file's header shows; one-line UnreadableInputError when there is none."""
    from cargotrace.ingest.table_formats import profile_format, resolve_layout

    if head.startswith(GZIP_MAGIC):
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head)
        except zlib.error as exc:
            raise UnreadableInputError(f"{path}: not a readable gzip file ({exc})") from exc
    refuse_json(path, head)
    first = head.split(b"\n", 1)[0]
    header, _ = parse_header(path, first, head)
    layout = resolve_layout(path, header, InputFormat.AUTO, options.column_map())
    return profile_format(layout.profile)


def refuse_json(path: Path, head: bytes) -> None:
    """One line when the file is JSON (GeoJSON, JSON lines, a JSON array), not a table.

    Why: read as a CSV, a JSON object's first line splits at its commas into "columns" such
    as `"name": "La Plata"`, and the advice to map them with --column is nonsense. A CSV
    header never starts with `{` or `[` (a column name would have to), so that first byte is
    enough to say what the file is. GeoJSON gazetteers load with `places load`."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start not in (b"{", b"["):
        return
    geo = b'"FeatureCollection"' in head or b'"features"' in head
    kind = "GeoJSON" if geo else "JSON"
    hint = " (a gazetteer of places loads with `cargotrace places load`)" if geo else ""
    raise UnreadableInputError(
        f"{path}: this is {kind}, not an AIS table: ingest reads NMEA, CSV and Parquet "
        f"files{hint}")


def is_gzip(path: Path) -> bool:
    with path.open("rb") as probe:
        return probe.read(2) == GZIP_MAGIC


@contextmanager
def open_stream(path: Path) -> Iterator[tuple[IO[bytes], IO[bytes]]]:
    """The file, and a binary stream of its content (decompressed when it is gzip)."""
    with path.open("rb") as raw_file:
        if raw_file.read(2) == GZIP_MAGIC:
            raw_file.seek(0)
            with gzip.GzipFile(fileobj=raw_file) as gz:
                yield raw_file, io.BufferedReader(gz, buffer_size=1 << 20)
        else:
            raw_file.seek(0)
            yield raw_file, raw_file


@contextmanager
def open_rows(path: Path) -> Iterator[IO[bytes]]:
    """The content after the header line (line 2 on), decompressed when it is gzip."""
    with open_stream(path) as (_, fh):
        fh.readline(MAX_HEADER_BYTES)
        yield fh


def read_header(path: Path, fh: IO[bytes]) -> tuple[list[str], str]:
    """The column names and delimiter of the header line `fh` starts with."""
    first = fh.readline(MAX_HEADER_BYTES)
    if not first:
        raise UnreadableInputError(f"{path}: the file is empty")
    if not first.endswith(b"\n") and len(first) == MAX_HEADER_BYTES:
        raise UnreadableInputError(
            f"{path}: not a CSV file: the first line is longer than {MAX_HEADER_BYTES} bytes"
        )
    return parse_header(path, first, first)


def parse_header(path: Path, first: bytes, head: bytes) -> tuple[list[str], str]:
    """The header's column names and the delimiter; binary content is refused here.

    Only the header line (and a head where most lines hold NUL bytes) decides that a file is
    binary: a NUL inside a later row is damage to that row, which the block reader
    quarantines.
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


def decode_line(line: bytes) -> str:
    """UTF-8, or Latin-1 for a line that is not (old exports; also shows garbage bytes as-is)."""
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("latin-1")


__all__ = ["DELIMITERS", "GZIP_MAGIC", "MAX_HEADER_BYTES", "decode_line", "is_gzip",
           "open_rows", "open_stream", "parse_header", "read_header", "sniff_csv_format"]
