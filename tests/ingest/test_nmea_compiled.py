"""The compiled scan (numba kernels, used for large files) against the numpy scan and pyais.

The kernels replace a regular expression and some thirty numpy passes with one loop per line,
so the risk is a line shape the two judge differently. Three checks: the two scans give the same
columns on every real file and on a fuzzed corpus (23 kinds of damage); random edits of real
lines (structural characters inserted, deleted, replaced) are judged the same way; and
`read_nmea` on the compiled path yields what the checked line-by-line path (pyais) yields, on
real files, the fuzzed corpus and a simulated feed, with the kernels really used.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cargotrace
from cargotrace.ingest.nmea_columnar import compiled
from cargotrace.ingest.nmea_columnar.lines import split_lines
from cargotrace.ingest.nmea_columnar.sentences import Sentences, match_sentences
from cargotrace.ingest.params import IngestOptions
from cargotrace.sim.sample import scaled_fleet, write_sample_nmea

from .nmea_fuzz import corrupt, group_messages
from .nmea_reference import columnar, line_by_line

T0 = datetime(2023, 9, 7, 12, tzinfo=UTC)
T0_US = int(T0.timestamp() * 1_000_000)


def _real_files(shared_data: Path) -> list[Path]:
    files = sorted(p for p in (shared_data / "ais_nmea").rglob("*") if p.is_file()
                   and p.name != "PROVENANCE.md" and p.suffix != ".gz")
    assert len(files) >= 10
    return files


def _columns(s: Sentences) -> dict[str, Any]:
    return {
        "rows": s.rows.tolist(), "ok": s.ok.tolist(), "count": s.count.tolist(),
        "number": s.number.tolist(), "seq": s.seq.tolist(), "channel": s.channel.tolist(),
        "fill": s.fill.tolist(), "payload_start": s.payload_start.tolist(),
        "payload_len": s.payload_len.tolist(), "first_char": s.first_char.tolist(),
        "time_us": s.tags.time_us.tolist(), "has_time": s.tags.has_time.tolist(),
        "own_time": s.tags.own_time.tolist(), "station": s.tags.station.to_pylist(),
    }


def _same_scan(data: bytes) -> int:
    """Both scans of `data` give the same columns; returns how many lines matched."""
    lines = split_lines(data)
    for default in (None, T0_US):
        expected = _columns(match_sentences(lines, default))
        got = _columns(compiled.match_sentences(lines, default))
        assert got == expected
    return len(expected["rows"])


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    folder = tmp_path_factory.mktemp("compiled")
    simulated = folder / "sim.nmea"
    write_sample_nmea(simulated, hours=0.5, fleet=scaled_fleet(12))
    real = shared_data / "ais_nmea/aisdb/test_data_20211101.nm4"
    base = group_messages(real.read_bytes().splitlines() + simulated.read_bytes().splitlines())
    path = folder / "fuzzed.nmea"
    corrupt(base, rate=0.3, seed=8).write(path)
    return path


def test_both_scans_find_the_same_sentences_in_real_and_fuzzed_files(
    shared_data: Path, fuzzed: Path
) -> None:
    matched = sum(_same_scan(p.read_bytes()) for p in [*_real_files(shared_data), fuzzed])
    # independent count: lines that start a sentence (or tag block) at all, an upper bound
    starts = sum(line[:1] in (b"!", b"\\") for p in [*_real_files(shared_data), fuzzed]
                 for line in p.read_bytes().splitlines())
    assert 0.5 * starts < matched <= starts


_BASE_LINES = [
    rb"\s:r61230,c:1693526400*70\!AIVDM,1,1,,A,144ThmEP01:5QPbHf29=h1d1P000,0*4A",
    rb"\s:41925,c:1635731889,t:1635731965*66\!AIVDM,1,1,,,15Di=4002i<chWiba2`rPpD:04;`,0*37",
    b"!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C",
    b"!AIVDM,2,2,1,A,88888888880,2*25",
    rb"\g:1-2-73,s:rx,c:1694088000123*3F\!AIVDO,1,1,9,B,B6KM@`000BFt>nV:bJOOgwP00000,0*50",
]
_STRUCTURE = b"\\!$*,:0123456789ABCDEFabcgrsx@`w~ \t\x00\xe9"


@st.composite
def _edited_line(draw: st.DrawFn) -> bytes:
    line = bytearray(draw(st.sampled_from(_BASE_LINES)))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(line)))
        what = draw(st.sampled_from(["insert", "delete", "replace"]))
        char = draw(st.sampled_from(list(_STRUCTURE)))
        if what == "insert":
            line.insert(at, char)
        elif at < len(line):
            if what == "delete":
                del line[at]
            else:
                line[at] = char
    return bytes(line)


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(_edited_line(), min_size=1, max_size=8))
def test_edited_lines_are_judged_the_same_by_both_scans(lines: list[bytes]) -> None:
    _same_scan(b"\n".join(lines) + b"\n")


def _spy_on_the_kernels(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every file goes to the compiled scan; returns the list of lines it scanned, per call."""
    monkeypatch.setattr(compiled, "COMPILED_FROM_BYTES", 0)
    calls: list[int] = []
    real_scan = compiled.match_sentences

    def counting(lines: Any, default: int | None) -> Sentences:
        calls.append(len(lines))
        return real_scan(lines, default)

    monkeypatch.setattr(compiled, "match_sentences", counting)
    return calls


