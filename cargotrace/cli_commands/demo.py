"""`cargotrace demo`: the end-to-end demo on generated data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cargotrace.cli import app, err, out
from cargotrace.cli_commands.ingest import render_summary
from cargotrace.cli_commands.vessels import vessel_table
from cargotrace.demo import run_demo


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the demo's outputs.")] = Path(
        "demo-output"
    ),
    hours: Annotated[float, typer.Option(help="Hours of traffic to generate.")] = 6.0,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 7,
) -> None:
    """Generate AIS traffic in Peter the Great Gulf, ingest it, and show what the store holds."""
    result = run_demo(out_dir, hours=hours, seed=seed)
    err.print(f"Generated {result.sample_path} and loaded {result.places_loaded} curated places.")
    err.print(render_summary(result.summary))
    out.print(vessel_table(result.vessels))
    out.print(f"Store: {result.store_path}")
    out.print(f"Report: {result.report_path}")
