"""Issue 16 item 3: a table staged in SQL on the store's connection is stored exactly as the
chunk path (the readers' Arrow chunks through staging.py and dedupe.py) stores it.

Every real file of ../shared/data/ais_positions, real MarineCadastre rows damaged or re-laid
out as exports differ, and a Parquet file with bad values are ingested both ways into fresh
stores: the stored rows, the quarantine (line, text, reason, detail) and the summary must be
equal, and the MarineCadastre counts are checked against pandas.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

import cargotrace
from cargotrace.ingest import pipeline
from cargotrace.ingest.params import IngestOptions, InputFormat

from .table_files import MC, REAL, table_variants, variant_file
from .table_ways import NOT_SQL, _both, _ingest, _no_chunks


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_files_stored_alike_in_sql_and_in_chunks(
        name: str, shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = shared_data / "ais_positions" / name
    positions, reports, quarantine, summary = _both(path, tmp_path, monkeypatch,
                                                    format=REAL[name], chunk_records=40_000)
    lines = path.read_bytes().count(b"\n") - 1  # the header, then one row a line
    assert summary["records_read"] == lines
    assert len(positions) == summary["positions_stored"] > 0
    assert len(reports) == summary["reports_stored"]
    assert len(quarantine) == summary["quarantined_total"]


def test_gzip_csv_staged_in_sql_as_in_chunks(
        shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gzip

    text = (shared_data / "ais_positions" / "stonesoup_SolentAIS_20160112_130211.csv").read_bytes()
    path = tmp_path / "solent.csv.gz"
    path.write_bytes(gzip.compress(text))
    positions, _, _, summary = _both(path, tmp_path, monkeypatch)
    assert summary["records_read"] == text.count(b"\n") - 1
    assert len(positions) == summary["positions_stored"] > 0


def test_marinecadastre_counts_as_pandas_finds_them(
        shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real file has repeated rows and malformed MMSIs: both ways, pandas' counts."""
    import pandas as pd

    path = shared_data / "ais_positions" / MC
    positions, reports, quarantine, summary = _both(path, tmp_path, monkeypatch)
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    valid = df[pd.to_numeric(df["MMSI"]).between(100_000_000, 999_999_999)]
    static = ["VesselName", "IMO", "CallSign", "VesselType", "Length", "Width", "Draft"]
    with_static = valid[(valid[static] != "").any(axis=1)]
    bad = df.index[~df.index.isin(valid.index)]
    assert [line for line, *_ in quarantine] == [i + 2 for i in bad]  # in line order
    assert {reason for _, _, reason, _ in quarantine} == {"malformed_mmsi"}
    texts = path.read_text().splitlines()
    assert [raw for _, raw, _, _ in quarantine] == [texts[i + 1] for i in bad]
    unique = valid.drop_duplicates(["MMSI", "BaseDateTime", "LAT", "LON"])
    assert len(positions) == len(unique) < len(valid)
    assert summary["duplicate_positions"] == len(valid) - len(unique)
    assert len(reports) == len(with_static.drop_duplicates(["MMSI", "BaseDateTime", *static]))


