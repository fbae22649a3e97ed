"""Detection on real AIS, checked against independent counts (issue 14, item 4).

Each real file is ingested once per run, with no `places load`, and detected once (conftest.py);
the checks are tools/real_checks.py: pandas over the raw file (pyais for NMEA) and the NGA
World Port Index, never the detectors' code. tools/real_data_quality.py writes the same figures
and verdicts into docs/concepts/behaviours.md for every real file; here they are asserted on
the Solent capture, the MarineCadastre sample and AISdb's global sample, and their rows in the
page must be what the tool writes. Nothing pins today's counts: when the default gazetteer or
the coverage model changes what detect finds, the invariants still hold (or fail for a reason).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import cargotrace
from cargotrace.detect.presets import resolve
from cargotrace.detect.run import SUPPORTED
from cargotrace.ingest.params import IngestOptions
from cargotrace.ingest.pipeline import ingest_file

from .factories import AISDB_GLOBAL, MARINECADASTRE, SOLENT, WPI, load_tool

rc = load_tool("real_checks")
quality = load_tool("real_data_quality")

DETECTED = {"solent": SOLENT, "marinecadastre": MARINECADASTRE, "aisdb_global": AISDB_GLOBAL}


@pytest.fixture(scope="module")
def ports(shared_data: Path) -> pd.DataFrame:
    return rc.load_wpi(shared_data / WPI)


@pytest.fixture(scope="module")
def raw_marinecadastre(shared_data: Path) -> pd.DataFrame:
    """The sample's raw rows, read once for the two stores of it below (1-2 s)."""
    return rc.read_raw_csv(shared_data / MARINECADASTRE)


@pytest.fixture(scope="module")
def measured(solent_detected: Path, marinecadastre_detected: Path, aisdb_global_detected: Path,
             shared_data: Path, ports: pd.DataFrame, raw_marinecadastre: pd.DataFrame
             ) -> dict[str, Any]:
    """tools/real_data_quality.py's measure of each detected real file."""
    stores = {"solent": solent_detected, "marinecadastre": marinecadastre_detected,
              "aisdb_global": aisdb_global_detected}
    found = {}
    for name, path in stores.items():
        raw = raw_marinecadastre if name == "marinecadastre" else None
        with cargotrace.open_store(path, read_only=True) as store:
            found[name] = quality.measure_store(store, shared_data / DETECTED[name], shared_data,
                                                ports, raw)
    return found


def check(measured: dict[str, Any], file: str, name: str) -> Any:
    (found,) = [c for c in measured[file].checks if c.name == name]
    return found


@pytest.mark.parametrize("file", list(DETECTED))
def test_the_raw_rows_checked_are_the_positions_detect_read(measured: dict[str, Any],
                                                            file: str) -> None:
    """The checks below read the raw CSV with pandas (the documented value rules and the
    store's duplicate key restated); that reading gives the stored positions, row for row."""
    found = check(measured, file, "positions = raw rows")
    assert found.ok, (found.figure, found.offenders)


@pytest.mark.parametrize("file", list(DETECTED))
def test_closed_gaps_are_consecutive_positions_and_none_is_missed(measured: dict[str, Any],
                                                                  file: str) -> None:
    """Independent check: per MMSI in time order (flagged lone outliers left out), the pairs of
    consecutive positions at least `gap.min_gap_h` apart. Every closed gap is one of them; every
    one with that many observed hours between them (an hour is quiet when it hears < 10 % of
    the busiest hour's vessels) is reported, as a gap or as `left_coverage`; no MMSI with an
    open gap is heard after it. AISdb's satellite sample has such silences (not vacuous)."""
    found = check(measured, file, "gap: consecutive positions")
    assert found.ok is not False, (found.figure, found.offenders)
    if file == "aisdb_global":
        assert found.ok and found.counted > 0, found.figure


def test_no_silence_is_read_from_the_marinecadastre_outage(measured: dict[str, Any]) -> None:
    """Independent check: the feed's quiet hours from the raw rows (< 10 % of the busiest hour's
    distinct vessels: 23 of the sample's 24 hours); no gap, dark voyage or loitering crosses
    them and lasts less than its kind's minimum without them. On a fresh store."""
    found = check(measured, "marinecadastre", "no silence from a feed outage")
    assert found.ok is not False, (found.figure, found.offenders)
    assert found.counted == 23, found.figure  # quiet hours


@pytest.mark.parametrize("file", list(DETECTED))
def test_ships_moored_in_a_port_with_a_place_have_a_port_visit(measured: dict[str, Any],
                                                               file: str) -> None:
    """Independent check: ships heard at least twice with every speed < 0.5 kn, within 3 km of
    a WPI port point (29 in the Solent: Portsmouth Harbour); each one whose every position
    lies within a stored place's reach (its radius_m, at least the entry radius) has a port
    visit. A fresh store with no place in reach has nothing to assert."""
    found = check(measured, file, "port visits of moored ships")
    assert found.ok is not False, (found.figure, found.offenders)
    if file == "solent":
        assert found.counted >= 29, found.figure


