"""Export fixtures: one simulated Sea of Japan store (with the real OFAC list) per run, the
Najin → Tikhoretsk routes of the reference case, and its HTML report (for the browser and PDF
tests). What the store is built from is in factories.py."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

import cargotrace
from cargotrace.detect.run import detect
from cargotrace.ingest.gazetteers import load_curated_gazetteer
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.publish.features import FeatureSet
from cargotrace.publish.report import Report, write_report
from cargotrace.screen.lists import load_list
from cargotrace.screen.screen import screen_store
from cargotrace.sim.run import simulate

from .browser import REFERENCE_CASE
from .factories import ANGARA_IMO, OFAC, SCENARIO


@pytest.fixture(scope="session")
def sim_store(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """10 simulated vessels over 5 days (Angara among them), detected and screened against the
    OFAC SDN list of 2024-05-03. Open it read-only."""
    root = tmp_path_factory.mktemp("publish")
    sim = root / "sim"
    simulate(SCENARIO, sim)
    path = root / "sim.duckdb"
    with cargotrace.open_store(path) as store:
        for name in ("positions.parquet", "vessel_reports.parquet"):
            ingest_file(store, sim / name)
        load_curated_gazetteer(store)
        detect(store)
        load_list(store, shared_data / OFAC, "ofac", as_of=date(2024, 5, 3))
        screen_store(store)
    return path


@pytest.fixture
def store(sim_store: Path) -> Any:
    with cargotrace.open_store(sim_store, read_only=True) as st:
        yield st


@pytest.fixture(scope="session")
def reference_routes() -> list[Any]:
    """The reference case's alternatives Najin → Tikhoretsk depot (rail, and sea + rail)."""
    from cargotrace.routes import PlaceBook, plan_routes

    return plan_routes(PlaceBook.curated(), "Najin", "Tikhoretsk", k=2)


@pytest.fixture(scope="session")
def angara_map(sim_store: Path, reference_routes: list[Any]) -> FeatureSet:
    """Angara's tracks, events and places, plus the reference routes: every layer at once."""
    from cargotrace.publish.export import ExportFormat, vessel_export
    from cargotrace.publish.features import place_features, route_features, select_places

    with cargotrace.open_store(sim_store, read_only=True) as st:
        features, _ = vessel_export(st, ANGARA_IMO, ExportFormat.GEOJSON)
        features.extend(place_features(select_places(st, ["ct:najin", "ct:dunay",
                                                          "ct:tikhoretsk-depot"])))
    features.extend(route_features(reference_routes))
    return features


@pytest.fixture(scope="session")
def reference_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The packaged reference case's HTML report without a store, written once per run and
    opened by test_report_browser.py and printed by test_pdf.py. Read only."""
    return write_report(REFERENCE_CASE, tmp_path_factory.mktemp("report"), None)
