"""Regional feeds and feed outages (issue 14, part 5): the truth of every long silence agrees
with what was emitted, checked from the written positions alone.

The independent check: from positions.parquet (pandas), every silence of at least 6 h heard
(outage hours left out) is expected to be a truth row keyed (mmsi, start): `left_coverage` when
its last position lies in the outer band of the stations' range (the stations stand at the
ports of places.csv; class A 75 km, class B 35 km), `gap` when it lies well inside, and no row
when it began in an outage (or at most an hour before one).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import cargotrace
from cargotrace.cli.app import app
from cargotrace.errors import ParamsError
from cargotrace.geo.sphere import haversine_km
from cargotrace.sim.params import Feed, ReceptionParams, ScenarioParams
from cargotrace.sim.run import simulate

# the last position before an exit (first after a return) is heard this close to the range's
# edge: class A sends every 10 s under way, class B every 30 s and is heard less often
EDGE_BAND_KM = {False: 3.0, True: 6.0}  # by class B
INSIDE_MARGIN_KM = 2.0  # and a deliberate gap begins further inside than the band and this
SILENCE_H = 6.0
LEAD = pd.Timedelta(minutes=60)


@pytest.fixture(scope="module")
def regional(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("regional")
    params = ScenarioParams.for_scenario("mixed", vessels=30, days=3, feed="regional", outages=1)
    simulate(params, out, nmea=True)
    return out


@pytest.fixture(scope="module")
def global_outages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("global_outages")
    simulate(ScenarioParams.for_scenario("mixed", vessels=16, days=3, outages=2), out)
    return out


def _truth(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "truth.parquet")


def _outages(out: Path) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    t = _truth(out)
    return [(r.start, r.end) for r in t[t.kind == "outage"].itertuples()]


def _silences(out: Path) -> pd.DataFrame:
    """Every silence of >= 6 h heard, from the positions alone, with where it began."""
    scenario = json.loads((out / "scenario.json").read_text())
    data_end = pd.Timestamp(scenario["start"]) + timedelta(days=scenario["days"])
    pos = pd.read_parquet(out / "positions.parquet").sort_values(["mmsi", "ts"])
    pos["next_ts"] = pos.groupby("mmsi")["ts"].shift(-1)
    pos["next_lat"] = pos.groupby("mmsi")["lat"].shift(-1)
    pos["next_lon"] = pos.groupby("mmsi")["lon"].shift(-1)
    pos["class_b"] = pos.groupby("mmsi")["msg_type"].transform(lambda m: (m == 18).any())
    pos["until"] = pos["next_ts"].fillna(data_end)
    outages = _outages(out)
    unheard = pd.Series(pd.Timedelta(0), index=pos.index)
    for a, b in outages:
        unheard += (pos["until"].clip(upper=b) - pos["ts"].clip(lower=a)).clip(
            lower=pd.Timedelta(0))
    heard_h = ((pos["until"] - pos["ts"]) - unheard) / pd.Timedelta(hours=1)
    s = pos[heard_h >= SILENCE_H].copy()
    s["in_outage"] = False
    for a, b in outages:
        s["in_outage"] |= (s["ts"] >= a - LEAD) & (s["ts"] < b)
    places = pd.read_csv(out / "places.csv")
    dist = np.stack([haversine_km(s["lat"].to_numpy(), s["lon"].to_numpy(), la, lo)
                     for la, lo in zip(places["lat"], places["lon"], strict=True)])
    s["range_km"] = np.where(s["class_b"], ReceptionParams().shore_range_b_km,
                             ReceptionParams().shore_range_km)
    s["inside_km"] = s["range_km"] - dist.min(axis=0)
    s["band_km"] = np.where(s["class_b"], EDGE_BAND_KM[True], EDGE_BAND_KM[False])
    s["at_edge"] = s["inside_km"] <= s["band_km"]
    back = np.stack([haversine_km(s["next_lat"].to_numpy(), s["next_lon"].to_numpy(), la, lo)
                     for la, lo in zip(places["lat"], places["lon"], strict=True)])
    s["back_at_edge"] = s["range_km"] - back.min(axis=0) <= s["band_km"]
    return s


def test_regional_truth_agrees_with_what_was_heard(regional: Path) -> None:
    silences = _silences(regional)
    truth = _truth(regional)
    rows = truth[truth.kind.isin(["gap", "left_coverage"])]
    got = {(int(r.mmsi), r.start): r.kind for r in rows.itertuples()}
    # every silence began either at the range's edge or well inside it: nothing in between
    assert (silences["at_edge"]
            | (silences["inside_km"] >= silences["band_km"] + INSIDE_MARGIN_KM)).all()
    # a silence ended by the first position of a second ship using the MMSI (the
    # shared_mmsi identity row's start) heard away from any range's edge came back nowhere
    # near one: a gap, wherever it began
    second_ship_heard = {(int(r.mmsi), r.start) for r in truth[truth.subkind == "shared_mmsi"]
                         .itertuples()}
    expected = {(int(r.mmsi), r.ts): "gap" if not r.at_edge or (
        (int(r.mmsi), r.next_ts) in second_ship_heard and not r.back_at_edge)
        else "left_coverage" for r in silences.itertuples()}
    counted = {k for k, r in zip(expected, silences.itertuples(), strict=True)
               if not r.in_outage}
    # a silence that began with the outage (at most an hour before it) is the outage's, unless
    # the ship left range or was switched off first: then a row, of the kind its place says
    assert {k: got[k] for k in got if k not in counted} == {
        k: expected.get(k) for k in got if k not in counted}
    assert {k: got[k] for k in got if k in counted} == {k: expected[k] for k in counted}
    # plenty of exits, and deliberate gaps (switched off well inside the footprint)
    kinds = pd.Series([got[k] for k in counted]).value_counts()
    assert kinds["left_coverage"] >= 10 and kinds["gap"] >= 2
    causes = {json.loads(a)["cause"] for a in rows[rows.kind == "gap"]["attrs"]}
    assert "switched_off" in causes and causes <= {"switched_off", "ghost_stopped", "mmsi_changed",
                                                   "ghost_heard"}


def test_left_coverage_rows_say_where_it_was_last_heard(regional: Path) -> None:
    """lat/lon = the last position heard; a closed exit ends with a position heard again at the
    range's edge (unless the ship came back during the outage, or a second ship began to use
    its MMSI)."""
    silences = _silences(regional).set_index(["mmsi", "ts"])
    truth = _truth(regional)
    exits = truth[truth.kind == "left_coverage"]
    outage_ends = [b for _, b in _outages(regional)]
    second_ship_heard = {(r.mmsi, r.start) for r in truth[truth.subkind == "shared_mmsi"]
                         .itertuples()}
    for r in exits.itertuples():
        s = silences.loc[(r.mmsi, r.start)]
        assert (r.lat, r.lon) == pytest.approx((s["lat"], s["lon"]), abs=1e-6)
        if pd.isna(r.end):
            assert pd.isna(s["next_ts"])
            continue
        assert r.end == s["next_ts"]
        if any(b <= r.end < b + LEAD for b in outage_ends) or (r.mmsi, r.end) in second_ship_heard:
            continue  # (a second ship's class may differ: its edge is judged in the test above)
        places = pd.read_csv(regional / "places.csv")
        back_km = min(float(haversine_km(np.array([s["next_lat"]]), np.array([s["next_lon"]]),
                                         la, lo)[0])
                      for la, lo in zip(places["lat"], places["lon"], strict=True))
        assert s["range_km"] - back_km <= s["band_km"]


def test_outages_are_silent_in_every_output(regional: Path) -> None:
    """Nothing is heard during an outage (positions, static reports, NMEA), and traffic is heard
    in the hour before and after it (the feed, not the ships, went quiet)."""
    outages = _outages(regional)
    assert len(outages) == 1
    a, b = outages[0]
    assert (b - a) == pd.Timedelta(hours=8) and a.minute == a.second == 0
    pos = pd.read_parquet(regional / "positions.parquet")
    reports = pd.read_parquet(regional / "vessel_reports.parquet")
    for table in (pos, reports):
        assert not ((table["ts"] >= a) & (table["ts"] < b)).any()
        assert ((table["ts"] >= a - LEAD) & (table["ts"] < a)).sum() > 10
        assert ((table["ts"] >= b) & (table["ts"] < b + LEAD)).sum() > 10
    epochs = [int(line.split("c:")[1].split("*")[0].split(",")[0])
              for line in (regional / "positions.nmea").read_text().splitlines()]
    assert len(epochs) >= len(pos)
    assert not any(a.timestamp() <= e < b.timestamp() for e in epochs)
    row = _truth(regional).query("kind == 'outage'").iloc[0]
    assert pd.isna(row["mmsi"]) and json.loads(row["attrs"])["station"] == "all"


def test_global_feed_outage_leaves_gaps_only_of_the_ships_own(global_outages: Path) -> None:
    """A global feed with outages: every silence of >= 6 h heard that did not begin with an
    outage is a gap (satellite reception or a switched-off transponder), and no more."""
    silences = _silences(global_outages)
    truth = _truth(global_outages)
    assert set(truth.kind) >= {"gap", "outage"} and "left_coverage" not in set(truth.kind)
    assert len(_outages(global_outages)) == 2
    got = {(int(r.mmsi), r.start) for r in truth[truth.kind == "gap"].itertuples()}
    expected = {(int(r.mmsi), r.ts) for r in silences[~silences["in_outage"]].itertuples()}
    assert got == expected
    # the outages did silence ships heard just before them, none of which got a gap
    pos = pd.read_parquet(global_outages / "positions.parquet")
    for a, b in _outages(global_outages):
        assert not ((pos["ts"] >= a) & (pos["ts"] < b)).any()
        assert pos.loc[(pos["ts"] >= a - LEAD) & (pos["ts"] < a), "mmsi"].nunique() >= 5
        assert not any(a - LEAD <= start < b for _, start in got)


def test_truth_replayed_as_events_scores_perfectly_and_explains_no_outage(
    regional: Path, tmp_path: Path
) -> None:
    """`evaluate` scores left_coverage like any kind, never scores the outage rows, and counts
    no silence explained by the outage when the detections are the truth itself."""
    store_path = tmp_path / "s.duckdb"
    with cargotrace.open_store(store_path) as store:
        store.con.execute(f"""
            INSERT INTO events
            SELECT truth_id, kind, mmsi, other_mmsi, start, "end", lat, lon, place_id, 1.0,
                   CASE WHEN subkind IS NOT NULL
                        THEN json_object('identity_kind', subkind) END,
                   json_object('preset', 'truth'), 'test'
            FROM '{regional}/truth.parquet' WHERE kind <> 'outage'""")
    result = subprocess.run(
        [sys.executable, "-m", "cargotrace", "evaluate", "--store", str(store_path),
         "--truth", str(regional / "truth.parquet"), "--json"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    scored = {s["kind"] for s in report["kinds"]}
    assert "left_coverage" in scored and "outage" not in scored
    for score in report["kinds"]:
        assert (score["precision"], score["recall"]) == (1.0, 1.0), score
    assert report["outages"]["outages"] == 1 and report["outages"]["total_explained"] == 0


def test_feed_options_are_checked_and_kept_out_of_old_scenario_files() -> None:
    """Defaults leave scenario.json as it was (old scenarios and seeds: same bytes; checked
    against main's output when this was written, see the branch's report); set, they are named."""
    assert "feed" not in ScenarioParams.for_scenario("mixed").to_json()
    doc = json.loads(ScenarioParams.for_scenario("mixed", feed="regional", outages=2).to_json())
    assert (doc["feed"], doc["outages"], doc["outage_hours"]) == ("regional", 2, 8.0)
    assert ScenarioParams(feed="regional").feed is Feed.REGIONAL
    for bad in ({"feed": "local"}, {"outages": -1}, {"outage_hours": 2.5},
                {"outages": 5, "days": 2.0}):
        with pytest.raises(ParamsError):
            ScenarioParams(**bad)  # type: ignore[arg-type]


def test_cli_simulate_feed_options(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "sim"
    result = runner.invoke(app, ["simulate", "--scenario", "background", "--vessels", "4",
                                 "--days", "2", "--feed", "regional", "--outages", "1",
                                 "--outage-hours", "6", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "scenario.json").read_text())
    assert (doc["feed"], doc["outages"], doc["outage_hours"]) == ("regional", 1, 6.0)
    outages = _outages(out)
    assert [b - a for a, b in outages] == [pd.Timedelta(hours=6)]
    for args, message in (
        (["--outage-hours", "2.5", "--outages", "1"], "whole number of hours"),
        (["--outages", "4"], "do not fit in 2 days"),
        (["--start", "2023-09-01T00:30:00Z", "--outages", "1", "--outage-hours", "24",
          "--days", "1.5"], "do not fit"),
    ):
        result = runner.invoke(app, ["simulate", "--scenario", "background", "--vessels", "2",
                                     "--days", "2", "--out", str(tmp_path / "bad"), *args])
        # a ParamsError: the CLI's entry point prints it as one line (tests/test_cli.py)
        assert result.exit_code == 1 and isinstance(result.exception, ParamsError)
        assert message in str(result.exception)
