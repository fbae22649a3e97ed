"""Decoded-table readers (MarineCadastre, DMA, AISdb, generic CSV, Parquet) on real files.

Real samples come from ../shared/data/ais_positions (see its PROVENANCE.md). Expected values are
read from the CSV text with Python's `csv` module, an oracle independent of the Arrow/DuckDB
reader. No real DMA file is available, so the DMA test writes rows in DMA's published layout.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

import cargotrace
from cargotrace.errors import ParamsError, UnreadableInputError
from cargotrace.ingest.formats import SNIFF_BYTES, detect_format
from cargotrace.ingest.params import IngestOptions, InputFormat
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.ingest.summary import IngestSummary
from cargotrace.ingest.table_header import sniff_csv_format
from cargotrace.ingest.tables import read_table

MC = "marinecadastre_AIS_2022_01_03_first99999.csv"
NOAA = "aisdb_test_data_noaa_20230101.csv"
AISDB = "aisdb_test_data_20210701.csv"
SOLENT = "stonesoup_SolentAIS_20160112_130211.csv"
STATIC_MC = ("VesselName", "IMO", "CallSign", "VesselType", "Length", "Width", "Draft")


@pytest.fixture(scope="session")
def positions_dir(shared_data: Path) -> Path:
    return shared_data / "ais_positions"


@dataclass
class Read:
    """Every chunk of one read, concatenated."""

    positions: pa.Table
    reports: pa.Table
    quarantine: pa.Table
    records_read: int
    skipped: Counter[str]
    chunks: int

    def position(self, line_no: int) -> dict[str, object]:
        return _row(self.positions, line_no)

    def report(self, line_no: int) -> dict[str, object]:
        return _row(self.reports, line_no)

    def quarantined(self) -> dict[int, tuple[str, str]]:
        q = self.quarantine.to_pylist()
        return {r["line_no"]: (r["reason"], r["raw"]) for r in q}

    def assert_accounted(self) -> None:
        """Each data row ended as a position, a report-only row, a quarantine row or a skip."""
        position_lines = set(self.positions.column("line_no").to_pylist())
        report_only = set(self.reports.column("line_no").to_pylist()) - position_lines
        assert len(position_lines) == self.positions.num_rows
        assert self.records_read == (
            len(position_lines) + len(report_only) + self.quarantine.num_rows
            + sum(self.skipped.values())
        )


def _row(table: pa.Table, line_no: int) -> dict[str, object]:
    rows = [r for r in table.to_pylist() if r["line_no"] == line_no]
    assert len(rows) == 1, f"line {line_no}: {len(rows)} rows"
    return rows[0]


def read(path: Path, fmt: InputFormat | None = None, **options: object) -> Read:
    opts = IngestOptions(**options)  # type: ignore[arg-type]
    if fmt is None:
        with path.open("rb") as fh:
            fmt = sniff_csv_format(path, fh.read(SNIFF_BYTES), opts)
    chunks = list(read_table(path, fmt, opts))
    skipped: Counter[str] = Counter()
    for c in chunks:
        skipped.update(c.skipped)
    return Read(
        positions=pa.concat_tables([c.positions for c in chunks]),
        reports=pa.concat_tables([c.reports for c in chunks]),
        quarantine=pa.concat_tables([c.quarantine for c in chunks]),
        records_read=sum(c.records_read for c in chunks),
        skipped=skipped,
        chunks=len(chunks),
    )


def csv_rows(path: Path) -> list[tuple[int, dict[str, str], str]]:
    """(line number, fields by header name, raw line) for each data line, via Python's csv."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = next(csv.reader([lines[0]]))
    return [
        (n, dict(zip(header, next(csv.reader([text])), strict=True)), text)
        for n, text in enumerate(lines[1:], start=2)
    ]


def sniff(path: Path, **options: object) -> InputFormat:
    with path.open("rb") as fh:
        return sniff_csv_format(path, fh.read(SNIFF_BYTES), IngestOptions(**options))  # type: ignore[arg-type]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- MarineCadastre ------------------------------------------------------------------------


