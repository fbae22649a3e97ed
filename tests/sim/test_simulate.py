"""The simulator: realistic traffic, truth consistent with what it emitted, same seed same bytes."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
import yaml

import cargotrace
from cargotrace.cases import read_case
from cargotrace.geo.landmask import is_land
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.sim.identities import IDENTITY_MARGIN_H
from cargotrace.sim.params import ScenarioParams
from cargotrace.sim.run import build_world, simulate
from cargotrace.sim.scenarios import region_ports


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mixed")
    simulate(ScenarioParams.for_scenario("mixed", vessels=70, days=12), out, nmea=True)
    return out


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("soj")
    simulate(ScenarioParams.for_scenario("sea-of-japan-2023", vessels=8, days=30), out)
    return out


def q(sql: str) -> list[tuple[Any, ...]]:
    relation = duckdb.sql(sql)
    assert relation is not None  # a query, not a statement
    return relation.fetchall()


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    params = ScenarioParams.for_scenario("background", vessels=4, days=2, seed=11)
    a, b = tmp_path / "a", tmp_path / "b"
    simulate(params, a, nmea=True)
    simulate(params, b, nmea=True)
    for name in ("positions.parquet", "vessel_reports.parquet", "truth.parquet",
                 "positions.nmea", "scenario.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    other = tmp_path / "c"
    simulate(ScenarioParams.for_scenario("background", vessels=4, days=2, seed=12), other)
    assert (a / "positions.parquet").read_bytes() != (other / "positions.parquet").read_bytes()


def test_planted_behaviours_are_reproducible(tmp_path: Path) -> None:
    """Every behaviour, identity ones sharing ships included (jumps draw from the emission
    generator), comes out byte for byte the same from the same seed."""
    params = ScenarioParams.for_scenario("mixed", vessels=24, days=6, seed=5)
    simulate(params, tmp_path / "a")
    simulate(params, tmp_path / "b")
    for name in ("positions.parquet", "vessel_reports.parquet", "truth.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    subkinds = q(f"SELECT DISTINCT subkind FROM '{tmp_path}/a/truth.parquet'")
    assert {"teleport", "name_change", "flag_change"} <= {k for (k,) in subkinds}


def test_tracks_stay_at_sea(mixed: Path) -> None:
    """Positions are never on land, except within a port's anchorage or at a planted jump."""
    lat, lon, ts = (np.array(c) for c in zip(*q(
        f"SELECT lat, lon, epoch(ts) FROM '{mixed}/positions.parquet'"), strict=True))
    on_land = is_land(lat, lon)
    _, ports = region_ports("sea-of-japan")
    near_port = np.zeros(lat.size, dtype=bool)
    for p in ports:
        d_km = np.hypot((lat - p.lat) * 111.32, (lon - p.lon) * 111.32 * math.cos(
            math.radians(p.lat)))
        near_port |= d_km < 6.0
    teleports = {round(t, 3) for (t,) in q(
        f"SELECT epoch(start) FROM '{mixed}/truth.parquet' WHERE subkind = 'teleport'")}
    bad = [i for i in np.flatnonzero(on_land & ~near_port) if round(ts[i], 3) not in teleports]
    assert lat.size > 300_000
    assert bad == []


def test_speeds_and_reporting_intervals_are_realistic(mixed: Path) -> None:
    rows = q(f"""
        WITH p AS (SELECT mmsi, msg_type, sog, epoch(ts) - epoch(lag(ts) OVER w) AS dt_s
                   FROM '{mixed}/positions.parquet' WINDOW w AS (PARTITION BY mmsi ORDER BY ts)),
        shared AS (SELECT mmsi FROM '{mixed}/truth.parquet' WHERE subkind = 'shared_mmsi')
        SELECT msg_type, max(sog), min(dt_s), quantile_cont(dt_s, 0.01), median(dt_s) FROM p
        WHERE mmsi NOT IN (SELECT mmsi FROM shared) GROUP BY msg_type ORDER BY msg_type""")
    by_type = {r[0]: r[1:] for r in rows}
    max_sog, min_dt, p01_dt, median_dt = by_type[1]
    assert max_sog <= 19  # fastest class A profile is 17 kn, plus sensor noise
    # class A above 14 kn reports every 6 s (within half a second of its slot); only where it
    # changes schedule (speeding up, slowing to drift) may two reports come closer
    assert min_dt >= 1.0 and p01_dt >= 5.0
    assert 10 <= median_dt <= 200  # thinned reception: tens of seconds to minutes
    max_sog_b, min_dt_b, _, _ = by_type[18]
    assert max_sog_b <= 20 and min_dt_b >= 29  # class B: 30 s under way


