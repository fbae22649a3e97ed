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
            "ts": pa.array(self.time_us, pa.int64()).cast(TS_TYPE),
            "station": self.station,
            "line_no": pa.array(self.line_no, pa.int64()),
            "raw": self.raw,
        }


def nullable(values: np.ndarray, missing: np.ndarray, type_: pa.DataType) -> pa.Array:
    """An Arrow column from numpy values, null where `missing`."""
    return pa.array(values, type_, mask=missing if missing.any() else None)


def dimensions(bow: np.ndarray, stern: np.ndarray, port: np.ndarray, starboard: np.ndarray,
               missing: np.ndarray | None = None) -> tuple[pa.Array, pa.Array]:
    """Length and beam as `nmea_decode._dimensions` gives them: the sums, null when 0."""
    length = (bow + stern).astype(np.float64)
    beam = (port + starboard).astype(np.float64)
    absent = np.zeros(len(bow), bool) if missing is None else missing
    return (nullable(length, absent | (length == 0), pa.float64()),
            nullable(beam, absent | (beam == 0), pa.float64()))
