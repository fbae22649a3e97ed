"""`cargotrace evaluate`: score the store's detected events against simulator ground truth.

Python API twin: `cargotrace.sim.evaluate.evaluate` (rules in docs/concepts/evaluation.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cargotrace.cli.app import (
    JsonOption,
    ReadStoreOption,
    app,
    err,
    open_cli_store,
    out,
    print_json,
)
from cargotrace.detect.kinds import EventKind
from cargotrace.sim.params import MatchParams, OpenEnd

if TYPE_CHECKING:
    from cargotrace.sim.evaluate import Evaluation, KindScore

DEFAULTS = MatchParams()


@app.command()
def evaluate(
    truth: Annotated[
        Path, typer.Option("--truth", help="truth.parquet written by `cargotrace simulate`.")
    ],
    store: ReadStoreOption = None,
    kind: Annotated[
        list[EventKind] | None,
        typer.Option("--kind", help="Score this kind (repeatable); default: the truth's kinds."),
    ] = None,
    min_overlap: Annotated[
        float,
        typer.Option("--min-overlap", help="Least intersection / truth duration, e.g. 0.5."),
    ] = DEFAULTS.min_overlap_fraction,
    min_event_overlap: Annotated[
        float,
        typer.Option("--min-event-overlap",
                     help="Least intersection / event duration; 0 (default) turns it off."),
    ] = DEFAULTS.min_event_overlap_fraction,
    instant_tolerance_min: Annotated[
        float,
        typer.Option("--instant-tolerance-min",
                     help="Minutes allowed between instantaneous truth and event, e.g. 60."),
    ] = DEFAULTS.instant_tolerance_min,
    open_end_as: Annotated[
        OpenEnd, typer.Option("--open-end-as", help="A still-open event lasts until this.")
    ] = DEFAULTS.open_end_as,
    outage_lead_min: Annotated[
        float,
        typer.Option("--outage-lead-min",
                     help="A silence beginning this many minutes before a feed outage, or in "
                          "it, is explained by it."),
    ] = DEFAULTS.outage_lead_min,
    json_out: JsonOption = False,
) -> None:
    """Score detected events against ground truth: TP, FP, FN, precision, recall per kind."""
    from cargotrace.sim.evaluate import evaluate as evaluate_events
    from cargotrace.sim.evaluate import read_events, read_truth, store_data_end

    params = MatchParams(min_overlap, min_event_overlap, instant_tolerance_min, open_end_as,
                         outage_lead_min)
    truth_table = read_truth(truth)
    with open_cli_store(store, write=False, read_only=True) as st:
        events, data_end = read_events(st), store_data_end(st)
    kinds = {str(k) for k in kind} if kind else None
    result = evaluate_events(events, truth_table, params, kinds=kinds, data_end=data_end)
    if json_out:
        print_json(result.to_dict())
        return
    out.print(evaluation_table(result))
    if result.outages.outages:
        out.print(outage_line(result), markup=False, highlight=False)
    if result.unscored_events:
        counts = ", ".join(f"{k} ×{n}" for k, n in result.unscored_events.items())
        err.print(f"Not scored (kind not in the truth; ask with --kind): {counts}",
                  markup=False, highlight=False)
    if any(s.unmatched_truth_ids or s.unmatched_event_ids for s in result.kinds):
        err.print("--json lists the unmatched truth and event ids.", markup=False, highlight=False)


def outage_line(result: Evaluation) -> str:
    """The truth's feed outages and the silences reported because of them (0 is right)."""
    check = result.outages
    counts = ", ".join(f"{k} {n:,}" for k, n in check.explained.items())
    verdict = "none, as it should be" if not check.total_explained else "should be 0"
    return (f"Feed outages in the truth: {check.outages:,} ({check.outage_hours:g} h). "
            f"Silences reported because of them ({verdict}): {counts}.")


def _minutes(median: float | None, largest: float | None) -> str:
    return "" if median is None or largest is None else f"{median:,.0f} / {largest:,.0f}"


def evaluation_table(result: Evaluation) -> Table:
    """One row per scored kind, then one per identity subkind (indented)."""
    table = Table(title=f"Evaluation (min overlap {result.params.min_overlap_fraction:g})")
    columns = ("kind", "truth", "detected", "TP", "FP (dup)", "FN", "precision", "recall",
               "F1", "start err min (median / max)", "end err min (median / max)")
    for col in columns:
        table.add_column(col, justify="left" if col == "kind" else "right")
    rows: list[tuple[str, KindScore]] = [(s.kind, s) for s in result.kinds]
    rows += [(f"  {s.subkind or '(no identity_kind)'}", s) for s in result.subkinds]
    for label, s in rows:
        table.add_row(
            label, f"{s.truth:,}", f"{s.detected:,}", f"{s.tp:,}", f"{s.fp:,} ({s.duplicates:,})",
            f"{s.fn:,}", f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}",
            _minutes(s.start_error_median_min, s.start_error_max_min),
            _minutes(s.end_error_median_min, s.end_error_max_min),
        )
    return table