def test_truth_gaps_have_no_positions_inside(mixed: Path) -> None:
    inside = q(f"""
        SELECT t.truth_id, count(p.ts) FROM '{mixed}/truth.parquet' t
        JOIN '{mixed}/positions.parquet' p ON p.mmsi = t.mmsi
             AND p.ts > t.start AND p.ts < coalesce(t."end", '2100-01-01')
        WHERE t.kind IN ('gap', 'dark_voyage') GROUP BY ALL""")
    assert inside == []
    kinds = dict(q(f"SELECT kind, count(*) FROM '{mixed}/truth.parquet' GROUP BY ALL"))
    assert kinds["gap"] >= 15 and kinds["dark_voyage"] >= 6


def test_truth_encounters_really_meet(mixed: Path) -> None:
    rows = q(f"""
        SELECT t.truth_id, max(abs(a.lat - b.lat) * 111320), max(greatest(a.sog, b.sog)),
               count(*)
        FROM '{mixed}/truth.parquet' t
        JOIN '{mixed}/positions.parquet' a ON a.mmsi = t.mmsi AND a.ts BETWEEN t.start AND t."end"
        ASOF JOIN '{mixed}/positions.parquet' b ON b.mmsi = t.other_mmsi AND b.ts <= a.ts
        WHERE t.kind = 'encounter' AND a.ts - b.ts < INTERVAL 20 MINUTE AND b.ts >= t.start
        GROUP BY ALL""")
    assert len(rows) >= 6
    for truth_id, dlat_m, max_sog, n in rows:
        assert dlat_m < 500, truth_id  # within a few hundred metres the whole time
        assert max_sog < 2.0, truth_id
        assert n > 5, truth_id


def test_identity_truth_matches_the_reports(mixed: Path) -> None:
    for truth_id, mmsi, start, attrs in q(
        f"SELECT truth_id, mmsi, start, attrs FROM '{mixed}/truth.parquet' "
        "WHERE subkind = 'name_change'"
    ):
        before, after = json.loads(str(attrs))["name_before"], json.loads(str(attrs))["name_after"]
        names = q(f"SELECT DISTINCT name, ts >= '{start}' FROM '{mixed}/vessel_reports.parquet' "
                  f"WHERE mmsi = {mmsi}")
        assert set(names) == {(before, False), (after, True)}, truth_id
    jumps = q(f"""SELECT t.truth_id, p.lat, p.lon FROM '{mixed}/truth.parquet' t
                  JOIN '{mixed}/positions.parquet' p ON p.mmsi = t.mmsi AND p.ts = t.start
                  WHERE t.subkind = 'teleport'""")
    assert len(jumps) >= 4
    flags = q(f"SELECT mmsi, other_mmsi FROM '{mixed}/truth.parquet' WHERE subkind='flag_change'")
    for new, old in flags:
        assert str(new)[:3] != str(old)[:3]  # a new MID: the flag changed with the MMSI


