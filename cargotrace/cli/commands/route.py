"""`cargotrace route FROM TO`: the k fastest multimodal routes, with transit-time spreads.

Python API twin: `cargotrace.routes.plan_routes` (docs/concepts/routes.md).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cargotrace.cli.app import (
    OptionalStoreOption,
    app,
    err,
    out,
    print_json,
    read_optional_store,
)

if TYPE_CHECKING:
    from cargotrace.routes import Route


class RouteFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    GEOJSON = "geojson"


@app.command()
def route(
    origin: Annotated[str, typer.Argument(metavar="FROM", help="Place name, alias or place_id.")],
    destination: Annotated[str, typer.Argument(metavar="TO", help="Place name, alias or id.")],
    via: Annotated[list[str] | None, typer.Option(
        "--via", help="Pass this place on the way (repeatable, in order).")] = None,
    modes: Annotated[str, typer.Option(
        "--modes", help="Comma-separated modes to use: sea, rail, ferry, road (trucks between "
        "any two places, great-circle x circuity; road connectors to off-network places are "
        "always allowed).")] = "sea,rail,ferry",
    avoid: Annotated[list[str] | None, typer.Option(
        "--avoid", help="Country to stay out of: ISO 3166 alpha-2 or name (repeatable).")] = None,
    k: Annotated[int, typer.Option("-k", help="Number of distinct routes, fastest first.")] = 5,
    store: OptionalStoreOption = None,
    format: Annotated[RouteFormat, typer.Option(
        "--format", help="table, json (documented contract) or geojson (a line per leg).")
    ] = RouteFormat.TABLE,
) -> None:
    """The k fastest routes FROM -> TO by sea lanes, rail and ferries, with P10/P50/P90 times."""
    from cargotrace.routes import RouteParams, plan_routes
    from cargotrace.routes.output import attribution, routes_geojson, routes_json
    from cargotrace.routes.place_book import PlaceBook

    book = read_optional_store(
        store, lambda st: PlaceBook.curated() if st is None else PlaceBook.from_store(st))
    params = RouteParams()
    routes = plan_routes(book, origin, destination, via=via or (), modes=modes,
                         avoid=avoid or (), k=k, params=params)
    if format is RouteFormat.JSON:
        print_json(routes_json(routes, params))
    elif format is RouteFormat.GEOJSON:
        print_json(routes_geojson(routes))
    else:
        out.print(routes_table(routes))
        for line in attribution(routes):
            err.print(line, markup=False, highlight=False)


def _days(hours: float) -> str:
    return f"{hours / 24:.1f} d"


def routes_table(routes: list[Route]) -> Table:
    table = Table(title=f"{len(routes)} route(s), fastest first (times: P10 / P50 / P90)")
    for col in ("#", "legs", "km", "P10", "P50", "P90", "countries", "transit", "crossings",
                "chokepoints", "intl waters"):
        table.add_column(col, justify="right" if col in ("#", "km", "P10", "P50", "P90")
                         else "left")
    for r in routes:
        t = r.time
        legs = "\n".join(
            f"{leg.mode} {leg.from_name} → {leg.to_name} ({leg.distance_km:,.0f} km, "
            f"P50 {_days(leg.time.p50_h)}){' *' if leg.note.startswith('explicit') else ''}"
            for leg in r.legs)
        waters = r.interdiction.get("international_waters_h")
        table.add_row(
            str(r.rank), legs, f"{r.distance_km:,.0f}", _days(t.p10_h), _days(t.p50_h),
            _days(t.p90_h), " ".join(r.countries), r.transit.summary,
            "\n".join(c.name for c in r.crossings),
            "\n".join(r.chokepoints), f"{waters:.0f} h" if waters is not None else "")
    notes = {leg.note for r in routes for leg in r.legs if leg.note.startswith("explicit")}
    caption = ["transit: third countries, entered but neither the origin's nor the "
               "destination's; crossings: the border crossings used"]
    if notes:
        caption.append("* " + "; ".join(sorted(notes)))
    table.caption = "\n".join(caption)
    return table
