"""The NMEA kernels as an extension compiled ahead of time, loaded without numba.

Why: numba's dispatcher costs ~0.5 CPU-s in every process that calls a kernel, even when its
cache is hit (importing numba, then at the first call its typing and lowering registries and
LLVM), and maps ~100 MB of LLVM into memory: a fifth of a whole ingest of a 1M-line feed, on
the thread that sets its pace. The same kernels compiled once by numba's `pycc` (`aot_build`)
load in about a millisecond with numpy alone. The extension is built on the first large NMEA
ingest of a machine (~12 CPU-s, in a child process, where the JIT would compile ~6) and kept
in the project's cache folder (`cache_dir`), under a name that changes with the kernels' source
and the numba, numpy and Python versions. Where it cannot be built (no C compiler,
`CARGOTRACE_NMEA_AOT=0`), numba's JIT runs the same kernels (`compiled.kernels`); both are
tested against each other.
See docs/decisions/0013-numba-decoder.md.
"""

from __future__ import annotations

import errno
import hashlib
import importlib.machinery
import importlib.metadata
import importlib.util
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from cargotrace.cache import cache_dir as cargotrace_cache_dir
from cargotrace.ingest.nmea_columnar import aot_build

log = logging.getLogger(__name__)

SWITCH = "CARGOTRACE_NMEA_AOT"  # "0": never build or load the extension (numba's JIT runs)
BUILD_TIMEOUT_S = 900
_HERE = Path(__file__).parent
# Output of a build that failed for want of room or memory (quota: not on Windows): passing.
_PASSING_MARKS = (os.strerror(errno.ENOSPC), os.strerror(getattr(errno, "EDQUOT", errno.ENOSPC)),
                  "MemoryError")
_gave_up: set[str] = set()  # the keys whose extension this process does without


class PassingFailure(Exception):
    """The build stopped for a cause that may not recur (a timeout, a signal, a full disk):
    the next process tries again."""


def enabled() -> bool:
    return os.environ.get(SWITCH, "1") != "0"


def key() -> str:
    """What the machine code depends on: the kernels' and signatures' source, the numba,
    numpy and Python versions and the platform."""
    h = hashlib.sha256()
    for name in ("kernels.py", "aot_build.py"):
        h.update((_HERE / name).read_bytes())
    h.update(importlib.metadata.version("numba").encode())
    h.update(np.__version__.encode())
    h.update(sys.version.encode())
    h.update(sys.platform.encode())
    return h.hexdigest()[:16]


def cache_dir() -> Path:
    """The project's cache folder (`$CARGOTRACE_CACHE`, else `~/.cache/cargotrace`), never the
    installed package's folder: a root install (or any writable site-packages) would otherwise
    get build products (the extension, its `.lock`, `.failed`, temporary build folders) that
    no uninstall removes. The key in the file name already versions the extension."""
    return cargotrace_cache_dir().absolute()  # absolute: the build child runs elsewhere


def extension_path(folder: Path, build_key: str) -> Path:
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    return folder / f"{aot_build.MODULE}-{build_key}{suffix}"


def load() -> Kernels | None:
    """The compiled kernels, built first if this machine has none yet; None where they cannot
    be built (why is logged once). A compile that fails (the build process exits non-zero)
    is remembered in a `.failed` file beside where the extension would be, so that later runs
    do not try again (delete it to retry); a passing cause (a timeout, the process killed by
    a signal, an OSError such as a full disk) only makes this process do without."""
    if not enabled():
        return None
    build_key = ""
    try:
        build_key = key()
        if build_key in _gave_up:
            return None
        path = extension_path(cache_dir(), build_key)
        failed = path.with_suffix(".failed")
        if not path.exists() and not failed.exists():
            with _build_lock(path):
                if not path.exists() and not failed.exists():
                    _build(path, failed, build_key)
        if not path.exists():
            return None
        return Kernels(_import(path))
    except (OSError, ImportError, subprocess.SubprocessError, PassingFailure) as exc:
        _gave_up.add(build_key)
        log.warning("the NMEA kernels compiled ahead of time are unavailable in this process "
                    "(%s); numba compiles them instead", exc)
        return None


