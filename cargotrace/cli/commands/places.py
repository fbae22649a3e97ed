"""`cargotrace places load|list`: put gazetteers into the store and look places up.

Python API twins: `cargotrace.ingest.gazetteers.load_places` / `load_curated_gazetteer` and
`cargotrace.store.places.list_places`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cargotrace.cli.app import (
    JsonOption,
    ReadStoreOption,
    StoreOption,
    err,
    open_cli_store,
    out,
    places_app,
    print_json,
)
from cargotrace.errors import ParamsError
from cargotrace.ingest.gazetteers import PlaceFormat, PlaceKind

if TYPE_CHECKING:
    from cargotrace.ingest.gazetteers import PlacesLoadSummary
    from cargotrace.store.places import PlaceMatch

DEFAULT_NEAR_KM = 50.0
SHOW_SKIPPED = 10


@places_app.command("load")
def load(
    path: Annotated[
        Path | None,
        typer.Argument(help="World Port Index CSV, GeoJSON points, or CSV with name,lat,lon."),
    ] = None,
    curated: Annotated[
        bool, typer.Option("--curated", help="Load the cited gazetteer shipped with cargotrace.")
    ] = False,
    format: Annotated[
        PlaceFormat, typer.Option("--format", help="File format; auto reads the content.")
    ] = PlaceFormat.AUTO,
    kind: Annotated[
        PlaceKind | None,
        typer.Option("--kind", help="Kind of rows giving none (default unknown; WPI: seaport)."),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option("--source", help="Citation for rows that give none (default: file name)."),
    ] = None,
    store: StoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """Load places from a gazetteer; re-loading replaces rows with the same place_id."""
    from cargotrace.ingest.gazetteers import load_curated_gazetteer, load_places

    if curated == (path is not None):
        raise ParamsError("places load: give either a PATH or --curated")
    if curated and (format is not PlaceFormat.AUTO or kind or source):
        raise ParamsError("places load --curated: --format, --kind and --source apply to a PATH")
    with open_cli_store(store, write=True) as st:
        if path is None:
            summary = load_curated_gazetteer(st)
        else:
            summary = load_places(st, path, format, kind=kind, source=source)
    if json_out:
        print_json(summary.to_dict())
    else:
        err.print(render_load_summary(summary), markup=False, highlight=False, soft_wrap=True)


def render_load_summary(summary: PlacesLoadSummary) -> str:
    """A few lines for stderr: counts, then the first skipped rows with their reasons."""
    lines = [
        f"{Path(summary.path).name} ({summary.format}): {summary.rows_read:,} rows, "
        f"{summary.loaded:,} places loaded ({summary.inserted:,} new, {summary.replaced:,} "
        f"replaced), {len(summary.skipped):,} skipped"
    ]
    unit = "feature" if summary.format is PlaceFormat.GEOJSON else "line"
    for s in summary.skipped[:SHOW_SKIPPED]:
        lines.append(f"  skipped {unit} {s.row}: {s.reason} ({s.detail})")
    if len(summary.skipped) > SHOW_SKIPPED:
        lines.append(f"  … and {len(summary.skipped) - SHOW_SKIPPED:,} more (see --json)")
    for label, counts in (("country not mapped to ISO2, stored empty", summary.unmapped_countries),
                          ("kind not recognised, stored as unknown", summary.unknown_kinds)):
        if counts:
            values = ", ".join(f"{value!r} ×{n}" for value, n in counts.most_common())
            lines.append(f"  {label}: {values}")
    return "\n".join(lines)


@places_app.command("list")
def list_(
    near: Annotated[
        str | None,
        typer.Option("--near", metavar="LAT,LON",
                     help="Only places within --km of this point, nearest first."),
    ] = None,
    km: Annotated[
        float | None,
        typer.Option("--km", help=f"Distance from --near in km (default {DEFAULT_NEAR_KM:g})."),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="Name or alias contains TEXT (case and accents ignored)."),
    ] = None,
    kind: Annotated[PlaceKind | None, typer.Option("--kind", help="Only this kind.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="At most N places.")] = None,
    store: ReadStoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """List places: all, near a point (with distance_km), or by name/alias."""
    from cargotrace.store.places import list_places, parse_lat_lon

    point = parse_lat_lon(near, "--near") if near is not None else None
    within_km = km if km is not None or point is None else DEFAULT_NEAR_KM
    with open_cli_store(store, write=False) as st:
        matches = list_places(
            st, near=point, within_km=within_km, name=name, kind=kind, limit=limit
        )
        total = st.count("places")
        hint = ""
        if name and not matches and total:
            from cargotrace.routes.place_book import PlaceBook, did_you_mean

            hint = did_you_mean(PlaceBook.from_store(st).closest(name))
    if json_out:
        print_json([m.to_dict() for m in matches])
        return
    out.print(places_table(matches, with_distance=point is not None))
    if total == 0:
        err.print("The store has no places yet: try `cargotrace places load --curated`.",
                  markup=False, highlight=False, soft_wrap=True)
    elif hint:
        err.print(f"No place named like {name!r}{hint}", markup=False, highlight=False,
                  soft_wrap=True)


def places_table(matches: list[PlaceMatch], with_distance: bool) -> Table:
    table = Table(title=f"{len(matches)} place(s)")
    for col in ("place_id", "name", "kind", "country", "lat", "lon", "radius_m"):
        table.add_column(col, justify="right" if col in ("lat", "lon", "radius_m") else "left")
    if with_distance:
        table.add_column("distance_km", justify="right")
    for m in matches:
        p = m.place
        row = [p.place_id, p.name, p.kind, p.country or "", f"{p.lat:.4f}", f"{p.lon:.4f}",
               f"{p.radius_m:,.0f}"]
        if with_distance:
            row.append(f"{m.distance_km:.1f}" if m.distance_km is not None else "")
        table.add_row(*row)
    return table
