"""Six-bit AIS payloads as bit fields, a whole column of messages at a time.

Payload armouring (ITU-R M.1371-5, IEC 61162-1): each character carries 6 bits (ASCII 48-87 are
values 0-39, 96-119 are 40-63). Four characters are three bytes, so a matrix of equal-length
payloads becomes a matrix of bytes with a few shifts, and any field of at most 57 bits is then
read for every row at once from at most 8 bytes. pyais reads the same fields one message and
one Python call at a time; the tests require identical values.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


class Compiled(Protocol):
    """What `Bits` uses of the compiled kernels (`compiled`) when the payloads came from them."""

    def fields(self, words: np.ndarray, spec: np.ndarray) -> np.ndarray: ...
    def text(self, words: np.ndarray, start: int, count: int) -> pa.StringArray: ...


_SIX_BIT = np.array([(c - 48 if c < 96 else c - 56) & 63 for c in range(256)], np.uint8)


def byte_windows(arr: np.ndarray, start: np.ndarray, width: int, fill: int) -> np.ndarray:
    """arr[start[i]:start[i]+width] for each i as a matrix, `fill` past the end of `arr`
    (without copying `arr` to pad it: only the last lines of a block can reach its end)."""
    out = np.full((len(start), width), fill, np.uint8)
    inside = start + width <= len(arr)
    if inside.any():
        out[inside] = np.lib.stride_tricks.sliding_window_view(arr, width)[start[inside]]
    for i in np.flatnonzero(~inside).tolist():
        tail = arr[start[i] :]
        out[i, : len(tail)] = tail
    return out


def sixbit_values(chars: np.ndarray) -> np.ndarray:
    """Armoured payload characters (uint8 matrix, already checked to be in the armour set) to
    their 6-bit values."""
    values: np.ndarray = _SIX_BIT[chars]
    return values


def pack(values: np.ndarray) -> np.ndarray:
    """Rows of 6-bit values to rows of bytes (big-endian bit order, zero-padded at the end)."""
    rows, width = values.shape
    padded = width + (-width % 4)
    if padded != width:
        values = np.concatenate([values, np.zeros((rows, padded - width), np.uint8)], axis=1)
    quads = values.reshape(rows, padded // 4, 4).astype(np.uint8)
    a, b, c, d = quads[:, :, 0], quads[:, :, 1], quads[:, :, 2], quads[:, :, 3]
    out = np.empty((rows, padded // 4, 3), np.uint8)
    out[:, :, 0] = (a << 2) | (b >> 4)
    out[:, :, 1] = ((b & 0x0F) << 4) | (c >> 2)
    out[:, :, 2] = ((c & 0x03) << 6) | d
    return out.reshape(rows, -1)


class Bits:
    """Fields of a column of messages of one layout; `packed` is one row of bytes per message."""

    def __init__(self, packed: np.ndarray) -> None:
        rows, width = packed.shape
        words = np.zeros((rows, width // 8 + 2), ">u8")  # a spare word: a field may end at the end
        words.view(np.uint8)[:, :width] = packed
        self.words = words.astype(np.uint64)  # native order, for the shifts
        self.rows: int = rows
        self.kernels: Compiled | None = None
        self.known: dict[tuple[int, int, bool], np.ndarray] = {}

    @classmethod
    def from_chars(cls, chars: np.ndarray) -> Bits:
        return cls(pack(sixbit_values(chars)))

    @classmethod
    def from_words(cls, words: np.ndarray, kernels: Compiled | None = None) -> Bits:
        """From rows of 64-bit words already in native order (`compiled.payload_words`);
        `kernels`: read many fields, and texts, in one compiled pass each."""
        bits = cls.__new__(cls)
        bits.words, bits.rows = words, len(words)
        bits.kernels, bits.known = kernels, {}
        return bits

    def prefetch(self, spec: tuple[tuple[int, int, bool], ...]) -> None:
        """Read these fields (first bit, width, signed) of every message at once, when a
        compiled reader is at hand; `uint` and `sint` then return them without a numpy pass.
        Without one, nothing happens: each field is read when asked, with the same values."""
        if self.kernels is None or not self.rows:
            return
        values = self.kernels.fields(self.words, np.array(spec, np.int64).reshape(-1, 3))
        self.known.update(zip(spec, values, strict=True))

    def __len__(self) -> int:
        return self.rows

    def uint(self, start: int, width: int) -> np.ndarray:
        """Unsigned field of `width` bits at bit `start`, as int64 (width <= 64)."""
        known = self.known.get((start, width, False))
        if known is not None:
            return known
        word, skip = divmod(start, 64)
        mask = np.uint64((1 << width) - 1)
        if skip + width <= 64:
            value = self.words[:, word] >> np.uint64(64 - skip - width)
        else:  # across two words
            spill = skip + width - 64
            value = (self.words[:, word] << np.uint64(spill)) | (
                self.words[:, word + 1] >> np.uint64(64 - spill))
        result: np.ndarray = (value & mask).astype(np.int64)
        return result

    def sint(self, start: int, width: int) -> np.ndarray:
        """Two's-complement signed field."""
        known = self.known.get((start, width, True))
        if known is not None:
            return known
        value = self.uint(start, width)
        return np.where(value >= 1 << (width - 1), value - (1 << width), value)

    def six_bit_codes(self, start: int, count: int) -> np.ndarray:
        """`count` consecutive 6-bit fields from bit `start`, as an int64 matrix (rows, count),
        read for every field at once (numpy defines a shift by 64 as 0)."""
        at = start + 6 * np.arange(count)
        word = at // 64
        skip = (at % 64).astype(np.uint64)
        joined = (self.words[:, word] << skip) | (self.words[:, word + 1] >> (np.uint64(64) - skip))
        codes: np.ndarray = (joined >> np.uint64(58)).astype(np.int64)
        return codes

    def text(self, start: int, width: int) -> pa.Array:
        """Six-bit text as cargotrace stores it: '@' is padding (pyais strips trailing '@' and
        blanks; the store then reads any '@' left as a blank), blanks trimmed, empty -> null."""
        count = width // 6
        if self.kernels is not None:
            return self.kernels.text(self.words, start, count)
        codes = self.six_bit_codes(start, count)
        ascii_ = np.where(codes < 32, codes + 64, codes).astype(np.uint8)
        ascii_[ascii_ == ord("@")] = ord(" ")
        fixed = pa.FixedSizeBinaryArray.from_buffers(
            pa.binary(count), len(self), [None, pa.py_buffer(ascii_.tobytes())]
        )
        trimmed = pc.utf8_trim(fixed.cast(pa.binary()).cast(pa.string()), " ")
        return pc.if_else(pc.equal(trimmed, ""), pa.nulls(len(self), pa.string()), trimmed)


def lat_lon(raw: np.ndarray, tenths_of_minute: bool = False) -> np.ndarray:
    """A coordinate in 1/10000 minute (1/10 minute for type 27) as degrees rounded to 6
    decimals exactly as pyais does: round(v / 600000, 6) is the nearest integer to 5v/3
    (never a tie) divided by 1e6, and IEEE division rounds that correctly."""
    if tenths_of_minute:
        return ((10_000 * raw + 3) // 6) / 1e6
    return ((10 * raw + 3) // 6) / 1e6
