"""`cargotrace screen`: match every vessel in the store against the loaded sanctions lists.

Python API twin: `cargotrace.screen.screen.screen_store`.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from cargotrace.cli.app import (
    JsonOption,
    WorkStoreOption,
    app,
    err,
    open_cli_store,
    out,
    print_json,
)
from cargotrace.screen.params import ScreenParams

_DEFAULTS = ScreenParams()


@app.command()
def screen(
    store: WorkStoreOption = None,
    min_score: Annotated[
        float, typer.Option(help="Report hits from this score (0-1); confirmed ones always.")
    ] = _DEFAULTS.min_score,
    min_name_similarity: Annotated[
        float, typer.Option(help="Names match from this similarity (0.5-1), e.g. 0.88.")
    ] = _DEFAULTS.min_name_similarity,
    json_out: JsonOption = False,
) -> None:
    """Screen every vessel seen in the store; replace the sanction_match events."""
    from cargotrace.screen.screen import screen_store

    params = ScreenParams(min_name_similarity=min_name_similarity, min_score=min_score)
    with open_cli_store(store, write=False) as st:
        summary = screen_store(st, params)
    if json_out:
        print_json(summary.to_dict())
        return
    table = Table(title=f"{len(summary.hits)} hit(s)")
    for col in ("MMSI", "match", "score", "list", "entity", "name", "IMO", "program", "why"):
        table.add_column(col, justify="right" if col in ("MMSI", "score") else "left")
    for h in summary.hits:
        table.add_row(str(h.mmsi), h.match, f"{h.score:.2f}", h.list, h.entity_id,
                      h.entity_name, str(h.imo or ""), h.program, h.reasons[0])
    out.print(table)
    err.print(f"{summary.vessels:,} vessels screened against {summary.list_vessels:,} listed "
              f"vessels: {len(summary.confirmed):,} confirmed, "
              f"{len(summary.hits) - len(summary.confirmed):,} possible; "
              f"{summary.events_written:,} sanction_match events ({summary.events_replaced:,} "
              f"replaced; {summary.duration_s:.1f} s)", markup=False, highlight=False)
    if summary.list_vessels == 0:
        err.print("No listed vessel in the store: try `cargotrace sanctions load sdn.csv`.",
                  markup=False)
