"""Volumes and claims (issue 15): trips x capacity x load factor as P10/P50/P90 bands, checked
by an independent numpy computation in each test; claim verdicts on the packaged example and on
edited variants; capacity from AIS dimensions; trips added from stored shuttle events."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import cargotrace
from cargotrace.cases.campaign import CampaignParams, build_campaign, read_campaign
from cargotrace.cases.campaign.load import campaign_path
from cargotrace.cli.app import app
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.params import ShuttleParams
from cargotrace.detect.shuttles import calls_from_events, detect_shuttles
from cargotrace.ingest.gazetteers import load_curated_gazetteer
from cargotrace.store.events import Event, events_table, store_events

EXAMPLE = campaign_path("dprk-russia-2023-2025")
GRADE_W = {"A1": 1.0, "B2": 0.64, "B3": 0.48}  # Admiralty weights restated (cases.md table)


def _tri(rng: np.random.Generator, t: dict[str, float], size: Any) -> np.ndarray:
    return rng.triangular(t["low"], t["mode"], t["high"], size)


def test_example_verdicts_and_their_numbers() -> None:
    """The packaged example: the White House's 1,000 by 13 Oct 2023 fits the trips RUSI and
    the White House evidence; every later figure needs trips nobody has shown (or the rail
    corridor). The needed trips are the claim over one trip's median load, rounded up."""
    result = build_campaign(read_campaign(EXAMPLE))
    verdicts = {v.claim.id: v for v in result.claims}
    assert {k: v.verdict for k, v in verdicts.items()} == {
        "white-house-2023-10-13": "consistent",
        "us-state-2024-02-23": "needs_unseen_trips",
        "rok-mnd-2024-02": "needs_unseen_trips",
        "rok-dia-2024-08-27": "needs_unseen_trips",
        "msmt-2025-05-29": "needs_unseen_trips",
    }
    for v in verdicts.values():
        assert v.needed_trips == math.ceil(v.claim.quantity / v.trip_load.p50)
        shortfall = max(0.0, v.claim.quantity - v.evidenced_volume.p50)
        assert v.unseen_trips == math.ceil(shortfall / v.trip_load.p50)
        assert str(v.needed_trips) in v.explanation
    msmt = verdicts["msmt-2025-05-29"]
    assert msmt.corridors_needed == ["tumangang-khasan-rail"]
    assert [(o.corridor, o.spare_trips is None) for o in msmt.options] == [
        ("rajin-dunay", False), ("rajin-vostochny", False), ("tumangang-khasan-rail", True)]
    assert all(o.feasible == (o.unseen_trips <= o.spare_trips) for o in msmt.options[:2])
    # 4 + 7 file trips (the White House's one inside RUSI's four), 10 of them from 1 Sept 2023
    assert len(result.trips) == 11 and msmt.evidenced_trips == 10
    # bounded corridors: 2 ships each on Rajin-Dunay and Rajin-Vostochny, one round trip per 3 d
    days = (datetime(2025, 5, 30, tzinfo=UTC) - datetime(2023, 9, 1, tzinfo=UTC)).days
    assert msmt.max_feasible_trips == 4 * (days // 3)


def test_example_bands_match_an_independent_monte_carlo() -> None:
    """The cumulative volume by the MSMT claim's date, recomputed here with numpy from the file
    (another seed, the same model): trips weighted by their gradings, one capacity per ship per
    draw, one load factor per trip. P10/P50/P90 agree within 3 %."""
    campaign = read_campaign(EXAMPLE)
    result = build_campaign(campaign)
    doc = result.to_dict()
    msmt = next(c for c in doc["claims"] if c["claim"] == "msmt-2025-05-29")
    rng = np.random.default_rng(7)
    n = 40_000
    caps = {v["id"]: _tri(rng, v["capacity"], n) for v in doc["vessels"]}
    grading = {e.id: e.grading for e in campaign.evidence}
    total = np.zeros(n)
    for entry in campaign.trips:
        miss = np.prod([1 - GRADE_W[grading[e]] for e in entry.evidence])
        for k in range(entry.round_trips - len(entry.includes)):
            at = entry.period[0] + (entry.period[1] - entry.period[0]) * (
                (k + 0.5) / (entry.round_trips - len(entry.includes)))
            if at < datetime(2023, 9, 1, tzinfo=UTC):
                continue
            load = _tri(rng, doc["load_factor"], n)
            counted = rng.random(n) < 1 - miss
            total += caps[entry.vessels[k % len(entry.vessels)]] * load * counted
    mine = np.percentile(total, [10, 50, 90])
    theirs = [msmt["evidenced_volume"][p] for p in ("p10", "p50", "p90")]
    assert theirs == pytest.approx(mine, rel=0.03)
    # the monthly series ends at the total of every trip, and never decreases
    medians = [row["total"]["p50"] for row in doc["cumulative"]]
    assert medians == sorted(medians) and doc["cumulative"][-1]["trips"] == 11


def _small(tmp_path: Path, claims: list[dict[str, Any]], rail: bool = False,
           capacity: dict[str, Any] | None = None) -> Path:
    """A two-ship campaign whose trips are A1-graded and whose capacity and load are exact."""
    cap = capacity or {"low": 200, "mode": 200, "high": 200, "basis": "counted"}
    source = {"title": "t", "publisher": "p", "date": "2024-06-01"}
    doc: dict[str, Any] = {
        "campaign": "small", "title": "two ships", "start": "2024-01-01",
        "load_factor": {"low": 0.5, "mode": 0.5, "high": 0.5, "basis": "half full"},
        "vessels": [{"id": "a", "name": "A", "capacity": cap},
                    {"id": "b", "name": "B", "capacity": cap}],
        "corridors": [{"id": "sea", "from": "Najin", "to": "Dunay", "mode": "sea",
                       "vessels": ["a", "b"], "min_round_trip_d": 10}],
        "trips": [{"id": "seen", "corridor": "sea", "vessels": ["a", "b"],
                   "period": ["2024-01-01", "2024-01-31"], "round_trips": 6,
                   "evidence": ["imagery"]}],
        "evidence": [{"id": "imagery", "kind": "imagery", "place": "Dunay",
                      "observed": ["2024-01-01", "2024-01-31"], "what": "six arrivals",
                      "source": source, "grading": "A1"}],
        "claims": [{"statement": "s", "source": source, "grading": "B2", **c} for c in claims],
    }
    if rail:
        doc["corridors"].append({"id": "rail", "from": "Najin", "to": "Khasan", "mode": "rail"})
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_exact_inputs_give_exact_bands_and_each_verdict(tmp_path: Path) -> None:
    """Six trips x 200 x 0.5 = 600 in every draw. 'more than 500' is consistent; 'about 300' is
    exceeded by the evidence (inconsistent); 'more than 1,000' needs 4 more trips (10 at 100 a
    trip) that two ships at one per 10 d could make; 'more than 5,000' needs 44 more they could
    not (2 ships x 18 round trips by 31 May): inconsistent, unless a rail corridor without a
    bound is listed."""
    claims = [
        {"id": "c500", "quantity": 500, "qualifier": "more_than", "by": "2024-03-01"},
        {"id": "c300", "quantity": 300, "qualifier": "about", "by": "2024-03-01"},
        {"id": "c1000", "quantity": 1000, "qualifier": "more_than", "by": "2024-05-31"},
        {"id": "c5000", "quantity": 5000, "qualifier": "more_than", "by": "2024-05-31"},
        {"id": "c700", "quantity": 700, "qualifier": "at_most", "by": "2024-05-31"},
    ]
    result = build_campaign(read_campaign(_small(tmp_path, claims)))
    by_id = {v.claim.id: v for v in result.claims}
    for v in by_id.values():
        assert v.evidenced_volume.to_dict() == {"p10": 600.0, "p50": 600.0, "p90": 600.0}
        assert v.trip_load.p50 == 100.0
    assert {k: v.verdict for k, v in by_id.items()} == {
        "c500": "consistent", "c300": "inconsistent", "c1000": "needs_unseen_trips",
        "c5000": "inconsistent", "c700": "consistent"}
    days = (datetime(2024, 6, 1, tzinfo=UTC) - datetime(2024, 1, 1, tzinfo=UTC)).days
    assert by_id["c5000"].max_feasible_trips == 2 * (days // 10)
    assert (by_id["c1000"].needed_trips, by_id["c1000"].unseen_trips) == (10, 4)
    assert (by_id["c5000"].needed_trips, by_id["c5000"].unseen_trips) == (50, 44)
    spare = 2 * (days // 10) - 6
    assert [o.to_dict() for o in by_id["c1000"].options] == [
        {"corridor": "sea", "trip_load_p50": 100.0, "unseen_trips": 4, "spare_trips": spare,
         "feasible": True}]
    assert [(o.unseen_trips, o.feasible) for o in by_id["c5000"].options] == [(44, False)]
    assert by_id["c500"].options == []
    with_rail = build_campaign(read_campaign(_small(tmp_path, claims, rail=True)))
    big = next(v for v in with_rail.claims if v.claim.id == "c5000")
    assert big.verdict == "needs_unseen_trips" and big.corridors_needed == ["rail"]


def test_capacity_from_store_dimensions(tmp_path: Path) -> None:
    """A vessel without a stated capacity gets one from its AIS length and beam by the box
    count: 120 x 20 m -> floor(0.6 x 120 / 6.5) = 11 bays x floor(20 / 2.8) = 7 rows x 3-6
    tiers = 231-462 TEU, i.e. 115.5-462 containers of 1-2 TEU."""
    path = _small(tmp_path, [])
    campaign = read_campaign(path)
    vessels = [v.model_copy(update={"capacity": None, "imo": 9179842 if v.id == "a" else None})
               for v in campaign.vessels]
    campaign = campaign.model_copy(update={"vessels": vessels})
    with cargotrace.open_store(tmp_path / "s.duckdb") as store:
        store.con.execute(
            "INSERT INTO vessel_reports BY NAME SELECT 273110000 AS mmsi, now() AS ts, "
            "9179842 AS imo, 'ANGARA' AS name, 70 AS ship_type, 120.0 AS length, "
            "20.0 AS beam, 't' AS source, 1 AS ingest_id")
        result = build_campaign(campaign, store)
    bays, rows = math.floor(0.6 * 120 / 6.5), math.floor(20 / 2.8)
    cap = result.to_dict()["vessels"][0]
    assert cap["capacity_from"] == "dimensions"
    assert (cap["capacity"]["low"], cap["capacity"]["high"]) == (bays * rows * 3 / 2,
                                                                 bays * rows * 6)
    assert result.to_dict()["vessels"][1]["capacity_from"] == "unknown"
    assert any("vessel b: no capacity" in f for f in result.flags)
    assert {t.vessel for t in result.trips} == {"a"}  # b's trips left out, and said so


def test_stored_shuttle_adds_trips_outside_the_files_periods(tmp_path: Path) -> None:
    """A shuttle event of vessel A between Najin and Dunay in March 2024 (after the file's
    January trips) adds its Najin -> Dunay passages, counted here from the calls themselves."""
    path = _small(tmp_path, [{"id": "c", "quantity": 100, "qualifier": "more_than",
                              "by": "2024-05-31"}])
    campaign = read_campaign(path)
    vessels = [v.model_copy(update={"mmsi": 273110000 if v.id == "a" else None,
                                    "name": v.name}) for v in campaign.vessels]
    campaign = campaign.model_copy(update={"vessels": vessels})
    t0 = datetime(2024, 3, 1, tzinfo=UTC)
    visits = [Event(EventKind.PORT_VISIT, 273110000, t0 + timedelta(days=4 * k),
                    t0 + timedelta(days=4 * k, hours=20),
                    place_id="ct:najin" if k % 2 == 0 else "ct:dunay", attrs={"segment": 0})
              for k in range(7)]
    shuttles = detect_shuttles(calls_from_events(visits, ShuttleParams()), ShuttleParams())
    with cargotrace.open_store(tmp_path / "s.duckdb") as store:
        load_curated_gazetteer(store)
        store.con.execute(
            "INSERT INTO vessel_reports BY NAME SELECT 273110000 AS mmsi, now() AS ts, "
            "'A' AS name, 't' AS source, 1 AS ingest_id")
        store_events(store, events_table(shuttles, "gfw", ShuttleParams()), ["shuttle"])
        result = build_campaign(campaign, store)
    places = [v.place_id for v in visits]
    deliveries = sum(1 for a, b in zip(places, places[1:], strict=False)
                     if (a, b) == ("ct:najin", "ct:dunay"))
    ais = [t for t in result.trips if t.source == "ais"]
    assert len(ais) == deliveries == 3
    assert {t.vessel for t in ais} == {"a"} and all(t.weight == 1.0 for t in ais)
    assert len(result.trips) == 6 + deliveries


def test_cli_build_json_has_provenance(tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CARGOTRACE_STORE", raising=False)
    result = CliRunner().invoke(app, ["campaign", "build", "dprk-russia-2023-2025", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["provenance"]["params"] == {
        k: getattr(CampaignParams(), k) for k in doc["provenance"]["params"]}
    assert doc["provenance"]["file"] == "dprk-russia-2023-2025"
    assert [c["verdict"] for c in doc["claims"]][0] == "consistent"



def test_cumulative_volume_per_corridor(tmp_path: Path) -> None:
    """Two corridors with trips: each month's row has a band per corridor, and with exact
    inputs the corridors add up to the total (6 trips x 100 in January on one, 2 x 100 in
    February on the other), checked month by month against the trips' own dates."""
    doc = yaml.safe_load(_small(tmp_path, []).read_text())
    doc["corridors"].append({"id": "east", "from": "Najin", "to": "Vostochny port",
                             "mode": "sea", "vessels": ["b"]})
    doc["trips"].append({"id": "east-feb", "corridor": "east", "vessels": ["b"],
                         "period": ["2024-02-01", "2024-02-28"], "round_trips": 2,
                         "evidence": ["imagery"]})
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = build_campaign(read_campaign(path))
    dates = [t.at for t in result.trips]
    rows = result.to_dict()["cumulative"]
    assert [r["date"] for r in rows] == ["2024-02-01", "2024-03-01"]
    for row in rows:
        cut = datetime.fromisoformat(row["date"]).replace(tzinfo=UTC)
        per = {k: sum(100.0 for t in result.trips if t.corridor == k and t.at < cut)
               for k in ("sea", "east")}
        assert {k: b["p50"] for k, b in row["corridors"].items()} == per
        assert row["total"]["p50"] == sum(per.values())
        assert row["trips"] == sum(1 for d in dates if d < cut)
