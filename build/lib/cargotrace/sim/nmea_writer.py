"""Write positions and static reports as real NMEA 0183 lines, byte-identical to pyais's encoder.

Generated data goes through the same ingest path as a receiver log: each line carries an NMEA 4.0
tag block with the receive time (`c:`) and receiving station (`s:`), and multipart messages share
a sequence id, as real receivers write them.

Why columns: a month of simulated traffic is ~800k messages, and `pyais.encode.encode_dict` does
~11k a second. `encode_columns` encodes whole columns with numpy (`ais_bits`, `ais_messages`)
and gives the same bytes as `encode_dict` would; the rows it cannot reproduce exactly (see
`ais_messages`) and message types it does not know go through `encode_dict` itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

import numpy as np
from pyais.encode import encode_dict

from cargotrace.ingest.nmea_lines import nmea_checksum
from cargotrace.sim.ais_bits import Field, epoch_seconds, pack_six_bit, sentences, tagged_lines
from cargotrace.sim.ais_messages import (
    POSITION_TYPES,
    position_fields,
    type5_fields,
    type24_fields,
)

DEFAULT_STATION = "cargotrace-sim"
BATCH = 50_000  # records encoded at a time by `encode_reports`
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


@dataclass(frozen=True)
class PositionColumns:
    """Position reports as equal-length columns (`station` indexes the station names)."""

    mmsi: np.ndarray
    ts_us: np.ndarray  # receive time, microseconds since 1970 (UTC)
    lat: np.ndarray
    lon: np.ndarray
    sog_kn: np.ndarray
    cog_deg: np.ndarray
    heading_deg: np.ndarray  # 511: not available
    nav_status: np.ndarray  # not sent in type 18
    msg_type: np.ndarray  # 1, 2, 3 or 18 (others go through pyais)
    station: np.ndarray
    second: np.ndarray | None = None  # the UTC second of `ts_us` unless given (e.g. 60-63)

    def seconds(self) -> np.ndarray:
        if self.second is not None:
            return self.second
        return np.asarray(self.ts_us, np.int64) // 1_000_000 % 60


@dataclass(frozen=True)
class StaticColumns:
    """Static reports as equal-length columns: msg_type 24 is sent as parts A and B, any other
    value as one type 5 message."""

    mmsi: np.ndarray
    ts_us: np.ndarray
    name: Sequence[str]
    imo: np.ndarray
    callsign: Sequence[str]
    ship_type: np.ndarray
    length_m: np.ndarray
    beam_m: np.ndarray
    draught_m: np.ndarray
    destination: Sequence[str]
    msg_type: np.ndarray
    station: np.ndarray

    @property
    def messages(self) -> np.ndarray:
        """pyais messages per report (each takes a sequence id)."""
        return np.where(np.asarray(self.msg_type) == 24, 2, 1)


def tag_block(ts: datetime, station: str) -> str:
    return _tag(int(ts.timestamp()), station)


def _tag(epoch_s: int, station: str) -> str:
    body = f"s:{station},c:{epoch_s}"
    return f"\\{body}*{nmea_checksum(body.encode()):02X}\\"


def _position_dict(p: PositionColumns, seconds: np.ndarray, i: int) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": int(p.msg_type[i]), "mmsi": int(p.mmsi[i]), "lat": float(p.lat[i]),
        "lon": float(p.lon[i]), "speed": float(p.sog_kn[i]), "course": float(p.cog_deg[i]),
        "heading": int(p.heading_deg[i]), "second": int(seconds[i]),
    }
    if doc["type"] in (1, 2, 3):
        doc["status"] = int(p.nav_status[i])
    return doc


def _static_dicts(s: StaticColumns, i: int) -> list[dict[str, Any]]:
    length, beam = int(s.length_m[i]), int(s.beam_m[i])
    bow, port = length // 2, beam // 2
    mmsi, name, callsign = int(s.mmsi[i]), s.name[i], s.callsign[i]
    if s.msg_type[i] == 24:
        return [
            {"type": 24, "mmsi": mmsi, "partno": 0, "shipname": name},
            {"type": 24, "mmsi": mmsi, "partno": 1, "ship_type": int(s.ship_type[i]),
             "callsign": callsign, "to_bow": bow, "to_stern": length - bow,
             "to_port": port, "to_starboard": beam - port},
        ]
    return [{
        "type": 5, "mmsi": mmsi, "imo": int(s.imo[i]), "callsign": callsign, "shipname": name,
        "ship_type": int(s.ship_type[i]), "to_bow": bow, "to_stern": length - bow,
        "to_port": port, "to_starboard": beam - port, "draught": float(s.draught_m[i]),
        "destination": s.destination[i], "epfd": 1,
    }]


def _take(fields: list[Field], rows: np.ndarray) -> list[Field]:
    return [(np.asarray(v)[rows], w) for v, w in fields]


Job = tuple[np.ndarray, list[np.ndarray]]  # (records encoded here, one array per line)


def _position_jobs(pos: PositionColumns, fallback: dict[int, list[str]]) -> list[Job]:
    msg_type = np.asarray(pos.msg_type)
    seconds = pos.seconds()
    known = np.isin(msg_type, POSITION_TYPES)
    jobs: list[Job] = []
    to_pyais = [np.flatnonzero(~known)]
    for class_b in (False, True):
        rows = np.flatnonzero(known & ((msg_type == 18) == class_b))
        fields, bad = position_fields(
            msg_type[rows], pos.mmsi[rows], pos.nav_status[rows], pos.sog_kn[rows],
            pos.lon[rows], pos.lat[rows], pos.cog_deg[rows], pos.heading_deg[rows],
            seconds[rows], class_b,
        )
        six, fill = pack_six_bit(_take(fields, ~bad), int((~bad).sum()))
        jobs.append((rows[~bad], sentences(six, fill, "A")))
        to_pyais.append(rows[bad])
    for i in np.concatenate(to_pyais).tolist():
        fallback[i] = encode_dict(_position_dict(pos, seconds, i), "AI", "VDM")
    return jobs


def _static_jobs(
    static: StaticColumns, seq_start: np.ndarray, fallback: dict[int, list[str]], n_pos: int
) -> list[Job]:
    s_type = np.asarray(static.msg_type)
    rows = np.flatnonzero(s_type != 24)
    f5, bad5 = type5_fields(
        static.mmsi[rows], static.imo[rows], [static.callsign[i] for i in rows.tolist()],
        [static.name[i] for i in rows.tolist()], static.ship_type[rows], static.length_m[rows],
        static.beam_m[rows], static.draught_m[rows],
        [static.destination[i] for i in rows.tolist()],
    )
    six, fill = pack_six_bit(_take(f5, ~bad5), int((~bad5).sum()))
    jobs: list[Job] = [(rows[~bad5], sentences(six, fill, "B", seq_start[rows[~bad5]] % 9 + 1))]
    bad = [*rows[bad5]]
    rows = np.flatnonzero(s_type == 24)
    fa, fb, bad24 = type24_fields(
        static.mmsi[rows], [static.name[i] for i in rows.tolist()], static.ship_type[rows],
        [static.callsign[i] for i in rows.tolist()], static.length_m[rows], static.beam_m[rows],
    )
    n_good = int((~bad24).sum())
    part_a = sentences(*pack_six_bit(_take(fa, ~bad24), n_good), "B")
    part_b = sentences(*pack_six_bit(_take(fb, ~bad24), n_good), "B")
    jobs.append((rows[~bad24], [*part_a, *part_b]))
    for i in [*bad, *rows[bad24]]:
        lines: list[str] = []
        for k, doc in enumerate(_static_dicts(static, int(i))):
            seq_id = (int(seq_start[i]) + k) % 9 + 1
            lines += encode_dict(doc, "AI", "VDM", radio_channel="B", seq_id=seq_id)
        fallback[n_pos + int(i)] = lines
    return [(records + n_pos, frags) for records, frags in jobs]


def encode_columns(
    pos: PositionColumns,
    static: StaticColumns,
    stations: Sequence[str],
    order: np.ndarray | None = None,
    first_seq: int = 0,
) -> list[bytes]:
    """NMEA lines (no newline) of positions and static reports, each behind its tag block.

    Records are numbered positions first, then static reports; `order` lists them in output
    order (default: by receive time, positions first at equal times, else input order).
    Multipart sequence ids count on from `first_seq` pyais messages (one or two a report).
    """
    n_pos = pos.ts_us.size
    ts_us = np.concatenate([pos.ts_us, static.ts_us]).astype(np.int64)
    station = np.concatenate([pos.station, static.station]).astype(np.int64)
    if order is None:
        order = np.argsort(ts_us, kind="stable")
    msgs = static.messages
    static_order = order[order >= n_pos] - n_pos
    seq_start = np.empty(static_order.size, np.int64)
    seq_start[static_order] = first_seq + np.cumsum(msgs[static_order]) - msgs[static_order]
    fallback: dict[int, list[str]] = {}
    jobs = [*_position_jobs(pos, fallback), *_static_jobs(static, seq_start, fallback, n_pos)]
    n_lines = np.concatenate([np.ones(n_pos, np.int64), np.full(static_order.size, 2)])
    for record, lines in fallback.items():
        n_lines[record] = len(lines)
    counts = n_lines[order]
    starts = np.empty(order.size, np.int64)
    starts[order] = np.cumsum(counts) - counts
    out = np.empty(int(counts.sum()), dtype=object)
    for records, frags in jobs:
        for k, body in enumerate(frags):
            if records.size:
                out[starts[records] + k] = tagged_lines(
                    station[records], stations, ts_us[records], body
                )
    epochs = epoch_seconds(ts_us)
    for record, lines in fallback.items():
        tag = _tag(int(epochs[record]), stations[int(station[record])])
        for k, line in enumerate(lines):
            out[starts[record] + k] = (tag + line).encode("ascii")
    result: list[bytes] = out.tolist()
    return result


def _us(ts: datetime) -> int:
    """Microseconds since 1970; naive times are local times, as `datetime.timestamp` reads them."""
    return (ts.astimezone(UTC) - EPOCH) // timedelta(microseconds=1)


def _columns(
    batch: list[PositionReport | StaticReport], station: str
) -> tuple[PositionColumns, StaticColumns, list[str], np.ndarray]:
    pos = [r for r in batch if isinstance(r, PositionReport)]
    sta = [r for r in batch if isinstance(r, StaticReport)]
    names: dict[str, int] = {}

    def codes(rs: Sequence[PositionReport | StaticReport]) -> np.ndarray:
        return np.fromiter((names.setdefault(r.station or station, len(names)) for r in rs),
                           np.int64, len(rs))

    def col(rs: Sequence[Any], attr: str, dtype: type) -> np.ndarray:
        return np.array([getattr(r, attr) for r in rs], dtype=dtype)

    p = PositionColumns(
        col(pos, "mmsi", np.int64), np.array([_us(r.ts) for r in pos], np.int64),
        col(pos, "lat", np.float64), col(pos, "lon", np.float64), col(pos, "sog_kn", np.float64),
        col(pos, "cog_deg", np.float64), col(pos, "heading_deg", np.int64),
        col(pos, "nav_status", np.int64), col(pos, "msg_type", np.int64), codes(pos),
        np.array([r.ts.second for r in pos], np.int64),
    )
    s = StaticColumns(
        col(sta, "mmsi", np.int64), np.array([_us(r.ts) for r in sta], np.int64),
        [r.name for r in sta], col(sta, "imo", np.int64), [r.callsign for r in sta],
        col(sta, "ship_type", np.int64), col(sta, "length_m", np.int64),
        col(sta, "beam_m", np.int64), col(sta, "draught_m", np.float64),
        [r.destination for r in sta], col(sta, "msg_type", np.int64), codes(sta),
    )
    is_pos = np.fromiter((isinstance(r, PositionReport) for r in batch), bool, len(batch))
    order = np.empty(len(batch), np.int64)
    order[is_pos] = np.arange(len(pos))
    order[~is_pos] = len(pos) + np.arange(len(sta))
    return p, s, list(names), order


def encode_reports(
    reports: Iterable[PositionReport | StaticReport], station: str = DEFAULT_STATION
) -> Iterator[str]:
    """NMEA lines (without newline) for each report, each behind a tag block, in input order."""
    it = iter(reports)
    seq = 0
    while batch := list(islice(it, BATCH)):
        pos, static, stations, order = _columns(batch, station)
        for line in encode_columns(pos, static, stations, order, first_seq=seq):
            yield line.decode("ascii")
        seq += int(static.messages.sum())
