"""The sanctions, screen and vessel commands: JSON output, one-line errors, exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from rich.console import Console

import cargotrace
from cargotrace.cli.commands.vessel import render
from cargotrace.screen.profile import vessel_profile

from .factories import OFAC


def _run(*args: str, store: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cargotrace", *args, "--store", str(store)],
                          capture_output=True, text=True, check=False)


def test_load_and_reload(shared_data: Path, tmp_path: Path) -> None:
    lines = (shared_data / OFAC).read_text(encoding="utf-8").splitlines(keepends=True)
    subset = tmp_path / "sdn_subset.csv"
    subset.write_text("".join(line for line in lines
                              if line.startswith(("37059,", "37065,", "37095,", "37049,"))))
    store = tmp_path / "cli.duckdb"
    loaded = _run("sanctions", "load", str(subset), "--as-of", "2024-05-03", "--json",
                  store=store)
    assert loaded.returncode == 0, loaded.stderr
    summary = json.loads(loaded.stdout)
    assert (summary["list"], summary["entities"], summary["vessels"], summary["load_id"]) == (
        "ofac", 4, 2, 1)
    again = _run("sanctions", "load", str(subset), store=store)
    assert again.returncode == 0
    assert again.stderr == "sdn_subset.csv: same file as load 1 of list ofac; nothing changed\n"


def test_screen_and_vessel(screen_store: cargotrace.Store) -> None:
    store = screen_store.path
    profile_text = Console(width=300, record=True, file=io.StringIO())
    for part in render(vessel_profile(screen_store, "MAIA-1")):
        profile_text.print(part)
    assert "MAIA-1 (ofac-37098)" in profile_text.export_text()
    screen_store.close()
    screened = json.loads(_run("screen", "--json", store=store).stdout)
    assert screened["vessels"] == 0 and screened["list_vessels"] == 851
    profile = json.loads(_run("vessel", "9179842", "--json", store=store).stdout)
    assert {"identities", "sanctions", "owners", "events", "practices"} <= set(profile)
    assert profile["sanctions"][0]["entity_name"] == "ANGARA"


def test_unusable_list_is_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "list.xml"
    bad.write_text("<html/>")
    result = _run("sanctions", "load", str(bad), store=tmp_path / "s.duckdb")
    assert result.returncode == 1
    assert result.stderr == (f"Error: {bad}: not a UN consolidated list (root element <html>, "
                             "expected <CONSOLIDATED_LIST>); use --list ofac or --list ftm for "
                             "other lists\n")
    assert not (tmp_path / "s.duckdb").exists()  # the failed load left no empty store behind
