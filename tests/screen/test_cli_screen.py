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


def test_screen_shows_what_made_each_hit_and_what_conflicts(
    screen_store: cargotrace.Store, shared_data: Path,
) -> None:
    """Found by a new-user test on the real MarineCadastre day against the real OFAC list: the
    table showed each hit's first reason only (often "IMO ... fails the check digit: not
    used"), hiding the name match that made it and the flag and ship-type conflicts, and the
    summary did not say on how many vessels the hits fell. Checked against the list's flags
    and the MMSIs' MIDs read here, independently of the screening code."""
    import csv

    from cargotrace.cli.commands.screen import hits_table, summary_line
    from cargotrace.ingest.pipeline import ingest_file
    from cargotrace.screen.screen import screen_store as run_screen

    from .factories import MARINECADASTRE

    ingest_file(screen_store, shared_data / MARINECADASTRE)
    summary = run_screen(screen_store)
    list_flag = dict(screen_store.con.execute(
        "SELECT id, flag FROM sanctions_entities WHERE schema = 'Vessel'").fetchall())
    events = screen_store.con.execute(
        "SELECT count(*), count(DISTINCT mmsi) FROM events WHERE kind = 'sanction_match'"
    ).fetchall()[0]
    with (Path(cargotrace.__file__).parent / "data/mid.csv").open() as f:
        mid = {row["mid"]: row["iso2"] for row in csv.DictReader(f)}
    shown = Console(width=400, record=True, file=io.StringIO())
    shown.print(hits_table(summary.hits))
    text = shown.export_text()
    rows: list[list[list[str]]] = []  # per table row, its lines' cells
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if len(cells) == 9:
            if cells[0]:
                rows.append([])
            rows[-1].append(cells)
    assert events[0] == events[1] == len({h.mmsi for h in summary.hits}) > 50
    title = f"{len(summary.hits):,} hit(s) on {events[0]:,} vessel(s)"
    assert text.splitlines()[0].strip() == title
    line = summary_line(summary)
    assert f"hits on {events[0]:,} vessel(s)" in line and "possible" in line
    differs = 0
    for hit in summary.hits:
        block = next(r for r in rows if r[0][0] == str(hit.mmsi) and r[0][4] == hit.entity_id)
        reasons = [cells[-1] for cells in block if cells[-1]]
        vessel_flag, entry_flag = mid.get(str(hit.mmsi)[:3]), list_flag[hit.entity_id]
        assert reasons[0].startswith("+ "), reasons  # what made the hit comes first
        if hit.match == "possible":
            assert reasons[0].startswith(("+ name", "+ MMSI")), reasons
        if vessel_flag and entry_flag and vessel_flag != entry_flag:
            differs += 1
            assert f"− flag {vessel_flag} (from the MMSI's MID) ≠ list flag {entry_flag}" \
                in reasons, reasons
    assert differs > 20
    # the new user's case: a hit on a vessel giving an IMO that fails its check digit shows
    # the name match first; the failed check digit is a note after it
    bad_imo = [h for h in summary.hits if any("fails the check digit" in r for r in h.reasons)]
    assert bad_imo and all(h.reasons[0].startswith("name ") for h in bad_imo
                           if h.match == "possible")
