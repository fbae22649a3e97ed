"""The kernels compiled ahead of time (`aot`, numba's pycc) against the same kernels under
numba's JIT, and what happens when the extension cannot be built.

The extension is the JIT kernels' own source compiled once per machine, so the risk is not
the arithmetic but the seams: the exported signatures (types and layouts coerced by
`aot.Kernels`), a kernel left out, a stale build. Two checks: `read_nmea` on the compiled path
yields the same records, quarantine rows and counts with either set of kernels, on every real
file and on a fuzzed real file, with the extension really used (the pyais oracle of
test_nmea_compiled.py runs on whichever `compiled.kernels()` gives, the extension wherever it
builds); and a build that fails is logged, remembered only when the compile itself failed,
and leaves numba's JIT to decode. The build runs this package's code whatever the current
folder holds, and writes only into the project's cache folder.
"""

from __future__ import annotations

import importlib
import logging
import os
import subprocess
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
    monkeypatch.setattr(aot, "_gave_up", set())
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


def _files_of(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def test_the_build_writes_only_into_the_projects_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without $CARGOTRACE_CACHE: `~/.cache/cargotrace`, never the installed package's
    folder (nor its `__pycache__`), even where that is writable."""
    monkeypatch.delenv("CARGOTRACE_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(aot, "_gave_up", set())
    monkeypatch.setattr(sys, "executable", "/bin/false")  # a failed build: .lock and .failed
    package = Path(aot.__file__).parent
    before = _files_of(package) | _files_of(package / "__pycache__")
    assert aot.cache_dir() == tmp_path / ".cache" / "cargotrace"
    assert aot.load() is None
    name = aot.extension_path(aot.cache_dir(), aot.key()).stem
    assert _files_of(aot.cache_dir()) == {f"{name}.failed", f"{name}.lock"}
    after = _files_of(package) | _files_of(package / "__pycache__")
    assert not {n for n in after - before if "cargotrace_nmea_kernels" in n
                or n.endswith((".failed", ".lock"))}


@pytest.mark.parametrize("outcome", ["timeout", "signal", "oserror", "disk full"])
def test_a_passing_failure_is_not_remembered_beyond_this_process(
    outcome: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture
) -> None:
    """A build that timed out, was killed, or could not write: one warning, numba's JIT for
    this process, no `.failed` (the next process builds)."""
    monkeypatch.setenv("CARGOTRACE_CACHE", str(tmp_path))
    monkeypatch.setattr(aot, "_gave_up", set())
    calls: list[list[str]] = []

    def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        calls.append(command)
        if outcome == "timeout":
            raise subprocess.TimeoutExpired(command, aot.BUILD_TIMEOUT_S)
        if outcome == "oserror":
            raise OSError(12, "Cannot allocate memory")
        if outcome == "signal":
            return subprocess.CompletedProcess(command, -9, "", "")
        return subprocess.CompletedProcess(command, 1, "", "error: could not write "
                                           "'x.o': [Errno 28] No space left on device\n")

    monkeypatch.setattr(aot.subprocess, "run", run)
    with caplog.at_level(logging.WARNING, logger=aot.__name__):
        assert aot.load() is None
        assert aot.load() is None  # the same process does not try again
    assert len(calls) == 1
    assert len(caplog.records) == 1 and "unavailable in this process" in caplog.text
    assert {"timeout": "900 s", "signal": "SIGKILL", "oserror": "Cannot allocate",
            "disk full": "No space left"}[outcome] in caplog.text
    assert {p.suffix for p in tmp_path.iterdir()} == {".lock"}  # no .failed, no build folder
    monkeypatch.setattr(aot, "_gave_up", set())  # a new process
    assert aot.load() is None
    assert len(calls) == 2


def test_the_build_runs_this_packages_code_whatever_the_current_folder_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run from a folder holding another cargotrace copy (and with `.` and an empty entry on
    PYTHONPATH), the build process still runs this package's `aot_build`. Cheaply: the parent
    asks for a key no kernels have, so the real `aot_build` refuses before compiling, and its
    message, not the decoy's, is what the `.failed` file keeps."""
    decoy = tmp_path / "other-checkout"
    marker = tmp_path / "the-decoy-ran"
    package = decoy / "cargotrace" / "ingest" / "nmea_columnar"
    package.mkdir(parents=True)
    for folder in (package, package.parent, package.parent.parent):
        (folder / "__init__.py").write_text("")
    (package / "aot_build.py").write_text(
        f"import pathlib, sys\npathlib.Path({str(marker)!r}).write_text('ran')\n"
        "sys.exit('the decoy aot_build ran')\n")
    root = str(Path(aot.__file__).parents[3])
    # the decoy is effective: a plain `python -m` from that folder runs it
    plain = subprocess.run([sys.executable, "-m", aot.aot_build.__name__, "out", "key"],
                           cwd=decoy, env={**os.environ, "PYTHONPATH": root},
                           capture_output=True, text=True, timeout=120, check=False)
    assert "the decoy aot_build ran" in plain.stderr and marker.exists()
    marker.unlink()

    monkeypatch.chdir(decoy)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([".", "", os.environ.get("PYTHONPATH",
                                                                                 "")]))
    monkeypatch.setenv("CARGOTRACE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(aot, "_gave_up", set())
    real_key = aot.key()
    monkeypatch.setattr(aot, "key", lambda: "0" * 16)
    assert aot.load() is None
    failed = aot.extension_path(tmp_path / "cache", "0" * 16).with_suffix(".failed")
    assert not marker.exists()
    assert failed.read_text().startswith("exit 1: ")
    assert f"has kernels of key {real_key}, not {'0' * 16}" in failed.read_text()
    assert str(Path(aot.__file__)) in failed.read_text()


def test_without_a_c_compiler_the_reason_is_numbas_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real build process with no compiler reachable (an empty PATH, CC=false): a real
    compile failure, remembered with the exception numba raises, not its line of advice."""
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("CC", "false")
    monkeypatch.setenv("CXX", "false")
    monkeypatch.setenv("CARGOTRACE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(aot, "_gave_up", set())
    assert aot.load() is None
    failed = aot.extension_path(aot.cache_dir(), aot.key()).with_suffix(".failed")
    assert failed.read_text().startswith("exit 1: RuntimeError: Attempted to compile AOT")
