"""`cargotrace demo`: the whole chain, end to end, on generated data (what `make demo` runs)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cargotrace.cli.app import app, err, out

if TYPE_CHECKING:
    from cargotrace.demo import DemoResult


def _summary(r: DemoResult) -> list[str]:
    kinds = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in r.detect.written.items() if n)
    hits = "; ".join(f"MMSI {h.mmsi} = {h.entity_name} (IMO {h.imo}, {h.program}, "
                     f"{h.match})" for h in r.screen.hits) or "none"
    best = r.case.best
    lines = [
        f"simulated and ingested {r.ingest.positions_stored:,} positions "
        f"({r.ingest.quarantined_total} quarantined) from {r.nmea_path}; "
        f"{r.places_loaded} curated places over the scenario's ports",
        f"detected: {kinds or 'nothing'}",
        f"screened against {r.sanctions.list} ({r.sanctions.vessels} listed vessels): {hits}",
    ]
    if best is not None:
        vessel = next((leg.vessel for leg in best.legs if leg.vessel), None)
        lines.append(f"case {r.case.case.case}: {len(r.case.hypotheses)} hypotheses; best "
                     f"#{best.rank} {best.title} (score {best.score:.3f})"
                     + (f", sea leg vessel {vessel['name']} (MMSI "
                        f"{', '.join(map(str, vessel['in_store_mmsis'])) or 'not in AIS'})"
                        if vessel else ""))
    lines.append("seconds: " + ", ".join(f"{k} {v}" for k, v in r.seconds.items()))
    return lines


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for everything the demo "
                                          "writes (store, generated AIS, caches, report).")]
    = Path("demo-output"),
    sanctions: Annotated[Path | None, typer.Option(
        "--sanctions", metavar="PATH", help="Screen against this real list (OFAC SDN CSV, UN "
        "XML or FtM JSON lines) instead of the packaged facts about the case's vessels.")] = None,
    vessels: Annotated[int, typer.Option(help="Background vessels to simulate.")] = 16,
    days: Annotated[float, typer.Option(help="Days of traffic from 1 Sep 2023.")] = 20.0,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 7,
) -> None:
    """Simulate the sea-of-japan-2023 scenario, ingest its NMEA, detect, screen, build the
    reference case (Najin → Dunay → Tikhoretsk, 2023) and write its report. Ends with the
    report's path, the store's, and an `export CARGOTRACE_STORE=...` line to paste so that
    later commands (the README's examples) read the demo's store."""
    from cargotrace.demo import DemoParams, run_demo
    from cargotrace.store.store import STORE_ENV

    result = run_demo(out_dir, DemoParams(vessels=vessels, days=days, seed=seed,
                                          sanctions=sanctions))
    for line in _summary(result):
        err.print(line, markup=False, highlight=False)
    out.print(f"Report: {result.report_path}", markup=False, highlight=False)
    # the README's examples read $CARGOTRACE_STORE: say where the demo's store is, ready to paste
    out.print(f"Store: {result.store_path}\n"
              f"export {STORE_ENV}={shlex.quote(str(result.store_path))}",
              markup=False, highlight=False)
