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
    assert not (tmp_path / "s.duckdb").exists()  # nothing ingested: no store left behind


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
    cargotrace.open_store(tmp_path / "s.duckdb").close()  # a store, with no such vessel
    result = cli("vessels", "--store", str(tmp_path / "s.duckdb"), flag, "123456789", "--json")
    assert result.returncode == 0 and json.loads(result.stdout) == []


# --- a store that does not exist: reading commands never create one -------------------------

READ_COMMANDS = [
    ["vessels", "--name", "ANGARA"],
    ["vessel", "9179842"],
    ["events"],
    ["places", "list"],
    ["sanctions", "changes"],
    ["export", "--events", "--format", "csv", "--out", "out.csv"],
    ["export", "--vessel", "9179842", "--format", "kml", "--out", "out.kml"],
]
# these also work without any store, but a store the user named must exist
OPTIONAL_STORE_COMMANDS = [
    ["case", "build", "najin-tikhoretsk-2023"],
    ["report", "najin-tikhoretsk-2023", "--out", "report"],
    ["export", "--case", "najin-tikhoretsk-2023", "--format", "kml", "--out", "case.kml"],
    ["route", "Najin", "Dunay"],
]


def test_reading_a_missing_store_is_one_line_naming_it(tmp_path: Path) -> None:
    """What the README's `vessels --name ANGARA` printed in a fresh folder: "0 vessel(s)"."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("CARGOTRACE_")}
    result = subprocess.run([sys.executable, "-m", "cargotrace", "vessels", "--name", "ANGARA"],
                            capture_output=True, text=True, cwd=tmp_path, env=env, check=False)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (
        f"Error: no store at {tmp_path / 'cargotrace.duckdb'} (from the default); choose one "
        "with --store PATH or `export CARGOTRACE_STORE=PATH` (`cargotrace demo` prints its "
        "store's); only ingest, places load, sanctions load, detect, screen and demo create a "
        "store\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", READ_COMMANDS + OPTIONAL_STORE_COMMANDS, ids=" ".join)
@pytest.mark.parametrize("how", ["--store", "env"])
def test_read_commands_do_not_create_a_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], how: str
) -> None:
    from typer.testing import CliRunner

    from cargotrace.cli import app
    from cargotrace.errors import StoreError

    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "typo.duckdb"
    if how == "env":
        monkeypatch.setenv("CARGOTRACE_STORE", str(missing))
        extra: list[str] = []
    else:
        monkeypatch.delenv("CARGOTRACE_STORE", raising=False)
        extra = ["--store", str(missing)]
    result = CliRunner().invoke(app, [*args, *extra])
    assert result.exit_code == 1 and isinstance(result.exception, StoreError)
    origin = "--store" if how == "--store" else "$CARGOTRACE_STORE"
    assert str(result.exception).startswith(f"no store at {missing} (from {origin}); ")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", READ_COMMANDS, ids=" ".join)
def test_read_commands_without_any_store_fail_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    from typer.testing import CliRunner

    from cargotrace.cli import app
    from cargotrace.errors import StoreError

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CARGOTRACE_STORE", raising=False)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and isinstance(result.exception, StoreError)
    assert "(from the default)" in str(result.exception)
    assert list(tmp_path.iterdir()) == []


def test_writing_commands_create_the_store_and_say_so_once(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cargotrace.cli import app

    store = tmp_path / "new" / "s.duckdb"
    store.parent.mkdir()
    runner = CliRunner()
    first = runner.invoke(app, ["places", "load", "--curated", "--store", str(store)])
    assert first.exit_code == 0, first.output
    assert first.stderr.splitlines()[0] == f"created store at {store}"
    again = runner.invoke(app, ["places", "load", "--curated", "--store", str(store)])
    assert again.exit_code == 0 and "created store" not in again.stderr
    listed = runner.invoke(app, ["places", "list", "--store", str(store), "--json"])
    assert listed.exit_code == 0 and len(json.loads(listed.stdout)) == 20
