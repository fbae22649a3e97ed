"""The kernels compiled ahead of time (`aot`, numba's pycc) against the same kernels under
numba's JIT, and what happens when the extension cannot be built.

The extension is the JIT kernels' own source compiled once per machine, so the risk is not
the arithmetic but the seams: the exported signatures (types and layouts coerced by
`aot.Kernels`), a kernel left out, a stale build. Two checks: `read_nmea` on the compiled path
yields the same records, quarantine rows and counts with either set of kernels, on every real
file and on a fuzzed real file, with the extension really used (the pyais oracle of
test_nmea_compiled.py runs on whichever `compiled.kernels()` gives, the extension wherever it
builds); and a build that fails is logged, remembered, and leaves numba's JIT to decode.
"""

from __future__ import annotations

import importlib
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from cargotrace.ingest.nmea_columnar import aot, compiled
from cargotrace.ingest.nmea_columnar.lines import split_lines
from cargotrace.ingest.nmea_lines import MAX_EPOCH_S, MAX_TAG_BLOCK_CHARS, MIN_EPOCH_S
from cargotrace.ingest.params import IngestOptions
from cargotrace.sim.sample import scaled_fleet, write_sample_nmea

from .nmea_fuzz import corrupt, group_messages
from .nmea_reference import columnar

T0 = datetime(2023, 9, 7, 12, tzinfo=UTC)


def _nmea_files(shared_data: Path, tmp_path: Path) -> list[Path]:
    real = sorted(p for p in (shared_data / "ais_nmea").rglob("*") if p.is_file()
                  and p.name != "PROVENANCE.md" and p.suffix != ".gz")
    simulated = tmp_path / "sim.nmea"
    write_sample_nmea(simulated, hours=0.3, fleet=scaled_fleet(10))
    base = group_messages((shared_data / "ais_nmea/aisdb/test_data_20211101.nm4")
                          .read_bytes().splitlines() + simulated.read_bytes().splitlines())
    fuzzed = tmp_path / "fuzzed.nmea"
    corrupt(base, rate=0.3, seed=13).write(fuzzed)
    assert len(real) >= 10
    return [*real, simulated, fuzzed]


def test_the_extension_decodes_as_the_jit_kernels_do(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = aot.load()
    assert built is not None, "the extension did not build (is a C compiler installed?)"
    jit = importlib.import_module("cargotrace.ingest.nmea_columnar.kernels")
    monkeypatch.setattr(compiled, "COMPILED_FROM_BYTES", 0)
    used: list[str] = []
    positions = 0
    for path in _nmea_files(shared_data, tmp_path):
        results = []
        for which, kernels in (("aot", built), ("jit", jit)):
            monkeypatch.setattr(compiled, "kernels", lambda k=kernels, w=which: used.append(w)
                                or k)
            results.append(columnar(path, IngestOptions(assume_time=T0, chunk_records=997)))
        assert results[0] == results[1], path.name
        positions += len(results[0]["positions"])
    assert positions > 3000
    assert used.count("aot") > 50 and used.count("jit") > 50


def test_each_kernel_gives_the_jit_kernels_values_on_a_real_block(shared_data: Path) -> None:
    """Kernel by kernel, including inputs of other integer types and non-contiguous arrays
    (which `aot.Kernels` converts; numba's JIT compiles for them as they are)."""
    built = aot.load()
    assert built is not None
    jit = importlib.import_module("cargotrace.ingest.nmea_columnar.kernels")
    data = (shared_data / "ais_nmea/aisdb/test_data_20211101.nm4").read_bytes()
    data = data.replace(b"\r\n", b"\n")  # `lf_lines` is for blocks with LF breaks only
    arr = np.frombuffer(data, np.uint8)
    lines = split_lines(data)
    for k in (built, jit):
        assert [a.tolist() for a in k.lf_lines(arr)] == [lines.starts.tolist(),
                                                          lines.ends.tolist()]
    scans = [k.scan(arr, lines.starts, lines.ends, MAX_TAG_BLOCK_CHARS, MIN_EPOCH_S,
                    MAX_EPOCH_S) for k in (built, jit)]
    assert scans[0][0] == scans[1][0] > 100
    assert np.array_equal(scans[0][1][:, :scans[0][0]], scans[1][1][:, :scans[1][0]])
    f = scans[1][1][:, :scans[1][0]]
    at, length = f[7], f[8]
    single = np.full(len(at), -1, np.int64)
    words = [k.payload_words(arr, at, length, single, 28) for k in (built, jit)]
    assert np.array_equal(words[0], words[1])
    spec = np.array([[0, 6, 0], [8, 30, 0], [61, 28, 1], [89, 27, 1], [116, 12, 0]], np.int32)
    assert np.array_equal(built.fields(words[1], spec), jit.fields(words[1], spec.astype(
        np.int64)))
    texts = [k.six_bit_text(words[1], 40, 20) for k in (built, jit)]
    for a, b in zip(texts[0], texts[1], strict=True):
        assert np.array_equal(a, b)
    every_other = f[0][::2]  # a strided view
    gathered = [k.gather(arr, lines.starts[every_other], lines.ends[every_other],
                         single[::2], single[::2]) for k in (built, jit)]
    for a, b in zip(gathered[0], gathered[1], strict=True):
        assert np.array_equal(a, b)


def test_a_failed_build_is_remembered_and_numba_compiles_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """No C compiler, or any other reason the build process fails: the reason is logged once
    and kept beside where the extension would be, and later loads do not build again."""
    monkeypatch.setenv("CARGOTRACE_CACHE", str(tmp_path))
    monkeypatch.setattr(sys, "executable", "/bin/false")  # the build process exits 1
    with caplog.at_level(logging.WARNING, logger=aot.__name__):
        assert aot.load() is None
    assert "could not be compiled ahead of time" in caplog.text
    failed = aot.extension_path(aot.cache_dir(), aot.key()).with_suffix(".failed")
    assert failed.parent == tmp_path
    assert failed.read_text().startswith("exit 1")
    caplog.clear()
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")  # would raise if started
    with caplog.at_level(logging.WARNING, logger=aot.__name__):
        assert aot.load() is None
    assert caplog.text == ""
    monkeypatch.setenv(aot.SWITCH, "0")
    failed.unlink()
    assert aot.load() is None and not failed.exists()  # switched off: not even tried
