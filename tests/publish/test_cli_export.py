"""`cargotrace export`: files written, one-line errors with exit code 1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import cargotrace
from cargotrace.cli import main

from .factories import ANGARA_IMO


def _run(*args: str, store: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cargotrace", "export", *args,
                           "--store", str(store)], capture_output=True, text=True, check=False)


def test_events_and_vessel(sim_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "gaps.geojson"
    done = _run("--events", "--kind", "gap", "--kind", "dark_voyage", "--format", "geojson",
                "--out", str(out), store=sim_store)
    assert done.returncode == 0, done.stderr
    kinds = [f["properties"]["kind"] for f in json.loads(out.read_text())["features"]]
    assert kinds and set(kinds) <= {"gap", "dark_voyage"}
    assert done.stderr == f"{len(kinds)} event(s) → {out} (geojson)\n"
    ftm = tmp_path / "angara.ftm.json"
    done = _run("--vessel", ANGARA_IMO, "--format", "ftm", "--out", str(ftm), store=sim_store)
    assert done.returncode == 0, done.stderr
    n = len(ftm.read_text().splitlines())
    assert done.stderr == f"{n} FollowTheMoney entities for {ANGARA_IMO} → {ftm} (ftm)\n"


def _run_here(*args: str, store: Path, monkeypatch: pytest.MonkeyPatch,
              capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """In-process (the errors need no fresh interpreter): exit code and stderr."""
    monkeypatch.setattr(sys, "argv", ["cargotrace", "export", *args, "--store", str(store)])
    try:
        main()
    except SystemExit as exited:
        return int(exited.code or 0), capsys.readouterr().err
    return 0, capsys.readouterr().err


def test_one_line_errors(sim_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str]) -> None:
    cases = {
        ("--format", "kml", "--out", "x.kml"):
            "Error: export: give exactly one of --events, --vessel QUERY, --case CASE.yaml or "
            "--campaign CAMPAIGN.yaml "
            "(got none)\n",
        ("--events", "--vessel", "ANGARA", "--format", "kml", "--out", "x.kml"):
            "Error: export: give exactly one of --events, --vessel QUERY, --case CASE.yaml or "
            "--campaign CAMPAIGN.yaml "
            "(got --events, --vessel)\n",
        ("--events", "--format", "ftm", "--out", "x.json"):
            "Error: --format ftm exports vessels, owners and sanctions links, not map "
            "features: use --vessel QUERY\n",
        ("--events", "--format", "csv", "--out", str(tmp_path / "no" / "x.csv")):
            f"Error: --out {tmp_path / 'no' / 'x.csv'}: folder {tmp_path / 'no'} does not "
            "exist\n",
        ("--vessel", "999999999", "--format", "geojson", "--out", "x.geojson"):
            "Error: vessel '999999999': not in the store (give an IMO number, MMSI or name as "
            "`cargotrace vessels` shows it)\n",
    }
    missing = tmp_path / "none.duckdb"
    assert _run_here("--events", "--format", "csv", "--out", "x.csv", store=missing,
                     monkeypatch=monkeypatch, capsys=capsys) == (
        1, f"Error: no store at {missing} (from --store); choose one with --store PATH or "
        "`export CARGOTRACE_STORE=PATH` (`cargotrace demo` prints its store's); only ingest, "
        "places load, sanctions load and demo create a store\n")
    assert not missing.exists()
    assert not missing.exists()
    for args, message in cases.items():
        assert _run_here(*args, store=sim_store, monkeypatch=monkeypatch,
                         capsys=capsys) == (1, message), args
    assert _run_here("--case", "case.yaml", "--format", "kml", "--out", "x.kml",
                     store=sim_store, monkeypatch=monkeypatch, capsys=capsys) == (
        1, "Error: case.yaml: no such file (packaged cases: najin-tikhoretsk-2023; write one as "
        "docs/concepts/cases.md describes, or let `cargotrace simulate --scenario "
        "sea-of-japan-2023` write a simulated evidence.yaml)\n")


def test_case_export(sim_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                     capsys: pytest.CaptureFixture[str]) -> None:
    """The packaged reference case: anchors, the best hypotheses' legs, Angara's AIS."""
    from cargotrace.cases import build_case, read_case

    out = tmp_path / "case.geojson"
    code, stderr = _run_here("--case", "najin-tikhoretsk-2023", "--format", "geojson", "--out",
                             str(out), store=sim_store, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0, stderr
    doc = json.loads(out.read_text())
    assert any("© OpenStreetMap contributors (ODbL" in a for a in doc["attribution"])
    with cargotrace.open_store(sim_store, read_only=True) as store:
        result = build_case(read_case("najin-tikhoretsk-2023"), store)
    by_layer: dict[str, list[dict[str, Any]]] = {}
    for f in doc["features"]:
        by_layer.setdefault(f["properties"]["layer"], []).append(f["properties"])
    assert [p["place_id"] for p in by_layer["place"]] == [
        a.place.place_id for a in result.anchors]
    ranks = {p["hypothesis_rank"] for p in by_layer["route"]}
    assert ranks == {h.rank for h in result.hypotheses[:3]}
    vessels = {int(m) for h in result.hypotheses[:3] for leg in h.legs if leg.vessel
               for m in leg.vessel["in_store_mmsis"]}
    assert {p["mmsi"] for p in by_layer.get("track", [])} == vessels
    assert stderr == f"{len(doc['features'])} feature(s) of case najin-tikhoretsk-2023 → {out} " \
                     "(geojson)\n"


def test_events_command_writes_the_export_features(sim_store: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """`cargotrace events --format geojson|csv` print what `export --events` writes: flat typed
    properties, lines for gaps, the same columns."""
    with cargotrace.open_store(sim_store, read_only=True) as store:
        (gaps,), = store.con.execute("SELECT count(*) FROM events WHERE kind = 'gap'").fetchall()
    for fmt in ("geojson", "csv"):
        out = tmp_path / f"gaps.{fmt}"
        assert _run_here("--events", "--kind", "gap", "--format", fmt, "--out", str(out),
                         store=sim_store, monkeypatch=monkeypatch, capsys=capsys)[0] == 0
        monkeypatch.setattr(sys, "argv", ["cargotrace", "events", "--kind", "gap", "--format",
                                          fmt, "--store", str(sim_store)])
        main()
        assert capsys.readouterr().out == out.read_bytes().decode("utf-8"), fmt
    doc = json.loads((tmp_path / "gaps.geojson").read_text())
    assert len(doc["features"]) == gaps > 0
    assert all(not isinstance(v, dict) for f in doc["features"] for v in f["properties"].values())
