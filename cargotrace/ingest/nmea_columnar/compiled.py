"""The compiled block scan (`kernels`, numba) behind the same `Sentences` as the numpy path.

Why two paths: numba's import costs ~0.3 CPU-s and ~100 MB of memory (LLVM), more than the
numpy path spends on a small file, and its first run ever compiles the kernels (a few seconds,
then cached). So files of `COMPILED_FROM_BYTES` or more are scanned by the kernels, smaller ones
by numpy; both give the same columns, which the tests check on every real file, corrupted lines
and random messages. Where the kernels compiled ahead of time (`aot`) can be built, numba is
not imported at all (they load in ~1 ms); the threshold stays, so that a small file never
waits for their first build. See docs/decisions/0013-numba-decoder.md.
"""

from __future__ import annotations

import functools
import importlib
import logging
from types import ModuleType

import numpy as np
import pyarrow as pa

from cargotrace.ingest.nmea_columnar import aot
from cargotrace.ingest.nmea_columnar import lines as lines_
from cargotrace.ingest.nmea_columnar.lines import Lines
from cargotrace.ingest.nmea_columnar.sentences import Sentences
from cargotrace.ingest.nmea_columnar.tagblock import TagColumns
from cargotrace.ingest.nmea_lines import MAX_EPOCH_S, MAX_TAG_BLOCK_CHARS, MIN_EPOCH_S

COMPILED_FROM_BYTES = 16 << 20  # a file this large (on disk) is scanned by the kernels

log = logging.getLogger(__name__)


@functools.cache
def kernels() -> ModuleType | aot.Kernels:
    """The kernels: compiled ahead of time (`aot`, no numba at run time) where they can be
    built, else the kernels module (importing numba on first use)."""
    return aot.load() or importlib.import_module("cargotrace.ingest.nmea_columnar.kernels")


@functools.cache
def available() -> bool:
    """Whether the kernels can be loaded. They cannot when numba finds nowhere to keep its
    cache (neither the package's `__pycache__` nor the user's cache directory is writable, and
    `NUMBA_CACHE_DIR` is unset): then the numpy path decodes, with the same results, slower."""
    try:
        kernels()
    except (ImportError, RuntimeError, OSError) as exc:
        log.warning("the compiled NMEA scan is unavailable (%s); using the numpy path", exc)
        return False
    return True


def use_for(size_bytes: int) -> bool:
    """Whether a file of this size is scanned by the kernels."""
    return size_bytes >= COMPILED_FROM_BYTES and available()


def match_sentences(lines: Lines, default_time_us: int | None) -> Sentences:
    """`sentences.match_sentences`, in one compiled pass over the block."""
    arr = np.frombuffer(lines.data, np.uint8)
    m, fields = kernels().scan(arr, lines.starts, lines.ends, MAX_TAG_BLOCK_CHARS,
                               MIN_EPOCH_S, MAX_EPOCH_S)
    f = fields[:, :m]
    own_time = f[10] >= 0
    has_default = default_time_us is not None
    assumed = 0 if default_time_us is None else default_time_us
    station_at, station_len = f[11], f[12]
    no_station = station_at < 0
    station = strings(arr, np.where(no_station, 0, station_at),
                      np.where(no_station, 0, station_at + station_len), missing=no_station)
    return Sentences(
        arr=arr,
        rows=f[0],
        ok=f[1] == 1,
        count=f[2],
        number=f[3],
        seq=f[4],
        channel=f[5],
        fill=f[6],
        payload_start=f[7],
        payload_len=f[8],
        first_char=f[9].astype(np.uint8),
        with_breaks=lines.with_breaks(),
        tags=TagColumns(
            ok=np.ones(m, bool),  # folded into `ok` by the scan
            time_us=np.where(own_time, f[10], assumed).astype(np.int64),
            has_time=own_time | has_default,
            own_time=own_time,
            station=station,
        ),
        line_starts=lines.starts,
        line_ends=lines.ends,
        compiled=True,
        station_at=station_at,
        station_len=station_len,
    )


def strings(arr: np.ndarray, first_at: np.ndarray, first_end: np.ndarray,
            second_at: np.ndarray | None = None, second_end: np.ndarray | None = None,
            missing: np.ndarray | None = None) -> pa.StringArray:
    """arr[first_at[i]:first_end[i]] (joined by '\\n' to arr[second_at[i]:second_end[i]] when
    given) as an Arrow string array, null where `missing`. The bytes are printable ASCII."""
    if second_at is None or second_end is None:
        second_at = second_end = np.full(len(first_at), -1, np.int64)
    offsets, data = kernels().gather(arr, first_at.astype(np.int64), first_end.astype(np.int64),
                                     second_at.astype(np.int64), second_end.astype(np.int64))
    return _string_array(offsets, data, missing)


def _string_array(offsets: np.ndarray, data: np.ndarray,
                  missing: np.ndarray | None) -> pa.StringArray:
    """An Arrow string array over these buffers (no copy), null where `missing`."""
    validity = None
    null_count = 0
    if missing is not None and missing.any():
        validity = pa.py_buffer(np.packbits(~missing, bitorder="little").tobytes())
        null_count = int(missing.sum())
    return pa.StringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets),
                                       pa.py_buffer(data), validity, null_count)


def payload_words(arr: np.ndarray, first_at: np.ndarray, first_len: np.ndarray,
                  second_at: np.ndarray | None, width: int) -> np.ndarray:
    """Payloads of `width` characters as `bits.Bits` words (see `kernels.payload_words`)."""
    if second_at is None:
        second_at = np.full(len(first_at), -1, np.int64)
    words: np.ndarray = kernels().payload_words(
        arr, first_at.astype(np.int64), first_len.astype(np.int64),
        second_at.astype(np.int64), width)
    return words


def split_lines(data: bytes) -> Lines:
    """`lines.split_lines` in one compiled pass when the block has only LF line breaks (a CR
    anywhere: the numpy rules for CR, CR LF and LF, which are rarer and longer to state)."""
    if data.find(b"\r") != -1:
        return lines_.split_lines(data)
    starts, ends = kernels().lf_lines(np.frombuffer(data, np.uint8))
    return Lines(data, starts, ends, len(data))


def fields(words: np.ndarray, spec: np.ndarray) -> np.ndarray:
    """Bit fields (`spec`: rows of first bit, width, signed) of every message, in one pass."""
    out: np.ndarray = kernels().fields(words, spec)
    return out


def text(words: np.ndarray, start: int, count: int) -> pa.StringArray:
    """`bits.Bits.text` of every message in one pass (six-bit characters to stored text)."""
    offsets, data, valid = kernels().six_bit_text(words, start, count)
    return _string_array(offsets, data, ~valid)
