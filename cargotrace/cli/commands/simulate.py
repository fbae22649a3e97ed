"""`cargotrace simulate`: AIS traffic with known behaviours, for tests, demos and evaluation."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cargotrace.cli.app import JsonOption, app, err, out, parse_utc, print_json
from cargotrace.sim.params import Feed


@app.command()
def simulate(
    scenario: Annotated[str, typer.Option(
        help="background, sea-of-japan-2023, mixed or campaign.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the generated files.")],
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same bytes).")] = 7,
    vessels: Annotated[
        int | None, typer.Option(help="Background vessels (default: the scenario's).")
    ] = None,
    days: Annotated[
        float | None, typer.Option(help="Days of traffic (default: the scenario's).")
    ] = None,
    region: Annotated[
        str | None, typer.Option(help="Region name or LAT_MIN,LAT_MAX,LON_MIN,LON_MAX.")
    ] = None,
    start: Annotated[str | None, typer.Option(help="Start time, UTC (ISO 8601).")] = None,
    nmea: Annotated[bool, typer.Option("--nmea", help="Also write tag-blocked NMEA.")] = False,
    feed: Annotated[
        Feed,
        typer.Option(help="global: shore stations and satellites; regional: shore stations "
                          "only (ships out of range go silent)."),
    ] = Feed.GLOBAL,
    outages: Annotated[
        int, typer.Option(help="Whole-feed outages (hours in which nothing is heard).")
    ] = 0,
    outage_hours: Annotated[
        float, typer.Option(help="Length of each outage, whole hours.")
    ] = 8.0,
    json_out: JsonOption = False,
) -> None:
    """Write positions, static reports, ground truth (and evidence, or a campaign file) for a
    scenario."""
    from cargotrace.sim.params import ScenarioParams
    from cargotrace.sim.run import simulate as run_simulation

    params = ScenarioParams.for_scenario(
        scenario,
        seed=seed,
        vessels=vessels,
        days=days,
        region=region,
        start=parse_utc(start, "--start") if start else None,
        feed=feed,
        outages=outages,
        outage_hours=outage_hours,
    )
    if sys.stderr.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        with Progress(
            "{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("positions written", total=None)
            result = run_simulation(
                params, out_dir, nmea=nmea, progress=lambda n: bar.update(task, completed=n)
            )
    else:
        result = run_simulation(params, out_dir, nmea=nmea)
    if json_out:
        print_json(result.to_dict())
        return
    out.print(
        f"{result.positions:,} positions, {result.reports:,} static reports and "
        f"{result.truth:,} truth rows in {result.duration_s:.1f} s:"
    )
    for path in result.files:
        out.print(f"  {path}")
