"""Detector fixtures: engine parity, and the scenario stores the detector modules share.

Engine parity: use as `def test_x(engine, tmp_store): tables = tables_on(engine, tmp_store,
["positions"])`. Spark starts once per test run (5-20 s), and only when a Spark-parametrised test
is collected and selected: `pytest -m "not spark"` is the quick loop that never starts a JVM.

Scenario stores: the simulator's `mixed` scenario and the real MarineCadastre sample are
simulated or ingested once per run into a session folder, in the few states the modules need
(the Solent capture, read by store/ too, is in tests/conftest.py). They are shared, so tests
open them read-only; a test that writes takes a copy (`factories.copy_store`). Builders of
hand-made rows are in factories.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import cargotrace
from cargotrace.detect.encounters import detect_encounters
from cargotrace.detect.loitering import detect_loitering
from cargotrace.detect.params import IdentityParams
from cargotrace.detect.presets import GFW_ENCOUNTER, GFW_LOITERING
from cargotrace.detect.run import detect
from cargotrace.detect.segments import identity_segments
from cargotrace.ingest.gazetteers import load_curated_gazetteer, load_places
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.sim.run import simulate
from cargotrace.store.engines import Engine, drop_spark_views
from cargotrace.store.events import events_table, replace_events

from .factories import AISDB_GLOBAL, MARINECADASTRE, MIXED, WPI, copy_store

HERE = Path(__file__).resolve().parent

# Warnings raised by the pinned third-party stack, not by us, silenced for tests/detect only and
# only by exact message (pytest runs with filterwarnings=error; ibis 12's DuckDB deprecation is
# ignored in pyproject.toml already):
KNOWN_WARNINGS = (
    # PySpark 4.0 collects results over a loopback socket it leaves to the garbage collector
    # ("The socket will be automatically closed when garbage-collected", pyspark/util.py);
    # CPython reports it as soon as the collection ends, inside the query call.
    r"ignore:unclosed <socket\.socket [^>]*laddr=\('127\.0\.0\.1':ResourceWarning",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "spark: runs on the PySpark engine (starts a local JVM)")


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A conftest's pytestmark does not apply to its folder, so mark this folder's tests here.
    # The `spark` marker is added here too, not in the fixture's params: this conftest is
    # imported before its pytest_configure registers the marker, and --strict-markers rejects
    # an unregistered one. Any test using the Spark session gets it, directly or via `engine`.
    for item in items:
        if not item.path.is_relative_to(HERE):
            continue
        for spec in KNOWN_WARNINGS:
            item.add_marker(pytest.mark.filterwarnings(spec))
        callspec = getattr(item, "callspec", None)
        uses_spark = "spark" in getattr(item, "fixturenames", ()) or (
            callspec is not None and callspec.params.get("engine") is Engine.SPARK
        )
        if uses_spark:
            item.add_marker("spark")


@pytest.fixture(params=[Engine.DUCKDB, Engine.SPARK], ids=str)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """Each test once per engine; Spark's views and their staged Parquet files are dropped
    after each Spark test."""
    if request.param is Engine.SPARK:
        request.getfixturevalue("spark")
        yield Engine.SPARK
        drop_spark_views()
    else:
        yield Engine.DUCKDB


# --- scenario stores, built once per run -------------------------------------------------------

@pytest.fixture(scope="session")
def marinecadastre_store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 99,999 rows of MarineCadastre's 2022-01-03 file ingested alone, with no places
    and no events. Open it read-only, or copy it (test_detect_real.py and test_coverage.py
    detect on copies)."""
    path = tmp_path_factory.mktemp("marinecadastre") / "s.duckdb"
    with cargotrace.open_store(path) as store:
        ingest_file(store, shared_data / MARINECADASTRE)
    return path


@pytest.fixture(scope="session")
def mixed_sim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the simulator wrote `MIXED` to: positions, vessel reports, the places the
    ships sail to (places.csv) and the truth. Read only."""
    out = tmp_path_factory.mktemp("mixed-50x10-seed3")
    simulate(MIXED, out)
    return out


@pytest.fixture(scope="session")
def mixed_ingested(mixed_sim: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`mixed` with positions and vessel reports ingested and the curated gazetteer loaded; no
    events. Copy it before writing (the gap, identity and port-visit modules do)."""
    path = tmp_path_factory.mktemp("mixed-ingested") / "s.duckdb"
    with cargotrace.open_store(path) as store:
        ingest_file(store, mixed_sim / "positions.parquet")
        ingest_file(store, mixed_sim / "vessel_reports.parquet")
        load_curated_gazetteer(store)
    return path


