"""Bit layouts of the AIS messages the simulator writes in bulk, as numpy columns.

Types 1/2/3 (class A position), 18 (class B position), 5 (class A static and voyage data) and
24 parts A and B (class B static data), field by field as pyais 3.3 declares them
(`pyais.messages.MessageType1` etc.), with pyais's value conversions reproduced exactly:
lat/lon are `round(v * 600000)` (half to even, like `np.rint`), speed, course and draught are
`int(v * 10)` (truncated), text is 6-bit ASCII padded with '@', and defaults are pyais's
(turn "not available" = -128, manoeuvre 3, EPFD 1 as the writer sets it).

Each `*_fields` function also returns a mask of the rows it cannot reproduce exactly (NaN or
huge numbers, characters outside the 6-bit alphabet, auxiliary-craft MMSIs with their own type
24 layout): the writer sends those rows to pyais itself, so behaviour there is pyais's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pyais.constants import NavigationStatus, ShipType
from pyais.messages import MSG_CLASS
from pyais.util import is_auxiliary_craft

from cargotrace.sim.ais_bits import Field, text_fields

POSITION_TYPES = (1, 2, 3, 18)
MAX_EXACT = 2.0**62  # above this, float -> int64 is no longer what Python's int() gives
TURN_NOT_AVAILABLE = 128  # -128 in 8-bit two's complement
MANEUVER_UNDEFINED = 3
EPFD_GPS = 1  # the writer's "epfd": 1 (pyais default would be 0, undefined)


def _type_code(msg_type: int) -> int:
    """The 6-bit type pyais writes for a message type: its class's `msg_type` default.

    pyais 3.3 writes types 2 and 3 as 1 (their classes inherit type 1's attrs fields): we copy
    what pyais writes, so that pyais stays a byte-for-byte oracle.
    """
    default: int = MSG_CLASS[msg_type].fields()[0].metadata["default"]
    return default


def _zeros(n: int) -> np.ndarray:
    return np.zeros(n, dtype=np.int64)


def _full(n: int, value: int) -> np.ndarray:
    return np.full(n, value, dtype=np.int64)


def _scaled(values: np.ndarray, scale: float, rounded: bool) -> tuple[np.ndarray, np.ndarray]:
    """(int(v * scale) or round(v * scale) as int64, mask of rows where that is not exact)."""
    x = np.asarray(values, dtype=np.float64) * scale
    bad = ~np.isfinite(x) | (np.abs(x) >= MAX_EXACT)
    x = np.where(bad, 0.0, x)
    return (np.rint(x) if rounded else x).astype(np.int64), bad


def _ints(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int(v) of integer or float columns (floats truncate, like Python's int())."""
    arr = np.asarray(values)
    if arr.dtype.kind in "iub":
        return arr.astype(np.int64), np.zeros(arr.size, dtype=bool)
    return _scaled(arr, 1.0, rounded=False)


def _enum_codes(values: np.ndarray, convert: type[NavigationStatus] | type[ShipType]) -> tuple[
    np.ndarray, np.ndarray
]:
    """Codes after pyais's `Enum.from_value` (unknown values fall back as pyais decides)."""
    out = np.asarray(values, dtype=np.int64).copy()
    bad = np.zeros(out.size, dtype=bool)
    for v in np.unique(out):
        try:
            out[out == v] = int(convert.from_value(int(v)))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            bad[out == v] = True
    return out, bad


def position_fields(
    msg_type: np.ndarray,
    mmsi: np.ndarray,
    nav_status: np.ndarray,
    sog_kn: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    cog_deg: np.ndarray,
    heading_deg: np.ndarray,
    second: np.ndarray,
    class_b: bool,
) -> tuple[list[Field], np.ndarray]:
    """Fields of type 1/2/3 (`class_b` False) or type 18 position reports (168 bits)."""
    n = np.asarray(mmsi).size
    speed, bad_speed = _scaled(sog_kn, 10.0, rounded=False)
    x, bad_lon = _scaled(lon, 600000.0, rounded=True)
    y, bad_lat = _scaled(lat, 600000.0, rounded=True)
    course, bad_course = _scaled(cog_deg, 10.0, rounded=False)
    ints = [_ints(v) for v in (msg_type, mmsi, heading_deg, second)]
    (mt, _), (ids, bad_id), (heading, bad_heading), (sec, bad_sec) = ints
    for t in np.unique(mt):
        mt[mt == t] = _type_code(int(t))
    bad = bad_speed | bad_lon | bad_lat | bad_course | bad_id | bad_heading | bad_sec
    motion: list[Field] = [(speed, 10), (_zeros(n), 1), (x, 28), (y, 27), (course, 12),
                           (heading, 9), (sec, 6)]
    if class_b:
        fields: list[Field] = [(_full(n, 18), 6), (_zeros(n), 2), (ids, 30), (_zeros(n), 8),
                               *motion, (_zeros(n), 9), (_zeros(n), 20)]
        return fields, bad
    status, bad_status = _enum_codes(_ints(nav_status)[0], NavigationStatus)
    fields = [(mt, 6), (_zeros(n), 2), (ids, 30), (status, 4), (_full(n, TURN_NOT_AVAILABLE), 8),
              *motion, (_full(n, MANEUVER_UNDEFINED), 2), (_zeros(n), 3), (_zeros(n), 1),
              (_zeros(n), 19)]
    return fields, bad | bad_status


def _dimensions(length_m: np.ndarray, beam_m: np.ndarray) -> list[Field]:
    """to_bow, to_stern, to_port, to_starboard: the writer puts the antenna amidships."""
    length, beam = np.asarray(length_m, np.int64), np.asarray(beam_m, np.int64)
    bow, port = length // 2, beam // 2
    return [(bow, 9), (length - bow, 9), (port, 6), (beam - port, 6)]


def type5_fields(
    mmsi: np.ndarray,
    imo: np.ndarray,
    callsign: Sequence[str],
    name: Sequence[str],
    ship_type: np.ndarray,
    length_m: np.ndarray,
    beam_m: np.ndarray,
    draught_m: np.ndarray,
    destination: Sequence[str],
) -> tuple[list[Field], np.ndarray]:
    """Fields of type 5 static and voyage data (424 bits: two sentences)."""
    n = np.asarray(mmsi).size
    call, bad_call = text_fields(callsign, 7)
    ship, bad_name = text_fields(name, 20)
    dest, bad_dest = text_fields(destination, 20)
    kind, bad_kind = _enum_codes(ship_type, ShipType)
    draught, bad_draught = _scaled(draught_m, 10.0, rounded=False)
    fields: list[Field] = [
        (_full(n, 5), 6), (_zeros(n), 2), (np.asarray(mmsi, np.int64), 30), (_zeros(n), 2),
        (np.asarray(imo, np.int64), 30), *call, *ship, (kind, 8), *_dimensions(length_m, beam_m),
        (_full(n, EPFD_GPS), 4), (_zeros(n), 4), (_zeros(n), 5), (_zeros(n), 5), (_zeros(n), 6),
        (draught, 8), *dest, (_zeros(n), 1), (_zeros(n), 1),
    ]
    return fields, bad_call | bad_name | bad_dest | bad_kind | bad_draught


def type24_fields(
    mmsi: np.ndarray,
    name: Sequence[str],
    ship_type: np.ndarray,
    callsign: Sequence[str],
    length_m: np.ndarray,
    beam_m: np.ndarray,
) -> tuple[list[Field], list[Field], np.ndarray]:
    """Fields of type 24 part A (name) and part B (type, call sign, size): 168 bits each."""
    ids = np.asarray(mmsi, np.int64)
    n = ids.size
    ship, bad_name = text_fields(name, 20)
    call, bad_call = text_fields(callsign, 7)
    aux = np.fromiter((is_auxiliary_craft(int(m)) for m in ids), bool, n)
    part_a: list[Field] = [(_full(n, 24), 6), (_zeros(n), 2), (ids, 30), (_zeros(n), 2), *ship,
                           (_zeros(n), 8)]
    part_b: list[Field] = [
        (_full(n, 24), 6), (_zeros(n), 2), (ids, 30), (_full(n, 1), 2),
        (np.asarray(ship_type, np.int64), 8), (_zeros(n), 18), (_zeros(n), 4), (_zeros(n), 20),
        *call, *_dimensions(length_m, beam_m), (_zeros(n), 6),
    ]
    return part_a, part_b, bad_name | bad_call | aux