@pytest.mark.parametrize("chunk_records", [200_000, 997])
def test_the_compiled_path_reads_real_files_as_pyais_does(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch, chunk_records: int
) -> None:
    calls = _spy_on_the_kernels(monkeypatch)
    options = IngestOptions(assume_time=T0, chunk_records=chunk_records)
    stored = 0
    for path in _real_files(shared_data):
        got = columnar(path, options)
        assert got == line_by_line(path, options)
        stored += len(got["positions"])
    assert stored > 2500
    assert sum(calls) == sum(len(p.read_bytes().splitlines()) for p in _real_files(shared_data))


def test_the_compiled_path_reads_fuzzed_and_simulated_feeds_as_pyais_does(
    tmp_path: Path, fuzzed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _spy_on_the_kernels(monkeypatch)
    simulated = tmp_path / "sim.nmea"
    write_sample_nmea(simulated, hours=1, fleet=scaled_fleet(20))
    for path, options in [(fuzzed, IngestOptions(assume_time=T0, chunk_records=1500)),
                          (simulated, IngestOptions(chunk_records=5000))]:
        got = columnar(path, options)
        assert got == line_by_line(path, options)
        assert len(got["positions"]) > 500
    assert sum(calls) == sum(len(p.read_bytes().splitlines()) for p in (fuzzed, simulated))


def test_only_large_files_take_the_compiled_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "sim.nmea"
    write_sample_nmea(path, hours=0.2, fleet=scaled_fleet(5))
    size = path.stat().st_size
    calls = _spy_on_the_kernels(monkeypatch)
    for threshold, compiled_scans in [(size + 1, False), (size, True)]:
        monkeypatch.setattr(compiled, "COMPILED_FROM_BYTES", threshold)
        calls.clear()
        assert columnar(path, IngestOptions()) == line_by_line(path, IngestOptions())
        assert bool(calls) is compiled_scans


def test_with_nowhere_to_cache_the_kernels_the_numpy_path_reads_the_file(
    shared_data: Path, tmp_path: Path
) -> None:
    """numba refuses to load cached kernels when no cache directory is writable (a read-only
    install with no writable home): the file is then read by the numpy path, not refused.
    Importing the CLI and the ingest pipeline does not import numba at all."""
    path = shared_data / "ais_nmea/aisdb/test_data_20211101.nm4"
    script = (
        "import sys, json\n"
        "from pathlib import Path\n"
        "from cargotrace.ingest.nmea_columnar import compiled\n"
        "from cargotrace.ingest.nmea import read_nmea\n"
        "from cargotrace.ingest.params import IngestOptions\n"
        "import cargotrace.cli.main, cargotrace.ingest.pipeline\n"
        "numba_at_import = 'numba' in sys.modules\n"
        "compiled.COMPILED_FROM_BYTES = 0\n"
        "chunks = list(read_nmea(Path(sys.argv[1]), IngestOptions()))\n"
        "print(json.dumps([numba_at_import, compiled.available(),\n"
        "                  sum(c.positions.num_rows for c in chunks)]))\n"
    )
    # numba's JIT has nowhere to cache, and no extension compiled ahead of time (aot.py) is
    # there to load instead
    env = {**os.environ, "NUMBA_CACHE_LOCATOR_CLASSES": "IPythonCacheLocator",
           "CARGOTRACE_NMEA_AOT": "0",
           "PYTHONPATH": os.pathsep.join([str(Path(cargotrace.__file__).parents[1]),
                                          os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", script, str(path)], env=env,
                          capture_output=True, text=True, check=True, cwd=tmp_path)
    numba_at_import, available, positions = json.loads(done.stdout)
    assert numba_at_import is False  # only a large file's read imports numba
    assert available is False
    assert "the compiled NMEA scan is unavailable" in done.stderr
    assert positions == len(line_by_line(path, IngestOptions())["positions"]) > 500