def test_marinecadastre_every_row_parsed_as_in_the_csv_text(positions_dir: Path) -> None:
    path = positions_dir / MC
    assert sniff(path) is InputFormat.MARINECADASTRE
    got = read(path)
    expected = csv_rows(path)
    assert got.records_read == len(expected) == 99_999
    assert got.quarantine.num_rows == 0 and not got.skipped
    got.assert_accounted()
    pos = got.positions.sort_by("line_no").to_pydict()
    assert pos["line_no"] == [n for n, _, _ in expected]
    assert pos["raw"] == [text for _, _, text in expected]
    assert pos["mmsi"] == [int(f["MMSI"]) for _, f, _ in expected]
    assert pos["ts"] == [utc(f["BaseDateTime"]) for _, f, _ in expected]
    for ours, theirs in (("lat", "LAT"), ("lon", "LON"), ("sog", "SOG"), ("cog", "COG")):
        assert pos[ours] == [float(f[theirs]) for _, f, _ in expected], ours
    assert pos["heading"] == [int(f["Heading"]) for _, f, _ in expected]  # 511 kept: validate.py
    assert pos["nav_status"] == [int(f["Status"]) if f["Status"] else None for _, f, _ in expected]
    assert set(pos["msg_type"]) == {None} and set(pos["station"]) == {None}
    with_static = [n for n, f, _ in expected if any(f[c] for c in STATIC_MC)]
    assert sorted(got.reports.column("line_no").to_pylist()) == with_static


def test_marinecadastre_static_fields_of_one_vessel(positions_dir: Path) -> None:
    got = read(positions_dir / MC)
    # line 3: 367379190,2022-01-03T00:00:00,30.3706,-88.56408,0.0,336.2,511,EAGLE,IMO8207721,
    #         WTD4583,31,0,28,11,3.3,52,A
    eagle = got.report(3)
    assert eagle["mmsi"] == 367379190 and eagle["ts"] == utc("2022-01-03T00:00:00")
    assert (eagle["imo"], eagle["name"], eagle["callsign"]) == (8207721, "EAGLE", "WTD4583")
    assert (eagle["ship_type"], eagle["length"], eagle["beam"], eagle["draught"]) == (
        31, 28.0, 11.0, 3.3)
    assert eagle["msg_type"] is None and eagle["eta"] is None
    # line 2: CAZADOR has no IMO, call sign, width or draught
    cazador = got.report(2)
    assert (cazador["name"], cazador["imo"], cazador["callsign"]) == ("CAZADOR", None, None)
    assert (cazador["ship_type"], cazador["length"], cazador["beam"]) == (37, 14.0, None)


def test_marinecadastre_through_the_pipeline(
    positions_dir: Path, tmp_store: cargotrace.Store
) -> None:
    path = positions_dir / MC
    summary = ingest_file(tmp_store, path)
    rows = csv_rows(path)
    bad_mmsi = {n for n, f, _ in rows if not 100_000_000 <= int(f["MMSI"]) <= 999_999_999}
    assert summary.format == "marinecadastre" and summary.records_read == 99_999
    con = tmp_store.con
    quarantined = con.execute("SELECT DISTINCT line_no, reason FROM quarantine").fetchall()
    assert {n for n, _ in quarantined} == bad_mmsi
    assert {r for _, r in quarantined} == {"malformed_mmsi"}
    assert summary.positions_stored + summary.duplicate_positions == 99_999 - len(bad_mmsi)
    # Heading 511 ("not available") becomes NULL; every other heading is kept.
    good = [f for n, f, _ in rows if n not in bad_mmsi]
    stored = con.execute(
        "SELECT count(*) FILTER (WHERE heading IS NULL), count(*) FILTER (WHERE heading = 511) "
        "FROM positions"
    ).fetchall()[0]
    assert stored[1] == 0
    headings: dict[tuple[str, ...], set[str]] = {}
    for f in good:
        headings.setdefault((f["MMSI"], f["BaseDateTime"], f["LAT"], f["LON"]), set()).add(
            f["Heading"])
    only_511 = sum(1 for h in headings.values() if h == {"511"})
    any_511 = sum(1 for h in headings.values() if "511" in h)
    assert only_511 <= stored[0] <= any_511 and only_511 > 50_000
    eagle = con.execute(
        "SELECT imo, name, callsign, ship_type, length, beam, draught FROM vessel_reports "
        "WHERE mmsi = 367379190 ORDER BY ts LIMIT 1"
    ).fetchall()
    assert eagle == [(8207721, "EAGLE", "WTD4583", 31, 28.0, 11.0, 3.3)]
    _check_duplicates_per_table(path, summary)