@pytest.mark.parametrize("file", list(DETECTED))
def test_no_meeting_near_a_port_or_between_ships_moored_alongside(measured: dict[str, Any],
                                                                  file: str) -> None:
    """Independent checks: the haversine from each encounter and loitering to every WPI port
    is at least the kind's `min_port_distance_km`; no encounter pairs two ships moored (every
    speed < 0.5 kn) within 1 km of a WPI port point."""
    for name in ("meetings away from ports", "no encounter of moored pairs"):
        found = check(measured, file, name)
        assert found.ok is not False, (name, found.figure, found.offenders)


def test_the_marinecadastre_teleport_is_a_real_jump(measured: dict[str, Any]) -> None:
    """Independent check: the step into each teleport's first position, recomputed from the
    raw rows, is longer than `identity.min_jump_km` and faster than `identity.max_speed_kn`."""
    found = check(measured, "marinecadastre", "teleports are real jumps")
    assert found.ok, (found.figure, found.offenders)


@pytest.fixture(scope="module")
def with_ports(marinecadastre_with_ports: Path, raw_marinecadastre: pd.DataFrame
               ) -> dict[str, Any]:
    """The MarineCadastre sample with the WPI's ports as places, detected (conftest.py): its
    located raw positions (flagged outliers left out), events, places and data end."""
    with cargotrace.open_store(marinecadastre_with_ports, read_only=True) as store:
        flags = quality.frame(store, "SELECT mmsi, ts, lat, lon FROM position_flags")
        return {
            "p": rc.located(raw_marinecadastre, flags),
            "events": quality.frame(store, 'SELECT kind, mmsi, other_mmsi, start, "end", lat, '
                                           "lon, attrs FROM events"),
            "places": quality.frame(store, "SELECT lat, lon, radius_m FROM places"),
            "data_end": store.con.execute("SELECT max(ts) FROM positions").fetchall()[0][0],
        }


def test_moored_ships_have_port_visits_once_ports_are_places(with_ports: dict[str, Any],
                                                             ports: pd.DataFrame) -> None:
    """The moored-ship check where it has something to assert: with the WPI loaded, the
    MarineCadastre ships moored within 3 km of a WPI port point for the whole 21 minutes
    (every speed < 0.5 kn, one below the 0.2 kn stop speed: over 2,800) each have a port
    visit; independent count as above."""
    params = resolve("gfw", {}).port_visit
    found = rc.check_moored_visits(with_ports["p"], with_ports["events"], with_ports["places"],
                                   ports, params.entry_radius_km, params.stop_max_sog_kn)
    assert found.ok, (found.figure, found.offenders)
    assert found.counted > 1000, found.figure


def test_issue_14_no_dark_voyage_from_the_marinecadastre_outage_once_ports_are_places(
    with_ports: dict[str, Any]
) -> None:
    """Issue 14: with ports as places (what a fresh store will hold once a world gazetteer is
    the default), ships that left port in the sample's last busy minutes became 21 open dark
    voyages silent ~23.7 h: the feed went quiet, not the ships. Independent check as in
    `test_no_silence_is_read_from_the_marinecadastre_outage`: no gap, dark voyage or
    loitering crosses the quiet hours and lasts less than its kind's minimum without them.
    Fails until one coverage model serves every silence detector (branch h/cov)."""
    preset = resolve("gfw", {})
    minimum = {"gap": preset.gap.min_gap_h, "dark_voyage": preset.dark_voyage.min_silence_h,
               "loitering": preset.loitering.min_duration_h}
    found = rc.check_outage(with_ports["p"], with_ports["events"], minimum,
                            with_ports["data_end"])
    assert found.counted >= 20, found.figure  # the outage is there to be read wrongly
    assert found.ok, (found.figure, found.offenders)


def test_the_docs_table_holds_what_the_tool_writes(measured: dict[str, Any],
                                                   shared_data: Path) -> None:
    """docs/concepts/behaviours.md's real-data block: a column per detectable kind, a row per
    real file (measured or listed as not measured), and, for the files detected here, the
    rows the tool writes. Stale after a detector change: run `python
    tools/real_data_quality.py`."""
    page = quality.TARGET.read_text()
    block = page[page.index(quality.BEGIN):page.index(quality.END)]
    stale = "docs/concepts/behaviours.md is stale: run `python tools/real_data_quality.py`"
    assert f"| {' | '.join(str(k) for k in SUPPORTED)} |" in block, stale
    for path in quality.real_files(shared_data):
        assert path.relative_to(shared_data).as_posix() in block, stale
    for q in measured.values():
        assert quality.detection_row(q) in block, stale
        for row in quality.check_rows(q):
            assert row in block, stale


