"""Whether DuckDB's read_csv can read a CSV for us: a byte scan, and the check after the read.

Why: `read_csv` numbers only the rows it rejects, so the rows it accepts are paired with the
file's lines by order (table_stage.py). That pairing is exact only when every row is one
physical line, which the byte scan checks first (`scan_csv`): valid UTF-8, no NUL, one kind of
line end (no carriage return other than in CRLF), and no line with an odd number of quotes (a
quoted field running over a line end). After the read, read_csv's rows plus its rejected and
blank lines must equal the scan's line count, and each rejected line must be one our own split
rejects too (`framing_problems`, in the block reader's words). A file that fails either check
is read by the block reader instead (tables.py), which names every malformed row; so results
are the same either way, only slower.

The scan is plain Python over 4 MB pieces (bytes.count, bytes.decode: C loops), with neither
numpy nor pyarrow: a CSV read by read_csv never imports them (start-up, issue 16).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

PIECE_BYTES = 1 << 22


@dataclass
class CsvScan:
    """What a byte scan of a CSV's data lines (after the header) found."""

    pairable: bool = True  # every row is one physical line: read_csv's rows pair with lines
    lines: int = 0  # data lines (the last may lack its line end)


def scan_csv(fh: IO[bytes]) -> CsvScan:
    """Scan the data lines of `fh` (positioned after the header)."""
    scan = CsvScan()
    endings: set[str] = set()
    rest = b""
    while True:
        piece = fh.read(PIECE_BYTES)
        buf = rest + piece
        cut = buf.rfind(b"\n") + 1 if piece else len(buf)  # whole lines, or the end
        block, rest = buf[:cut], buf[cut:]
        if block:
            scan.lines += block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
            if scan.pairable:
                endings.add(_line_ending(block))
                scan.pairable = (len(endings) == 1 and "mixed" not in endings
                                 and _pairable(block))
        if not piece:
            return scan


def blank_lines(fh: IO[bytes]) -> list[int]:
    """The numbers of the empty lines of `fh` (after the header), which read_csv skips.

    A second pass, run only when read_csv's rows and rejected lines do not add up to the
    scan's line count: most files have no blank line, and looking for one in the first pass
    cost a third of it."""
    return [first + i for first, lines in line_pieces(fh)
            for i, line in enumerate(lines) if line in (b"", b"\r")]


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
    return not any(line.count(b'"') & 1 for line in _lines_with_quotes(block))


def _lines_with_quotes(block: bytes) -> Iterator[bytes]:
    """The lines of `block` holding a quote, found from quote to quote: a file with a few
    quoted names is not split into its 100,000s of lines."""
    at = block.find(b'"')
    while at >= 0:
        start = block.rfind(b"\n", 0, at) + 1
        end = block.find(b"\n", at)
        end = len(block) if end < 0 else end
        yield block[start:end]
        at = block.find(b'"', end)


def line_texts(fh: IO[bytes], wanted: set[int]) -> dict[int, str]:
    """The text of the `wanted` lines, without line end (`fh` after the header; UTF-8)."""
    texts: dict[int, str] = {}
    for first, lines in line_pieces(fh):
        for line in wanted:
            if first <= line < first + len(lines):
                texts[line] = lines[line - first].decode("utf-8").rstrip("\r")
    return texts


def line_pieces(fh: IO[bytes]) -> Iterator[tuple[int, list[bytes]]]:
    """The data lines of `fh` (after the header, so from line 2) without their line feeds, as
    (first line number, lines) pieces of about `PIECE_BYTES`: memory is a piece, not the file."""
    first, rest = 2, b""
    while True:
        piece = fh.read(PIECE_BYTES)
        buf = rest + piece
        cut = buf.rfind(b"\n") + 1 if piece else len(buf)
        whole, rest = buf[:cut], buf[cut:]
        if whole:
            lines = whole.split(b"\n")
            if whole.endswith(b"\n"):
                lines.pop()
            yield first, lines
            first += len(lines)
        if not piece:
            return


def row_problem(text: str, delimiter: str, n_fields: int) -> str | None:
    """Why a line is not a CSV row of `n_fields` fields, in the block reader's words (None:
    it is one). Python's csv module is the judge, for both readers."""
    try:
        fields = next(csv.reader([text], delimiter=delimiter), [])
    except csv.Error as exc:
        problem = "a carriage return inside a field" if "new-line" in str(exc) else str(exc)
        return f"not a CSV row: {problem}"
    if len(fields) != n_fields:
        return f"expected {n_fields} fields, found {len(fields)}"
    return None


def framing_problems(texts: dict[int, str], delimiter: str,
                     n_fields: int) -> dict[int, str] | None:
    """Why each line read_csv rejected is not a row; None when our own split finds nothing
    wrong with one (the two readers disagree: the block reader is used)."""
    problems: dict[int, str] = {}
    for line, text in texts.items():
        problem = row_problem(text, delimiter, n_fields)
        if problem is None:
            return None
        problems[line] = problem
    return problems


__all__ = ["CsvScan", "blank_lines", "framing_problems", "line_pieces", "line_texts",
           "row_problem", "scan_csv"]