def _check_duplicates_per_table(path: Path, summary: IngestSummary) -> None:
    """Issue 21: "duplicates 78" beside both tables added up to neither. Counted independently
    with pandas on the CSV text: 3 repeated positions, 75 repeated vessel reports."""
    import pandas as pd
    from rich.console import Console

    from cargotrace.cli.commands.ingest import render_summary

    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    valid = df[pd.to_numeric(df["MMSI"]).between(100_000_000, 999_999_999)]
    reports = valid[(valid[list(STATIC_MC)] != "").any(axis=1)]
    dup_positions = len(valid) - len(valid.drop_duplicates(["MMSI", "BaseDateTime", "LAT", "LON"]))
    dup_reports = len(reports) - len(reports.drop_duplicates(["MMSI", "BaseDateTime",
                                                             *STATIC_MC]))
    assert (dup_positions, dup_reports) == (summary.duplicate_positions, summary.duplicate_reports)
    assert summary.positions_read == len(valid) == summary.positions_stored + dup_positions
    assert summary.reports_read == len(reports) == summary.reports_stored + dup_reports
    doc = summary.to_dict()
    assert (doc["positions_read"], doc["duplicate_positions"]) == (len(valid), dup_positions)
    assert (doc["reports_read"], doc["duplicate_reports"]) == (len(reports), dup_reports)
    console = Console(width=100, record=True, file=io.StringIO())
    console.print(render_summary(summary))
    screen = [" ".join(line.strip("│ ").replace("│", " ").split())
              for line in console.export_text().splitlines()]
    rows = [
        f"positions read {len(valid):,}", f"stored {summary.positions_stored:,}",
        f"duplicates (not stored again) {dup_positions:,}",
        f"vessel reports read {len(reports):,}", f"stored {summary.reports_stored:,}",
        f"duplicates (not stored again) {dup_reports:,}",
    ]
    start = screen.index(rows[0])
    assert screen[start:start + len(rows)] == rows


def test_noaa_2023_marinecadastre_with_decimal_codes(positions_dir: Path) -> None:
    path = positions_dir / NOAA
    assert sniff(path) is InputFormat.MARINECADASTRE
    got = read(path)
    assert (got.records_read, got.positions.num_rows, got.quarantine.num_rows) == (1000, 1000, 0)
    got.assert_accounted()
    # line 3: 636021061,2023-01-11T00:00:00,26.09241,-80.04806,8.8,272.7,270.0,MSC NAISHA III,
    #         IMO9307839,5LCB4,70,8.0,208.0,30.0,8.0,70.0,A
    p = got.position(3)
    assert (p["mmsi"], p["ts"], p["heading"], p["nav_status"]) == (
        636021061, utc("2023-01-11T00:00:00"), 270, 8)
    r = got.report(3)
    assert (r["imo"], r["name"], r["callsign"], r["ship_type"]) == (
        9307839, "MSC NAISHA III", "5LCB4", 70)
    assert (r["length"], r["beam"], r["draught"]) == (208.0, 30.0, 8.0)


# --- AISdb message export and generic CSVs -------------------------------------------------


def test_aisdb_message_export_auto_detected(positions_dir: Path) -> None:
    path = positions_dir / AISDB
    assert sniff(path) is InputFormat.GENERIC  # its own profile, chosen from the header
    got = read(path)
    rows = csv_rows(path)
    # Stored as by the NMEA reader: positions from types 1, 2, 3, 18, 19, 27, statics from 5,
    # 19, 24; other types (4 base station, 21 aid to navigation, 9 SAR aircraft, ...) counted.
    other = Counter(f"msg_type_{f['Message_ID']}" for _, f, _ in rows
                    if f["Message_ID"] not in {"1", "2", "3", "5", "18", "19", "24", "27"})
    with_position = {n for n, f, _ in rows if f["Message_ID"] in {"1", "2", "3", "18", "19", "27"}}
    assert got.records_read == 2498
    assert got.skipped == other and other["msg_type_4"] == 19 and other["msg_type_21"] == 13
    assert set(got.positions.column("line_no").to_pylist()) == with_position
    assert got.quarantine.num_rows == 0
    got.assert_accounted()
    # line 2: "432905000","1","0","20210701_185151","680",... SOG 13.6, lon -103.63687,
    #         lat 8.87747666667, COG 314.8, heading 315.0
    p = got.position(2)
    assert (p["mmsi"], p["msg_type"], p["ts"]) == (
        432905000, 1, datetime(2021, 7, 1, 18, 51, 51, 680_000, tzinfo=UTC))
    assert (p["lat"], p["lon"], p["sog"], p["cog"], p["heading"], p["nav_status"]) == (
        8.87747666667, -103.63687, 13.6, 314.8, 315, 0)
    assert p["raw"] == next(text for n, _, text in rows if n == 2)
    # A Millisecond of 1002 (as written in the sample) is added as is.
    line = next(n for n, f, _ in rows if f["Millisecond"] == "1002")
    assert got.position(line)["ts"] == datetime(2021, 7, 1, 20, 46, 21, 2000, tzinfo=UTC)


