"""The block scan and the payload unpacking as compiled loops over the raw bytes (numba).

Why compiled: the numpy path (`sentences`, `tagblock`, `bits`) makes some thirty passes over
every block (a regular expression, reductions, fancy indexing, temporary matrices) and costs
about 2 CPU-s on a 1M-line feed; one loop per line that reads each byte once, in machine code,
costs a tenth of that. These functions compute exactly what the numpy path computes (the tests
compare both on every real file, corrupted lines and random messages), so the rest of the
package does not know which path ran. This module imports numba: import it only through
`compiled.load()`, which is done for large files only (numba's import costs ~0.3 s).
See docs/decisions/0013-numba-decoder.md.

`cache=True` keeps the machine code next to this file (`__pycache__`) or, where the package is
read-only, in numba's user cache (`NUMBA_CACHE_DIR`, else ~/.cache/numba): only a first run
compiles (a few seconds).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_BACKSLASH, _STAR, _COMMA, _BANG, _COLON = 92, 42, 44, 33, 58
_MAX_TAG_VALUE = 64  # sentences.SHAPE: a tag field's value has at most 64 characters


@njit(cache=True, nogil=True, inline="always")
def _hex(b: int) -> int:  # pragma: no cover - compiled
    if 48 <= b <= 57:
        return b - 48
    if 65 <= b <= 70:
        return b - 55
    if 97 <= b <= 102:
        return b - 87
    return -1


@njit(cache=True, nogil=True, inline="always")
def _payload_char(b: int) -> bool:  # pragma: no cover - compiled
    return (48 <= b <= 87) or (96 <= b <= 119)


@njit(cache=True, nogil=True, inline="always")
def _epoch_us(arr, begin, size, min_s, max_s):  # type: ignore[no-untyped-def]  # pragma: no cover
    """A `c:` value of 9-13 digits as µs when it is a time in range; -1 otherwise."""
    if size < 9 or size > 13:
        return -1
    number = 0
    for k in range(begin, begin + size):
        d = arr[k] - 48
        if d < 0 or d > 9:
            return -1
        number = number * 10 + d
    if min_s <= number <= max_s:
        return number * 1_000_000
    if min_s * 1000 <= number <= max_s * 1000:
        return number * 1000
    return -1


# The two functions below are long on purpose: split into helpers that return through small
# arrays, the scan took 50% longer (0.19 s against 0.13 s of CPU on the feed).
@njit(cache=True, nogil=True, inline="always")
def _tag_block(arr, s, e, min_s, max_s, out):  # type: ignore[no-untyped-def]  # noqa: C901  # pragma: no cover
    """Shape and meaning of a tag block at arr[s] == '\\'. Writes into `out` (int64[7]):
    where the sentence starts, the tag's '*', whether it is understood (c/s/g counts, time),
    the time in µs (-1: none), the station's start and length (-1: none), the XOR of its body.
    Returns False when the tag block has not the common shape (printable ASCII included)."""
    p = s + 1
    xor = 0  # of the body, between the backslash and the '*'
    c_count = s_count = g_count = 0
    time_us = -1
    time_ok = False
    station_at = station_len = -1
    while True:
        if p + 1 >= e:
            return False
        key = arr[p]
        if key < 97 or key > 122 or arr[p + 1] != _COLON:
            return False
        xor ^= key ^ _COLON
        value = q = p + 2
        while q < e:
            b = arr[q]
            if b == 33 or b == 36 or b == _STAR or b == _COMMA or b == _BACKSLASH:
                break
            if b < 32 or b > 126:  # the line must be printable ASCII
                return False
            xor ^= b
            q += 1
        if q >= e or q - value > _MAX_TAG_VALUE:
            return False
        if key == 99:  # c
            c_count += 1
            time_us = _epoch_us(arr, value, q - value, min_s, max_s)
            time_ok = time_us >= 0
        elif key == 115:  # s
            s_count += 1
            station_at, station_len = value, q - value
        elif key == 103:  # g
            g_count += 1
        if arr[q] == _COMMA:
            xor ^= _COMMA
            p = q + 1
            continue
        if arr[q] != _STAR:
            return False
        break
    if q + 3 >= e or _hex(arr[q + 1]) < 0 or _hex(arr[q + 2]) < 0 or arr[q + 3] != _BACKSLASH:
        return False
    understood = c_count <= 1 and s_count <= 1 and g_count == 0 and (c_count == 0 or time_ok)
    out[0] = q + 4
    out[1] = q
    out[2] = 1 if understood else 0
    out[3] = time_us if (c_count == 1 and time_ok) else -1
    out[4] = station_at
    out[5] = station_len
    out[6] = xor
    return True


@njit(cache=True, nogil=True)
def scan(arr, starts, ends, max_tag_chars, min_s, max_s):  # type: ignore[no-untyped-def]  # noqa: C901  # pragma: no cover
    """Every line of the common shape (`sentences.SHAPE`, printable) and its fields.

    Every byte of a matching line is checked to be one the shape allows, all of them printable
    ASCII (as `sentences._printable` requires). Returns (number of matched lines, fields):
    `fields[k, j]` for matched line j, in the row order of `sentences.Sentences`: 0 line index,
    1 ok, 2 count, 3 number, 4 seq (-1: empty), 5 channel (0: empty), 6 fill, 7 payload start,
    8 payload length, 9 first payload char, 10 own time in µs (-1: none), 11 station start
    (-1: none), 12 station length.
    """
    n = len(starts)
    fields = np.empty((13, n), np.int64)
    tag = np.empty(7, np.int64)
    m = 0
    for i in range(n):
        s, e = starts[i], ends[i]
        if e - s < 19:  # shorter than the shortest sentence, `!AIVDM,1,1,,,0,0*hh`; and no
            continue  # read past an empty last line (numba does not check bounds)
        tag_ok = True
        own_time = -1
        station_at = station_len = -1
        p = s
        if arr[s] == _BACKSLASH:
            if not _tag_block(arr, s, e, min_s, max_s, tag):
                continue
            p, star = tag[0], tag[1]
            tag_ok = (tag[2] == 1 and tag[6] == _hex(arr[star + 1]) * 16 + _hex(arr[star + 2])
                      and star + 3 - (s + 1) <= max_tag_chars)
            own_time, station_at, station_len = tag[3], tag[4], tag[5]
        # !xxVDM,c,n,
        if p + 11 > e or arr[p] != _BANG:
            continue
        if not (65 <= arr[p + 1] <= 90 and 65 <= arr[p + 2] <= 90):
            continue
        if arr[p + 3] != 86 or arr[p + 4] != 68 or (arr[p + 5] != 77 and arr[p + 5] != 79):
            continue
        if arr[p + 6] != _COMMA or arr[p + 8] != _COMMA or arr[p + 10] != _COMMA:
            continue
        count, number = arr[p + 7] - 48, arr[p + 9] - 48
        if count < 1 or count > 2 or number < 1 or number > 2:
            continue
        q = p + 11
        seq = -1
        if q < e and 48 <= arr[q] <= 57:
            seq = arr[q] - 48
            q += 1
        if q >= e or arr[q] != _COMMA:
            continue
        q += 1
        channel = 0
        if q < e and (65 <= arr[q] <= 90 or 48 <= arr[q] <= 57):
            channel = arr[q]
            q += 1
        if q >= e or arr[q] != _COMMA:
            continue
        payload = q + 1
        xor = 0
        for k in range(p + 1, payload):
            xor ^= arr[k]
        q = payload
        while q < e and _payload_char(arr[q]):
            xor ^= arr[q]
            q += 1
        # then `,f*hh` and the end of the line
        if q == payload or q + 5 != e or arr[q] != _COMMA or arr[q + 2] != _STAR:
            continue
        if not (48 <= arr[q + 1] <= 53) or _hex(arr[q + 3]) < 0 or _hex(arr[q + 4]) < 0:
            continue
        xor ^= _COMMA ^ arr[q + 1]
        ok = tag_ok and xor == _hex(arr[q + 3]) * 16 + _hex(arr[q + 4])
        fields[0, m] = i
        fields[1, m] = 1 if ok else 0
        fields[2, m], fields[3, m], fields[4, m], fields[5, m] = count, number, seq, channel
        fields[6, m] = arr[q + 1] - 48
        fields[7, m] = payload
        fields[8, m] = q - payload
        fields[9, m] = arr[payload]
        fields[10, m], fields[11, m], fields[12, m] = own_time, station_at, station_len
        m += 1
    return m, fields


@njit(cache=True, nogil=True, inline="always")
def _put_chars(words, i, arr, at, size, bit):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Six-bit values of arr[at:at+size] into row i of `words` from bit `bit` on."""
    acc = np.uint64(0)  # the bits of the word being filled, left-aligned as they come
    word = bit // 64
    used = bit % 64
    if used:
        acc = words[i, word]
    for k in range(at, at + size):
        c = arr[k]
        v = np.uint64((c - 48 if c < 96 else c - 56) & 63)
        if used <= 58:
            acc |= v << np.uint64(58 - used)
            used += 6
        else:
            spill = used - 58
            acc |= v >> np.uint64(spill)
            words[i, word] = acc
            word += 1
            acc = v << np.uint64(64 - spill)
            used = spill
        if used == 64:
            words[i, word] = acc
            word += 1
            acc = np.uint64(0)
            used = 0
    if used:
        words[i, word] = acc
    return bit + 6 * size


