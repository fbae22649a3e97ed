"""Exports are shared (issue 21): no file cargotrace exports names the folders the analyst
ingested from. Positions name their file and its SHA-256 instead."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import cargotrace
from cargotrace.cli import main
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.publish.export import ExportFormat, events_export, export_vessel, write_features

from .factories import ANGARA_IMO

REAL_NMEA = "ais_nmea/aisdb/test_data_20211101.nm4"


def _text(path: Path) -> str:
    """What a reader of the file sees: Parquet decompressed (rows and key-value metadata)."""
    if path.read_bytes()[:4] == b"PAR1":
        table = pq.read_table(path)
        meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
        return json.dumps(table.to_pylist(), default=str) + json.dumps(meta)
    return path.read_text(encoding="utf-8")


def _cli(args: list[str], monkeypatch: pytest.MonkeyPatch,
         capsys: pytest.CaptureFixture[str]) -> str:
    monkeypatch.setattr(sys, "argv", ["cargotrace", *args])
    try:
        main()
    except SystemExit as exited:
        assert not exited.code, capsys.readouterr().err
    return capsys.readouterr().out


def test_no_export_names_a_local_folder(sim_store: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Every format of `cargotrace export` (events, a vessel, a case) and of `cargotrace
    events --format`: none holds the folder of an ingested file, of a loaded list or of the
    store, in any form."""
    with cargotrace.open_store(sim_store, read_only=True) as store:
        inputs = [Path(r[0]) for r in store.con.execute(
            "SELECT path FROM ingests UNION ALL SELECT path FROM sanctions_loads").fetchall()]
        written = []
        for fmt in ("geojson", "kml", "geoparquet", "csv"):
            out = tmp_path / f"events.{fmt}"
            write_features(events_export(store), fmt, out)
            written.append(out)
        for fmt in ExportFormat:
            out = tmp_path / f"angara.{fmt}"
            export_vessel(store, ANGARA_IMO, fmt, out)
            written.append(out)
    case = tmp_path / "case.parquet"
    _cli(["export", "--case", "najin-tikhoretsk-2023", "--format", "geoparquet", "--out",
          str(case), "--store", str(sim_store)], monkeypatch, capsys)
    texts = {path.name: _text(path) for path in [*written, case]}
    for fmt in ("json", "csv", "geojson"):
        texts[f"events --format {fmt}"] = _cli(
            ["events", "--format", fmt, "--store", str(sim_store)], monkeypatch, capsys)
    folders = {str(p.parent) for p in inputs} | {str(sim_store.parent)}
    assert len(inputs) >= 3 and all(p.is_absolute() for p in inputs)
    for name, text in texts.items():
        assert text, name
        for folder in folders:
            assert folder not in text, (name, folder)
    # the positions still say which file they came from
    positions = inputs[0].name
    assert positions in texts["angara.csv"] and positions in texts["angara.geoparquet"]


def test_real_nmea_positions_name_their_file_and_its_hash(shared_data: Path,
                                                          tmp_path: Path) -> None:
    """A real aisdb NMEA capture ingested from a folder whose name must stay private."""
    folder = tmp_path / "home" / "reporter" / "source-protection"
    folder.mkdir(parents=True)
    src = folder / Path(REAL_NMEA).name
    shutil.copyfile(shared_data / REAL_NMEA, src)
    sha = hashlib.sha256(src.read_bytes()).hexdigest()
    with cargotrace.open_store(tmp_path / "s.duckdb") as store:
        ingest_file(store, src)
        (mmsi, n), = store.con.execute(
            "SELECT mmsi, count(*) FROM positions WHERE lat IS NOT NULL GROUP BY mmsi "
            "ORDER BY count(*) DESC, mmsi LIMIT 1").fetchall()
        outs = {}
        for fmt in ExportFormat:
            if fmt is not ExportFormat.FTM:
                outs[fmt] = tmp_path / f"v.{fmt}"
                export_vessel(store, str(mmsi), fmt, outs[fmt], mmsi=mmsi)
    for fmt, out in outs.items():
        text = _text(out)
        assert "source-protection" not in text and str(tmp_path) not in text, fmt
    rows = pd.read_csv(outs[ExportFormat.CSV], dtype=str, keep_default_na=False)
    assert len(rows) == n > 1
    assert set(zip(rows["source"], rows["source_sha256"], strict=True)) == {(src.name, sha)}
    table = pq.read_table(outs[ExportFormat.GEOPARQUET], columns=["source", "source_sha256"])
    assert set(map(tuple, (r.values() for r in table.to_pylist()))) == {(src.name, sha)}


@pytest.mark.parametrize(("stored", "shared"), [
    ("/home/reporter/source-protection/positions.nmea", "positions.nmea"),
    ("C:\\Users\\reporter\\Desktop\\feed 2023.nm4", "feed 2023.nm4"),  # a store made on Windows
    ("positions.nmea", "positions.nmea"),
    (None, None),
])
def test_file_name_keeps_only_the_name(stored: str | None, shared: str | None) -> None:
    from cargotrace.publish.features import file_name

    assert file_name(stored) == shared