def test_aisdb_static_report_dimensions_draught_and_eta(positions_dir: Path) -> None:
    path = positions_dir / AISDB
    got = read(path)
    line = next(n for n, f, _ in csv_rows(path) if f["MMSI"] == "538007407")
    # type 5: GH ZONDA, IMO 9436472, type 71, bow 182 + stern 49, port 24 + starboard 8,
    # draught 87 (1/10 m), destination BLUFF, ETA 06-30 19:00
    r = got.report(line)
    assert (r["msg_type"], r["imo"], r["name"].strip(), r["callsign"].strip()) == (
        5, 9436472, "GH ZONDA", "V7MF3")
    assert (r["ship_type"], r["length"], r["beam"], r["draught"]) == (71, 231.0, 32.0, 8.7)
    assert (r["destination"].strip(), r["eta"]) == ("BLUFF", "06-30 19:00")
    assert line not in set(got.positions.column("line_no").to_pylist())  # type 5: no position


def test_solent_auto_detected_as_generic(positions_dir: Path) -> None:
    path = positions_dir / SOLENT
    assert sniff(path) is InputFormat.GENERIC
    got = read(path)
    rows = csv_rows(path)
    assert got.records_read == got.positions.num_rows == len(rows) == 18_623
    got.assert_accounted()
    pos = got.positions.sort_by("line_no").to_pydict()
    assert pos["ts"][0] == datetime(2016, 1, 12, 13, 2, 11, 218_000, tzinfo=UTC)
    assert pos["lat"] == [float(f["Latitude_degrees"]) for _, f, _ in rows]
    assert pos["lon"] == [float(f["Longitude_degrees"]) for _, f, _ in rows]
    assert pos["sog"] == [float(f["SOG_knots"]) for _, f, _ in rows]
    assert pos["cog"] == [float(f["COG_degrees"]) for _, f, _ in rows]
    assert got.reports.num_rows == 0


def test_small_chunks_give_the_same_rows(positions_dir: Path) -> None:
    path = positions_dir / SOLENT
    whole = read(path)
    chunked = read(path, chunk_records=1000)
    assert chunked.chunks == 19 and whole.chunks == 1
    assert chunked.positions.sort_by("line_no").equals(whole.positions.sort_by("line_no"))
    opts = IngestOptions(chunk_records=1000)
    progress = [c.bytes_read for c in read_table(path, InputFormat.GENERIC, opts)]
    assert progress == sorted(progress) and progress[-1] == path.stat().st_size


def test_gzip_csv_reads_like_the_plain_file(positions_dir: Path, tmp_path: Path) -> None:
    path = positions_dir / SOLENT
    gz = tmp_path / "solent.csv.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    assert sniff(gz) is InputFormat.GENERIC
    got = read(gz, chunk_records=5000)
    assert got.positions.sort_by("line_no").equals(read(path).positions.sort_by("line_no"))


def test_crlf_line_ends_and_a_missing_final_newline(positions_dir: Path, tmp_path: Path) -> None:
    path = positions_dir / NOAA
    crlf = tmp_path / "noaa_crlf.csv"
    crlf.write_bytes(path.read_bytes().replace(b"\n", b"\r\n").rstrip(b"\r\n"))
    got = read(crlf)
    assert got.positions.sort_by("line_no").equals(read(path).positions.sort_by("line_no"))
    assert not any("\r" in raw for raw in got.positions.column("raw").to_pylist())


def test_parquet_rows_mapped_like_csv(positions_dir: Path, tmp_path: Path) -> None:
    path = positions_dir / SOLENT
    table = pcsv.read_csv(path)  # typed columns: Time as a timestamp, numbers as numbers
    parquet = tmp_path / "solent.parquet"
    pq.write_table(table, parquet, row_group_size=5000)
    got = read(parquet, InputFormat.PARQUET, chunk_records=7000)
    csv_read = read(path)
    assert got.records_read == 18_623 and got.chunks > 1
    got.assert_accounted()
    ours = got.positions.sort_by("line_no")
    assert ours.column("line_no").to_pylist() == list(range(1, 18_624))  # row index + 1
    for column in ("mmsi", "ts", "lat", "lon", "sog", "cog"):
        assert ours.column(column).equals(
            csv_read.positions.sort_by("line_no").column(column)), column
    first = json.loads(str(got.position(1)["raw"]))
    assert first == {"Time": "2016-01-12 13:02:11.218", "MMSI": 235070762,
                     "Latitude_degrees": 50.7730133333333, "Longitude_degrees": -1.092935,
                     "COG_degrees": 157.8, "SOG_knots": 5.9}


