"""Position reports decoded column-wise: types 1, 2, 3 (class A), 18, 19 (class B), 27 (long
range). Bit layouts: ITU-R M.1371-5, https://gpsd.gitlab.io/gpsd/AIVDM.html. The stored values
are those `nmea_decode.emit_message` makes of pyais's message (tests check every field)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cargotrace.ingest.nmea_columnar.bits import lat_lon
from cargotrace.ingest.nmea_columnar.columns import Messages, arrow, nullable
from cargotrace.ingest.records import STAGED_POSITION_SCHEMA

NO_SPEED_27, NO_COURSE_27 = 63, 511  # type 27's "not available" (whole knots and degrees)

# The fields each decoder reads (first bit, width, signed), read in one pass by `Bits.prefetch`
# on the compiled path; a field missing here is still read right, only by numpy.
CLASS_A_B_FIELDS = (
    (8, 30, False), (38, 4, False), (89, 27, True), (85, 27, True), (61, 28, True),
    (57, 28, True), (50, 10, False), (46, 10, False), (116, 12, False), (112, 12, False),
    (128, 9, False), (124, 9, False),
)
CLASS_B_EXTENDED_FIELDS = (
    (8, 30, False), (85, 27, True), (57, 28, True), (46, 10, False), (112, 12, False),
    (124, 9, False),
)
LONG_RANGE_FIELDS = (
    (8, 30, False), (40, 4, False), (62, 17, True), (44, 18, True), (79, 6, False),
    (85, 9, False),
)


def class_a_b(m: Messages) -> pa.Table:
    """Types 1, 2, 3 and 18 (168 bits): type 18 has the same fields 4 bits earlier from speed on,
    and no navigational status."""
    b = m.bits
    b.prefetch(CLASS_A_B_FIELDS)
    class_b = m.msg_type == 18

    def pick(start: int, width: int, signed: bool = False) -> np.ndarray:
        read = b.sint if signed else b.uint
        return np.where(class_b, read(start - 4, width), read(start, width))

    return _table(m, {
        "mmsi": arrow(b.uint(8, 30), pa.int64()),
        "lat": arrow(lat_lon(pick(89, 27, signed=True))),
        "lon": arrow(lat_lon(pick(61, 28, signed=True))),
        "sog": arrow(pick(50, 10) / 10.0),
        "cog": arrow(pick(116, 12) / 10.0),
        "heading": arrow(pick(128, 9), pa.int16()),
        "nav_status": nullable(b.uint(38, 4), class_b, pa.int8()),
    })


def class_b_extended(m: Messages) -> pa.Table:
    """Type 19 (312 bits): type 18's position fields, no status."""
    b = m.bits
    b.prefetch(CLASS_B_EXTENDED_FIELDS)
    return _table(m, {
        "mmsi": arrow(b.uint(8, 30), pa.int64()),
        "lat": arrow(lat_lon(b.sint(85, 27))),
        "lon": arrow(lat_lon(b.sint(57, 28))),
        "sog": arrow(b.uint(46, 10) / 10.0),
        "cog": arrow(b.uint(112, 12) / 10.0),
        "heading": arrow(b.uint(124, 9), pa.int16()),
        "nav_status": pa.nulls(len(m), pa.int8()),
    })


def long_range(m: Messages) -> pa.Table:
    """Type 27 (96 bits): 1/10 minute coordinates, whole knots and degrees, no heading."""
    b = m.bits
    b.prefetch(LONG_RANGE_FIELDS)
    speed, course = b.uint(79, 6), b.uint(85, 9)
    return _table(m, {
        "mmsi": arrow(b.uint(8, 30), pa.int64()),
        "lat": arrow(lat_lon(b.sint(62, 17), tenths_of_minute=True)),
        "lon": arrow(lat_lon(b.sint(44, 18), tenths_of_minute=True)),
        "sog": nullable(speed.astype(np.float64), speed == NO_SPEED_27, pa.float64()),
        "cog": nullable(course.astype(np.float64), course == NO_COURSE_27, pa.float64()),
        "heading": pa.nulls(len(m), pa.int16()),
        "nav_status": arrow(b.uint(40, 4), pa.int8()),
    })


def _table(m: Messages, values: dict[str, pa.Array]) -> pa.Table:
    columns = {**values, **m.where_from(), "msg_type": arrow(m.msg_type, pa.int8())}
    return pa.table({name: columns[name] for name in STAGED_POSITION_SCHEMA.names},
                    schema=STAGED_POSITION_SCHEMA)
