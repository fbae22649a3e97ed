"""Vectorised decoding of the commonest NMEA line: a single-sentence class A or B position report.

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
    tag_body = b""
    tag_checksum = 0
    time_us: int | None = None
    station: str | None = None
    if line[:1] == b"\\":
        end = line.find(b"\\", 1)
        star = line.rfind(b"*", 0, end)
        if end < 0 or star < 0 or end - star != 3:
            return False
        tag_body = line[1:star]
        try:
            tag_checksum = int(line[star + 1 : end], 16)
        except ValueError:
            return False
        for part in tag_body.split(b","):
            key = part[:2]
            if key == b"c:":
                value = part[2:]
                if not value.isdigit():
                    return False
                seconds = int(value)
                time_us = seconds * 1000 if seconds > 4102444800 else seconds * 1_000_000
            elif key == b"s:":
                station = part[2:].decode("ascii", "replace")
            elif key == b"g:":
                return False
        sentence = line[end + 1 :]
    elif line[:1] == b"!":
        sentence = line
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
        or len(fields[5]) != _PAYLOAD_CHARS
        or fields[5][0] not in _POSITION_TYPE_CHARS
        or len(fields[6]) != 4
        or fields[6][:2] != b"0*"
        or fields[0][3:] not in (b"VDM", b"VDO")
    ):
        return False
    try:
        checksum = int(fields[6][2:], 16)
    except ValueError:
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


def _xor_each(parts: list[bytes]) -> np.ndarray:
    """XOR of the bytes of each part (NMEA checksum); 0 for an empty part."""
    lengths = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
    data = np.frombuffer(b"".join(parts) + b"\x00", dtype=np.uint8)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    xor = np.bitwise_xor.reduceat(data, starts)
    return np.where(lengths > 0, xor, 0)


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

    A rejected line (bad checksum, bad tag block, a character outside the armour set) is handed
    back so that the pyais path can quarantine it with its precise reason.
    """
    ok = _xor_each(batch.bodies) == np.asarray(batch.checksums)
    has_tag = np.fromiter((len(t) > 0 for t in batch.tag_bodies), dtype=bool, count=len(batch))
    ok &= ~has_tag | (_xor_each(batch.tag_bodies) == np.asarray(batch.tag_checksums))
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