def test_a_receiver_column_is_kept_as_the_station(
        positions_dir: Path, tmp_path: Path, tmp_store: cargotrace.Store) -> None:
    """A table that names the receiving station (the simulator's Parquet, exports of
    multi-receiver networks) keeps it in `positions.station`, as NMEA tag blocks do: detect
    judges each receiver's coverage from it. Real Solent rows, given two receivers by line."""
    table = pcsv.read_csv(positions_dir / SOLENT)
    receivers = pa.array(["rSOUTHSEA" if i % 3 else "rCOWES" for i in range(table.num_rows)])
    parquet = tmp_path / "solent_rx.parquet"
    pq.write_table(table.append_column("station", receivers), parquet)
    csv_path = tmp_path / "solent_rx.csv"
    pcsv.write_csv(table.append_column("Receiver", receivers), csv_path)
    for path in (parquet, csv_path):
        got = read(path, InputFormat.PARQUET if path.suffix == ".parquet" else InputFormat.AUTO)
        ours = got.positions.sort_by("line_no")
        assert ours.column("station").to_pylist() == receivers.to_pylist(), path.name
    ingest_file(tmp_store, parquet)
    stored = dict(tmp_store.con.execute(
        "SELECT station, count(*) FROM positions GROUP BY station").fetchall())
    # independent: from the column written, a position heard twice (the same MMSI, time and
    # place) stored once, under the first receiver by name
    frame = table.append_column("station", receivers).to_pandas()
    kept = frame.groupby(["MMSI", "Time", "Latitude_degrees", "Longitude_degrees"]).station.min()
    assert stored == dict(Counter(kept))


def test_column_flags_map_an_unknown_layout(tmp_path: Path) -> None:
    path = tmp_path / "positions.csv"
    # Solent's first rows with the columns renamed, ';'-separated, time as Unix epoch seconds.
    path.write_text(
        "ship_id;when;y;x;knots;course_deg\n"
        "235070762;1452603731;50.7730133333333;-1.092935;5.9;157.8\n"
        "235013375;1452603731.327;50.7766666666667;-1.10866666666667;19.8;14.7\n"
    )
    with pytest.raises(UnreadableInputError) as err:
        sniff(path)
    assert str(err.value) == (
        f"{path}: cannot tell the format: no 'mmsi' or 'ts' or 'lat' or 'lon' column "
        "(found: ship_id, when, y, x, knots, course_deg); pass --column mmsi=COLUMN "
        "--column ts=COLUMN --column lat=COLUMN --column lon=COLUMN, "
        "or --format marinecadastre|dma|generic"
    )
    columns = (("mmsi", "ship_id"), ("ts", "when"), ("lat", "y"), ("lon", "x"),
               ("sog", "knots"), ("cog", "course_deg"))
    assert sniff(path, columns=columns) is InputFormat.GENERIC
    got = read(path, columns=columns)
    assert got.position(2) | {"raw": None} == {
        "mmsi": 235070762, "ts": datetime.fromtimestamp(1452603731, UTC),
        "lat": 50.7730133333333, "lon": -1.092935, "sog": 5.9, "cog": 157.8, "heading": None,
        "nav_status": None, "msg_type": None, "station": None, "line_no": 2, "raw": None,
    }
    assert got.position(3)["ts"] == datetime.fromtimestamp(1452603731.327, UTC)


def test_column_flag_overrides_a_profile_column(positions_dir: Path) -> None:
    # MarineCadastre's LAT/LON swapped on purpose: the flag wins over the profile.
    got = read(positions_dir / NOAA, InputFormat.MARINECADASTRE,
               columns=(("lat", "LON"), ("lon", "LAT")))
    p = got.position(3)
    assert (p["lat"], p["lon"]) == (-80.04806, 26.09241)


def test_column_flag_errors(positions_dir: Path) -> None:
    path = positions_dir / SOLENT
    with pytest.raises(ParamsError) as perr:
        sniff(path, columns=(("speed_kn", "SOG_knots"),))
    assert str(perr.value).startswith("--column speed_kn=SOG_knots: unknown field 'speed_kn'; ")
    with pytest.raises(UnreadableInputError) as uerr:
        sniff(path, columns=(("sog", "Speed"),))
    assert str(uerr.value) == (
        f"{path}: no column 'Speed' for --column sog=Speed (found: Time, MMSI, "
        "Latitude_degrees, Longitude_degrees, COG_degrees, SOG_knots)"
    )


