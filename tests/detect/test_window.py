"""A windowed re-detect (`detect --since/--until`) gives exactly the events a full detect gives:
each kind reads its margin around the window (`window.py`) and only events that start in the
window are replaced, so nothing crossing its edges is cut in two, opened, or left twice."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import cargotrace
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.params import WindowMargins
from cargotrace.detect.presets import GFW
from cargotrace.detect.run import SUPPORTED, detect
from cargotrace.detect.window import margin_of, read_range

from .factories import copy_store

# kinds whose margins (days) are shorter than the 10-day store: the run reads part of it
SHORT = ["gap", "left_coverage", "encounter", "loitering"]


@pytest.fixture(scope="module")
def full_detect(mixed_with_ports: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`mixed` (50 ships, 10 days) with every kind detected over all its data."""
    path = copy_store(mixed_with_ports, tmp_path_factory.mktemp("window-full"))
    with cargotrace.open_store(path) as store:
        detect(store)
    return path


def _middle_day(store: cargotrace.Store) -> tuple[datetime, datetime]:
    first, last = store.con.execute("SELECT min(ts), max(ts) FROM positions").fetchall()[0]
    since = (first + (last - first) / 2).replace(hour=0, minute=0, second=0, microsecond=0)
    return since, since + timedelta(days=1)


def _differences(store: cargotrace.Store, full: Path) -> dict[str, int]:
    """Rows in one events table and not in the other, both ways, per kind (plain SQL)."""
    store.con.execute(f"ATTACH '{full}' AS full_run (READ_ONLY)")
    try:
        rows = store.con.execute("""
            SELECT kind, count(*) FROM (
                (SELECT * FROM events EXCEPT SELECT * FROM full_run.events)
                UNION ALL
                (SELECT * FROM full_run.events EXCEPT SELECT * FROM events))
            GROUP BY kind""").fetchall()
    finally:
        store.con.execute("DETACH full_run")
    return {kind: n for kind, n in rows}


@pytest.mark.parametrize("kinds", [SHORT, [str(k) for k in SUPPORTED if str(k) not in SHORT]],
                         ids=["short-margins", "long-margins"])
def test_a_windowed_redetect_gives_the_full_detects_events(
    full_detect: Path, tmp_path: Path, kinds: list[str],
) -> None:
    path = copy_store(full_detect, tmp_path)
    with cargotrace.open_store(path) as store:
        since, until = _middle_day(store)
        in_window = dict(store.con.execute(
            "SELECT kind, count(*) FROM events WHERE start >= ? AND start < ? GROUP BY kind",
            [since, until]).fetchall())
        crossing = store.con.execute(
            'SELECT count(*) FROM events WHERE kind IN (SELECT unnest(?)) AND start < ? '
            'AND ("end" >= ? OR "end" IS NULL) AND start >= ? - INTERVAL 3 DAY',
            [kinds, until, since, since]).fetchall()[0][0]
        summary = detect(store, kinds=kinds, since=since, until=until)
        assert _differences(store, full_detect) == {}
        for kind in kinds:  # every stored event of the window was replaced by its equal
            assert summary.written[kind] == in_window.get(kind, 0)
        assert summary.replaced == sum(in_window.get(k, 0) for k in kinds)
        run = json.loads(store.con.execute("SELECT value FROM meta WHERE key = ?",
                                           [f"detected:{kinds[0]}"]).fetchall()[0][0])
    assert sum(in_window.get(k, 0) for k in kinds) >= 5 and crossing >= 3
    assert run["window"] == summary.window
    assert run["window"]["since"] == since.isoformat()
    margin = read_range([EventKind(k) for k in kinds], GFW, since, until)
    assert run["window"]["read_since"] == margin[0].isoformat()  # type: ignore[union-attr]
    if kinds == SHORT:  # the margins are real: the run read less than the store holds
        assert margin[0] is not None and margin[0] > since - timedelta(days=4)


def test_the_margins_are_parameters_a_run_can_override() -> None:
    """`--set window.gap_h=48` shortens what a gap run reads after its window; a dark voyage
    reads its port visits' margin too; a negative margin is refused."""
    longer = GFW.with_overrides({"window.gap_h": "48"})
    assert margin_of(EventKind.GAP, longer).ahead == timedelta(hours=48)
    assert margin_of(EventKind.GAP, GFW).ahead == timedelta(hours=GFW.window.gap_h)
    voyage, visit = (margin_of(k, GFW) for k in (EventKind.DARK_VOYAGE, EventKind.PORT_VISIT))
    assert voyage.back >= visit.back and voyage.ahead >= visit.ahead
    with pytest.raises(cargotrace.errors.ParamsError):
        WindowMargins(gap_h=-1)


def test_an_empty_or_impossible_window_is_a_one_line_error() -> None:
    """--since after --until reads an inverted range and replaced nothing while saying it did;
    a margin past the calendar raised OverflowError."""
    since, until = datetime.fromisoformat("2024-02-01T00:00Z"), datetime.fromisoformat(
        "2023-01-01T00:00Z")
    with pytest.raises(cargotrace.errors.ParamsError, match="is not before --until"):
        read_range([EventKind.GAP], GFW, since, until)
    huge = GFW.with_overrides({"window.port_visit_h": "1e9"})
    with pytest.raises(cargotrace.errors.ParamsError, match="reach past the calendar"):
        read_range([EventKind.PORT_VISIT], huge, until, None)


def test_a_redetect_of_two_windows_leaves_the_events_between_alone(
    full_detect: Path, tmp_path: Path,
) -> None:
    """Two adjacent windows re-detected one after the other: an event crossing their common
    edge belongs to the first (it starts there) and is neither dropped nor doubled."""
    path = copy_store(full_detect, tmp_path)
    with cargotrace.open_store(path) as store:
        since, until = _middle_day(store)
        detect(store, kinds=SHORT, since=since - timedelta(hours=12), until=since + timedelta(
            hours=6))
        detect(store, kinds=SHORT, since=since + timedelta(hours=6), until=until)
        assert _differences(store, full_detect) == {}



def test_the_cli_says_what_a_windowed_run_read(full_detect: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cargotrace.cli.app import app

    path = copy_store(full_detect, tmp_path)
    with cargotrace.open_store(path, read_only=True) as store:
        since, until = _middle_day(store)
    args = ["detect", "--store", str(path), "--kind", "gap", "--since", since.isoformat(),
            "--until", until.isoformat(), "-q"]
    shown = CliRunner().invoke(app, [*args, "--json"])
    assert shown.exit_code == 0, shown.output
    window = json.loads(shown.stdout)["window"]
    back = GFW.gap.received_window_h + GFW.coverage.outage_lead_h
    segments = GFW.identity.max_segment_gap_h + GFW.identity.min_overlap_h
    assert window["margin"] == {"back_h": max(back, segments), "ahead_h": GFW.window.gap_h}
    assert window["read_since"] == (since - timedelta(hours=max(back, segments))).isoformat()
    told = CliRunner().invoke(app, args)
    assert told.exit_code == 0 and f"positions read from {window['read_since']}" in told.stderr
