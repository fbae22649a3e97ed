"""The end-to-end demo on generated data: what `make demo` runs.

It uses only data the project makes itself (the sample traffic simulator) and the curated
gazetteer shipped in the package, so it runs offline on a fresh machine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from cargotrace.ingest.pipeline import ingest_file
from cargotrace.ingest.summary import IngestSummary
from cargotrace.sim.sample import write_sample_nmea
from cargotrace.store import open_store
from cargotrace.store.vessels import VesselIdentity, vessel_identities


@dataclass
class DemoResult:
    out_dir: Path
    store_path: Path
    sample_path: Path
    report_path: Path
    summary: IngestSummary
    vessels: list[VesselIdentity]
    places_loaded: int


def run_demo(out_dir: Path, hours: float = 6.0, seed: int = 7) -> DemoResult:
    """Generate a sample feed, ingest it into a fresh store, and write a short report."""
    from cargotrace.ingest.places import load_curated_gazetteer

    out_dir.mkdir(parents=True, exist_ok=True)
    store_path = out_dir / "demo.duckdb"
    for stale in (store_path, Path(str(store_path) + ".wal")):
        stale.unlink(missing_ok=True)
    sample = out_dir / "sample_peter_the_great_gulf.nmea"
    write_sample_nmea(sample, hours=hours, seed=seed)
    with open_store(store_path) as store:
        places = load_curated_gazetteer(store)
        summary = ingest_file(store, sample)
        vessels = vessel_identities(store)
    report = out_dir / "report.json"
    report.write_text(
        json.dumps(
            {"ingest": summary.to_dict(), "vessels": [v.to_dict() for v in vessels]},
            indent=2, default=str,
        )
    )
    return DemoResult(out_dir, store_path, sample, report, summary, vessels, places.loaded)