NMEA_DIR = "ais_nmea"


def nmea_files() -> list[str]:
    root = Path(__file__).resolve().parents[3] / "shared" / "data" / NMEA_DIR
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and p.suffix not in (".md", ".chk"))


@pytest.mark.parametrize("name", nmea_files())
def test_nmea_positions_stored_are_pyais_decode(tmp_store: cargotrace.Store, shared_data: Path,
                                                name: str) -> None:
    """Independent count: pyais decodes every position message (types 1, 2, 3, 18, 19, 27) of
    the lines that carry a receive time (tag block c:, USCG suffix, $PGHP before it), checksums
    checked by hand and the value rules applied; a default ingest stores exactly those
    (MMSI, lat, lon), no more, no fewer (none at all from an untimed capture)."""
    path = shared_data / NMEA_DIR / name
    ingest_file(tmp_store, path, IngestOptions())
    stored = tmp_store.con.sql("SELECT mmsi, lat, lon FROM positions").to_arrow_table().to_pandas()
    found = rc.check_nmea_positions(rc.read_raw_nmea(path), stored)
    assert found.ok, (found.figure, found.offenders)


def test_params_read_by_the_checks_are_the_runs(marinecadastre_detected: Path) -> None:
    """The checks take their thresholds from the default preset; the events of the run carry
    the same values (the teleport's identity parameters)."""
    preset = resolve("gfw", {})
    with cargotrace.open_store(marinecadastre_detected, read_only=True) as store:
        rows = store.con.execute("SELECT params->>'max_speed_kn', params->>'min_jump_km' "
                                 "FROM events WHERE kind = 'identity'").fetchall()
    assert rows and all((float(a), float(b)) == (preset.identity.max_speed_kn,
                                                 preset.identity.min_jump_km) for a, b in rows)


def _frame(rows: list[tuple[Any, ...]], columns: str) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns.split())
    for c in ("ts", "start", "end"):
        if c in df:
            df[c] = pd.to_datetime(df[c], utc=True)
    return df


EVENTS = "kind mmsi other_mmsi start end lat lon attrs"


def test_the_checks_catch_what_they_look_for() -> None:
    """The oracles are not vacuous: a missed or invented gap, a silence that only an outage
    explains, a meeting at a port, a teleport without a jump, each fails its check."""
    p = _frame([(211000001, "2024-01-01 00:00", 54.0, 10.0, 12.0),
                (211000001, "2024-01-01 07:00", 54.5, 11.0, 12.0)], "mmsi ts lat lon sog")
    end = pd.Timestamp("2024-01-01 08:00", tz="UTC")
    gap = (211000001, None, "2024-01-01 00:00", "2024-01-01 07:00", 54.0, 10.0, "{}")
    assert rc.check_gaps(p, _frame([("gap", *gap)], EVENTS), 6.0, end).ok
    assert rc.check_gaps(p, _frame([], EVENTS), 6.0, end).ok is False  # missed
    invented = ("gap", 211000001, None, "2024-01-01 00:00", "2024-01-01 06:30", 54, 10, "{}")
    assert rc.check_gaps(p, _frame([("gap", *gap), invented], EVENTS), 6.0, end).ok is False
    # 30 vessels heard at 00:00, one until 09:00: 01:00-08:00 are quiet hours
    busy = [(211000100 + i, "2024-01-01 00:10", 54.0, 10.0 + i / 100, 10.0) for i in range(30)]
    feed = _frame([*busy, (211000100, "2024-01-01 09:00", 54.0, 11.0, 10.0)],
                  "mmsi ts lat lon sog")
    dark = ("dark_voyage", 211000101, None, "2024-01-01 00:10", None, 54, 10, "{}")
    minimum = {"gap": 6.0, "dark_voyage": 6.0, "loitering": 2.0}
    found = rc.check_outage(feed, _frame([dark], EVENTS), minimum, end + pd.Timedelta(hours=1))
    assert found.ok is False and found.counted == 8
    ports = pd.DataFrame({"name": ["Kiel"], "country": ["DE"], "lat": [54.32], "lon": [10.14]})
    at_port = ("encounter", 211000001, 211000002, "2024-01-01 00:00", "2024-01-01 03:00",
               54.33, 10.15, "{}")
    assert rc.check_meetings_off_port(_frame([at_port], EVENTS), ports,
                                      {"encounter": 10.0}).ok is False
    hop = ("identity", 211000001, None, "2024-01-01 07:00", "2024-01-01 07:00", 54.5, 11.0,
           '{"identity_kind": "teleport"}')
    assert rc.check_teleports(p, _frame([hop], EVENTS), 30.0, 5.0).ok is False  # 3.9 kn
