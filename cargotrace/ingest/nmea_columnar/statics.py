"""Static and voyage reports decoded column-wise: type 5 (class A, two sentences joined), 19
(class B extended) and 24 parts A and B (class B). Bit layouts: ITU-R M.1371-5,
https://gpsd.gitlab.io/gpsd/AIVDM.html. The stored values are those `nmea_decode.
emit_message` makes of pyais's message; pyais maps some ship type codes (its `ShipType`), so
the same mapping is read from pyais once rather than written again here."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyais.constants import ShipType

from cargotrace.ingest.nmea_columnar.columns import (
    Messages,
    arrow,
    bools,
    dimensions,
    no_text,
    nullable,
)
from cargotrace.ingest.records import STAGED_REPORT_SCHEMA

SHIP_TYPE = np.array([int(ShipType.from_value(code) or 0) for code in range(256)], np.int16)
AUXILIARY_CRAFT = (980_000_000, 989_999_999)  # MMSI 98XXXYYYY: a mothership MMSI, no dimensions

# The numeric fields each decoder reads (first bit, width, signed), for `Bits.prefetch`
VOYAGE_FIELDS = tuple((start, width, False) for start, width in (
    (8, 30), (40, 30), (232, 8), (240, 9), (249, 9), (258, 6), (264, 6), (274, 4), (278, 5),
    (283, 5), (288, 6), (294, 8)))
CLASS_B_EXTENDED_FIELDS = tuple((start, width, False) for start, width in (
    (8, 30), (263, 8), (271, 9), (280, 9), (289, 6), (295, 6)))
STATIC_CLASS_B_FIELDS = tuple((start, width, False) for start, width in (
    (8, 30), (38, 2), (40, 8), (132, 9), (141, 9), (150, 6), (156, 6)))


def voyage(m: Messages) -> pa.Table:
    """Type 5 (424 bits)."""
    b = m.bits
    b.prefetch(VOYAGE_FIELDS)
    length, beam = dimensions(b.uint(240, 9), b.uint(249, 9), b.uint(258, 6), b.uint(264, 6))
    return _table(m, {
        "imo": arrow(b.uint(40, 30), pa.int64()),
        "callsign": b.text(70, 42),
        "name": b.text(112, 120),
        "ship_type": arrow(SHIP_TYPE[b.uint(232, 8)], pa.int16()),
        "length": length,
        "beam": beam,
        "draught": arrow(b.uint(294, 8) / 10.0),
        "destination": b.text(302, 120),
        "eta": _eta(b.uint(274, 4), b.uint(278, 5), b.uint(283, 5), b.uint(288, 6)),
    })


def class_b_extended(m: Messages) -> pa.Table:
    """Type 19 (312 bits): name, ship type and dimensions."""
    b = m.bits
    b.prefetch(CLASS_B_EXTENDED_FIELDS)
    length, beam = dimensions(b.uint(271, 9), b.uint(280, 9), b.uint(289, 6), b.uint(295, 6))
    return _table(m, {
        "name": b.text(143, 120),
        "ship_type": arrow(SHIP_TYPE[b.uint(263, 8)], pa.int16()),
        "length": length,
        "beam": beam,
    })


def static_class_b(m: Messages) -> pa.Table:
    """Type 24 (part A: the name; part B: ship type, call sign and dimensions, except on an
    auxiliary craft, which sends its mothership's MMSI there)."""
    b = m.bits
    b.prefetch(STATIC_CLASS_B_FIELDS)
    mmsi = b.uint(8, 30)
    part_a = b.uint(38, 2) == 0
    auxiliary = (mmsi >= AUXILIARY_CRAFT[0]) & (mmsi <= AUXILIARY_CRAFT[1])
    length, beam = dimensions(b.uint(132, 9), b.uint(141, 9), b.uint(150, 6), b.uint(156, 6),
                              missing=part_a | auxiliary)
    nothing = no_text(len(m))
    return _table(m, {
        "name": pc.if_else(bools(part_a), b.text(40, 120), nothing),
        "callsign": pc.if_else(bools(part_a), nothing, b.text(90, 42)),
        "ship_type": nullable(b.uint(40, 8), part_a, pa.int16()),
        "length": length,
        "beam": beam,
    })


def _eta(month: np.ndarray, day: np.ndarray, hour: np.ndarray, minute: np.ndarray) -> pa.Array:
    """'MM-DD HH:MM' (AIS carries no year); null when not a possible date and time."""
    valid = (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31) & (hour <= 23) & (minute <= 59)
    text = np.empty((len(month), 11), np.uint8)
    for at, value in ((0, month), (3, day), (6, hour), (9, minute)):
        text[:, at] = value // 10 % 10 + 48
        text[:, at + 1] = value % 10 + 48
    text[:, 2], text[:, 5], text[:, 8] = ord("-"), ord(" "), ord(":")
    fixed = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(11), len(month), [None, pa.py_buffer(text.tobytes())]
    )
    text_ = fixed.cast(pa.binary()).cast(pa.string())
    return pc.if_else(bools(valid), text_, no_text(len(month)))


def _table(m: Messages, values: dict[str, pa.Array]) -> pa.Table:
    mmsi = arrow(m.bits.uint(8, 30), pa.int64())
    msg_type = arrow(m.msg_type, pa.int8())
    columns = {**values, **m.where_from(), "mmsi": mmsi, "msg_type": msg_type}
    n = len(m)
    return pa.table(
        {f.name: columns.get(f.name, pa.nulls(n, f.type)) for f in STAGED_REPORT_SCHEMA},
        schema=STAGED_REPORT_SCHEMA,
    )
