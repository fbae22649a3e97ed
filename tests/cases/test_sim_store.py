"""`case build --store` on simulated traffic with known truth: the dark ANGARA is found.

The simulator's `sea-of-japan-2023` scenario plants an Angara-like ship (IMO 9179842) dark from
Vostochny via Najin to Dunay in Sept 2023 and writes its non-AIS evidence as a case file; the
real OFAC SDN list of 3 May 2024 (../shared/data/sanctions) lists ANGARA with that IMO.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import cargotrace
from cargotrace.cases import build_case, read_case
from cargotrace.cases.legs import Planner
from cargotrace.cases.load import case_path, parse_case
from cargotrace.routes.place_book import PlaceBook
from cargotrace.screen.lists import load_list

OFAC_ANGARA = "ofac-37059"  # SDN entry 37059: ANGARA, IMO 9179842


@pytest.fixture(scope="module")
def sim(sea_of_japan: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory,
        shared_data: Path) -> Iterator[tuple[cargotrace.Store, Path, Planner, int]]:
    """The reference case's scenario, simulated and detected once per run (tests/conftest.py),
    with the real OFAC list loaded into a copy of its store."""
    out, shared = sea_of_japan
    path = tmp_path_factory.mktemp("soj-ofac") / "s.duckdb"
    shutil.copyfile(shared, path)
    with cargotrace.open_store(path) as store:
        load_list(store, shared_data / "sanctions" / "ofac_sdn_2024-05-03.csv")
        (mmsi,) = store.con.execute(
            "SELECT DISTINCT mmsi FROM vessel_reports WHERE imo = 9179842").fetchall()[0]
        yield store, out / "evidence.yaml", Planner(PlaceBook.from_store(store)), int(mmsi)


def _sea_leg(doc: dict[str, Any]) -> dict[str, Any]:
    leg: dict[str, Any] = doc["hypotheses"][0]["legs"][0]
    assert (leg["from_id"], leg["to_id"], leg["mode"]) == ("ct:najin", "ct:dunay", "sea")
    return leg


def test_angara_is_the_candidate_of_the_najin_dunay_leg(
        sim: tuple[cargotrace.Store, Path, Planner, int]) -> None:
    store, evidence, planner, mmsi = sim
    doc = build_case(read_case(evidence), store, planner=planner).to_dict()
    leg = _sea_leg(doc)
    assert leg["feasible"] and leg["fit"] > 0.9
    top = leg["vessel"]["candidates"][0]
    assert (top["mmsi"], top["name"], top["imo"]) == (mmsi, "ANGARA", 9179842)
    assert top["sanctioned"] is True
    assert [h["entity_id"] for h in top["sanctions"] if h["match"] == "confirmed"] == [OFAC_ANGARA]
    assert {e["side"] for e in top["ends"]} == {"depart", "arrive"}
    assert top["ends"][0]["kind"] in ("possible_dark_port_call", "dark_voyage", "port_visit")
    # never heard at Najin: its departure is the dark call of its silence, which lists Najin
    # among the ports that fit (not necessarily first: Nakhodka lies nearer its line)
    (depart,) = [e for e in top["ends"] if e["side"] == "depart"]
    assert (depart["kind"], depart["place"]) == ("possible_dark_port_call", "Najin")
    # the evidence names ANGARA too: checked against the store and the list
    vessel = leg["vessel"]
    assert (vessel["name"], vessel["source"], vessel["sanctioned"]) == ("ANGARA", "evidence", True)
    assert vessel["in_store_mmsis"] == [mmsi]
    assert doc["hypotheses"][0]["contradicts"] == []
    assert not [f for f in doc["flags"] if f["level"] == "error"]


def test_unnamed_ship_is_inferred_from_the_store(
        sim: tuple[cargotrace.Store, Path, Planner, int]) -> None:
    store, evidence, planner, mmsi = sim
    doc = yaml.safe_load(evidence.read_text())
    for item in doc["evidence"]:
        item["vessel"] = None
    built = build_case(parse_case(doc), store, planner=planner).to_dict()
    vessel = _sea_leg(built)["vessel"]
    assert (vessel["source"], vessel["mmsi"], vessel["name"]) == ("store", mmsi, "ANGARA")
    assert vessel["sanctioned"] is True
    assert not [f for f in built["flags"] if f["code"] == "unknown_vessel"]


def test_reference_case_vessel_is_flagged_sanctioned_with_the_list(
        sim: tuple[cargotrace.Store, Path, Planner, int]) -> None:
    store, _, planner, mmsi = sim
    doc = build_case(read_case(case_path("najin-tikhoretsk-2023")), store,
                     planner=planner).to_dict()
    vessel = _sea_leg(doc)["vessel"]
    assert (vessel["name"], vessel["sanctioned"]) == ("ANGARA", True)
    assert [h["entity_id"] for h in vessel["sanctions"]] == [OFAC_ANGARA]
    assert vessel["in_store_mmsis"] == [mmsi]  # the simulated ANGARA
    assert doc["hypotheses"][0]["legs"][1]["mode"] == "rail"
