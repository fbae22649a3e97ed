"""`cargotrace report`: a case file (and the store's AIS, events and lists) as one
self-contained HTML report, or a PDF printed from it.

Python API twin: `cargotrace.publish.report.write_report`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cargotrace.cli.app import (
    OptionalStoreOption,
    app,
    err,
    out,
    read_optional_store,
)
from cargotrace.errors import ParamsError

if TYPE_CHECKING:
    from cargotrace.publish.report import Report


@app.command()
def report(
    case_file: Annotated[Path, typer.Argument(
        metavar="CASE.yaml", help="The case file: the evidence, as YAML (write one as "
        "docs/concepts/cases.md describes; `cargotrace simulate --scenario sea-of-japan-2023` "
        "writes a simulated evidence.yaml), or a packaged case's name (najin-tikhoretsk-2023).")],
    out_dir: Annotated[Path, typer.Option(
        "--out", help="Folder for the report (created), or a file name ending .html or .pdf.")],
    store: OptionalStoreOption = None,
    format: Annotated[str, typer.Option(
        "--format", help="html, or pdf (the same HTML printed on A4 by a headless Chromium; "
        "the HTML is written too).")] = "html",
) -> None:
    """Write the case report: map, timeline, ranked hypotheses, evidence with sources, vessel
    profiles and methods, in one HTML file that opens offline and prints on A4.

    With a store (--store, $CARGOTRACE_STORE or an existing ./cargotrace.duckdb) the report
    adds the candidate vessels' AIS tracks, events and sanctions hits; the store is opened
    read-only.
    """
    from cargotrace.publish.report import FORMATS, write_report

    if format not in FORMATS:
        raise ParamsError(f"--format {format}: use one of {', '.join(FORMATS)}")
    result: Report = read_optional_store(
        store, lambda st: write_report(case_file, out_dir, st, fmt=format))
    best = result.result.best
    if best is not None:
        err.print(f"best hypothesis: #{best.rank} {best.title} (score {best.score:.3f})",
                  markup=False, highlight=False)
    out.print(str(result.path), markup=False, highlight=False)
