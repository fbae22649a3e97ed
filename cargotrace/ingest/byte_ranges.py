"""Split a file into byte ranges that start at line starts, for parallel decoding.

Why a module of its own: the laptop's multi-process decode and the Spark ingest
(`spark_ingest.py`) both cut a large file into pieces that workers read independently, and both
must cut it the same way: at line starts as the NMEA reader counts lines (`\\n`, `\\r\\n` or a
bare `\\r` ends one; nmea_columnar/lines.py), never between a CR and its LF. A range is a pair
`(start, end)` of byte offsets, end exclusive; the ranges are contiguous, cover the whole file
and none is empty. Multipart messages that straddle a boundary are the reader's business
(nmea_ranges.py: a range owns the groups whose first part starts inside it).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

SCAN_BYTES = 64 << 10
"""Bytes read at a time while looking for the next line start after a nominal cut."""


def byte_ranges(path: str | os.PathLike[str], n: int) -> list[tuple[int, int]]:
    """At most `n` ranges of about equal size covering `path`, each starting at a line start
    (fewer when the file has fewer lines, or is empty: then no range)."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    size = Path(path).stat().st_size
    if size == 0:
        return []
    cuts = [0]
    with open(path, "rb") as fh:
        for i in range(1, n):
            nominal = max(size * i // n, cuts[-1])
            cut = next_line_start(fh, nominal, size)
            if cut > cuts[-1] and cut < size:
                cuts.append(cut)
    cuts.append(size)
    return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


def next_line_start(fh: BinaryIO, offset: int, size: int) -> int:
    """The first line start at or after `offset` in the open binary file `fh` (`size` when
    the rest is one line). A line starts at 0, after a LF, or after a CR not followed by a
    LF."""
    if offset <= 0:
        return 0
    position = offset - 1  # the byte before the candidate may be the break that ends a line
    while position < size:
        fh.seek(position)
        data = fh.read(SCAN_BYTES)
        if not data:
            break
        found = [i for i in (data.find(b"\n"), data.find(b"\r")) if i >= 0]
        if not found:
            position += len(data)
            continue
        i = min(found)
        after = position + i + 1
        if data[i] == 0x0D:  # CR: the line starts after its LF, if one follows
            fh.seek(after)
            if fh.read(1) == b"\n":
                after += 1
        return min(after, size)
    return size