def test_large_files_deduplicated_by_groups_of_vessels_as_in_one(
        shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file too large for one aggregate under the memory cap (9.5M rows ran out of memory)
    is deduplicated group by group: ten groups give pandas' count and the chunk path's rows."""
    import pandas as pd

    from cargotrace.ingest import table_store

    path = shared_data / "ais_positions" / MC
    monkeypatch.setattr(table_store, "_GROUP_ROWS", 9_973)
    positions, _, _, summary = _both(path, tmp_path, monkeypatch)
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    valid = df[pd.to_numeric(df["MMSI"]).between(100_000_000, 999_999_999)]
    unique = valid.drop_duplicates(["MMSI", "BaseDateTime", "LAT", "LON"])
    assert len(positions) == len(unique) == summary["positions_stored"]
    assert summary["duplicate_positions"] == len(valid) - len(unique) > 0


@pytest.mark.parametrize("variant", sorted(table_variants([b""] * 8, b"")))
def test_damaged_and_re_laid_out_rows_stored_alike(
        variant: str, shared_data: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    path, rows, read_by_read_csv = variant_file(shared_data, tmp_path, variant)
    caplog.set_level(logging.DEBUG, logger="cargotrace.ingest.table_stage")
    if read_by_read_csv:
        _, _, quarantine, summary = _both(path, tmp_path, monkeypatch, chunk_records=25,
                                          format=InputFormat.MARINECADASTRE)
    else:  # not pairable: read in chunks
        _, _, quarantine, summary = _ingest(path, tmp_path / "s.duckdb", NOT_SQL, monkeypatch,
                                            chunk_records=25, format=InputFormat.MARINECADASTRE)
    assert summary["records_read"] == len(rows) - 1
    assert len(quarantine) == summary["quarantined_total"]
    assert ("reading in blocks" in caplog.text) is not read_by_read_csv  # what -v shows


def test_values_out_of_range_quarantined_alike(
        shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real rows made out of range, repeated, spread over lines with blank and broken lines
    between them (so rows and lines are paired across gaps): each bad row once, in order."""
    lines = (shared_data / "ais_positions" / MC).read_bytes().split(b"\n")
    head, rows = lines[0], lines[1:201]
    bad = {3: _with(rows[3], 3, b"-190.5"),  # LON
           7: _with(rows[7], 1, b"2099-01-01T00:00:00"),  # BaseDateTime
           11: _with(rows[11], 2, b"95.0")}  # LAT
    body = [bad.get(i, row) for i, row in enumerate(rows)]
    body[50:50] = [b"", b"1,2,3", b""]  # a blank line, a row too short, a blank line
    body += body[20:30]  # repeated rows: duplicates within the file
    path = tmp_path / "ranges.csv"
    path.write_bytes(b"\n".join([head, *body]) + b"\n")
    _, _, quarantine, summary = _both(path, tmp_path, monkeypatch, chunk_records=64)
    reasons = sorted(reason for _, _, reason, _ in quarantine)
    assert "lat_out_of_range" in reasons and "time_out_of_range" in reasons
    assert "unparseable_row" in reasons
    assert [line for line, *_ in quarantine] == sorted(line for line, *_ in quarantine)
    texts = path.read_bytes().decode().split("\n")
    assert all(texts[line - 1] == raw for line, raw, _, _ in quarantine)
    assert summary["skipped"] == {"blank_lines": 2}
    repeated = [row for row in body[-10:] if len(row.split(b",")[0]) == 9]  # a valid MMSI
    assert summary["duplicate_positions"] >= len(repeated) > 0


def _with(row: bytes, field: int, value: bytes) -> bytes:
    fields = row.split(b",")
    fields[field] = value
    return b",".join(fields)


def test_parquet_with_bad_values_stored_alike(
        shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pandas as pd

    df = pd.read_csv(shared_data / "ais_positions" / MC, dtype=str, nrows=3000,
                     keep_default_na=False)
    df.loc[5, "LAT"] = "95.5"
    df.loc[9, "MMSI"] = "12"
    df.loc[12, "BaseDateTime"] = "not a time"
    df = pd.concat([df, df.iloc[100:140]], ignore_index=True)  # duplicates
    path = tmp_path / "mc.parquet"
    df.to_parquet(path, index=False)
    positions, _, quarantine, summary = _both(path, tmp_path, monkeypatch, chunk_records=700)
    assert summary["records_read"] == len(df)
    mmsi_ok = pd.to_numeric(df["MMSI"], errors="coerce").between(100_000_000, 999_999_999)
    bad = sorted({*df.index[~mmsi_ok], 5, 12})
    assert [line for line, *_ in quarantine] == [i + 1 for i in bad]  # rows from 1
    assert {r for _, _, r, _ in quarantine} == {"lat_out_of_range", "malformed_mmsi",
                                                "unparseable_time"}
    assert '"LAT":"95.5"' in quarantine[0][1]  # the row as JSON
    assert summary["duplicate_positions"] >= 40


def test_a_bad_report_is_always_a_bad_position() -> None:
    """The table path quarantines a row with a position and static fields on its position's
    rules alone; that loses nothing only while the report's rules are the position's first."""
    from cargotrace.ingest.validate import positions_reason_sql, reports_reason_sql

    report_rules = reports_reason_sql().removesuffix("END").rstrip()
    assert "WHEN" in report_rules
    assert positions_reason_sql().startswith(report_rules)


def test_quarantine_counts_are_the_rows_stored_in_quarantine(
        shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a damaged CSV staged in SQL, the summary's count per reason equals the quarantine
    rows the store holds (counted in SQL); and a bad line whose text is not found again (the
    file changed under the ingest) fails the ingest in one line instead of being dropped."""
    from cargotrace.errors import UnreadableInputError
    from cargotrace.ingest import table_store

    lines = (shared_data / "ais_positions" / MC).read_bytes().split(b"\n")
    body = lines[1:301]
    body[4] = _with(body[4], 2, b"95.0")
    body[9] = _with(body[9], 0, b"12")
    body[40:40] = [b"1,2,3", b""]
    path = tmp_path / "damaged.csv"
    path.write_bytes(b"\n".join([lines[0], *body]) + b"\n")
    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "open_reader", _no_chunks)  # staged in SQL
        with cargotrace.open_store(tmp_path / "s.duckdb") as store:
            summary = pipeline.ingest_file(store, path)
            stored = dict(store.con.execute(
                "SELECT reason, count(*) FROM quarantine GROUP BY reason").fetchall())
    assert summary.quarantined == stored
    assert sum(stored.values()) >= 3 and "unparseable_row" in stored

    def one_line_short(store: object, fh: object) -> Iterator[tuple[list[int], list[str]]]:
        for wanted, texts in lines_wanted(store, fh):
            yield wanted[:-1], texts[:-1]

    lines_wanted = table_store._lines_wanted
    monkeypatch.setattr(table_store, "_lines_wanted", one_line_short)
    monkeypatch.setattr(pipeline, "open_reader", _no_chunks)
    with cargotrace.open_store(tmp_path / "t.duckdb") as store:
        with pytest.raises(UnreadableInputError, match="changed while it was read"):
            pipeline.ingest_file(store, path)
        assert store.count("positions") == store.count("quarantine") == 0


@pytest.mark.parametrize("zone", ["UTC", None])
def test_parquet_typed_times_stored_as_the_file_holds_them(
        zone: str | None, shared_data: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A typed time column (TIMESTAMPTZ or naive TIMESTAMP, with microseconds) is handed to the
    time recipe as ISO text (table_sql.parquet_inputs): every stored instant is the file's, as
    pandas reads it; a missing time is quarantined as missing_time."""
    import pandas as pd

    df = pd.read_csv(shared_data / "ais_positions" / MC, dtype=str, nrows=2000,
                     keep_default_na=False)
    times = pd.to_datetime(df["BaseDateTime"]) + pd.to_timedelta(
        pd.Series(range(len(df))) * 7919 % 1_000_000, unit="us")
    df["BaseDateTime"] = times.dt.tz_localize(zone) if zone else times
    df.loc[7, "BaseDateTime"] = pd.NaT
    path = tmp_path / "typed.parquet"
    df.to_parquet(path, index=False)
    positions, _, quarantine, _ = _both(path, tmp_path, monkeypatch)
    assert [(line, reason) for line, _, reason, _ in quarantine
            if reason == "missing_time"] == [(8, "missing_time")]
    mmsi_ok = pd.to_numeric(df["MMSI"]).between(100_000_000, 999_999_999)
    expected = {(int(m), t.tz_localize(None) if t.tzinfo else t)
                for m, t in zip(df["MMSI"][mmsi_ok], df["BaseDateTime"][mmsi_ok], strict=True)
                if not pd.isna(t)}
    stored = {(mmsi, pd.Timestamp(ts).tz_convert("UTC").tz_localize(None))
              for mmsi, ts, *_ in positions}
    assert stored == expected


def test_a_file_over_stored_rows_skips_them_in_every_group(
        shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Groups of vessels compare their rows with the rows of earlier ingests only: a file whose
    first rows are already stored stores pandas' count of new keys, in five groups."""
    import pandas as pd

    from cargotrace.ingest import table_store

    df = pd.read_csv(shared_data / "ais_positions" / MC, dtype=str, nrows=20_000,
                     keep_default_na=False)
    first, whole = tmp_path / "first.csv", tmp_path / "whole.csv"
    df.iloc[:6000].to_csv(first, index=False)
    df.to_csv(whole, index=False)
    monkeypatch.setattr(table_store, "_GROUP_ROWS", 4_000)
    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "open_reader", _no_chunks)
        with cargotrace.open_store(tmp_path / "s.duckdb") as store:
            pipeline.ingest_file(store, first, IngestOptions())
            summary = pipeline.ingest_file(store, whole, IngestOptions())
            stored = store.con.execute("SELECT count(*) FROM positions").fetchall()[0][0]
    valid = df[pd.to_numeric(df["MMSI"]).between(100_000_000, 999_999_999)]
    keys = ["MMSI", "BaseDateTime", "LAT", "LON"]
    before = valid[valid.index < 6000].drop_duplicates(keys)
    unique = valid.drop_duplicates(keys)
    assert stored == len(unique)
    assert summary.positions_stored == len(unique) - len(before) > 0
