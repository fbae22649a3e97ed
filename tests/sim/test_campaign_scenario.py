"""The campaign scenario end to end: simulate -> ingest -> detect -> campaign build with the
store -> evaluate. The planted deliveries are recovered (recall >= 0.9), the true volume falls
inside the estimate's P10-P90 band, and the generated campaign file is valid, simulated, and
says what the truth says (checked with a few lines of pandas on truth.parquet)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import cargotrace
from cargotrace.cases.campaign import check_campaign
from cargotrace.cli.app import app
from cargotrace.detect.run import detect
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.publish.campaign_report import write_campaign_report
from cargotrace.sim.params import ScenarioParams
from cargotrace.sim.run import simulate
from tests.publish.html_parse import parse_html


@pytest.fixture(scope="module")
def campaign_sim(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """3 shuttling ships and 3 background vessels over 40 days, ingested and detected."""
    out = tmp_path_factory.mktemp("campaign")
    simulate(ScenarioParams.for_scenario("campaign", vessels=3, days=40, seed=3), out)
    store_path = out / "s.duckdb"
    with cargotrace.open_store(store_path) as store:
        ingest_file(store, out / "positions.parquet")
        ingest_file(store, out / "vessel_reports.parquet")
        detect(store)
    return out, store_path


def _truth(out: Path) -> pd.DataFrame:
    truth = pd.read_parquet(out / "truth.parquet")
    trips = truth[truth["kind"] == "campaign_trip"].copy()
    trips["attrs"] = trips["attrs"].map(json.loads)
    return trips


def test_evaluate_recovers_the_trips_and_brackets_the_volume(
        campaign_sim: tuple[Path, Path]) -> None:
    out, store = campaign_sim
    res = CliRunner().invoke(app, ["campaign", "evaluate", str(out), "--store", str(store),
                                   "--json"])
    assert res.exit_code == 0, res.output
    scored = json.loads(res.stdout)
    trips = _truth(out)
    volume = sum(a["load"] for a in trips["attrs"])
    assert scored["true_trips"] == len(trips) >= 30  # 3 ships, a round trip every ~3.5 d
    assert scored["true_volume"] == pytest.approx(volume, abs=0.1)
    assert scored["recall"] >= 0.9
    assert scored["precision"] >= 0.9  # a trip in two shuttle events is counted once
    assert scored["band"]["p10"] <= volume <= scored["band"]["p90"]
    assert scored["passed"] is True


def test_dark_deliveries_are_dark_port_calls(campaign_sim: tuple[Path, Path]) -> None:
    out, store = campaign_sim
    trips = _truth(out)
    dark = trips[trips["attrs"].map(lambda a: a["dark"])]
    assert 0 < len(dark) < len(trips)
    with cargotrace.open_store(store, read_only=True) as st:
        calls = pd.DataFrame(st.con.execute(
            "SELECT mmsi, start FROM events WHERE kind = 'possible_dark_port_call' AND "
            "(place_id = 'ct:dunay' OR attrs LIKE '%\"ct:dunay\"%')").fetchall(),
            columns=["mmsi", "start"])
        calls["start"] = pd.to_datetime(calls["start"], utc=True)
    # each dark delivery has a dark call at Dunay of its ship within a day of the arrival
    for _, row in dark.iterrows():
        near = calls[(calls["mmsi"] == row["mmsi"])
                     & ((calls["start"] - row["end"]).abs() < pd.Timedelta(days=1))]
        assert len(near) == 1, row["truth_id"]


def test_generated_campaign_file_is_valid_and_follows_the_truth(
        campaign_sim: tuple[Path, Path]) -> None:
    out, _ = campaign_sim
    check = check_campaign(out / "campaign.yaml")
    assert check.ok, [p.message for p in check.problems]
    doc = yaml.safe_load((out / "campaign.yaml").read_text())
    assert doc["simulated"] is True
    trips = _truth(out)
    assert {v["mmsi"] for v in doc["vessels"]} == set(trips["mmsi"])
    for claim in doc["claims"]:
        by = pd.Timestamp(claim["by"], tz="UTC") + pd.Timedelta(days=1)
        true = sum(a["load"] for a, end in zip(trips["attrs"], trips["end"], strict=True)
                   if end < by)
        assert abs(claim["quantity"] - true) <= 0.4 * true  # 5 sigma of the 8 % noise
    sightings = [e for e in doc["evidence"] if e["kind"] == "imagery"]
    assert len(sightings) == len(doc["trips"]) > 0
    assert all(e["simulated"] for e in sightings)


def test_report_marks_each_call_by_how_it_was_evidenced(campaign_sim: tuple[Path, Path],
                                                        tmp_path: Path) -> None:
    out, store_path = campaign_sim
    with cargotrace.open_store(store_path, read_only=True) as st:
        report = write_campaign_report(out / "campaign.yaml", tmp_path, st)
    html = parse_html(report.html_path.read_text(encoding="utf-8"))
    rows = html.by_id("trips-table").find_all("tr")[1:]
    assert len(rows) == len(report.result.trips)
    bars = html.by_id("trips").find_all("rect")
    classes = {c for r in bars for c in r.classes}
    assert {"tl-port_visit", "tl-possible_dark_port_call", "tl-evidence"} <= classes
    assert "simulated-ais-banner" in {e.attrs.get("id") for e in html.walk()}
    dark_calls = sum(
        1 for t in report.result.trips for c in t.calls if c["how"] == "possible_dark_port_call")
    drawn = sum(1 for r in bars if "tl-possible_dark_port_call" in r.classes)
    assert drawn == dark_calls > 0
