"""What the decoders of positions and static reports share: the messages of one layout."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from cargotrace.ingest.nmea_columnar.bits import Bits
from cargotrace.store.columns import TS_TYPE


@dataclass
class Messages:
    """Messages of one payload layout with where they came from (one row each)."""

    bits: Bits
    msg_type: np.ndarray  # int64
    time_us: np.ndarray  # int64 receive time
    station: pa.Array  # string
    line_no: np.ndarray  # int64, the first line of the message
    raw: pa.Array  # string, the message's lines joined by '\n'

    def __len__(self) -> int:
        return len(self.msg_type)

    def where_from(self) -> dict[str, pa.Array]:
        return {
            "ts": arrow(self.time_us, pa.int64()).cast(TS_TYPE),
            "station": self.station,
            "line_no": arrow(self.line_no, pa.int64()),
            "raw": self.raw,
        }


_DOUBLE = pa.float64()


def arrow(values: np.ndarray, type_: pa.DataType = _DOUBLE,
          missing: np.ndarray | None = None) -> pa.Array:
    """An Arrow column of a numeric type from numpy values (over a copy in that type), null
    where `missing`. Why not `pa.array`: its first call imports pandas (~0.25 CPU-s per
    process) to check whether the values are a pandas object; building from buffers does not."""
    data = np.ascontiguousarray(values, type_.to_pandas_dtype())
    validity, nulls = None, 0
    if missing is not None and missing.any():
        validity = pa.py_buffer(np.packbits(~missing, bitorder="little"))
        nulls = int(missing.sum())
    return pa.Array.from_buffers(type_, len(data), [validity, pa.py_buffer(data)], nulls)


def nullable(values: np.ndarray, missing: np.ndarray, type_: pa.DataType) -> pa.Array:
    """An Arrow column from numpy values, null where `missing`."""
    return arrow(values, type_, missing)


def bools(values: np.ndarray) -> pa.BooleanArray:
    """A numpy boolean array as Arrow (for `pc.if_else`, which would convert it with `pa.array`
    and import pandas)."""
    packed = pa.py_buffer(np.packbits(values, bitorder="little"))
    result: pa.BooleanArray = pa.Array.from_buffers(pa.bool_(), len(values), [None, packed])
    return result


def as_bools(values: pa.Array) -> np.ndarray:
    """A boolean Arrow array without nulls as numpy (`to_numpy` would import pandas)."""
    bits = np.frombuffer(values.buffers()[1], np.uint8)
    unpacked = np.unpackbits(bits, bitorder="little", count=len(values) + values.offset)
    result: np.ndarray = unpacked[values.offset:].astype(bool)
    return result


def no_text(n: int) -> pa.Array:
    """n null strings (`pa.scalar(None, pa.string())` would import pandas)."""
    return pa.nulls(n, pa.string())


def dimensions(bow: np.ndarray, stern: np.ndarray, port: np.ndarray, starboard: np.ndarray,
               missing: np.ndarray | None = None) -> tuple[pa.Array, pa.Array]:
    """Length and beam as `nmea_decode._dimensions` gives them: the sums, null when 0."""
    length = (bow + stern).astype(np.float64)
    beam = (port + starboard).astype(np.float64)
    absent = np.zeros(len(bow), bool) if missing is None else missing
    return (nullable(length, absent | (length == 0), pa.float64()),
            nullable(beam, absent | (beam == 0), pa.float64()))
