"""The reference for the columnar decoder: the same file read one line at a time by the checked
path (`nmea._NmeaReader`, pyais), chunked as `read_nmea` chunks it. Shared by the tests and
bench/nmea_paths.py."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa

from cargotrace.ingest import nmea
from cargotrace.ingest.nmea import read_nmea
from cargotrace.ingest.params import IngestOptions


def line_by_line(path: Path, options: IngestOptions) -> dict[str, Any]:
    """Everything `read_nmea` should yield, from the checked path alone."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    reader = nmea._NmeaReader(path, options)
    chunks = []
    line_no = 0
    for line_no, line in enumerate(data.splitlines(), start=1):
        reader.read_line(line_no, line)
        if line_no % options.chunk_records == 0:
            reader.flush_stale(line_no)
            chunks.append(reader.out.build(0))
    reader.flush_stale(line_no, everything=True)
    chunks.append(reader.out.build(0))
    return _summary(chunks)


def columnar(path: Path, options: IngestOptions) -> dict[str, Any]:
    return _summary(list(read_nmea(path, options)))


def _rows(tables: list[pa.Table]) -> list[tuple[Any, ...]]:
    rows = [r for t in tables for r in zip(*t.to_pydict().values(), strict=True)]
    return sorted(rows, key=repr)


def _summary(chunks: list[Any]) -> dict[str, Any]:
    skipped: Counter[str] = Counter()
    for chunk in chunks:
        skipped.update(chunk.skipped)
    return {
        "positions": _rows([c.positions for c in chunks]),
        "reports": _rows([c.reports for c in chunks]),
        "quarantine": _rows([c.quarantine for c in chunks]),
        "records_read": sum(c.records_read for c in chunks),
        "skipped": {k: v for k, v in skipped.items() if v},
        "records_per_chunk": [c.records_read for c in chunks],
    }
