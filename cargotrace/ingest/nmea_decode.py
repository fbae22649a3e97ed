"""From a decoded pyais message to staged position and vessel-report rows.

Which message types carry what (ITU-R M.1371-5, https://gpsd.gitlab.io/gpsd/AIVDM.html):
positions come from types 1, 2, 3 (class A), 18, 19 (class B) and 27 (long-range, satellite);
static and voyage data from 5 (class A), 24 (class B, in two parts) and 19.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the table readers read the type sets below without pyarrow (issue 16)
    from cargotrace.ingest.records import ChunkBuilder

POSITION_TYPES = frozenset({1, 2, 3, 18, 19, 27})
REPORT_TYPES = frozenset({5, 19, 24})

# Fewest payload bits that hold every field we store, per type. Type 5 is often sent 2 bits short
# of its nominal 424 (the last bits are spare), so 420 is accepted.
_MIN_BITS = {1: 168, 2: 168, 3: 168, 18: 168, 19: 312, 27: 96, 5: 420}
_MIN_BITS_24 = {0: 160, 1: 162}  # part A (name), part B (type, call sign, dimensions)


def min_bits(msg_type: int, sentence: Any) -> int:
    if msg_type == 24:
        part = sentence.bv.get(38, 2) if len(sentence.payload) * 6 >= 40 else 0
        return _MIN_BITS_24.get(part, 160)
    return _MIN_BITS[msg_type]


def _text(value: Any) -> str | None:
    """AIS six-bit text: '@' is padding; blank means not available."""
    if not isinstance(value, str):
        return None
    cleaned = value.replace("@", " ").strip()
    return cleaned or None


def _eta(message: Any) -> str | None:
    """ETA as 'MM-DD HH:MM' (AIS carries no year); None when not available."""
    month, day = message.month, message.day
    hour, minute = message.hour, message.minute
    if not (1 <= month <= 12 and 1 <= day <= 31) or hour > 23 or minute > 59:
        return None
    return f"{month:02d}-{day:02d} {hour:02d}:{minute:02d}"


def _dimensions(message: Any) -> tuple[float | None, float | None]:
    length = (message.to_bow or 0) + (message.to_stern or 0)
    beam = (message.to_port or 0) + (message.to_starboard or 0)
    return (float(length) or None, float(beam) or None)


def emit_message(
    out: ChunkBuilder,
    message: Any,
    time: datetime,
    station: str | None,
    line_no: int,
    raw: str,
) -> None:
    """Append the rows one decoded message yields (type 19 yields both a position and a report)."""
    msg_type = int(message.msg_type)
    if msg_type in POSITION_TYPES:
        _emit_position(out, message, msg_type, time, station, line_no, raw)
    if msg_type in REPORT_TYPES:
        _emit_report(out, message, msg_type, time, station, line_no, raw)


def _emit_position(
    out: ChunkBuilder, m: Any, msg_type: int, time: datetime, station: str | None,
    line_no: int, raw: str,
) -> None:
    if msg_type == 27:
        # long-range broadcast: whole knots (63 = n/a) and whole degrees (511 = n/a)
        sog = None if m.speed == 63 else float(m.speed)
        cog = None if m.course == 511 else float(m.course)
        heading = None
    else:
        sog, cog, heading = m.speed, m.course, m.heading
    status = getattr(m, "status", None)
    out.add_position(
        mmsi=m.mmsi,
        ts=time,
        lat=m.lat,
        lon=m.lon,
        sog=sog,
        cog=cog,
        heading=heading,
        nav_status=int(status) if status is not None else None,
        msg_type=msg_type,
        station=station,
        line_no=line_no,
        raw=raw,
    )


def _emit_report(
    out: ChunkBuilder, m: Any, msg_type: int, time: datetime, station: str | None,
    line_no: int, raw: str,
) -> None:
    values: dict[str, Any] = {"mmsi": m.mmsi, "ts": time, "msg_type": msg_type, "station": station}
    if msg_type == 5:
        length, beam = _dimensions(m)
        values.update(
            imo=m.imo, name=_text(m.shipname), callsign=_text(m.callsign),
            ship_type=int(m.ship_type), length=length, beam=beam,
            draught=float(m.draught), destination=_text(m.destination), eta=_eta(m),
        )
    elif msg_type == 19:
        length, beam = _dimensions(m)
        values.update(
            name=_text(m.shipname), ship_type=int(m.ship_type), length=length, beam=beam
        )
    elif m.partno == 0:  # type 24 part A
        values.update(name=_text(m.shipname))
    else:  # type 24 part B; auxiliary craft carry a mothership MMSI instead of dimensions
        values.update(callsign=_text(m.callsign), ship_type=int(m.ship_type))
        if getattr(m, "to_bow", None) is not None:
            values["length"], values["beam"] = _dimensions(m)
    out.add_report(line_no=line_no, raw=raw, **values)
