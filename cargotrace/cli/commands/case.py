"""`cargotrace case build|check`: evidence fused into ranked, explained shipment hypotheses.

Python API twins: `cargotrace.cases.build_case`, `check_case`, `read_case`, `save_case`
(docs/concepts/cases.md).
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
    open_cli_store,
    optional_store,
    out,
    print_json,
)

if TYPE_CHECKING:
    from cargotrace.cases import CaseResult

case_app = typer.Typer(help="Reconstruct a shipment from a case file of graded evidence.",
                       no_args_is_help=True)
app.add_typer(case_app, name="case")

CaseFile = Annotated[Path, typer.Argument(metavar="CASE.yaml", help="The case file (YAML).")]
SHOWN = 8


@case_app.command("build")
def build(
    case_file: CaseFile,
    store: OptionalStoreOption = None,
    json: JsonOption = False,
    top: Annotated[int, typer.Option("--top", help="Hypotheses shown in the table.")] = SHOWN,
) -> None:
    """Ranked hypotheses (legs, routes, vessels, time fits, flags) for CASE.yaml.

    With a store (--store, $CARGOTRACE_STORE or an existing ./cargotrace.duckdb) places also
    resolve from its gazetteer, sea legs get candidate vessels from its events and sanctions
    lists, and the evidence and hypotheses are written to its tables.
    """
    from cargotrace.cases import build_case, read_case, save_case

    case = read_case(case_file)
    path = optional_store(store)
    if path is not None:
        with open_cli_store(path, write=False) as st:
            result = build_case(case, st)
            save_case(st, result)
    else:
        result = build_case(case)
    if json:
        print_json(result.to_dict())
        return
    out.print(_table(result, top))
    doc = result.to_dict()
    if doc["decisiveness"]:
        d = doc["decisiveness"]
        err.print(f"ranking: {d['verdict']}; against other modes: {d['verdict_on_modes']}",
                  markup=False, highlight=False)
    for c in doc["carriers"]:
        err.print(f"carrier named by the evidence: {c['from']} → {c['to']} by {c['mode']} "
                  f"({c['carrier']}; {', '.join(c['evidence'])})", markup=False, highlight=False)
    for v in doc["vessels"]:
        if v.get("resolution"):
            err.print(f"vessel {v['name']}: {v['resolution']['message']}", markup=False,
                      highlight=False)
    for flag in result.flags:
        err.print(f"{flag.level}: [{flag.code}] {flag.message}", markup=False, highlight=False)
    # the best explanation, then why each named alternative (corridor) loses
    for h in doc["hypotheses"]:
        if h["rank"] == 1 or h["kind"] == "corridor":
            err.print(h["explanation"], markup=False, highlight=False)


def _table(result: CaseResult, top: int) -> Table:
    table = Table(title=f"{result.case.case}: {len(result.hypotheses)} hypotheses, best first "
                  "(fit = likelihood of the observed transit, relative to the best achievable)")
    for col in ("#", "score", "×best", "legs", "fit", "vessel", "contradicted by"):
        table.add_column(col, justify="right" if col in ("#", "score", "×best") else "left")
    best = result.best
    for h in result.hypotheses[:top]:
        legs = "\n".join(leg.option.summary for leg in h.legs)
        fits = "\n".join(f"{leg.fit:.2f}" + ("" if leg.feasible else " ✗") for leg in h.legs)
        vessels = "\n".join(
            (f"{leg.vessel['name']}{' (sanctioned)' if leg.vessel.get('sanctioned') else ''}"
             if leg.vessel and leg.vessel.get("name") else "") for leg in h.legs)
        ratio = (best.score / h.score if best and h.score > 0 else float("inf"))
        table.add_row(str(h.rank), f"{h.score:.3f}", f"{ratio:.1f}", legs, fits, vessels,
                      ", ".join(h.contradicts))
    return table


@case_app.command("check")
def check(case_file: CaseFile, json: JsonOption = False) -> None:
    """Validate CASE.yaml and list what is inconsistent (no store needed; exit 1 on errors)."""
    from cargotrace.cases import check_case
    from cargotrace.routes.place_book import PlaceBook

    report = check_case(case_file, PlaceBook.curated())
    if json:
        print_json(report.to_dict())
    else:
        for p in report.problems:
            out.print(f"{case_file}: {p.where}: {p.level}: {p.message}", markup=False,
                      highlight=False)
        for c in report.carriers:
            out.print(f"{case_file}: {c.where}: carrier: {c.message}", markup=False,
                      highlight=False)
        state = "OK" if report.ok else f"{len(report.errors)} error(s)"
        err.print(f"{report.case or case_file}: {report.evidence} evidence item(s), "
                  f"{report.anchors} anchor(s); {state}", markup=False, highlight=False)
    if not report.ok:
        raise typer.Exit(1)
