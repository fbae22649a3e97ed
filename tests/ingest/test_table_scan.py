"""Issue 16: the byte scan that decides whether read_csv's rows pair with a CSV's lines.

The scan (table_scan.py) reads a file in pieces with plain Python; here its line counts, blank
lines and verdict are checked against Python's own line splitting of every real file of
../shared/data/ais_positions and of real MarineCadastre rows damaged or re-laid out as exports
differ, with pieces as large as in use and as small as a few bytes (so lines, CRLFs and quotes
fall across piece boundaries). Whether each file is then stored through read_csv or the block
reader, with the same results, is tested in test_table_stage.py.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from cargotrace.ingest import table_scan
from cargotrace.ingest.table_scan import blank_lines, line_pieces, line_texts, scan_csv

from .table_files import REAL, table_variants, variant_file


def _expected(data: bytes) -> tuple[int, list[int], list[bytes]]:
    """Data lines, blank line numbers and the lines' bytes, by bytes.split (the header is 1)."""
    lines = data.split(b"\n")[1:]
    if data.endswith(b"\n"):
        lines.pop()
    blank = [i + 2 for i, line in enumerate(lines) if line in (b"", b"\r")]
    return len(lines), blank, lines


def _after_header(data: bytes) -> io.BytesIO:
    fh = io.BytesIO(data)
    fh.readline()
    return fh


@pytest.mark.parametrize("piece", [5, 64, table_scan.PIECE_BYTES])
@pytest.mark.parametrize("name", sorted(REAL))
def test_real_files_scanned_as_split(name: str, piece: int, shared_data: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    data = (shared_data / "ais_positions" / name).read_bytes()
    if piece < 100:
        data = b"\n".join(data.split(b"\n")[:300]) + b"\n"  # small pieces: a few hundred lines
    monkeypatch.setattr(table_scan, "PIECE_BYTES", piece)
    n, blank, lines = _expected(data)
    scan = scan_csv(_after_header(data))
    assert (scan.pairable, scan.lines, blank_lines(_after_header(data))) == (True, n, blank)
    assert [line for _, part in line_pieces(_after_header(data)) for line in part] == lines
    wanted = {2, n // 2, n + 1}
    assert line_texts(_after_header(data), wanted) == {
        w: lines[w - 2].decode().rstrip("\r") for w in wanted}


@pytest.mark.parametrize("piece", [7, table_scan.PIECE_BYTES])
@pytest.mark.parametrize("variant", sorted(table_variants([b""] * 8, b"")))
def test_damaged_and_re_laid_out_rows_scanned_as_split(
        variant: str, piece: int, shared_data: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    path, rows, by_read_csv = variant_file(shared_data, tmp_path, variant)
    data = path.read_bytes()
    monkeypatch.setattr(table_scan, "PIECE_BYTES", piece)
    scan = scan_csv(_after_header(data))
    n, blank, lines = _expected(data)
    assert scan.pairable is by_read_csv
    assert scan.lines == n == len(rows) - 1
    assert blank_lines(_after_header(data)) == blank
    assert [line for _, part in line_pieces(_after_header(data)) for line in part] == lines


def test_last_line_without_line_end_and_empty_body(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table_scan, "PIECE_BYTES", 4)
    scan = scan_csv(_after_header(b"a,b\n1,2\n\n3,4"))
    assert (scan.lines, blank_lines(_after_header(b"a,b\n1,2\n\n3,4"))) == (3, [3])
    assert scan_csv(_after_header(b"a,b\n")).lines == 0
    assert [x for _, p in line_pieces(_after_header(b"a,b\n1,2\n\n3,4")) for x in p] == [
        b"1,2", b"", b"3,4"]
