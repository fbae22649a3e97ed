"""Issue 16 item 3: a Parquet file's typed columns are read as they are typed, and a staged
file's rows are stored in one scan (table_sql.typed_columns, table_store._store_new_rows).

Typed reading must change nothing: real MarineCadastre rows, with bad values put in, are
written once with typed columns and once with every column as the text DuckDB writes for it
(what the reader turned typed values into before); both files must give the same stored rows,
reasons and details, and the counts pandas finds. Storing in one scan must keep the chunk
path's choice among copies (smallest receiver, then first in the file) and the file's order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import cargotrace
from cargotrace.ingest import pipeline
from cargotrace.ingest.params import IngestOptions

from .table_files import MC

N_ROWS = 3000


def _no_chunks(*args: object) -> object:
    raise AssertionError("a staged file must not be read in chunks")


def _ingest(path: Path, store_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "open_reader", _no_chunks)
        with cargotrace.open_store(store_path) as store:
            summary = pipeline.ingest_file(store, path, IngestOptions())
            con = store.con
            return {
                "positions": con.execute("SELECT * EXCLUDE (ingest_id, source) FROM positions "
                                         "ORDER BY rowid").fetchall(),
                "quarantine": con.execute("SELECT line_no, reason, detail FROM quarantine "
                                          "ORDER BY line_no").fetchall(),
                "summary": summary.to_dict() | {"duration_s": None, "path": None,
                                                "sha256": None, "size_bytes": None},
            }


def _damaged_rows(shared_data: Path) -> Any:
    """Real rows with bad and edge values in typed columns (a pandas frame)."""
    import numpy as np
    import pandas as pd

    df = pd.read_csv(shared_data / "ais_positions" / MC, nrows=N_ROWS,
                     usecols=["MMSI", "BaseDateTime", "LAT", "LON", "SOG", "COG", "Heading",
                              "Status"])
    df["BaseDateTime"] = pd.to_datetime(df["BaseDateTime"]).dt.tz_localize("UTC")
    df["MMSI"] = df["MMSI"].astype("Int64")
    df["Heading"] = df["Heading"].astype("Int32")
    df["SOG"] = df["SOG"].astype("float32")  # a REAL: read through its text, as before
    rows = np.arange(N_ROWS)
    df.loc[rows % 97 == 5, "MMSI"] = -df["MMSI"]  # negative: not an MMSI
    df.loc[rows % 101 == 7, "MMSI"] = pd.NA  # empty
    df.loc[rows % 89 == 3, "LAT"] = np.nan  # NaN: no value, then "only one of"
    df.loc[rows % 83 == 2, "Heading"] = 40_000  # not a whole number up to 32767
    df.loc[rows % 79 == 1, "Status"] = 2.5  # a code that is not whole
    df.loc[rows % 73 == 4, "COG"] = 1e300
    df.loc[rows % 71 == 6, "BaseDateTime"] = pd.NaT  # missing time
    return df


def test_typed_parquet_columns_stored_as_their_text_is(
        shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import duckdb
    import pandas as pd

    from cargotrace.ingest.params import InputFormat
    from cargotrace.ingest.table_formats import resolve_layout
    from cargotrace.ingest.table_sql import typed_columns

    df = _damaged_rows(shared_data)
    typed, text = tmp_path / "typed.parquet", tmp_path / "text.parquet"
    df.to_parquet(typed, index=False)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"""COPY (SELECT * REPLACE (
                        strftime(timezone('UTC', BaseDateTime), '%Y-%m-%d %H:%M:%S.%f')
                            AS BaseDateTime),
                        COLUMNS(* EXCLUDE (BaseDateTime))::VARCHAR
                    FROM read_parquet('{typed}')) TO '{text}'""")
    described = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{typed}')").fetchall()
    header = [str(name) for name, *_ in described]
    layout = resolve_layout(typed, header, InputFormat.PARQUET, IngestOptions().column_map())
    read_typed = typed_columns(layout, [str(kind) for _, kind, *_ in described])
    assert sorted(header[i] for i in read_typed) == ["BaseDateTime", "COG", "Heading", "LAT",
                                                     "LON", "MMSI", "Status"]  # not SOG

    from_typed = _ingest(typed, tmp_path / "typed.duckdb", monkeypatch)
    from_text = _ingest(text, tmp_path / "text.duckdb", monkeypatch)
    assert from_typed == from_text

    # pandas' count of every reason, from the values written
    mmsi_bad = ~df["MMSI"].between(100_000_000, 999_999_999).fillna(False)
    time_bad = ~mmsi_bad & df["BaseDateTime"].isna()
    lat_only = ~mmsi_bad & ~time_bad & df["LAT"].isna() & df["LON"].notna()
    heading_bad = ~mmsi_bad & ~time_bad & (df["Heading"] == 40_000).fillna(False)
    status_bad = ~mmsi_bad & ~time_bad & ~heading_bad & (df["Status"] == 2.5)
    quarantine = from_typed["quarantine"]
    reasons = pd.Series([reason for _, reason, _ in quarantine]).value_counts().to_dict()
    assert reasons.get("malformed_mmsi") == int(mmsi_bad.sum()) > 0
    assert reasons.get("missing_time") == int(time_bad.sum()) > 0
    assert reasons.get("unparseable_row") == int(
        (heading_bad | status_bad | (lat_only & ~heading_bad & ~status_bad)).sum())
    details = {detail for _, _, detail in quarantine}
    assert "Heading: '40000' is not a whole number up to 32767" in details
    assert "Status: '2.5' is not a whole number up to 127" in details
    assert any(d and d.startswith("MMSI: '-") and d.endswith("is not an integer")
               for d in details)


def test_staged_rows_stored_in_file_order_and_copies_by_receiver(
        shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every tenth row is heard again by a receiver sorting first: that copy is kept (the
    chunk path's rule), every other row once, in the order of the file."""
    import pandas as pd

    df = _damaged_rows(shared_data).dropna()
    df = df[df["MMSI"].between(100_000_000, 999_999_999) & (df["Heading"] != 40_000)
            & (df["Status"] != 2.5) & (df["COG"] <= 360)]
    df = df.drop_duplicates(["MMSI", "BaseDateTime", "LAT", "LON"]).reset_index(drop=True)
    df.columns = ["mmsi", "ts", "lat", "lon", "sog", "cog", "heading", "nav_status"]  # generic
    df["station"] = "rx-b"
    again = df.iloc[::10].assign(station="rx-a")
    both = pd.concat([df, again], ignore_index=True)
    path = tmp_path / "heard_twice.parquet"
    both.to_parquet(path, index=False)
    stored = _ingest(path, tmp_path / "s.duckdb", monkeypatch)
    positions = stored["positions"]
    assert len(positions) == len(df) == stored["summary"]["positions_stored"]
    assert stored["summary"]["duplicate_positions"] == len(again)
    stations = pd.Series([row[-1] for row in positions]).value_counts().to_dict()
    assert stations == {"rx-b": len(df) - len(again), "rx-a": len(again)}
    heard_once = {(int(m), t.to_pydatetime()) for m, t, s in
                  zip(df["mmsi"], df["ts"], df.index % 10 != 0, strict=True) if s}
    assert {(row[0], row[1]) for row in positions if row[-1] == "rx-b"} == heard_once
    # rows whose (mmsi, ts) is the file's only one are stored in one scan: in the file's order
    single = both.groupby(["mmsi", "ts"])["lat"].transform("size") == 1
    in_file = [(int(m), t.to_pydatetime())
               for m, t in zip(both["mmsi"][single], both["ts"][single], strict=True)]
    pairs = set(in_file)
    assert [(row[0], row[1]) for row in positions if (row[0], row[1]) in pairs] == in_file


