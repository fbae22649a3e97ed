"""Which lines have the strict common shape, and where their fields are, for a whole block.

The common line is one AIS sentence, optionally behind a plain NMEA 4.0 tag block:
`\\s:r61230,c:1693526400*70\\!AIVDM,1,1,,A,<payload>,0*4A`. One RE2 pattern without capture
groups (Arrow's `match_substring_regex`, a DFA: ~0.15 µs a line) says which lines have exactly
that shape; the fields are then found by position with numpy, which the pattern makes safe: a
matching line has one `!`, and its sentence a fixed layout around two optional characters.
Checksums are XORs of each line's ranges, reduced by numpy in one call per block. A line that
does not match (a prefix, a suffix, a group tag, an odd field, a bad checksum, a byte outside
printable ASCII, any doubt) is not judged here: the checked line-by-line path gives it its
precise quarantine reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cargotrace.ingest.nmea_columnar.lines import Lines
from cargotrace.ingest.nmea_columnar.tagblock import TagColumns, parse_tags
from cargotrace.ingest.nmea_lines import MAX_TAG_BLOCK_CHARS

# A tag field is `k:value` with a one-letter key; no `!`/`$` (a sentence start for the framing),
# no `*`, `,` or backslash; at most 64 characters of value (longer ones are quarantined).
_TAG_FIELD = r"[a-z]:[^!$*,\\]{0,64}"
SHAPE = (
    r"^(?:\\" + _TAG_FIELD + r"(?:," + _TAG_FIELD + r")*\*[0-9A-Fa-f]{2}\\)?"
    r"![A-Z]{2}VD[MO],[12],[12],[0-9]?,[A-Z0-9]?,[0-W`-w]+,[0-5]\*[0-9A-Fa-f]{2}"
    r"(?:\r\n|\r|\n)?$"
)

_PRINTABLE_OR_BREAK = bytes(range(0x20, 0x7F)) + b"\r\n"
_HEX = np.full(256, -1, np.int16)
for _i, _c in enumerate(b"0123456789ABCDEF"):
    _HEX[_c] = _HEX[ord(chr(_c).lower())] = _i


@dataclass
class Sentences:
    """The lines of a batch that have the common shape, and their fields (row i: line rows[i])."""

    arr: np.ndarray  # the block's bytes
    rows: np.ndarray  # int64 line index (within the batch) of each matched line
    ok: np.ndarray  # bool: both checksums right, tag block understood
    count: np.ndarray  # int64 fragment count (1 or 2)
    number: np.ndarray  # int64 fragment number
    seq: np.ndarray  # int64 sequence id, -1 when empty
    channel: np.ndarray  # int64 channel letter, 0 when empty
    fill: np.ndarray  # int64 fill bits
    payload_start: np.ndarray  # int64 offsets into `arr`
    payload_len: np.ndarray  # int64
    first_char: np.ndarray  # the payload's first character (its message type)
    with_breaks: pa.BinaryArray  # every line of the batch, with its line break
    tags: TagColumns
    line_starts: np.ndarray  # int64, of every line of the batch (`Lines.starts`)
    line_ends: np.ndarray  # int64, excluding the line break
    compiled: bool = False  # found by `compiled` (numba): decode with its kernels too
    station_at: np.ndarray | None = None  # compiled: each line's `s:` value (-1: none)
    station_len: np.ndarray | None = None


def _printable(arr: np.ndarray, lines: Lines) -> np.ndarray:
    """Whether each line holds only printable ASCII (a NUL does not change an XOR checksum)."""
    bad = (arr - np.uint8(0x20)) > 0x5E  # below 0x20 wraps round to 0xE0 and up
    bad &= (arr != 10) & (arr != 13)  # every CR and LF in a block is a line break
    bad = np.append(bad, False)
    any_bad = np.logical_or.reduceat(bad, np.minimum(lines.starts, len(bad) - 1))
    return ~(any_bad & (lines.ends > lines.starts))


def _xor_between(arr: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """XOR of arr[start[i]:stop[i]] for each i (0 for an empty range; every stop < len(arr)).

    Why `reduceat` over the ranges and not a running XOR of the block: numpy's `accumulate`
    writes one value per byte without SIMD, ten times slower than reducing the ranges.
    """
    if not len(start):
        return np.zeros(0, np.int16)
    bounds = np.empty(2 * len(start), np.int64)
    bounds[0::2], bounds[1::2] = start, stop
    xor = np.bitwise_xor.reduceat(arr, bounds)[0::2]
    result: np.ndarray = np.where(start < stop, xor, 0).astype(np.int16)
    return result


def _hex_at(arr: np.ndarray, at: np.ndarray) -> np.ndarray:
    value: np.ndarray = _HEX[arr[at]] * 16 + _HEX[arr[at + 1]]
    return value


def match_sentences(lines: Lines, default_time_us: int | None) -> Sentences:
    """Find the lines of the common shape and check what can be checked column-wise."""
    arr = np.frombuffer(lines.data, np.uint8)
    with_breaks = lines.with_breaks()
    matched = pc.match_substring_regex(with_breaks, SHAPE).to_numpy(zero_copy_only=False)
    if bytes(lines.data).translate(None, _PRINTABLE_OR_BREAK):  # else all printable: skip
        matched &= _printable(arr, lines)
    rows = np.flatnonzero(matched)
    start = lines.starts[rows]
    bang = start + pc.find_substring(with_breaks, "!").to_numpy()[rows]
    # `!AIVDM,c,n,` then an optional one-character sequence id and channel; `,f*hh` at the end
    after_seq = np.where(arr[bang + 11] == ord(","), bang + 11, bang + 12)
    after_channel = np.where(arr[after_seq + 1] == ord(","), after_seq + 1, after_seq + 2)
    after_payload = lines.ends[rows] - 5
    star = after_payload + 2
    ok = _xor_between(arr, bang + 1, star) == _hex_at(arr, star + 1)
    has_tag = bang > start
    tag_end = bang - 4  # the tag block's `*`
    tag_ok = _xor_between(arr, start + 1, np.maximum(tag_end, start + 1)) == _hex_at(
        arr, np.maximum(tag_end, start) + 1
    )
    ok &= ~has_tag | (tag_ok & (tag_end + 3 - (start + 1) <= MAX_TAG_BLOCK_CHARS))
    commas = np.flatnonzero(arr == ord(","))
    tag_commas = (np.searchsorted(commas, start), np.searchsorted(commas, bang))
    tags = parse_tags(arr, commas, tag_commas, start + 1,
                      np.where(has_tag, tag_end, start + 1), default_time_us)
    ok &= tags.ok
    seq = np.where(after_seq - bang == 12, arr[after_seq - 1].astype(np.int64) - 48, -1)
    channel = np.where(after_channel - after_seq == 2, arr[after_channel - 1], 0)
    return Sentences(
        arr=arr,
        rows=rows,
        ok=ok,
        count=arr[bang + 7].astype(np.int64) - 48,
        number=arr[bang + 9].astype(np.int64) - 48,
        seq=seq,
        channel=channel.astype(np.int64),
        fill=arr[after_payload + 1].astype(np.int64) - 48,
        payload_start=after_channel + 1,
        payload_len=after_payload - after_channel - 1,
        first_char=arr[after_channel + 1],
        with_breaks=with_breaks,
        tags=tags,
        line_starts=lines.starts,
        line_ends=lines.ends,
    )