def child_command(work: str, build_key: str) -> tuple[list[str], dict[str, str]]:
    """The build process's command and environment: this package's `aot_build`, whatever the
    current folder holds. `-P` because `python -m` puts the current folder first on sys.path
    (another cargotrace checkout there would be compiled under this version's key); this
    package's root first on PYTHONPATH, then the caller's entries made absolute (the child
    runs in `work`), without empty ones (an empty entry is the current folder too). The child
    also checks that the kernels it imports have `build_key` (`aot_build.main`)."""
    inherited = [os.path.abspath(entry) for entry in
                 os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(_HERE.parents[2]), *inherited])}
    return [sys.executable, "-P", "-m", aot_build.__name__, work, build_key], env


def _build(path: Path, failed: Path, build_key: str) -> None:
    """Build the extension in a child process and move it into place in one step. Raises
    `PassingFailure` (or OSError) where the cause may not recur; writes `failed` where the
    compile itself failed."""
    with tempfile.TemporaryDirectory(prefix=f"{aot_build.MODULE}-build-",
                                     dir=path.parent) as work:
        command, env = child_command(work, build_key)
        try:
            done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True,
                                  timeout=BUILD_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise PassingFailure(f"no extension after {BUILD_TIMEOUT_S} s") from None
        code = done.returncode
        why = _reason(done.stderr)
        if code < 0:
            raise PassingFailure(f"the build process was stopped by {_signal_name(-code)}")
        if code != 0 and any(mark in done.stderr for mark in _PASSING_MARKS):
            raise PassingFailure(why)
        built = [p for p in Path(work).iterdir() if p.name.startswith(aot_build.MODULE)]
        if code != 0 or len(built) != 1:
            failed.write_text(f"exit {code}: {why}\n")
            log.warning("the NMEA kernels could not be compiled ahead of time (%s); numba "
                        "compiles them instead (remove %s to try again)", why, failed)
            return
        os.replace(built[0], path)


def _reason(stderr: str) -> str:
    """The line of the build's output that says why: its last exception's (numba's message
    for a missing compiler ends with a line of advice), else its last line; bounded."""
    lines = stderr.strip().splitlines() or ["no output"]
    errors = [line for line in lines if re.match(r"[A-Za-z_][\w.]*(Error|Exception)\b", line)]
    return (errors or lines)[-1][:300]


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


@contextmanager
def _build_lock(path: Path) -> Iterator[None]:
    """One build at a time per extension (parallel test workers, two ingests at once)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: builds may run twice, harmlessly
        yield
        return
    with open(path.with_suffix(".lock"), "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _import(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(aot_build.MODULE, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path} is not an extension module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _i8(a: Any) -> np.ndarray:
    return np.ascontiguousarray(a, np.int64)


class Kernels:
    """The extension's functions under the names and arguments of `kernels`' (JIT) ones.

    An exported function takes exactly its signature's types (a numba JIT kernel compiles
    for whatever it is given), so the arguments are made so first: a no-op for what
    compiled.py passes."""

    def __init__(self, module: ModuleType) -> None:
        self.module = module

    def scan(self, arr: Any, starts: Any, ends: Any, max_tag_chars: int, min_s: int,
             max_s: int) -> Any:
        return self.module.scan(np.ascontiguousarray(arr, np.uint8), _i8(starts), _i8(ends),
                                int(max_tag_chars), int(min_s), int(max_s))

    def payload_words(self, arr: Any, first_at: Any, first_len: Any, second_at: Any,
                      width: int) -> Any:
        return self.module.payload_words(np.ascontiguousarray(arr, np.uint8), _i8(first_at),
                                         _i8(first_len), _i8(second_at), int(width))

    def gather(self, arr: Any, first_at: Any, first_end: Any, second_at: Any,
               second_end: Any) -> Any:
        return self.module.gather(np.ascontiguousarray(arr, np.uint8), _i8(first_at),
                                  _i8(first_end), _i8(second_at), _i8(second_end))

    def fields(self, words: Any, spec: Any) -> Any:
        return self.module.fields(np.ascontiguousarray(words, np.uint64), _i8(spec))

    def lf_lines(self, arr: Any) -> Any:
        return self.module.lf_lines(np.ascontiguousarray(arr, np.uint8))

    def six_bit_text(self, words: Any, start: int, count: int) -> Any:
        return self.module.six_bit_text(np.ascontiguousarray(words, np.uint64), int(start),
                                        int(count))
