"""Vectorised AIS payload encoding: bit packing, 6-bit ASCII armouring, NMEA framing, tag blocks.

Why: encoding one message at a time with pyais runs at ~11k messages/s, which made writing a
month of simulated NMEA take longer than simulating it. Here every step works on whole columns
(one numpy operation per field, not per message), and the result is byte-identical to
`pyais.encode.encode_dict` for the same values; pyais stays the oracle in the tests.

A message is a list of fields `(values, width_bits)` packed most significant bit first, as the
ITU-R M.1371 bit layouts (and pyais's `Payload.to_bytes`) do: each value is cut to its width in
two's complement, so negative and out-of-range values wrap exactly as pyais wraps them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pyais.util import SIX_BIT_ENCODING

WORD_BITS = 60  # ten 6-bit characters per uint64 word
SENTENCE_CHARS = 60  # payload characters per NMEA sentence, as pyais splits them
ARMOUR = np.array([v + 48 if v < 40 else v + 56 for v in range(64)], dtype=np.uint8)
HEX_DIGITS = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)

Field = tuple[np.ndarray, int]  # (integer values, width in bits)


def pack_six_bit(fields: Sequence[Field], n: int) -> tuple[np.ndarray, int]:
    """(n, characters) array of 6-bit values, and the fill bits that pad the last character."""
    total = sum(width for _, width in fields)
    n_chars = -(-total // 6)
    words = np.zeros((-(-n_chars // 10), n), dtype=np.uint64)
    start = 0
    for values, width in fields:
        v = (np.asarray(values).astype(np.int64) & ((1 << width) - 1)).astype(np.uint64)
        end = start + width
        pos = start
        while pos < end:  # a field may straddle two words
            word = pos // WORD_BITS
            hi = min(end, (word + 1) * WORD_BITS)
            part = (v >> np.uint64(end - hi)) & np.uint64((1 << (hi - pos)) - 1)
            words[word] |= part << np.uint64((word + 1) * WORD_BITS - hi)
            pos = hi
        start = end
    six = np.empty((n, n_chars), dtype=np.uint8)
    for c in range(n_chars):
        word, k = divmod(c, 10)
        six[:, c] = (words[word] >> np.uint64(54 - 6 * k)) & np.uint64(63)
    return six, (6 - total % 6) % 6


def text_fields(values: Sequence[str], n_chars: int) -> tuple[list[Field], np.ndarray]:
    """A text field as `n_chars` 6-bit fields, padded with '@' and cut as pyais does.

    Returns the fields and a mask of the rows pyais cannot encode (a character outside the AIS
    6-bit alphabet); callers hand those rows to pyais, which raises its own error for them.
    """
    uniques: dict[str, int] = {}
    index = np.fromiter(
        (uniques.setdefault(s, len(uniques)) for s in values), np.int64, len(values)
    )
    table = np.zeros((max(len(uniques), 1), n_chars), dtype=np.int64)
    bad = np.zeros(max(len(uniques), 1), dtype=bool)
    for s, i in uniques.items():
        try:
            table[i] = [SIX_BIT_ENCODING[ch.upper()] for ch in (s + "@" * n_chars)[:n_chars]]
        except KeyError:
            bad[i] = True
    codes = table[index]
    return [(codes[:, j], 6) for j in range(n_chars)], bad[index]


def xor_columns(mat: np.ndarray) -> np.ndarray:
    """NMEA checksum (XOR of all bytes) of each row."""
    if mat.shape[1] == 0:
        return np.zeros(mat.shape[0], dtype=np.uint8)
    out: np.ndarray = np.bitwise_xor.reduce(mat, axis=1)
    return out


def _hex2(checksum: np.ndarray) -> np.ndarray:
    return np.stack([HEX_DIGITS[checksum >> 4], HEX_DIGITS[checksum & 15]], axis=1)


def _const(text: bytes, n: int) -> np.ndarray:
    return np.broadcast_to(np.frombuffer(text, dtype=np.uint8), (n, len(text)))


def sentences(
    six: np.ndarray, fill_bits: int, channel: str, seq_id: np.ndarray | None = None
) -> list[np.ndarray]:
    """One (n, width) ASCII array per fragment: `!AIVDM,count,number,seq,channel,payload,fill*CS`.

    As in pyais: 60 characters a fragment, fill bits only on the last one, and the sequence id
    written only when there is more than one fragment (`seq_id` is a digit 0-9 per row).
    """
    n, n_chars = six.shape
    payload = ARMOUR[six]
    count = max(1, -(-n_chars // SENTENCE_CHARS))
    out = []
    for number in range(1, count + 1):
        chunk = payload[:, (number - 1) * SENTENCE_CHARS : number * SENTENCE_CHARS]
        if count > 1:
            seq = (np.zeros(n, np.uint8) if seq_id is None else seq_id.astype(np.uint8)) + 48
            head = [_const(f"AIVDM,{count},{number},".encode(), n), seq[:, None],
                    _const(f",{channel},".encode(), n)]
        else:
            head = [_const(f"AIVDM,1,1,,{channel},".encode(), n)]
        fill = fill_bits if number == count else 0
        body = np.concatenate([*head, chunk, _const(f",{fill}".encode(), n)], axis=1)
        out.append(np.concatenate(
            [_const(b"!", n), body, _const(b"*", n), _hex2(xor_columns(body))], axis=1
        ))
    return out


def epoch_seconds(ts_us: np.ndarray) -> np.ndarray:
    """`int(datetime.timestamp())` for times in microseconds since 1970 (exact below 2**53 us)."""
    return np.trunc(np.asarray(ts_us, dtype=np.int64).astype(np.float64) / 1e6).astype(np.int64)


def _digits(values: np.ndarray, n_digits: int) -> np.ndarray:
    powers = 10 ** np.arange(n_digits - 1, -1, -1, dtype=np.int64)
    digits: np.ndarray = ((np.abs(values)[:, None] // powers) % 10 + 48).astype(np.uint8)
    return digits


def tagged_lines(
    station_code: np.ndarray, stations: Sequence[str], ts_us: np.ndarray, body: np.ndarray
) -> np.ndarray:
    """Each row of `body` behind its tag block `\\s:station,c:epoch*CS\\`, as bytes objects.

    Rows are grouped by station and by the length of the epoch, so each group is one fixed-width
    array; the result is an object array of `bytes` lines (no newline), in the input order.
    """
    epoch = epoch_seconds(ts_us)
    n_digits = np.where(epoch < 0, 1, 0) + _n_digits(epoch)  # characters, with the sign
    out = np.empty(body.shape[0], dtype=object)
    code = np.asarray(station_code, dtype=np.int64)
    keys = code * 32 + n_digits
    for key in np.unique(keys):
        rows = np.flatnonzero(keys == key)
        m, station, nd = rows.size, stations[int(key) // 32], int(key) % 32
        e = epoch[rows]
        negative = e < 0
        digits = _digits(e, nd - int(negative[0]))
        if negative[0]:
            digits = np.concatenate([_const(b"-", m), digits], axis=1)
        tag = np.concatenate([_const(f"s:{station},c:".encode("ascii"), m), digits], axis=1)
        line = np.concatenate(
            [_const(b"\\", m), tag, _const(b"*", m), _hex2(xor_columns(tag)), _const(b"\\", m),
             body[rows]], axis=1
        )
        out[rows] = np.ascontiguousarray(line).view(f"S{line.shape[1]}").ravel()
    return out


def _n_digits(values: np.ndarray) -> np.ndarray:
    """Decimal digits of |v| (1 for 0)."""
    a = np.abs(values)
    n = np.ones(a.size, dtype=np.int64)
    for k in range(1, 19):
        n += a >= 10**k
    return n
