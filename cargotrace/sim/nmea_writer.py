"""Write positions and static reports as real NMEA 0183 lines, encoded with pyais.

Generated data goes through the same ingest path as a receiver log: each line carries an NMEA 4.0
tag block with the receive time (`c:`) and receiving station (`s:`), and multipart messages share
a sequence id, as real receivers write them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pyais.encode import encode_dict

from cargotrace.ingest.nmea_lines import nmea_checksum


@dataclass(frozen=True)
class PositionReport:
    mmsi: int
    ts: datetime
    lat: float
    lon: float
    sog_kn: float
    cog_deg: float
    heading_deg: int = 511
    nav_status: int = 0
    msg_type: int = 1
    station: str | None = None


@dataclass(frozen=True)
class StaticReport:
    mmsi: int
    ts: datetime
    name: str
    imo: int = 0
    callsign: str = ""
    ship_type: int = 0
    length_m: int = 0
    beam_m: int = 0
    draught_m: float = 0.0
    destination: str = ""
    msg_type: int = 5  # 5 (class A) or 24 (class B, sent as parts A and B)
    station: str | None = None


def tag_block(ts: datetime, station: str) -> str:
    body = f"s:{station},c:{int(ts.timestamp())}"
    return f"\\{body}*{nmea_checksum(body.encode()):02X}\\"


def _position_dict(p: PositionReport) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": p.msg_type, "mmsi": p.mmsi, "lat": p.lat, "lon": p.lon,
        "speed": p.sog_kn, "course": p.cog_deg, "heading": p.heading_deg,
        "second": p.ts.second,
    }
    if p.msg_type in (1, 2, 3):
        doc["status"] = p.nav_status
    return doc


def _static_dicts(s: StaticReport) -> list[dict[str, Any]]:
    bow = s.length_m // 2
    port = s.beam_m // 2
    if s.msg_type == 24:
        return [
            {"type": 24, "mmsi": s.mmsi, "partno": 0, "shipname": s.name},
            {"type": 24, "mmsi": s.mmsi, "partno": 1, "ship_type": s.ship_type,
             "callsign": s.callsign, "to_bow": bow, "to_stern": s.length_m - bow,
             "to_port": port, "to_starboard": s.beam_m - port},
        ]
    return [{
        "type": 5, "mmsi": s.mmsi, "imo": s.imo, "callsign": s.callsign, "shipname": s.name,
        "ship_type": s.ship_type, "to_bow": bow, "to_stern": s.length_m - bow, "to_port": port,
        "to_starboard": s.beam_m - port, "draught": s.draught_m, "destination": s.destination,
        "epfd": 1,
    }]


def encode_reports(
    reports: Iterable[PositionReport | StaticReport], station: str = "cargotrace-sim"
) -> Iterator[str]:
    """NMEA lines (without newline) for each report, each behind a tag block."""
    seq = 0
    for report in reports:
        if isinstance(report, PositionReport):
            sentences = encode_dict(_position_dict(report), talker_id="AI", sentence_type="VDM")
        else:
            sentences = []
            for doc in _static_dicts(report):
                seq = seq % 9 + 1
                sentences += encode_dict(
                    doc, talker_id="AI", sentence_type="VDM", radio_channel="B", seq_id=seq
                )
        prefix = tag_block(report.ts, report.station or station)
        for sentence in sentences:
            yield prefix + sentence