@njit(cache=True, nogil=True)
def payload_words(arr, first_at, first_len, second_at, width):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Six-bit payloads as rows of 64-bit words (big-endian bit order, as `bits.Bits` holds
    them): message i is arr[first_at[i]:+first_len[i]] then arr[second_at[i]:...] up to `width`
    characters (second_at[i] < 0: one sentence), '0' (zero bits) past its end."""
    rows = len(first_at)
    n_words = (width * 6 + 7) // 8 // 8 + 2
    words = np.zeros((rows, n_words), np.uint64)
    for i in range(rows):
        first = min(first_len[i], width)
        bit = _put_chars(words, i, arr, first_at[i], first, 0)
        if second_at[i] >= 0:
            _put_chars(words, i, arr, second_at[i], width - first, bit)
    return words


@njit(cache=True, nogil=True)
def gather(arr, first_at, first_end, second_at, second_end):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Arrow string buffers (int32 offsets, bytes) of arr[first_at[i]:first_end[i]], followed
    by '\\n' and arr[second_at[i]:second_end[i]] when second_at[i] >= 0."""
    rows = len(first_at)
    offsets = np.empty(rows + 1, np.int32)
    total = 0
    for i in range(rows):
        offsets[i] = total
        total += first_end[i] - first_at[i]
        if second_at[i] >= 0:
            total += 1 + second_end[i] - second_at[i]
    offsets[rows] = total
    data = np.empty(total, np.uint8)
    at = 0
    for i in range(rows):
        for k in range(first_at[i], first_end[i]):
            data[at] = arr[k]
            at += 1
        if second_at[i] >= 0:
            data[at] = 10
            at += 1
            for k in range(second_at[i], second_end[i]):
                data[at] = arr[k]
                at += 1
    return offsets, data


