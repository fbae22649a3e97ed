"""`cargotrace campaign check|build`: a flow of shipments, its volumes, and claims tested.

Python API twins: `cargotrace.cases.campaign.check_campaign`, `read_campaign`, `build_campaign`
(docs/concepts/campaigns.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cargotrace.cli.app import (
    JsonOption,
    OptionalStoreOption,
    app,
    err,
    out,
    print_json,
    read_optional_store,
)
from cargotrace.errors import ParamsError, UnreadableInputError

if TYPE_CHECKING:
    from cargotrace.cases.campaign import CampaignResult

campaign_app = typer.Typer(help="Test volume claims against the trips of a campaign file.",
                           no_args_is_help=True)
app.add_typer(campaign_app, name="campaign")

CampaignFile = Annotated[Path, typer.Argument(metavar="CAMPAIGN.yaml",
                                              help="The campaign file (YAML).")]


@campaign_app.command("check")
def check(campaign_file: CampaignFile, json: JsonOption = False) -> None:
    """Validate CAMPAIGN.yaml; list every problem with its YAML path (exit 1 on errors)."""
    from cargotrace.cases.campaign import check_campaign

    report = check_campaign(campaign_file)
    if json:
        print_json(report.to_dict())
    else:
        for p in report.problems:
            out.print(f"{campaign_file}: {p.where}: {p.level}: {p.message}", markup=False,
                      highlight=False)
        state = "OK" if report.ok else f"{len(report.errors)} error(s)"
        err.print(f"{report.campaign or campaign_file}: {state}", markup=False,
                  highlight=False)
    if not report.ok:
        raise typer.Exit(1)


@campaign_app.command("build")
def build(campaign_file: CampaignFile, store: OptionalStoreOption = None,
          json: JsonOption = False) -> None:
    """Evidenced trips, volume bands (P10/P50/P90) and a verdict on every claim.

    With a store (--store, $CARGOTRACE_STORE or an existing ./cargotrace.duckdb) capacities
    can come from the vessels' dimensions and stored shuttle events add trips.
    """
    from cargotrace.cases.campaign import build_campaign, read_campaign

    campaign = read_campaign(campaign_file)
    result = read_optional_store(store, lambda st: build_campaign(
        campaign, st, source_path=str(campaign_file)))
    if json:
        print_json(result.to_dict())
        return
    out.print(_table(result))
    for flag in result.flags:
        err.print(f"warning: {flag}", markup=False, highlight=False)
    for verdict in result.claims:
        err.print(verdict.explanation, markup=False, highlight=False)


def _table(result: CampaignResult) -> Table:
    unit = result.campaign.unit
    table = Table(title=f"{result.campaign.campaign}: {len(result.trips)} evidenced round "
                  f"trip(s); claims against them ({unit})")
    for col in ("claim", "by", "claimed", "evidenced P10-P90", "trips seen", "needed",
                "verdict"):
        table.add_column(col)
    for v in result.claims:
        table.add_row(v.claim.id, v.claim.by.isoformat(),
                      f"{v.claim.qualifier.replace('_', ' ')} {v.claim.quantity:,.0f}",
                      f"{v.evidenced_volume.p10:,.0f}-{v.evidenced_volume.p90:,.0f}",
                      str(v.evidenced_trips), str(v.needed_trips), v.verdict)
    return table


@campaign_app.command("report")
def report(
    campaign_file: CampaignFile,
    out_path: Annotated[Path, typer.Option(
        "--out", help="Folder for the report (created), or a file name ending .html or .pdf.")],
    store: OptionalStoreOption = None,
    format: Annotated[str, typer.Option(
        "--format", help="html, or pdf (the same HTML printed on A4 by a headless Chromium; "
        "the HTML is written too).")] = "html",
) -> None:
    """Write the campaign report: cumulative-volume charts (the estimate's P10-P90 band and
    P50 line, claims as points), the trips per vessel, every claim's verdict in words with its
    numbers, capacities, evidence and methods, in one HTML file that opens offline.

    With a store (--store, $CARGOTRACE_STORE or an existing ./cargotrace.duckdb; opened
    read-only) capacities can come from the vessels' dimensions and stored shuttle events add
    trips, each call marked by how it was evidenced.
    """
    from cargotrace.publish.campaign_report import FORMATS, write_campaign_report

    if format not in FORMATS:
        raise ParamsError(f"--format {format}: use one of {', '.join(FORMATS)}")
    written = read_optional_store(store, lambda st: write_campaign_report(
        campaign_file, out_path, st, fmt=format))
    for verdict in written.result.claims:
        err.print(f"{verdict.claim.id}: {verdict.verdict.replace('_', ' ')}", markup=False,
                  highlight=False)
    out.print(str(written.path), markup=False, highlight=False)


@campaign_app.command("evaluate")
def evaluate(
    sim_dir: Annotated[Path, typer.Argument(
        metavar="SIM_DIR", help="A folder written by `cargotrace simulate --scenario "
        "campaign` (its campaign.yaml and truth.parquet).")],
    store: OptionalStoreOption = None,
    json: JsonOption = False,
) -> None:
    """Score the campaign estimate against the simulator's truth: recall and precision of the
    planted deliveries, and whether the true volume falls inside the P10-P90 band (exit 1 when
    recall is under the required share or the volume is outside the band).

    Give the store the scenario was ingested and detected into, so that its shuttle events
    count the trips.
    """
    from cargotrace.cases.campaign import build_campaign, read_campaign
    from cargotrace.sim.campaign_eval import evaluate_campaign
    from cargotrace.sim.evaluation_inputs import read_truth

    if not sim_dir.is_dir():
        raise UnreadableInputError(f"{sim_dir}: not a folder written by cargotrace simulate")
    campaign = read_campaign(sim_dir / "campaign.yaml")
    truth = read_truth(sim_dir / "truth.parquet")
    result = read_optional_store(store, lambda st: build_campaign(
        campaign, st, source_path=str(sim_dir / "campaign.yaml")))
    scored = evaluate_campaign(result, truth)
    if json:
        print_json(scored.to_dict())
    else:
        b = scored.band
        out.print(
            f"trips: {scored.matched} of {scored.true_trips} true deliveries recovered (recall "
            f"{scored.recall:.2f}, required {scored.params.min_recall_fraction:.2f}); "
            f"{scored.estimated_trips} estimated (precision {scored.precision:.2f})\n"
            f"volume: true {scored.true_volume:,.0f}; estimated P10-P90 {b['p10']:,.0f}-"
            f"{b['p90']:,.0f} (median {b['p50']:,.0f}): "
            + ("inside" if scored.volume_inside else "OUTSIDE") + "\n"
            + ("passed" if scored.passed else "FAILED"), markup=False, highlight=False)
    if not scored.passed:
        raise typer.Exit(1)