def test_unrecognised_header_is_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "positions.csv"
    path.write_text("MMSI_ID,BaseDateTime,LAT,LON\n367379190,2022-01-03T00:00:00,30.37,-88.56\n")
    with pytest.raises(UnreadableInputError) as err:
        detect_format(path, IngestOptions())
    assert str(err.value) == (
        f"{path}: cannot tell the format: no 'mmsi' column (found: MMSI_ID, BaseDateTime, "
        "LAT, LON); pass --column mmsi=MMSI_ID, or --format marinecadastre|dma|generic"
    )
    with pytest.raises(UnreadableInputError) as err2:
        list(read_table(path, InputFormat.MARINECADASTRE, IngestOptions()))
    assert str(err2.value) == (
        f"{path}: not a MarineCadastre file: no 'MMSI' column (found: MMSI_ID, BaseDateTime, "
        "LAT, LON); pass --column mmsi=MMSI_ID, or another --format"
    )


def test_binary_file_is_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "positions.csv"
    path.write_bytes(b"MMSI,LAT" + bytes(range(256)) * 8)
    with pytest.raises(UnreadableInputError) as err:
        detect_format(path, IngestOptions())
    assert str(err.value) == (
        f"{path}: cannot tell the format: binary content, not CSV text "
        "(byte 0x00 at offset 8); pass a CSV, NMEA or Parquet file"
    )


def test_a_nul_byte_quarantines_only_its_row_wherever_it_falls(
    positions_dir: Path, tmp_path: Path, tmp_store: cargotrace.Store
) -> None:
    """Issue 21: a NUL in the first 64 KiB rejected the whole file, later only its row."""
    lines = (positions_dir / MC).read_bytes().split(b"\n")[:3001]  # header + 3,000 rows
    damaged = {11: 7, 2501: 2}  # line number (1-based) -> field that gets a NUL (name, LAT)
    for line_no, field in damaged.items():
        fields = lines[line_no - 1].split(b",")
        fields[field] = fields[field][:3] + b"\x00" + fields[field][3:]
        lines[line_no - 1] = b",".join(fields)
    path = tmp_path / "nul.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert path.read_bytes().find(b"\x00") < SNIFF_BYTES < path.stat().st_size
    assert detect_format(path, IngestOptions()) is InputFormat.MARINECADASTRE

    summary = ingest_file(tmp_store, path)
    with_nul = {n for n, line in enumerate(path.read_bytes().split(b"\n")[1:-1], start=2)
                if b"\x00" in line}
    assert with_nul == set(damaged)
    rows = tmp_store.con.execute(
        "SELECT line_no, detail FROM quarantine WHERE reason = 'unparseable_row' ORDER BY 1"
    ).fetchall()
    assert [n for n, _ in rows] == sorted(with_nul)
    assert all(d.startswith("a NUL byte (0x00) at character ") for _, d in rows)
    assert summary.records_read == 3000
    assert summary.positions_read + summary.quarantined_total == 3000  # every row accounted for
    assert sum(summary.skipped.values()) == 0  # the file has no blank line: NUL rows not counted
    nul_in_store = tmp_store.con.execute(
        "SELECT count(*) FROM vessel_reports WHERE contains(name, chr(0))").fetchall()[0][0]
    assert nul_in_store == 0


# --- DMA ---------------------------------------------------------------------------------

