"""`cargotrace vessels`: the identities each MMSI broadcast, and when it was seen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from cargotrace.cli.app import (
    JsonOption,
    ReadStoreOption,
    app,
    check_limit,
    err,
    open_cli_store,
    out,
    print_json,
)

if TYPE_CHECKING:
    from cargotrace.store.vessels import Observed, VesselIdentity


def _values(observed: list[Observed]) -> str:
    return "\n".join(
        f"{o.value} ({o.first_ts:%Y-%m-%d}..{o.last_ts:%Y-%m-%d})" if len(observed) > 1 else o.value
        for o in observed
    )


@app.command()
def vessels(
    store: ReadStoreOption = None,
    mmsi: Annotated[int | None, typer.Option(help="Only this MMSI.")] = None,
    imo: Annotated[int | None, typer.Option(help="Vessels that reported this IMO number.")] = None,
    name: Annotated[
        str | None, typer.Option(help="Vessels whose reported name contains TEXT.")
    ] = None,
    limit: Annotated[
        int, typer.Option(help="At most this many vessels (the first by MMSI); at least 1.")
    ] = 1000,
    json_out: JsonOption = False,
) -> None:
    """Per MMSI: names, IMO, call signs, flag (from the MID), first/last seen, positions."""
    from cargotrace.store.vessels import count_vessels, vessel_identities

    check_limit(limit, "vessels")

    with open_cli_store(store, write=False, read_only=True) as st:
        found = vessel_identities(st, mmsi=mmsi, imo=imo, name=name, limit=limit)
        total = count_vessels(st, mmsi=mmsi, imo=imo, name=name) if len(found) == limit \
            else len(found)
    if json_out:  # the JSON stays a list of vessels; what was left out is said on stderr
        print_json([v.to_dict() for v in found])
    else:
        out.print(vessel_table(found, total))
    if total > len(found):
        err.print(f"… {total - len(found):,} more: narrow with --mmsi, --imo or --name, or "
                  "raise --limit", markup=False, highlight=False, soft_wrap=True)


def vessel_table(found: list[VesselIdentity], total: int | None = None) -> Table:
    """`total` is how many vessels matched: the title says when fewer are shown."""
    total = len(found) if total is None else total
    title = f"{total:,} vessel(s)" + (f", first {len(found):,} shown" if total > len(found)
                                      else "")
    table = Table(title=title)
    columns = (
        "MMSI",
        "flag",
        "name(s)",
        "IMO",
        "call sign",
        "first seen",
        "last seen",
        "positions",
    )
    for col in columns:
        table.add_column(col, justify="right" if col in ("MMSI", "positions") else "left")
    for v in found:  # as Text: names are broadcast text, never markup ("[/]" would crash)
        table.add_row(*map(Text, (
            str(v.mmsi),
            v.flag or "",
            _values(v.names),
            _values(v.imos),
            _values(v.callsigns),
            f"{v.first_seen:%Y-%m-%d %H:%M}" if v.first_seen else "",
            f"{v.last_seen:%Y-%m-%d %H:%M}" if v.last_seen else "",
            f"{v.positions:,}",
        )))
    return table