def test_identity_behaviours_all_planted_clear_of_the_others() -> None:
    """With 50 vessels most ships already carry a silence or a drift, yet every identity
    behaviour asked for is planted: renames, new IMO numbers and jumps share those ships, at
    least `IDENTITY_MARGIN_H` from the other behaviour; reflagging (a new MMSI) only on ships
    that never drift, after their last silence. One identity change and one jump per ship."""
    params = ScenarioParams.for_scenario("mixed", vessels=50, days=10, seed=3)
    ships, _, _, _ = build_world(params)
    asked = params.behaviours
    changes = [(ship, t, new) for ship in ships for t, new in ship.identities]
    jumps = [(ship, t) for ship in ships for t in ship.teleport_at]
    planted = Counter(
        "flag" if new.mmsi != ship.vessel.mmsi else "imo" if new.imo != ship.vessel.imo
        else "name" for ship, _, new in changes)
    assert planted == {"name": asked.name_changes, "imo": asked.imo_changes,
                       "flag": asked.flag_changes}
    assert len(jumps) == asked.teleports
    assert all(len(ship.identities) <= 1 and len(ship.teleport_at) <= 1 for ship in ships)
    margin = IDENTITY_MARGIN_H * 3600
    shared = 0
    for ship, t in [(ship, t) for ship, t, _ in changes] + jumps:
        drifts = [(leg.t0, leg.t1) for leg in ship.plan.legs if leg.kind == "drift"]
        others = ship.ais_off + drifts + [(u, u) for u, _ in ship.identities if u != t]
        assert all(t < a - margin or t > b + margin for a, b in others)
        shared += bool(ship.ais_off or drifts)
    assert shared >= asked.teleports  # not only ships with nothing else planted
    for ship, t, new in changes:
        if new.mmsi != ship.vessel.mmsi:
            assert not any(leg.kind == "drift" for leg in ship.plan.legs)
            assert all(b + margin < t for _, b in ship.ais_off)
    # a ghost borrows the MMSI of a ship with nothing else planted on it
    for ghost in (s for s in ships if s.active is not None):
        (victim,) = [s for s in ships if s.active is None and s.vessel.mmsi == ghost.vessel.mmsi]
        assert not (victim.ais_off or victim.identities or victim.teleport_at)


def test_jumps_are_heard_away_from_silences_and_drifts(mixed: Path) -> None:
    """The planted jump is the first position heard after its time: still hours away from
    the same MMSI's switched-off silences, dark voyages, encounters and loitering."""
    rows = q(f"""
        SELECT j.truth_id, min(least(abs(epoch(j.start) - epoch(o.start)),
                                     abs(epoch(j.start) - epoch(o."end")))) / 3600
        FROM '{mixed}/truth.parquet' j JOIN '{mixed}/truth.parquet' o
             ON j.mmsi IN (o.mmsi, o.other_mmsi)
             AND (o.kind IN ('dark_voyage', 'encounter', 'loitering')
                  OR (o.kind = 'gap' AND o.attrs LIKE '%switched_off%'))
        WHERE j.subkind = 'teleport' GROUP BY ALL""")
    assert rows  # jumps share ships with other behaviours
    for truth_id, hours in rows:
        assert hours > IDENTITY_MARGIN_H - 1, truth_id
    outside = q(f"""
        SELECT j.truth_id FROM '{mixed}/truth.parquet' j JOIN '{mixed}/truth.parquet' o
             ON j.mmsi IN (o.mmsi, o.other_mmsi) AND j.start BETWEEN o.start AND o."end"
        WHERE j.subkind = 'teleport' AND o.kind IN ('dark_voyage', 'encounter', 'loitering',
                                                    'gap')""")
    assert outside == []