DMA_HEADER = (
    "# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,"
    "Heading,IMO,Callsign,Name,Ship type,Cargo type,Width,Length,"
    "Type of position fixing device,Draught,Destination,ETA,Data source type,A,B,C,D"
)
# Rows in the layout of the Danish Maritime Authority's daily aisdk CSVs (values invented).
DMA_ROWS = [
    "02/01/2023 13:45:07,Class A,219005941,55.631220,12.618830,Moored,0.0,0.0,231.5,141,"
    "9359014,OXPM2,NORDIC CARRIER,Cargo,No additional information,32,225,GPS,9.5,DKAAR,"
    "05/01/2023 08:00:00,AIS,200,25,16,16",
    "02/01/2023 13:45:08,Class B,211234560,54.321000,10.987000,Unknown value,,3.2,120.0,,"
    "Unknown,Unknown,FREJA,Pleasure,,3,11,Undefined,,Unknown,,AIS,,,,",
    "02/01/2023 13:45:09,Base Station,2190068,55.000000,11.000000,Unknown value,,,,,Unknown,"
    "Unknown,,Undefined,,,,Surveyed,,Unknown,,AIS,,,,",
    "02/01/2023 13:45:10,AtoN,992191234,55.500000,11.500000,Unknown value,,,,,Unknown,Unknown,"
    "NORD BOJE,Undefined,,,,Surveyed,,Unknown,,AIS,,,,",
    "02/01/2023 13:45:11,Class A,219000873,56.99",
    "02/01/2023 13:45:12,Class A,636019825,57.712345,10.612345,Under way using engine,-2.0,"
    "12.4,15.3,14,9733959,D5QX7,NORDIC TANKER,Tanker,Category X,32,183,GPS,11.2,SE GOT,"
    "03/01/2023 06:00:00,AIS,150,33,16,16",
    "32/01/2023 13:45:13,Class A,219005941,55.631220,12.618830,Moored,0.0,0.0,231.5,141,"
    "9359014,OXPM2,NORDIC CARRIER,Cargo,,32,225,GPS,9.5,DKAAR,,AIS,200,25,16,16",
]


def test_dma_csv(tmp_path: Path) -> None:
    path = tmp_path / "aisdk-2023-01-02.csv"
    path.write_text("\n".join([DMA_HEADER, *DMA_ROWS]) + "\n")
    assert sniff(path) is InputFormat.DMA
    got = read(path)
    got.assert_accounted()
    assert got.records_read == 7 and got.skipped == Counter(non_vessel_rows=2)
    assert got.quarantined() == {
        6: ("unparseable_row", DMA_ROWS[4]),
        8: ("unparseable_time", DMA_ROWS[6]),
    }
    assert got.quarantine.column("detail").to_pylist() == [
        "expected 26 fields, found 4",
        "# Timestamp: '32/01/2023 13:45:13' is not a timestamp we can read",
    ]
    moored = got.position(2)
    assert (moored["ts"], moored["nav_status"], moored["heading"], moored["sog"]) == (
        datetime(2023, 1, 2, 13, 45, 7, tzinfo=UTC), 5, 141, 0.0)
    cargo = got.report(2)
    assert (cargo["imo"], cargo["callsign"], cargo["name"], cargo["ship_type"]) == (
        9359014, "OXPM2", "NORDIC CARRIER", 70)
    assert (cargo["length"], cargo["beam"], cargo["draught"]) == (225.0, 32.0, 9.5)
    assert (cargo["destination"], cargo["eta"]) == ("DKAAR", "2023-01-05T08:00:00")
    pleasure = got.position(3)
    assert (pleasure["nav_status"], pleasure["heading"], pleasure["cog"]) == (15, None, 120.0)
    freja = got.report(3)
    assert (freja["imo"], freja["callsign"], freja["ship_type"]) == (None, None, 37)
    tanker = got.position(7)
    assert (tanker["mmsi"], tanker["nav_status"], tanker["lat"]) == (636019825, 0, 57.712345)
    assert got.report(7)["ship_type"] == 80


def test_dma_csv_through_the_pipeline(tmp_path: Path, tmp_store: cargotrace.Store) -> None:
    path = tmp_path / "aisdk-2023-01-02.csv"
    path.write_text("\n".join([DMA_HEADER, *DMA_ROWS]) + "\n")
    summary = ingest_file(tmp_store, path)
    assert (summary.format, summary.records_read, summary.positions_stored) == ("dma", 7, 3)
    assert summary.skipped == Counter(non_vessel_rows=2)
    assert summary.quarantined == Counter(unparseable_row=1, unparseable_time=1)
    assert tmp_store.con.execute(
        "SELECT mmsi, name, callsign, ship_type FROM vessel_reports ORDER BY mmsi"
    ).fetchall() == [
        (211234560, "FREJA", None, 37),
        (219005941, "NORDIC CARRIER", "OXPM2", 70),
        (636019825, "NORDIC TANKER", "D5QX7", 80),
    ]


# --- corrupted copies of real files --------------------------------------------------------


