"""`cargotrace places load|list`: put gazetteers into the store and look places up.

Python API twins: `cargotrace.ingest.gazetteers.load_places` / `load_curated_gazetteer` and
`cargotrace.store.places.list_places`.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from cargotrace.cli.app import (
    JsonOption,
    ReadStoreOption,
    StoreOption,
    bounded,
    check_limit,
    err,
    open_cli_store,
    out,
    places_app,
    print_json,
)
from cargotrace.errors import ParamsError
from cargotrace.ingest.place_kinds import PlaceFormat, PlaceKind

if TYPE_CHECKING:
    from cargotrace.ingest.gazetteers import PlacesLoadSummary
    from cargotrace.store.places import PlaceMatch
    from cargotrace.store.store import Store

DEFAULT_NEAR_KM = 50.0
SHOW_SKIPPED = 10
DEFAULT_SHOWN = 50  # table rows when no --limit: the world gazetteer alone has thousands
SOURCE_CHARS = 120


class PlaceOrigin(StrEnum):
    WORLD = "world"
    CURATED = "curated"
    USER = "user"


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
        + (f"; {summary.overridden:,} packaged places with the same UN/LOCODE replaced"
           if summary.overridden else "")
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
    origin: Annotated[
        PlaceOrigin | None,
        typer.Option("--origin", help="Only places from the world gazetteer, the curated "
                                      "places, or the user's files."),
    ] = None,
    show_source: Annotated[
        bool, typer.Option("--source", help="Show where each place came from (origin and "
                                            "citation).")
    ] = False,
    limit: Annotated[
        int | None,
        typer.Option("--limit", help=f"At most N places (table default {DEFAULT_SHOWN}).")
    ] = None,
    store: ReadStoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """List places: all, near a point (with distance_km), or by name/alias."""
    from cargotrace.store.places import list_places, parse_lat_lon

    check_limit(limit, "places")
    point = parse_lat_lon(near, "--near") if near is not None else None
    within_km = km if km is not None or point is None else DEFAULT_NEAR_KM
    with open_cli_store(store, write=False, read_only=True) as st:
        matches = list_places(
            st, near=point, within_km=within_km, name=name, kind=kind,
            origin=origin.value if origin else None,
        )
        total = st.count("places")
        packaged = packaged_note(st)
        hint = ""
        if name and not matches and total:
            from cargotrace.routes.place_book import PlaceBook, did_you_mean

            hint = did_you_mean(PlaceBook.from_store(st).closest(name))
    if json_out:
        print_json([m.to_dict() for m in matches[:limit]])
        return
    shown = matches[:limit or DEFAULT_SHOWN]
    out.print(places_table(shown, with_distance=point is not None, with_source=show_source,
                           matched=len(matches)))
    if len(matches) > len(shown):
        err.print(f"… {len(matches) - len(shown):,} more: narrow with --name, --near, --kind "
                  "or --origin, or raise --limit", markup=False, highlight=False,
                  soft_wrap=True)
    if total == 0:
        err.print("The store has no places yet: `cargotrace detect` adds the packaged world "
                  "gazetteer; `cargotrace places load FILE` adds yours.",
                  markup=False, highlight=False, soft_wrap=True)
    else:
        if hint:
            err.print(f"No place named like {name!r}{hint}", markup=False, highlight=False,
                      soft_wrap=True)
        if packaged:
            err.print(packaged, markup=False, highlight=False, soft_wrap=True)


def places_table(
    matches: list[PlaceMatch], with_distance: bool, with_source: bool = False,
    matched: int | None = None,
) -> Table:
    matched = len(matches) if matched is None else matched
    title = f"{matched:,} place(s)" + (f", first {len(matches):,} shown"
                                       if matched > len(matches) else "")
    table = Table(title=title)
    for col in ("place_id", "name", "kind", "country", "lat", "lon", "radius_m"):
        table.add_column(col, justify="right" if col in ("lat", "lon", "radius_m") else "left")
    if with_distance:
        table.add_column("distance_km", justify="right")
    if with_source:
        table.add_column("origin")
        table.add_column("source", overflow="fold")
    for m in matches:
        p = m.place
        row = [p.place_id, p.name, p.kind, p.country or "", f"{p.lat:.4f}", f"{p.lon:.4f}",
               f"{p.radius_m:,.0f}"]
        if with_distance:
            row.append(f"{m.distance_km:.1f}" if m.distance_km is not None else "")
        if with_source:
            row += [m.origin, bounded(p.source, SOURCE_CHARS)]
        table.add_row(*map(Text, row))  # names from the user's files: text, never markup
    return table


def packaged_note(st: Store) -> str:
    """A line when the store lacks this version of the packaged places (a read command never
    writes them: the next `detect` does)."""
    from cargotrace.ingest.world_gazetteer import SEED_KEY, gazetteer_version

    row = st.con.execute("SELECT value FROM meta WHERE key = ?", [SEED_KEY]).fetchall()
    if row and gazetteer_version() in row[0][0]:
        return ""
    return (f"The packaged world gazetteer ({gazetteer_version()}) is not in this store yet: "
            "`cargotrace detect` writes it before detecting.")