def test_nmea_output_ingests_with_nothing_quarantined(mixed: Path, tmp_path: Path) -> None:
    with cargotrace.open_store(tmp_path / "s.duckdb") as store:
        summary = ingest_file(store, mixed / "positions.nmea")
        assert summary.quarantined_total == 0
        # nothing skipped but the later parts of multipart messages (type 5), counted in the text
        later = sum(1 for line in (mixed / "positions.nmea").read_text().splitlines()
                    if line.split("!", 1)[-1].split(",")[2:3] not in (["1"], []))
        assert later > 0 and summary.skipped == {"multipart_later_parts": later}
        (n,) = q(f"SELECT count(*) FROM '{mixed}/positions.parquet'")[0]
        assert summary.positions_stored == n
        # NMEA carries whole-second receive times and 1/10000-minute positions: each stored
        # position is the Parquet one within that precision. Two ships on one MMSI may be heard
        # in the same second, which NMEA cannot order: such positions are paired by latitude.
        far = store.con.execute(f"""
            WITH s AS (SELECT mmsi, ts, lat, lon,
                              row_number() OVER (ORDER BY mmsi, ts, lat, lon) AS i
                       FROM positions),
                 p AS (SELECT mmsi, ts, lat, lon,
                              row_number() OVER (ORDER BY mmsi, floor(epoch(ts)), lat, lon) AS i
                       FROM '{mixed}/positions.parquet')
            SELECT count(*) FROM s JOIN p USING (i)
            WHERE s.mmsi <> p.mmsi OR abs(epoch(s.ts) - epoch(p.ts)) >= 1
               OR abs(s.lat - p.lat) > 2e-6 OR abs(s.lon - p.lon) > 2e-6""").fetchall()
        assert far == [(0,)]


def test_reference_case_is_dark_with_evidence(reference: Path) -> None:
    angara = q(f"SELECT DISTINCT mmsi FROM '{reference}/vessel_reports.parquet' "
               "WHERE imo = 9179842 AND name = 'ANGARA'")
    assert len(angara) == 1
    mmsi = angara[0][0]
    truth = q(f"SELECT kind, place_id, start FROM '{reference}/truth.parquet' "
              f"WHERE mmsi = {mmsi} ORDER BY start")
    kinds = [k for k, _, _ in truth]
    assert kinds.count("dark_voyage") == 3
    dark_calls = {p for k, p, _ in truth if k == "possible_dark_port_call"}
    assert dark_calls == {"ct:najin", "ct:dunay"}
    (arrived,) = [s for k, p, s in truth if k == "possible_dark_port_call" and p == "ct:dunay"]
    assert str(arrived)[:10] == "2023-09-12"  # arrived at Dunay on 12 September
    evidence = yaml.safe_load((reference / "evidence.yaml").read_text())["evidence"]
    assert {e["kind"] for e in evidence} == {"imagery", "rail_sighting"}
    assert all(e["simulated"] and e["source"]["publisher"] for e in evidence)
    assert any(e["place"] == "ct:najin" and e["observed"][0].startswith("2023-09-07")
               for e in evidence)
    case = read_case(reference / "evidence.yaml")  # a valid case file (docs/concepts/cases.md)
    assert case.simulated and len(case.evidence) == len(evidence)
    encounters = q(f"SELECT count(*) FROM '{reference}/truth.parquet' WHERE kind = 'encounter'")
    shared = q(f"SELECT count(*) FROM '{reference}/truth.parquet' WHERE subkind = 'shared_mmsi'")
    assert encounters[0][0] == 1 and shared[0][0] == 1


