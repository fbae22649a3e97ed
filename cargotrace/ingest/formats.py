"""Which reader a file needs, decided from its first bytes, and the registry of readers.

Auto-detection looks at content, not file names: AIS exports arrive as .txt, .log, .csv or with
no extension at all. Each reader is imported when a file needs it: the NMEA decoder (pyais) costs
a table ingest ~0.2 s of start-up, the table reader an NMEA ingest less (issue 16).
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from cargotrace.errors import UnreadableInputError
from cargotrace.ingest.nmea_lines import looks_like_nmea
from cargotrace.ingest.params import IngestOptions, InputFormat
from cargotrace.ingest.table_header import GZIP_MAGIC, sniff_csv_format

if TYPE_CHECKING:
    from cargotrace.ingest.records import Chunk

SNIFF_BYTES = 64 * 1024


def detect_format(path: Path, options: IngestOptions) -> InputFormat:
    """The format the user asked for, or the one the file's content shows."""
    if options.format is not InputFormat.AUTO:
        return options.format
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if head.startswith(GZIP_MAGIC):
        try:
            with gzip.open(path, "rb") as gz:
                head = gz.read(SNIFF_BYTES)
        except (OSError, EOFError) as exc:
            raise UnreadableInputError(
                f"{path}: the compressed data is damaged ({exc}); nothing from this file was stored"
            ) from exc
        if looks_like_nmea(head):
            return InputFormat.NMEA
    if head.startswith(b"PAR1"):
        return InputFormat.PARQUET
    if not head.strip():
        raise UnreadableInputError(f"{path}: the file is empty")
    if looks_like_nmea(head):
        return InputFormat.NMEA
    return sniff_csv_format(path, head, options)


def open_reader(fmt: InputFormat, path: Path, options: IngestOptions) -> Iterator[Chunk]:
    if fmt is InputFormat.NMEA:
        from cargotrace.ingest.nmea import read_nmea

        return read_nmea(path, options)
    from cargotrace.ingest.tables import read_table

    return read_table(path, fmt, options)
