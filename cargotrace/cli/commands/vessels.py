"""`cargotrace vessels`: the identities each MMSI broadcast, and when it was seen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from cargotrace.cli.app import JsonOption, ReadStoreOption, app, open_cli_store, out, print_json

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
    limit: Annotated[int, typer.Option(help="At most this many vessels.")] = 1000,
    json_out: JsonOption = False,
) -> None:
    """Per MMSI: names, IMO, call signs, flag (from the MID), first/last seen, positions."""
    from cargotrace.store.vessels import vessel_identities

    with open_cli_store(store, write=False, read_only=True) as st:
        found = vessel_identities(st, mmsi=mmsi, imo=imo, name=name, limit=limit)
    if json_out:
        print_json([v.to_dict() for v in found])
        return
    out.print(vessel_table(found))


def vessel_table(found: list[VesselIdentity]) -> Table:
    table = Table(title=f"{len(found)} vessel(s)")
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