def test_typed_parquet_converted_alike_without_hoisting_shared_expressions(
        shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Parquet file is converted with DuckDB's common-subexpression optimizer off
    (table_sql.TYPED_CONVERT_OPTIMIZERS_OFF: it computed a typed time's text on every row);
    an optimizer never changes a result, and this checks it on real rows with bad values:
    the same stored rows, reasons, details and summary with the optimizer on."""
    from cargotrace.ingest import table_sql

    df = _damaged_rows(shared_data)
    path = tmp_path / "typed.parquet"
    df.to_parquet(path, index=False)
    off = _ingest(path, tmp_path / "off.duckdb", monkeypatch)
    with monkeypatch.context() as patch:
        patch.setattr(table_sql, "TYPED_CONVERT_OPTIMIZERS_OFF", table_sql.CONVERT_OPTIMIZERS_OFF)
        on = _ingest(path, tmp_path / "on.duckdb", monkeypatch)
    assert off == on
    # independent: pandas' count of the rows that must be stored (a good MMSI and time, a
    # latitude and a longitude, the heading, status and COG rules of `_damaged_rows`), one
    # per key (MMSI, time, LAT, LON)
    good = (df["MMSI"].between(100_000_000, 999_999_999).fillna(False)
            & df["BaseDateTime"].notna() & df["LAT"].notna() & df["LON"].notna()
            & ~(df["Heading"] == 40_000).fillna(False) & ~(df["Status"] == 2.5)
            & (df["COG"] <= 360))
    expected = len(df[good].drop_duplicates(["MMSI", "BaseDateTime", "LAT", "LON"]))
    assert len(off["positions"]) == expected > N_ROWS // 2
