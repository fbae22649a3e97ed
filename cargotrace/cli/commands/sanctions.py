"""`cargotrace sanctions load|changes`: put sanctions lists into the store, see what changed.

Python API twins: `cargotrace.screen.lists.load_list`, `list_changes`, `list_loads`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cargotrace.cli.app import (
    JsonOption,
    ReadStoreOption,
    StoreOption,
    app,
    err,
    open_cli_store,
    out,
    print_json,
)
from cargotrace.errors import ParamsError
from cargotrace.screen.list_formats import ListFormat

if TYPE_CHECKING:
    from cargotrace.screen.lists import LoadSummary

sanctions_app = typer.Typer(
    help="Load sanctions lists (OFAC, UN, FollowTheMoney) and see what changed."
)
app.add_typer(sanctions_app, name="sanctions")
SHOW_SKIPPED = 10


def _date(text: str | None, flag: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ParamsError(f"{flag}: cannot read {text!r} as a date; use YYYY-MM-DD") from exc


@sanctions_app.command("load")
def load(
    path: Annotated[Path, typer.Argument(help="OFAC sdn.csv, UN consolidated XML or FtM JSONL.")],
    list_: Annotated[
        ListFormat | None,
        typer.Option("--list", help="List format (default: read from the content)."),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Date of the list, YYYY-MM-DD (OFAC's CSV carries none)."),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Name of the list in the store (default: format).")
    ] = None,
    store: StoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """Load a list; a newer file replaces the list's entities and records what changed."""
    from cargotrace.screen.lists import load_list

    with open_cli_store(store, write=True) as st:
        summary = load_list(st, path, list_, as_of=_date(as_of, "--as-of"), name=name)
    if json_out:
        print_json(summary.to_dict())
    else:
        err.print(render_load(summary), markup=False, highlight=False, soft_wrap=True)


def render_load(s: LoadSummary) -> str:
    if s.unchanged:
        return (f"{Path(s.path).name}: same file as load {s.previous_load_id} of list {s.list}; "
                "nothing changed")
    lines = [f"{Path(s.path).name} ({s.format}) → list {s.list}, load {s.load_id}: "
             f"{s.rows_read:,} records, {s.entities:,} entities ({s.vessels:,} vessels), "
             f"{len(s.skipped):,} skipped"]
    if s.previous_load_id is None:
        lines.append("  first load of this list: later loads will report additions and removals")
    else:
        lines.append(f"  since load {s.previous_load_id}: {s.added:,} added, {s.removed:,} "
                     f"removed, {s.changed:,} changed (`cargotrace sanctions changes`)")
    lines += [f"  skipped row {k.row}: {k.reason} ({k.detail})" for k in s.skipped[:SHOW_SKIPPED]]
    if len(s.skipped) > SHOW_SKIPPED:
        lines.append(f"  … and {len(s.skipped) - SHOW_SKIPPED:,} more (see --json)")
    return "\n".join(lines)


@sanctions_app.command("changes")
def changes(
    list_: Annotated[str | None, typer.Option("--list", help="Only this list (name).")] = None,
    all_loads: Annotated[
        bool, typer.Option("--all", help="Every load's changes, not only the latest.")
    ] = False,
    vessels_only: Annotated[
        bool, typer.Option("--vessels", help="Only Vessel entities.")
    ] = False,
    store: ReadStoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """Entities added, removed or changed by the latest load of each list, and the loads."""
    from cargotrace.screen.lists import list_changes, list_loads

    with open_cli_store(store, write=False, read_only=True) as st:
        found = list_changes(st, list_, all_loads, "Vessel" if vessels_only else None)
        loads = list_loads(st, list_)
    if json_out:
        print_json({"loads": loads, "changes": [c.to_dict() for c in found]})
        return
    table = Table(title=f"{len(found)} change(s)")
    for col in ("load", "list", "change", "schema", "id", "name", "IMO", "programs"):
        table.add_column(col)
    for c in found:
        table.add_row(str(c.load_id), c.list, c.change, c.schema, c.id, c.name or "",
                      str(c.imo or ""), ", ".join(c.programs))
    out.print(table)
    if not loads:
        err.print("No list loaded yet: try `cargotrace sanctions load sdn.csv`.", markup=False)
