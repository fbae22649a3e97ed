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


def test_demo_runs_the_whole_chain_and_leaves_nothing_outside_its_folder(
        tmp_path: Path) -> None:
    """`make demo`'s command with its defaults, as on a fresh machine: an empty home, no cache."""
    import os

    home, cwd, out = tmp_path / "home", tmp_path / "cwd", tmp_path / "demo"
    home.mkdir()
    cwd.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARGOTRACE_")}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))
    result = subprocess.run([sys.executable, "-m", "cargotrace", "demo", "--out", str(out)],
                            capture_output=True, text=True, cwd=cwd, env=env, check=False)
    assert result.returncode == 0, result.stderr
    report = out / "najin-tikhoretsk-2023.html"
    assert result.stdout.strip() == f"Report: {report}"
    log = " ".join(result.stderr.split())
    assert "(0 quarantined)" in log
    assert "= ANGARA (IMO 9179842, RUSSIA-EO14024, confirmed)" in log
    assert "best #1 sea Najin → Dunay; rail Dunay → Tikhoretsk" in log
    assert "sea leg vessel ANGARA (MMSI" in log
    for kind in ("gap", "dark voyage", "port visit"):
        assert f" {kind}," in log or f" {kind}\n" in result.stderr
    html = report.read_text(encoding="utf-8")
    # screened against the packaged facts (their entity ids), not a list loaded elsewhere
    assert "(ct-ref-ofac-37059)" in html and "(ofac-37059)" not in html
    assert 'id="simulated-ais-banner"' in html and "sea-of-japan-2023, seed 7" in html
    assert list(home.iterdir()) == [] and list(cwd.iterdir()) == []
    assert (out / "cache").is_dir() and (out / "demo.duckdb").is_file()


def test_demo_screens_against_a_real_list_when_given_one(tmp_path: Path,
                                                          shared_data: Path) -> None:
    out = tmp_path / "demo"
    result = cli("demo", "--out", str(out), "--vessels", "4", "--days", "14", "--sanctions",
                 str(shared_data / "sanctions/ofac_sdn_2024-05-03.csv"))
    assert result.returncode == 0, result.stderr
    log = " ".join(result.stderr.split())
    assert "screened against ofac (851 listed vessels)" in log
    assert "= ANGARA (IMO 9179842, RUSSIA-EO14024, confirmed)" in log
    assert "(ofac-37059)" in (out / "najin-tikhoretsk-2023.html").read_text(encoding="utf-8")


def test_demo_rejects_an_unreadable_list_before_simulating(tmp_path: Path) -> None:
    bad = tmp_path / "list.csv"
    bad.write_text("not,a,sanctions,list\n")
    result = cli("demo", "--out", str(tmp_path / "demo"), "--sanctions", str(bad))
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ") and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "demo" / "simulated").exists()
