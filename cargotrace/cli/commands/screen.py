"""`cargotrace screen`: match every vessel in the store against the loaded sanctions lists.

Python API twin: `cargotrace.screen.screen.screen_store`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from cargotrace.cli.app import (
    JsonOption,
    WorkStoreOption,
    app,
    bounded,
    err,
    open_cli_store,
    out,
    print_json,
)
from cargotrace.screen.params import ScreenParams

if TYPE_CHECKING:
    from cargotrace.screen.match import Match
    from cargotrace.screen.screen import ScreenSummary

_DEFAULTS = ScreenParams()
REASON_CHARS = 160
"""A reason's length in the table: names in them are broadcast or list text (--json has all)."""
SHOWN_PER_ROLE = 3


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
    out.print(hits_table(summary.hits))
    err.print(summary_line(summary), markup=False, highlight=False)
    if summary.list_vessels == 0:
        err.print("No listed vessel in the store: try `cargotrace sanctions load sdn.csv`.",
                  markup=False)


def why(hit: Match) -> str:
    """What made the hit first, then what conflicts with it ("≠", "differs"), each bounded
    and at most SHOWN_PER_ROLE of each, then the notes' count: the first reason alone ("IMO
    ... fails the check digit: not used") hid the name match that produced the hit."""
    lines: list[str] = []
    for role, reasons in (("+", hit.supports), ("−", hit.conflicts)):
        lines += [f"{role} {bounded(r, REASON_CHARS)}" for r in reasons[:SHOWN_PER_ROLE]]
        if len(reasons) > SHOWN_PER_ROLE:
            lines.append(f"{role} … {len(reasons) - SHOWN_PER_ROLE} more (see --json)")
    notes = [r for r in hit.reasons if r not in hit.supports and r not in hit.conflicts]
    lines += [f"· {bounded(r, REASON_CHARS)}" for r in notes]
    return "\n".join(lines)


def hits_table(hits: list[Match]) -> Table:
    vessels = len({h.mmsi for h in hits})
    table = Table(title=f"{len(hits):,} hit(s) on {vessels:,} vessel(s)",
                  caption="why: + supports the match, − conflicts with it, · note")
    for col in ("MMSI", "match", "score", "list", "entity", "name", "IMO", "program", "why"):
        table.add_column(col, justify="right" if col in ("MMSI", "score") else "left")
    for h in hits:  # as Text: list and AIS names are untrusted text, never markup
        table.add_row(*map(Text, (
            str(h.mmsi), h.match, f"{h.score:.2f}", h.list, bounded(h.entity_id, 40),
            bounded(h.entity_name, 60), str(h.imo or ""), bounded(h.program, 40), why(h))))
    return table


def summary_line(summary: ScreenSummary) -> str:
    confirmed = summary.confirmed
    possible = len(summary.hits) - len(confirmed)
    return (f"{summary.vessels:,} vessels screened against {summary.list_vessels:,} listed "
            f"vessels: hits on {summary.vessels_hit:,} vessel(s) ({len(confirmed):,} confirmed "
            f"hit(s) on {len({h.mmsi for h in confirmed}):,} vessel(s), {possible:,} possible; "
            f"a vessel can match several list entries); {summary.events_written:,} "
            f"sanction_match events, one per vessel hit ({summary.events_replaced:,} replaced; "
            f"{summary.duration_s:.1f} s)")