@pytest.fixture(scope="session")
def mixed_with_ports(mixed_sim: Path, mixed_ingested: Path,
                     tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`mixed_ingested` plus every port of the region where the simulator sails to it
    (places.csv: sea-anchored; the curated ports stay watched); no events. Copy it before
    writing (the port-visit and dark-voyage modules do)."""
    path = copy_store(mixed_ingested, tmp_path_factory.mktemp("mixed-ports"))
    with cargotrace.open_store(path) as store:
        load_places(store, mixed_sim / "places.csv")
    return path


@pytest.fixture(scope="session")
def mixed_meetings(mixed_sim: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`mixed` (positions only: no vessel reports) with every port of the region in `places`
    and GFW encounters and loitering stored: what the loitering and encounter modules score,
    and the start of the whole-run comparisons in test_track.py and test_engines.py (which copy
    it). Open it read-only.

    The detectors run on identity-segmented positions, as `cargotrace detect` runs them: the
    scenario's shared MMSIs include ships that meet or loiter, and one stream averaged over two
    ships 300 km apart would put a ghost between them."""
    out = mixed_sim
    store_path = tmp_path_factory.mktemp("mixed-encounters") / "s.duckdb"
    with cargotrace.open_store(store_path) as store:
        ingest_file(store, out / "positions.parquet")
        load_curated_gazetteer(store)
        # the scenario's ports where the ships sail to them (curated ones stay watched)
        load_places(store, out / "places.csv")
        positions = identity_segments(store.positions, IdentityParams())
        found = {
            "encounter": (detect_encounters(positions, store.places), GFW_ENCOUNTER),
            "loitering": (detect_loitering(positions, store.places), GFW_LOITERING),
        }
        for kind, (events, params) in found.items():
            replace_events(store, events_table(events, "gfw", params), [kind])
    return store_path


# --- real files after `detect`, as tools/real_data_quality.py measures them ---------------------

def _detected(source: Path, folder: Path) -> Path:
    path = copy_store(source, folder)
    with cargotrace.open_store(path) as store:
        detect(store)
    return path


@pytest.fixture(scope="session")
def solent_detected(solent_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Solent capture (tests/conftest.py) after `detect` with the default preset and no
    `places load` (the default gazetteer, whatever it is): what tools/real_data_quality.py
    measures. Open it read-only."""
    return _detected(solent_store, tmp_path_factory.mktemp("solent-detected"))


@pytest.fixture(scope="session")
def marinecadastre_detected(marinecadastre_store: Path,
                            tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The MarineCadastre sample after `detect`, as `solent_detected`. Open it read-only."""
    return _detected(marinecadastre_store, tmp_path_factory.mktemp("mc-detected"))


@pytest.fixture(scope="session")
def aisdb_global_detected(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """AISdb's global satellite sample (2,339 positions of 2,213 MMSIs over 24 h) ingested
    alone, after `detect`, as `solent_detected`. Open it read-only."""
    folder = tmp_path_factory.mktemp("aisdb-global")
    with cargotrace.open_store(folder / "ingested.duckdb") as store:
        ingest_file(store, shared_data / AISDB_GLOBAL)
    return _detected(folder / "ingested.duckdb", folder)


@pytest.fixture(scope="session")
def marinecadastre_with_ports(marinecadastre_store: Path, shared_data: Path,
                              tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The MarineCadastre sample with the World Port Index's 3,812 ports loaded, after
    `detect` of gaps, port visits, dark voyages and loitering: the issue's case of a quiet
    feed read as dark ships, as a fresh store will see it once a world gazetteer is the
    default. Open it read-only."""
    path = copy_store(marinecadastre_store, tmp_path_factory.mktemp("mc-ports"))
    with cargotrace.open_store(path) as store:
        load_places(store, shared_data / WPI)
        detect(store, kinds=["gap", "port_visit", "dark_voyage", "loitering"])
    return path