def test_truth_evaluated_as_detections_scores_perfectly(reference: Path, tmp_path: Path) -> None:
    """The simulator's truth and `evaluate` speak the same language: truth replayed as events
    (identity kinds carried in attrs) is matched one to one, kind by kind."""
    import subprocess
    import sys

    store_path = tmp_path / "s.duckdb"
    with cargotrace.open_store(store_path) as store:
        store.con.execute(f"""
            INSERT INTO events
            SELECT truth_id, kind, mmsi, other_mmsi, start, "end", lat, lon, place_id, 1.0,
                   CASE WHEN subkind IS NOT NULL
                        THEN json_object('identity_kind', subkind) END,
                   json_object('preset', 'truth'), 'test'
            FROM '{reference}/truth.parquet'""")
    result = subprocess.run(
        [sys.executable, "-m", "cargotrace", "evaluate", "--store", str(store_path),
         "--truth", str(reference / "truth.parquet"), "--json"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    scored = {s["kind"] for s in report["kinds"]}
    assert scored >= {"port_visit", "gap", "dark_voyage", "possible_dark_port_call",
                      "encounter", "loitering", "identity", "draught_change"}
    for score in report["kinds"] + report["subkinds"]:
        assert (score["precision"], score["recall"], score["duplicates"]) == (1.0, 1.0, 0), score
    assert report["unscored_events"] == {}


def test_places_file_holds_the_ports_as_sailed(mixed: Path, tmp_path: Path) -> None:
    """`places.csv` loads without a skipped row, holds every port of the region at the sailed
    position, and keeps the curated ports' watch reasons (the watched places of dark calls)."""
    from cargotrace.ingest.gazetteers import load_places

    _, ports = region_ports("sea-of-japan")
    with cargotrace.open_store(tmp_path / "p.duckdb") as store:
        summary = load_places(store, mixed / "places.csv")
        rows = {r[0]: r[1:] for r in store.con.execute(
            "SELECT place_id, lat, lon, watch_reason, source FROM places").fetchall()}
    assert summary.loaded == len(ports) and not summary.skipped
    for port in ports:
        lat, lon, watch, source = rows[port.place_id]
        assert (round(lat, 5), round(lon, 5)) == (round(port.lat, 5), round(port.lon, 5))
        assert bool(watch) == port.place_id.startswith("ct:") and source


def test_simulate_json_counts_what_it_wrote(tmp_path: Path) -> None:
    """`cargotrace simulate --json` prints `SimulationResult.to_dict()`: its counts are the rows
    of the files it names, counted here with DuckDB, not by the simulator."""
    from typer.testing import CliRunner

    from cargotrace.cli.main import app

    out = tmp_path / "bg"
    result = CliRunner().invoke(app, ["simulate", "--scenario", "background", "--out", str(out),
                                      "--vessels", "3", "--days", "1", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) == {"positions", "reports", "truth_rows", "files", "duration_s"}
    files = {Path(f).name: Path(f) for f in doc["files"]}
    assert all(path.exists() for path in files.values())

    def rows(name: str) -> int:
        count = duckdb.connect().execute(f"SELECT count(*) FROM '{files[name]}'").fetchall()
        return int(count[0][0])

    assert doc["positions"] == rows("positions.parquet") > 0
    assert doc["reports"] == rows("vessel_reports.parquet")
    assert doc["truth_rows"] == rows("truth.parquet")


def test_issue_15_background_shuttles_are_in_the_truth(mixed: Path) -> None:
    """Ships hopping between nearby ports make real repeated trips: the truth lists them as
    `shuttle` rows (subkind port_calls), so `evaluate` scores a detected one as right. Each
    single-ship row's trip count equals an independent pandas count of the ship's alternations
    between the two places in its truth port calls over the row's span."""
    import pandas as pd

    truth = pd.read_parquet(mixed / "truth.parquet")
    shuttles = truth[truth["kind"] == "shuttle"]
    assert len(shuttles) > 0 and set(shuttles["subkind"]) == {"port_calls"}
    calls = truth[truth["kind"].isin(["port_visit", "possible_dark_port_call"])]
    singles = 0
    for row in shuttles.itertuples():
        attrs = json.loads(row.attrs)
        assert attrs["planted"] is False and len(attrs["places"]) == 2
        if len(attrs["vessels"]) > 1:
            continue
        singles += 1
        end = row.end if row.end is not None and not pd.isna(row.end) else calls["start"].max()
        own = calls[(calls["mmsi"] == row.mmsi) & (calls["start"] >= row.start)
                    & (calls["start"] <= end)].sort_values("start")
        places = [p for p in own["place_id"] if p in attrs["places"]]
        places = [p for i, p in enumerate(places) if i == 0 or p != places[i - 1]]
        assert len(places) - 1 == attrs["trips"] >= 4, row.truth_id
    assert singles > 0