@njit(cache=True, nogil=True)
def fields(words, spec):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Bit fields of every row of `words` (`payload_words`) in one pass: `spec[f]` is (first
    bit, width <= 63, signed); returns int64 `out[f, row]`, as `bits.Bits.uint`/`sint` give them
    one numpy pass (and three temporaries) per field."""
    rows, n = words.shape[0], spec.shape[0]
    out = np.empty((n, rows), np.int64)
    for f in range(n):
        start, width, signed = spec[f, 0], spec[f, 1], spec[f, 2]
        word, skip = start // 64, start % 64
        mask = np.uint64((1 << width) - 1)
        half = np.int64(1) << (width - 1)
        for i in range(rows):
            if skip + width <= 64:
                v = words[i, word] >> np.uint64(64 - skip - width)
            else:
                spill = skip + width - 64
                v = (words[i, word] << np.uint64(spill)) | (
                    words[i, word + 1] >> np.uint64(64 - spill))
            x = np.int64(v & mask)
            if signed and x >= half:
                x -= half << 1
            out[f, i] = x
    return out


@njit(cache=True, nogil=True)
def lf_lines(arr):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Line bounds of a block whose only line breaks are LF (`lines.split_lines`' common
    case): starts and ends (excluding the LF); a last line without a LF counts too."""
    n = len(arr)
    count = 0
    for k in range(n):
        if arr[k] == 10:
            count += 1
    open_end = n > 0 and arr[n - 1] != 10
    total = count + 1 if open_end else count
    starts = np.empty(total, np.int64)
    ends = np.empty(total, np.int64)
    j = begin = 0
    for k in range(n):
        if arr[k] == 10:
            starts[j], ends[j] = begin, k
            j += 1
            begin = k + 1
    if open_end:
        starts[j], ends[j] = begin, n
    return starts, ends


@njit(cache=True, nogil=True)
def six_bit_text(words, start, count):  # type: ignore[no-untyped-def]  # pragma: no cover
    """`count` six-bit characters from bit `start` of every row, as `bits.Bits.text` stores
    them ('@' a blank, blanks trimmed at both ends, empty: null): Arrow string buffers
    (int32 offsets, bytes) and whether each row is valid."""
    rows = words.shape[0]
    offsets = np.empty(rows + 1, np.int32)
    data = np.empty(rows * count, np.uint8)
    valid = np.empty(rows, np.bool_)
    text = np.empty(count, np.uint8)
    total = 0
    for i in range(rows):
        offsets[i] = total
        for c in range(count):
            at = start + 6 * c
            word, skip = at // 64, at % 64
            if skip <= 58:
                code = (words[i, word] >> np.uint64(58 - skip)) & np.uint64(63)
            else:
                code = ((words[i, word] << np.uint64(skip - 58))
                        | (words[i, word + 1] >> np.uint64(122 - skip))) & np.uint64(63)
            char = np.uint8(code + 64 if code < 32 else code)
            text[c] = 32 if char == 64 else char
        lo, hi = 0, count
        while lo < hi and text[lo] == 32:
            lo += 1
        while hi > lo and text[hi - 1] == 32:
            hi -= 1
        data[total:total + hi - lo] = text[lo:hi]
        total += hi - lo
        valid[i] = hi > lo
    offsets[rows] = total
    return offsets, data[:total], valid
