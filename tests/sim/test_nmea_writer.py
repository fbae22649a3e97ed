"""The vectorised NMEA writer gives, byte for byte, what pyais's own encoder gives.

pyais (`pyais.encode.encode_dict`, one message at a time) is the oracle: `pyais_lines` below is
the writer as it was before it was vectorised, and every test compares whole lines with it, on
random reports and on the edges of each field; the lines also decode back with pyais.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from pyais import decode
from pyais.encode import encode_dict

from cargotrace.ingest.nmea_lines import nmea_checksum
from cargotrace.sim import nmea_writer
from cargotrace.sim.nmea_writer import (
    PositionColumns,
    PositionReport,
    StaticColumns,
    StaticReport,
    encode_columns,
    encode_reports,
    tag_block,
)
from cargotrace.sim.output import nmea_lines
from cargotrace.sim.params import ScenarioParams
from cargotrace.sim.run import simulate

T0 = datetime(2023, 9, 7, 6, 0, tzinfo=UTC)  # the Angara's week at Najin


def pyais_lines(
    reports: Iterable[PositionReport | StaticReport], station: str = "cargotrace-sim"
) -> Iterator[str]:
    """The oracle: each report through `encode_dict`, as the writer did before numpy."""
    seq = 0
    for r in reports:
        if isinstance(r, PositionReport):
            doc: dict[str, Any] = {"type": r.msg_type, "mmsi": r.mmsi, "lat": r.lat,
                                   "lon": r.lon, "speed": r.sog_kn, "course": r.cog_deg,
                                   "heading": r.heading_deg, "second": r.ts.second}
            if r.msg_type in (1, 2, 3):
                doc["status"] = r.nav_status
            sentences = encode_dict(doc, talker_id="AI", sentence_type="VDM")
        else:
            sentences = []
            for doc in _static_docs(r):
                seq = seq % 9 + 1
                sentences += encode_dict(doc, talker_id="AI", sentence_type="VDM",
                                         radio_channel="B", seq_id=seq)
        for sentence in sentences:
            yield tag_block(r.ts, r.station or station) + sentence


def _static_docs(s: StaticReport) -> list[dict[str, Any]]:
    bow, port = s.length_m // 2, s.beam_m // 2
    dims = {"to_bow": bow, "to_stern": s.length_m - bow, "to_port": port,
            "to_starboard": s.beam_m - port}
    if s.msg_type == 24:
        return [{"type": 24, "mmsi": s.mmsi, "partno": 0, "shipname": s.name},
                {"type": 24, "mmsi": s.mmsi, "partno": 1, "ship_type": s.ship_type,
                 "callsign": s.callsign, **dims}]
    return [{"type": 5, "mmsi": s.mmsi, "imo": s.imo, "callsign": s.callsign,
             "shipname": s.name, "ship_type": s.ship_type, **dims, "draught": s.draught_m,
             "destination": s.destination, "epfd": 1}]


def make_position(rng: random.Random, ts: datetime) -> PositionReport:
    return PositionReport(
        mmsi=rng.choice([rng.randrange(200_000_000, 800_000_000), 0, 999_999_999, 2**30 + 5]),
        ts=ts,
        lat=rng.choice([rng.uniform(-90, 90), round(rng.uniform(-90, 90), 6), 91.0, -90.0, 0.0]),
        lon=rng.choice([rng.uniform(-180, 180), round(rng.uniform(-180, 180), 6), 180.0,
                        -180.0, 181.0]),
        sog_kn=rng.choice([round(rng.uniform(0, 25), 1), rng.uniform(0, 30), 102.2, 102.3,
                           102.4, 150.0, 0.3, 0.7, 1.1]),
        cog_deg=rng.choice([round(rng.uniform(0, 360), 1), rng.uniform(0, 360), 360.0, 359.95]),
        heading_deg=rng.choice([511, rng.randrange(360), 359]),
        nav_status=rng.choice([0, 1, 5, 15, 16]),
        msg_type=rng.choice([1, 1, 2, 3, 18, 18]),
        station=rng.choice([None, "rNAJIN", "rVLADIVOSTOK", "sat", ""]),
    )


def make_static(rng: random.Random, ts: datetime) -> StaticReport:
    return StaticReport(
        mmsi=rng.randrange(200_000_000, 800_000_000),
        ts=ts,
        name=rng.choice(["ANGARA", "Lady Mary", "SEA STAR 7", "A VERY LONG NAME INDEED, CUT", ""]),
        imo=rng.choice([9179842, 0, rng.randrange(10**7)]),
        callsign=rng.choice(["UBCD7", "", "TOOLONGCALL"]),
        ship_type=rng.choice([70, 80, 0, 25, 99, 255]),
        length_m=rng.randrange(0, 600),
        beam_m=rng.randrange(0, 70),
        draught_m=rng.choice([round(rng.uniform(0, 25.5), 1), rng.uniform(0, 30), 0.0]),
        destination=rng.choice(["DUNAY", "vladivostok", ""]),
        msg_type=rng.choice([5, 24]),
        station=rng.choice([None, "rRAJIN"]),
    )


def random_reports(seed: int, n: int) -> list[PositionReport | StaticReport]:
    rng = random.Random(seed)
    reports: list[PositionReport | StaticReport] = []
    for _ in range(n):
        ts = T0 + timedelta(microseconds=rng.randrange(-10**13, 10**13))
        reports.append(make_position(rng, ts) if rng.random() < 0.8 else make_static(rng, ts))
    return reports


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_reports_match_pyais(seed: int) -> None:
    reports = random_reports(seed, 2000)
    assert list(encode_reports(reports)) == list(pyais_lines(reports))


def test_sequence_ids_run_on_across_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nmea_writer, "BATCH", 7)
    reports = random_reports(4, 200)
    assert list(encode_reports(reports, station="rx")) == list(pyais_lines(reports, "rx"))


def test_times_before_1970_and_far_ahead_match_pyais() -> None:
    rng = random.Random(5)
    times = [datetime(1969, 12, 31, 23, 59, 59, 600_000, tzinfo=UTC),
             datetime(1900, 1, 1, tzinfo=UTC), datetime(1970, 1, 1, tzinfo=UTC),
             datetime(2038, 1, 19, 3, 14, 8, tzinfo=UTC), datetime(2200, 5, 5, 5, 5, 59, 999_999,
                                                                   tzinfo=UTC)]
    reports = [make_position(rng, t) for t in times] + [make_static(rng, t) for t in times]
    assert list(encode_reports(reports)) == list(pyais_lines(reports))


def _columns(rows: list[dict[str, Any]]) -> PositionColumns:
    def col(name: str, dtype: type) -> np.ndarray:
        return np.array([r[name] for r in rows], dtype=dtype)

    return PositionColumns(
        col("mmsi", np.int64), np.full(len(rows), 1_694_066_400_000_000), col("lat", np.float64),
        col("lon", np.float64), col("speed", np.float64), col("course", np.float64),
        col("heading", np.int64), col("status", np.int64), col("type", np.int64),
        np.zeros(len(rows), np.int64), col("second", np.int64),
    )


EDGES = [  # field values at and past the ends of their ranges (pyais wraps them, so do we)
    {"lat": -45.123456, "lon": -170.5}, {"lat": 0.0, "lon": 180.0}, {"lon": -180.0},
    {"lat": 91.0, "lon": 181.0}, {"lat": -0.0000008}, {"lat": 0.0000008333333},
    {"speed": 102.2}, {"speed": 102.3}, {"speed": 102.4}, {"speed": 204.7}, {"speed": -0.1},
    {"course": 360.0}, {"course": 359.95}, {"course": 409.6}, {"heading": 511},
    {"heading": 512}, {"heading": -1}, {"second": 59}, {"second": 60}, {"second": 61},
    {"second": 63}, {"second": 64}, {"status": 15}, {"status": 16}, {"status": -1},
    {"mmsi": 0}, {"mmsi": 2**30}, {"mmsi": 999_999_999},
]


@pytest.mark.parametrize("msg_type", [1, 2, 3, 18])
@pytest.mark.parametrize("edge", EDGES, ids=[str(e) for e in EDGES])
def test_field_edges_match_pyais(msg_type: int, edge: dict[str, Any]) -> None:
    doc = {"type": msg_type, "mmsi": 273_456_789, "lat": 42.3, "lon": 130.7, "speed": 9.5,
           "course": 217.4, "heading": 216, "second": 30, "status": 0, **edge}
    tag = tag_block(datetime.fromtimestamp(1_694_066_400, UTC), "rNAJIN")
    want = encode_dict(
        {k: v for k, v in doc.items() if k != "status" or msg_type != 18}, "AI", "VDM"
    )
    got = encode_columns(_columns([doc]), _no_statics(), ["rNAJIN"])
    assert [line.decode() for line in got] == [tag + s for s in want]


def _no_statics() -> StaticColumns:
    empty_i, empty_f = np.zeros(0, np.int64), np.zeros(0, np.float64)
    return StaticColumns(empty_i, empty_i, [], empty_i, [], empty_i, empty_i, empty_i, empty_f,
                         [], empty_i, empty_i)


def test_values_pyais_cannot_encode_raise_as_in_pyais() -> None:
    nan = PositionReport(273_000_001, T0, float("nan"), 130.0, 5.0, 90.0)
    with pytest.raises(ValueError):
        list(pyais_lines([nan]))
    with pytest.raises(ValueError):
        list(encode_reports([nan]))
    bad_name = StaticReport(273_000_001, T0, "CAFÉ {1}")
    with pytest.raises(KeyError):
        list(encode_reports([bad_name]))
    auxiliary = StaticReport(981_234_567, T0, "TENDER", msg_type=24)  # 98XXXYYYY
    with pytest.raises(TypeError):
        list(encode_reports([auxiliary]))


def test_other_message_types_go_through_pyais() -> None:
    report = PositionReport(273_000_001, T0, 43.1, 131.9, 4.2, 10.0, msg_type=19)
    assert list(encode_reports([report])) == list(pyais_lines([report]))


def test_lines_decode_back_with_pyais() -> None:
    reports = random_reports(6, 500)
    lines = list(encode_reports(reports))
    assert all(nmea_checksum(line[1:line.index("*")].encode()) ==
               int(line[line.index("*") + 1:line.index("\\", 1)], 16) for line in lines)
    sentences = iter([line[line.index("\\", 1) + 1:] for line in lines])
    for report in reports:
        n = 1 if isinstance(report, PositionReport) else 2
        parts = [next(sentences) for _ in range(n)]
        if isinstance(report, StaticReport) and report.msg_type == 24:
            messages = [decode(p).asdict() for p in parts]
        else:
            messages = [decode(*parts).asdict()]
        assert messages[0]["mmsi"] == report.mmsi % 2**30
        if isinstance(report, PositionReport) and abs(report.lat) <= 90:
            assert messages[0]["lat"] == pytest.approx(report.lat, abs=1 / 600_000)
            assert messages[0]["second"] == report.ts.second
        if isinstance(report, StaticReport):
            assert messages[0]["shipname"] == report.name.upper()[:20].rstrip("@").strip()


def test_simulated_nmea_file_is_what_pyais_writes(tmp_path: Path) -> None:
    """One simulated day: the NMEA file against pyais fed from the Parquet files."""
    params = ScenarioParams.for_scenario("sea-of-japan-2023", vessels=3, days=1, seed=3)
    simulate(params, tmp_path, nmea=True)
    positions = pq.read_table(tmp_path / "positions.parquet")
    statics = pq.read_table(tmp_path / "vessel_reports.parquet")
    records: list[tuple[datetime, int, PositionReport | StaticReport]] = []
    for i, r in enumerate(positions.to_pylist()):
        records.append((r["ts"], i, PositionReport(
            r["mmsi"], r["ts"], r["lat"], r["lon"], r["sog"], r["cog"],
            511 if r["heading"] is None else r["heading"], r["nav_status"] or 0, r["msg_type"],
            r["station"])))
    for i, r in enumerate(statics.to_pylist()):
        records.append((r["ts"], positions.num_rows + i, StaticReport(
            r["mmsi"], r["ts"], r["name"] or "", r["imo"] or 0, r["callsign"] or "",
            r["ship_type"] or 0, int(r["length"] or 0), int(r["beam"] or 0),
            r["draught"] or 0.0, r["destination"] or "", r["msg_type"], r["station"])))
    records.sort(key=lambda x: (x[0], x[1]))
    want = list(pyais_lines(r for _, _, r in records))
    assert len(want) > 1000 and any("!AIVDM,2,2," in line for line in want)
    assert (tmp_path / "positions.nmea").read_text("ascii").splitlines() == want
    assert [line.decode() for line in nmea_lines(positions, statics)] == want
