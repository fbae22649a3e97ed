"""The end-to-end demo: what `make demo` and `cargotrace demo` run.

The whole chain on data the project makes or ships: simulate the `sea-of-japan-2023` scenario
(a covert Najin → Dunay crossing among background traffic), ingest it through the NMEA path,
load the curated places, detect, screen against the packaged listing facts of the reference
case's vessels (or a real list the user gives), build the packaged reference case against that
store, and write the report. Everything, caches included, goes into the output folder.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from cargotrace.cache import CACHE_ENV
from cargotrace.cases import CaseResult, build_case, read_case, save_case
from cargotrace.cases.load import case_path
from cargotrace.detect.run import DetectSummary, detect
from cargotrace.errors import ParamsError
from cargotrace.ingest.gazetteers import load_curated_gazetteer, load_places
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.ingest.summary import IngestSummary
from cargotrace.publish.report import Report, write_report
from cargotrace.screen.lists import LoadSummary, load_list
from cargotrace.screen.screen import ScreenSummary, screen_store
from cargotrace.sim.params import ScenarioParams
from cargotrace.sim.run import simulate
from cargotrace.store import open_store

__all__ = ["DemoParams", "DemoResult", "run_demo"]

REFERENCE_LIST = "reference-vessels.ftm.jsonl"


@dataclass(frozen=True)
class DemoParams:
    """The demo's inputs (defaults: under two minutes on a 2-core machine)."""

    scenario: str = field(default="sea-of-japan-2023", metadata={
        "help": "Simulator scenario (its covert crossing is the reference case's sea leg)."})
    vessels: int = field(default=16, metadata={
        "help": "Background vessels around the scenario's own ships (fewer: faster)."})
    days: float = field(default=20.0, metadata={"unit": "days",
        "help": "Days of traffic from 1 Sep 2023 (the covert crossing is on 7-12 Sep)."})
    seed: int = field(default=7, metadata={"help": "Random seed (same seed, same data)."})
    case: str = field(default="najin-tikhoretsk-2023", metadata={
        "help": "Case file, or the name of a packaged case."})
    sanctions: Path | None = field(default=None, metadata={
        "help": "A real sanctions list (OFAC SDN CSV, UN XML or FtM JSON lines) instead of the "
                "packaged facts about the reference case's three vessels."})

    def __post_init__(self) -> None:
        if self.vessels < 0 or self.days <= 0:
            raise ParamsError(f"demo needs vessels >= 0 and days > 0, got {self.vessels}, "
                              f"{self.days}")


@dataclass
class DemoResult:
    out_dir: Path
    store_path: Path
    nmea_path: Path
    ingest: IngestSummary
    places_loaded: int
    detect: DetectSummary
    sanctions: LoadSummary
    screen: ScreenSummary
    case: CaseResult
    report: Report
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def report_path(self) -> Path:
        return self.report.html_path


@contextmanager
def _cache_in(folder: Path) -> Iterator[None]:
    """Caches (land mask, rail graph) go into the output folder unless the user chose a place
    for them: the demo leaves nothing behind outside it."""
    old = os.environ.get(CACHE_ENV)
    if old is None:
        os.environ[CACHE_ENV] = str(folder)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(CACHE_ENV, None)


def _reference_list() -> Path:
    return Path(str(resources.files("cargotrace").joinpath("data", "sanctions", REFERENCE_LIST)))


def run_demo(out_dir: Path, params: DemoParams | None = None) -> DemoResult:
    """Run the chain into `out_dir` (its store and generated files are replaced)."""
    params = params or DemoParams()
    out_dir = out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    store_path = out_dir / "demo.duckdb"
    for stale in (store_path, Path(str(store_path) + ".wal")):
        stale.unlink(missing_ok=True)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = round(now - clock, 1)
        clock = now

    case_file = case_path(params.case)
    case = read_case(case_file)  # fail early on a bad case file
    with _cache_in(out_dir / "cache"), open_store(store_path) as store:
        # the list first: a bad --sanctions file fails before minutes of simulation
        listed = load_list(store, params.sanctions or _reference_list(),
                           name=None if params.sanctions else "reference")
        scenario = ScenarioParams.for_scenario(
            params.scenario, vessels=params.vessels, days=params.days, seed=params.seed)
        sim = simulate(scenario, out_dir / "simulated", nmea=True)
        nmea = next(p for p in sim.files if p.suffix == ".nmea")
        # the scenario's other ports (so a ship in port is not "loitering"), then the cited
        # gazetteer over them: the case's places keep their published coordinates
        load_places(store, out_dir / "simulated" / "places.csv")
        places = load_curated_gazetteer(store)
        lap("simulate")
        ingest = ingest_file(store, nmea)  # marks the store as simulated (scenario.json)
        lap("ingest")
        detected = detect(store)
        lap("detect")
        screened = screen_store(store)
        lap("screen")
        result = build_case(case, store)
        save_case(store, result)
        lap("case")
        report = write_report(case_file, out_dir, store, result=result, store_path=store_path)
        lap("report")
    return DemoResult(out_dir, store_path, nmea, ingest, places.loaded, detected, listed,
                      screened, result, report, seconds)