def test_corrupted_marinecadastre_rows_quarantined_good_rows_stored(
    positions_dir: Path, tmp_path: Path, tmp_store: cargotrace.Store
) -> None:
    source = positions_dir / MC
    lines = source.read_bytes().split(b"\n")
    assert lines[-1] == b""  # the file ends with a newline
    bad: dict[int, str] = {}  # line number in the corrupted file -> expected reason
    lines[10] = lines[10][: len(lines[10]) // 2]  # truncated row (line 11)
    bad[11] = "unparseable_row"
    fields = lines[20].split(b",")
    fields[2] += b"N"  # LAT with a hemisphere letter: "30.3706N"
    lines[20] = b",".join(fields)
    bad[21] = "unparseable_row"
    lines[30] = lines[30].replace(b"2022-01-03T", b"2022-13-03T")  # month 13
    bad[31] = "unparseable_time"
    lines[40] = lines[40] + b",EXTRA,FIELDS"  # extra fields
    bad[41] = "unparseable_row"
    lines[50] = b'"' + lines[50]  # a quote left open: Arrow would merge the next lines
    bad[51] = "unparseable_row"
    garbage = bytes(b for b in range(1, 255) if b != 10) + b",\xff\xfe garbage"
    lines.insert(60, garbage)  # binary garbage, with a carriage return (line 61)
    bad[61] = "unparseable_row"
    lines.insert(70, b"")  # a blank line (line 71): skipped, counted
    corrupted = tmp_path / "corrupted.csv"
    corrupted.write_bytes(b"\n".join(lines))

    got = read(corrupted, chunk_records=40_000)
    got.assert_accounted()
    assert got.records_read == 99_999 + 2 and got.skipped == Counter(blank_lines=1)
    quarantined = got.quarantined()
    assert {n: reason for n, (reason, _) in quarantined.items()} == bad
    texts = corrupted.read_bytes().split(b"\n")
    for n, (_, raw) in quarantined.items():
        if n != 61:
            assert raw == texts[n - 1].decode()
    assert quarantined[61][1] == texts[60].decode("latin-1")
    assert got.quarantine.to_pylist()[1]["detail"] == (
        f"LAT: '{texts[20].decode().split(',')[2]}' is not a number")
    good = set(range(2, 2 + 99_999 + 2)) - set(bad) - {71}
    assert set(got.positions.column("line_no").to_pylist()) == good

    clean = ingest_file(tmp_store, source)
    summary = ingest_file(tmp_store, corrupted)
    lost = [n for n, f, _ in csv_rows(source)
            if n in {11, 21, 31, 41, 51} and 100_000_000 <= int(f["MMSI"]) <= 999_999_999]
    assert summary.positions_stored == 0  # every good row was already stored by the clean file
    staged_clean = clean.positions_stored + clean.duplicate_positions
    assert summary.duplicate_positions == staged_clean - len(lost)
    reasons = tmp_store.con.execute(
        "SELECT line_no, reason FROM quarantine WHERE ingest_id = ? AND reason <> 'malformed_mmsi'",
        [summary.ingest_id],
    ).fetchall()
    assert dict(reasons) == bad


def test_pipeline_stores_a_chunk_larger_than_a_row_group(  # regression: DuckDB 2.0 CTAS bug
    positions_dir: Path, tmp_path: Path, tmp_store: cargotrace.Store
) -> None:
    source = positions_dir / MC
    header, body = source.read_bytes().split(b"\n", 1)
    doubled = tmp_path / "doubled.csv"
    doubled.write_bytes(header + b"\n" + body + body)  # one 199,998-row chunk
    summary = ingest_file(tmp_store, doubled, IngestOptions(chunk_records=200_000))
    with cargotrace.open_store(tmp_path / "once.duckdb") as other:
        once = ingest_file(other, source)
    assert summary.positions_stored == once.positions_stored


def test_json_files_are_said_to_be_json_not_tables(shared_data: Path, tmp_path: Path) -> None:
    """A GeoJSON or JSON-lines file was read as a CSV whose first line split at its commas,
    and the advice was `--column lat="name": "La Plata"`: say plainly what the file is."""
    geojson = shared_data / "ports/searoute_ports.geojson"
    features = json.loads(geojson.read_text())["features"]
    lines = tmp_path / "ports.jsonl"  # the same real records, one JSON object a line
    lines.write_text("".join(json.dumps(f["properties"]) + "\n" for f in features[:40]))
    for path, kind in ((geojson, "GeoJSON"), (lines, "JSON")):
        with pytest.raises(UnreadableInputError) as err:
            detect_format(path, IngestOptions())
        message = str(err.value)
        assert message.startswith(f"{path}: this is {kind}, not an AIS table: ingest reads "
                                  "NMEA, CSV and Parquet files"), message
        assert "\n" not in message and "--column" not in message
