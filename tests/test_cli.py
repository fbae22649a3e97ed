"""The command line: whole messages and exit codes, as a user sees them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import cargotrace


def cli(
    *args: str, cwd: Path | None = None, env_store: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = None
    if env_store is not None:
        import os

        env = {**os.environ, "CARGOTRACE_STORE": str(env_store)}
    return subprocess.run(
        [sys.executable, "-m", "cargotrace", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
    )


def test_ingest_json_summary_and_rerun(tmp_path: Path, shared_data: Path) -> None:
    store = tmp_path / "s.duckdb"
    path = shared_data / "ais_nmea/aisdb/test_data_20211101.nm4"
    first = cli("ingest", "--store", str(store), "--json", str(path))
    assert first.returncode == 0, first.stderr
    (summary,) = json.loads(first.stdout)
    assert summary["positions_stored"] == 912
    assert summary["quarantined"] == {"malformed_mmsi": 6}
    again = cli("ingest", "--store", str(store), str(path))
    assert again.returncode == 0
    assert "already ingested (ingest #1, same content and options); nothing changed" in " ".join(
        again.stderr.split()
    )


def test_store_from_environment(tmp_path: Path, shared_data: Path) -> None:
    store = tmp_path / "env.duckdb"
    result = cli(
        "ingest",
        "--quiet",
        str(shared_data / "ais_nmea/aisdb/test_data_201201.nmea"),
        env_store=store,
    )
    assert result.returncode == 0, result.stderr
    with cargotrace.open_store(store) as st:
        assert st.count("positions") == 3  # two of the five are off the globe (libais examples)


def test_missing_file_is_one_line_error_and_others_still_ingest(
    tmp_path: Path, shared_data: Path
) -> None:
    store = tmp_path / "s.duckdb"
    good = shared_data / "ais_nmea/aisdb/test_data_201201.nmea"
    result = cli("ingest", "--store", str(store), "--quiet", str(tmp_path / "nope.nmea"), str(good))
    assert result.returncode == 1
    assert f"Error: {tmp_path / 'nope.nmea'}: no such file\n" in result.stderr
    with cargotrace.open_store(store) as st:
        assert st.count("positions") == 3  # two of the five are off the globe (libais examples)


def test_empty_file_is_one_line_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.nmea"
    empty.write_text("")
    result = cli("ingest", "--store", str(tmp_path / "s.duckdb"), str(empty))
    assert result.returncode == 1
    assert result.stderr == f"Error: {empty}: the file is empty\n"


def test_bad_assume_time_is_usage_error(tmp_path: Path, shared_data: Path) -> None:
    result = cli(
        "ingest",
        "--store",
        str(tmp_path / "s.duckdb"),
        "--assume-time",
        "yesterday",
        str(shared_data / "ais_nmea/pyais/messages.ais"),
    )
    assert result.returncode == 1
    assert result.stderr == (
        "Error: --assume-time: cannot read 'yesterday' as a time; use ISO 8601, "
        "e.g. 2023-09-07T00:00:00Z\n"
    )


def test_unknown_option_exits_2(tmp_path: Path) -> None:
    result = cli("ingest", "--no-such-flag", str(tmp_path))
    assert result.returncode == 2
    assert "No such option" in result.stderr


def test_vessels_lists_identities_with_flag(tmp_path: Path, shared_data: Path) -> None:
    store = tmp_path / "s.duckdb"
    cli(
        "ingest",
        "--store",
        str(store),
        "--quiet",
        str(shared_data / "ais_nmea/aisdb/test_data_20211101.nm4"),
    )
    result = cli("vessels", "--store", str(store), "--name", "MAERSK KIERA", "--json")
    assert result.returncode == 0, result.stderr
    (vessel,) = json.loads(result.stdout)
    assert vessel["mmsi"] == 566234000
    assert vessel["flag"] == "SG"  # MID 566 is Singapore
    assert [n["value"] for n in vessel["names"]] == ["MAERSK KIERA"]
    assert [i["value"] for i in vessel["imos"]] == ["9431305"]
    table = cli("vessels", "--store", str(store), "--imo", "9431305")
    assert table.returncode == 0 and "MAERSK KIERA" in table.stdout and "566234000" in table.stdout


@pytest.mark.parametrize("flag", ["--mmsi", "--imo"])
def test_vessels_not_found_is_empty_not_error(tmp_path: Path, flag: str) -> None:
    result = cli("vessels", "--store", str(tmp_path / "s.duckdb"), flag, "123456789", "--json")
    assert result.returncode == 0 and json.loads(result.stdout) == []


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    result = cli("demo", "--out", str(tmp_path / "demo"), "--hours", "2")
    assert result.returncode == 0, result.stderr
    assert f"Report: {tmp_path / 'demo' / 'report.json'}" in result.stdout
    report = json.loads((tmp_path / "demo" / "report.json").read_text())
    assert report["ingest"]["quarantined_total"] == 0
    assert report["ingest"]["positions_stored"] > 500
    assert {v["names"][0]["value"] for v in report["vessels"]} >= {"SIM ARKTIKA", "SIM RASON"}
