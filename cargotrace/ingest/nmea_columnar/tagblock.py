"""NMEA 4.0 tag blocks of a whole batch of lines: receive time (`c:`) and station (`s:`).

Only the plain case is decided here: at most one `c:` (Unix seconds or milliseconds, digits
only, 1990-2100) and one `s:`, no group (`g:`). Anything else, such as a group, a repeated or
decimal `c:`, a time out of range, leaves the line to the checked path (`nmea_lines.
parse_tag_block`), which knows every case and its quarantine reason. The fields of every tag
block of a block are found at once from the positions of its commas (`sentences.SHAPE` has
made sure each field is `k:value`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from cargotrace.ingest.nmea_columnar.bits import byte_windows
from cargotrace.ingest.nmea_columnar.columns import arrow
from cargotrace.ingest.nmea_lines import MAX_EPOCH_S, MIN_EPOCH_S

_FEWEST_DIGITS, _MOST_DIGITS = 9, 13  # Unix seconds from 1990; milliseconds until 2286


@dataclass
class TagColumns:
    ok: np.ndarray  # bool: no tag block, or one this module understood fully
    time_us: np.ndarray  # int64 receive time in µs (the assumed time when the line has none)
    has_time: np.ndarray  # bool: a time (own or assumed) is known
    own_time: np.ndarray  # bool: the time is the line's own (`c:`), not an assumed one
    station: pa.Array  # string, null when the line names no station


@dataclass
class _Fields:
    line: np.ndarray  # which line (index into the batch's matched lines)
    value_start: np.ndarray
    value_len: np.ndarray


def _fields(
    commas: np.ndarray, tag_commas: tuple[np.ndarray, np.ndarray], begin: np.ndarray,
    end: np.ndarray,
) -> _Fields:
    """Every `k:value` field of every tag body arr[begin[i]:end[i]] (empty when no tag);
    commas[tag_commas[0][i]:tag_commas[1][i]] are the commas of line i's tag body."""
    has = end > begin
    first, stop = tag_commas
    count = np.where(has, stop - first + 1, 0)  # fields per line
    line = np.repeat(np.arange(len(begin)), count)
    nth = np.arange(len(line)) - np.repeat(np.cumsum(count) - count, count)  # field k of its line
    comma_at = commas[np.minimum(first[line] + nth - 1, len(commas) - 1)] if len(commas) else nth
    start = np.where(nth == 0, begin[line], comma_at + 1)
    last = nth == count[line] - 1
    next_comma = commas[np.minimum(first[line] + nth, len(commas) - 1)] if len(commas) else nth
    field_end = np.where(last, end[line], next_comma)
    return _Fields(line, start + 2, field_end - start - 2)


def _epoch_us(arr: np.ndarray, start: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, ...]:
    """`c:` values to µs, and whether they are 9-13 digits and a time in 1990-2100."""
    windows = byte_windows(arr, start, _MOST_DIGITS, fill=0)
    number = np.zeros(len(start), np.int64)
    digits_only = np.zeros(len(start), bool)
    for size in range(_FEWEST_DIGITS, _MOST_DIGITS + 1):  # one weighted sum per length
        these = length == size
        if these.any():
            d = windows[these, :size].astype(np.int64) - 48
            number[these] = d @ (10 ** np.arange(size - 1, -1, -1, dtype=np.int64))
            digits_only[these] = ((d >= 0) & (d <= 9)).all(axis=1)
    seconds = (number >= MIN_EPOCH_S) & (number <= MAX_EPOCH_S)
    millis = (number >= MIN_EPOCH_S * 1000) & (number <= MAX_EPOCH_S * 1000)
    time_us = np.where(seconds, number * 1_000_000, number * 1000)
    return time_us, digits_only & (seconds | millis)


def strings(arr: np.ndarray, start: np.ndarray, length: np.ndarray) -> pa.StringArray:
    """arr[start[i]:start[i]+length[i]] for each i, as one Arrow string array (short values)."""
    offsets = np.concatenate([[0], np.cumsum(length)]).astype(np.int32)
    index = np.repeat((start - offsets[:-1]).astype(np.int32), length) + np.arange(
        int(offsets[-1]), dtype=np.int32)
    return pa.StringArray.from_buffers(
        len(start), pa.py_buffer(offsets), pa.py_buffer(arr[index].tobytes())
    )


def parse_tags(
    arr: np.ndarray, commas: np.ndarray, tag_commas: tuple[np.ndarray, np.ndarray],
    begin: np.ndarray, end: np.ndarray, default_time_us: int | None,
) -> TagColumns:
    """Time and station of each line's tag body arr[begin:end] (begin == end: no tag block)."""
    n = len(begin)
    fields = _fields(commas, tag_commas, begin, end)
    key = arr[fields.value_start - 2] if len(fields.line) else np.zeros(0, np.uint8)
    count = {k: np.bincount(fields.line[key == ord(k)], minlength=n) for k in "csg"}
    is_c = np.flatnonzero(key == ord("c"))
    c_time, c_ok = _epoch_us(arr, fields.value_start[is_c], fields.value_len[is_c])
    time_us = np.zeros(n, np.int64)
    time_ok = np.zeros(n, bool)
    time_us[fields.line[is_c]] = c_time
    time_ok[fields.line[is_c]] = c_ok
    ok = (count["c"] <= 1) & (count["s"] <= 1) & (count["g"] == 0) & ((count["c"] == 0) | time_ok)
    own = (count["c"] == 1) & time_ok
    has_default = default_time_us is not None
    is_s = np.flatnonzero(key == ord("s"))
    values = strings(arr, fields.value_start[is_s], fields.value_len[is_s])
    which = np.full(n, -1, np.int64)
    which[fields.line[is_s]] = np.arange(len(is_s))
    station = values.take(arrow(which, pa.int64(), which < 0))
    assumed = 0 if default_time_us is None else default_time_us
    return TagColumns(
        ok=ok,
        time_us=np.where(own, time_us, assumed).astype(np.int64),
        has_time=own | has_default,
        own_time=own,
        station=station,
    )
