"""Python lists of plain values as Arrow columns, without importing pandas.

Why: `pa.array` and `pa.table` over Python objects import pandas at their first call (to ask
whether the values are a pandas object): ~0.25 CPU-s per process, more than decoding a
75 MB NMEA feed spends on anything else but its scan. A reader that decodes nearly every
line in bulk still adds a handful of records one by one (a message pyais reads), so the
first chunk would pay it. The types here are those of the staged tables (`records`); a value
of any other Python type, or out of its column's range, goes to `pa.array` as before, so the
values stored and the errors raised do not change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INTEGERS = {pa.int8(): np.int8, pa.int16(): np.int16, pa.int32(): np.int32,
             pa.int64(): np.int64}


def table(columns: dict[str, list[Any]], schema: pa.Schema) -> pa.Table:
    """`pa.table(columns, schema=schema)` for lists of plain values."""
    return pa.table([column(columns[f.name], f.type) for f in schema], schema=schema)


def column(values: list[Any], type_: pa.DataType) -> pa.Array:
    """`pa.array(values, type_)`, built from buffers when every value is of the plain Python
    type the column takes (or None)."""
    try:
        built = _from_buffers(values, type_)
    except (OverflowError, ValueError):  # out of the type's range: pa.array says how
        built = None
    return pa.array(values, type_) if built is None else built


def scalar(value: Any, type_: pa.DataType) -> pa.Scalar:
    """`pa.scalar(value, type_)` without importing pandas (it does, as `pa.array` does, and so
    does a Python number handed to a pyarrow.compute function)."""
    return column([value], type_)[0]


def from_micros(micros: int) -> datetime:
    """A UTC time from microseconds since the epoch (`.as_py()` of a timestamp scalar imports
    pandas; of an int64 it does not)."""
    return _EPOCH + timedelta(microseconds=micros)


def _from_buffers(values: list[Any], type_: pa.DataType) -> pa.Array | None:
    missing = np.fromiter((v is None for v in values), bool, len(values))
    present = [v for v in values if v is not None]
    if pa.types.is_string(type_):
        if not all(type(v) is str for v in present):
            return None
        encoded = [b"" if v is None else v.encode() for v in values]
        offsets = np.zeros(len(values) + 1, np.int32)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        buffers = [pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    elif type_ in _INTEGERS or pa.types.is_float64(type_):
        kinds = (int,) if type_ in _INTEGERS else (int, float)
        if not all(type(v) in kinds for v in present):
            return None
        dtype = _INTEGERS.get(type_, np.float64)
        data = np.array([0 if v is None else v for v in values], dtype)
        buffers = [pa.py_buffer(data)]
    elif pa.types.is_timestamp(type_) and type_.unit == "us":
        if not all(type(v) is datetime for v in present):
            return None
        data = np.array([0 if v is None else _micros(v) for v in values], np.int64)
        buffers = [pa.py_buffer(data)]
    else:
        return None
    validity = None
    if missing.any():
        validity = pa.py_buffer(np.packbits(~missing, bitorder="little"))
    return pa.Array.from_buffers(type_, len(values), [validity, *buffers], int(missing.sum()))


def _micros(value: datetime) -> int:
    """As `pa.array` stores a datetime: an aware one in UTC, a naive one as it reads."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return (aware - _EPOCH) // timedelta(microseconds=1)
