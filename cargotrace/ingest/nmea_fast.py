"""Vectorised decoding of the commonest NMEA line: a single-sentence class A or B position report.

Superseded in `read_nmea` by `nmea_columnar` (every stored type, no Python per line); kept for
the tests that check its exact-shape rules (tests/ingest/test_nmea_fast.py,
test_nmea_corruption.py).

Why: 80-95 % of a receiver log is single-part type 1, 2, 3 and 18 messages. Decoding them one
Python object at a time (pyais) caps ingest near pyais's own speed; here a whole chunk of them is
checksummed and bit-unpacked with numpy at once. Only lines that match the exact, common shape
take this path: everything else (multipart, other types, prefixes, suffixes, Gatehouse wrappers,
tag-block groups, any doubt) goes through the pyais path in `nmea.py`, as does any line this path
rejects, so error handling lives in one place. pyais stays the reference: the tests decode random
payloads both ways and require identical values.

Payload armouring (ITU-R M.1371 / IEC 61162-1): each character carries 6 bits; mapping it to the
base64 character of the same value lets the standard base64 decoder pack the bits for us.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pyarrow as pa

from cargotrace.ingest.nmea_lines import (
    MAX_EPOCH_S,
    MAX_TAG_BLOCK_CHARS,
    MAX_TAG_FIELD_CHARS,
    MIN_EPOCH_S,
)
from cargotrace.ingest.records import STAGED_POSITION_SCHEMA

_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_INVALID = b"!"  # not a base64 character, marks a character outside the AIS armour set


def _armour_table() -> bytes:
    table = bytearray(_INVALID * 256)
    for code in range(256):
        if 48 <= code <= 87:
            table[code] = _B64[code - 48]
        elif 96 <= code <= 119:
            table[code] = _B64[code - 56]
    return bytes(table)


_ARMOUR_TO_B64 = _armour_table()
_POSITION_TYPE_CHARS = frozenset(b"123B")  # first payload character of types 1, 2, 3 and 18
_PAYLOAD_CHARS = 28  # 168 bits, the full length of types 1, 2, 3 and 18
# Two hex digits (any case) -> value: a checksum is read and checked in one lookup, and nothing
# that int(x, 16) would also take (' F', '+F', '0_') passes where the checked path's pattern fails.
_HEX = {
    bytes((a, b)): int(bytes((a, b)), 16)
    for a in b"0123456789ABCDEFabcdef" for b in b"0123456789ABCDEFabcdef"
}


@dataclass
class FastBatch:
    """Candidate lines gathered while scanning a chunk, decoded together by `decode`."""

    line_nos: list[int] = field(default_factory=list)
    raws: list[bytes] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)  # between '!' and '*'
    checksums: list[int] = field(default_factory=list)
    tag_bodies: list[bytes] = field(default_factory=list)  # b"" when the line has no tag block
    tag_checksums: list[int] = field(default_factory=list)
    payloads: list[bytes] = field(default_factory=list)
    times_us: list[int] = field(default_factory=list)
    stations: list[str | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.line_nos)


def try_add(batch: FastBatch, line_no: int, line: bytes, default_time: datetime | None) -> bool:
    """Add `line` if it has the exact common shape; False sends it down the pyais path."""
    line = line.rstrip(b"\r\n")
    if not line.isascii():
        return False
    if line[:1] == b"\\":
        tag = _tag_block(line)
        if tag is None:
            return False
        tag_body, tag_checksum, time_us, station, sentence = tag
    elif line[:1] == b"!":
        tag_body, tag_checksum, time_us, station, sentence = b"", 0, None, None, line
    else:
        return False
    if time_us is None:
        if default_time is None:
            return False
        time_us = int(default_time.timestamp() * 1_000_000)
    fields = sentence.split(b",")
    if (
        len(fields) != 7
        or fields[1] != b"1"
        or fields[2] != b"1"
        or not (fields[3] == b"" or fields[3].isdigit())  # pyais rejects other sequence ids
        or len(fields[5]) != _PAYLOAD_CHARS
        or fields[5][0] not in _POSITION_TYPE_CHARS
        or len(fields[6]) != 4
        or fields[6][:2] != b"0*"
        or fields[0][3:] not in (b"VDM", b"VDO")
    ):
        return False
    checksum = _HEX.get(fields[6][2:])
    if checksum is None:
        return False
    batch.line_nos.append(line_no)
    batch.raws.append(line)
    batch.bodies.append(sentence[1:-3])
    batch.checksums.append(checksum)
    batch.tag_bodies.append(tag_body)
    batch.tag_checksums.append(tag_checksum)
    batch.payloads.append(fields[5])
    batch.times_us.append(time_us)
    batch.stations.append(station)
    return True


def _xor_and_unprintable(parts: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """XOR of the bytes of each part (NMEA checksum; 0 for an empty part), and whether the part
    holds a byte outside printable ASCII (a NUL leaves the XOR unchanged, so it needs its own
    check). One pass over the joined bytes serves both."""
    lengths = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
    data = np.frombuffer(b"".join(parts) + b"\x00", dtype=np.uint8)  # so an empty last part
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))  # still has a start in range
    xor = np.where(lengths > 0, np.bitwise_xor.reduceat(data, starts), 0)
    unprintable = (data - np.uint8(0x20)) > 0x5E  # below 0x20 wraps round to 0xE0 and up
    unprintable[-1] = False  # the NUL added above
    bad = np.logical_or.reduceat(unprintable, starts) & (lengths > 0)
    return xor, bad


def _field(bits: np.ndarray, start: int, width: int, signed: bool = False) -> np.ndarray:
    weights = np.left_shift(np.int64(1), np.arange(width - 1, -1, -1, dtype=np.int64))
    value = bits[:, start : start + width].astype(np.int64) @ weights
    if signed:
        value = np.where(value >= 1 << (width - 1), value - (1 << width), value)
    return value


def _lat_lon(raw: np.ndarray) -> np.ndarray:
    """1/10000 minute to degrees, rounded to 6 decimals exactly as pyais does."""
    return ((10 * raw + 3) // 6) / 1e6


def decode(batch: FastBatch) -> tuple[pa.Table, list[int]]:
    """Staged positions for the lines that pass every check, and the indexes of those that don't.

    A rejected line (bad checksum, bad tag block, a character outside the armour set, a NUL or
    other unprintable byte anywhere) is handed back so that the pyais path can quarantine it with
    its precise reason.
    """
    # the rest of a line (checksums, delimiters) has passed `try_add`'s exact-shape checks
    xor, unprintable = _xor_and_unprintable(batch.bodies)
    ok = (xor == np.asarray(batch.checksums)) & ~unprintable
    tag_xor, tag_unprintable = _xor_and_unprintable(batch.tag_bodies)
    # a line without a tag block has b"" and 0 there, which match; `\\*5A\\` does not
    ok &= (tag_xor == np.asarray(batch.tag_checksums)) & ~tag_unprintable
    armoured = b"".join(batch.payloads).translate(_ARMOUR_TO_B64)
    chars = np.frombuffer(armoured, dtype=np.uint8).reshape(len(batch), _PAYLOAD_CHARS)
    ok &= ~(chars == _INVALID[0]).any(axis=1)
    rejected = np.flatnonzero(~ok).tolist()
    keep = np.flatnonzero(ok)
    good = chars[keep].tobytes()
    packed = np.frombuffer(base64.b64decode(good), dtype=np.uint8).reshape(len(keep), 21)
    bits = np.unpackbits(packed, axis=1)
    msg_type = _field(bits, 0, 6)
    class_b = msg_type == 18

    def pick(start: int, width: int, signed: bool = False) -> np.ndarray:
        """A type 1-3 field; type 18 carries the same field 4 bits earlier (from speed on)."""
        return np.where(class_b, _field(bits, start - 4, width, signed),
                        _field(bits, start, width, signed))

    mmsi = _field(bits, 8, 30)
    status = _field(bits, 38, 4)
    table = pa.table(
        {
            "mmsi": pa.array(mmsi, pa.int64()),
            "ts": pa.array(np.asarray(batch.times_us, dtype=np.int64)[keep], pa.int64()).cast(
                STAGED_POSITION_SCHEMA.field("ts").type
            ),
            "lat": pa.array(_lat_lon(pick(89, 27, signed=True))),
            "lon": pa.array(_lat_lon(pick(61, 28, signed=True))),
            "sog": pa.array(pick(50, 10) / 10.0),
            "cog": pa.array(pick(116, 12) / 10.0),
            "heading": pa.array(pick(128, 9), pa.int16()),
            "nav_status": pa.array(status, pa.int8(), mask=class_b),
            "msg_type": pa.array(msg_type, pa.int8()),
            "station": pa.array([batch.stations[i] for i in keep], pa.string()),
            "line_no": pa.array(np.asarray(batch.line_nos, dtype=np.int64)[keep]),
            "raw": pa.array([batch.raws[i] for i in keep], pa.binary()).cast(pa.string()),
        },
        schema=STAGED_POSITION_SCHEMA,
    )
    return table, rejected


def _tag_block(line: bytes) -> tuple[bytes, int, int | None, str | None, bytes] | None:
    """A leading tag block's body, checksum, time (c:, in µs) and station (s:), and the
    sentence after it; None when the checked path must judge the line (bad shape or checksum
    text, a group (g:), a long field, a time that is not Unix seconds or milliseconds)."""
    end = line.find(b"\\", 1)
    star = line.rfind(b"*", 0, end)
    if end < 0 or star < 0 or end - star != 3:
        return None
    tag_body = line[1:star]
    hex_checksum = _HEX.get(line[star + 1 : end])
    if hex_checksum is None or end > MAX_TAG_BLOCK_CHARS + 1:
        return None
    parts = tag_body.split(b",")
    if len(tag_body) > MAX_TAG_FIELD_CHARS and max(map(len, parts)) > MAX_TAG_FIELD_CHARS:
        return None  # a long field (key included): the checked path judges it
    time_us: int | None = None
    station: str | None = None
    for part in parts:
        key = part[:2]
        if key == b"c:":
            time_us = _unix_time_us(part[2:])
            if time_us is None:
                return None
        elif key == b"s:":
            station = part[2:].decode("ascii", "replace")
        elif key == b"g:":
            return None
    return tag_body, hex_checksum, time_us, station, line[end + 1 :]


def _unix_time_us(value: bytes) -> int | None:
    """A c: value in µs: Unix seconds, or milliseconds; in 1990-2100 either way, else None."""
    if not value.isdigit():
        return None
    number = int(value)
    if MIN_EPOCH_S <= number <= MAX_EPOCH_S:
        return number * 1_000_000
    if MIN_EPOCH_S * 1000 <= number <= MAX_EPOCH_S * 1000:
        return number * 1000
    return None
