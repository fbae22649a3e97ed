"""`cargotrace lake compact|vacuum`: housekeeping of a lake store.

Python API twins: `cargotrace.store.lake.housekeeping.compact` and `vacuum_lake`
(docs/reference/lake.md). Both take the lake's writer lock, as any writing command does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cargotrace.cli.app import JsonOption, WorkStoreOption, app, err, open_cli_store, print_json
from cargotrace.store.lake.params import DEFAULT_KEEP_VERSIONS, DEFAULT_MIN_FILES

if TYPE_CHECKING:
    from cargotrace.store.lake.store import LakeStore
    from cargotrace.store.store import Store

lake_app = typer.Typer(help="Housekeeping of a lake store (lake:DIR): compact and vacuum.")
app.add_typer(lake_app, name="lake")


def _lake(st: Store) -> LakeStore:
    """The store as a lake, or one line saying these commands need one."""
    from cargotrace.errors import StoreError
    from cargotrace.store.lake.store import LakeStore

    if not isinstance(st, LakeStore):
        raise StoreError(f"{st.path}: a DuckDB store file, not a lake; `cargotrace lake` "
                         "commands work on lakes (--store lake:DIR)")
    return st


def _say(text: str) -> None:
    err.print(text, markup=False, highlight=False, soft_wrap=True)


@lake_app.command("compact")
def compact_(
    store: WorkStoreOption = None,
    day: Annotated[str | None, typer.Option(
        "--day", metavar="YYYY-MM-DD", help="Only this UTC day (default: every day).")] = None,
    min_files: Annotated[int, typer.Option(
        "--min-files", help="Rewrite a day only when it holds at least this many files.")
    ] = DEFAULT_MIN_FILES,
    json_out: JsonOption = False,
) -> None:
    """Rewrite each crowded day of positions and vessel reports as one file (one snapshot)."""
    from cargotrace.store.lake.housekeeping import compact
    from cargotrace.store.lake.params import CompactParams

    params = CompactParams(min_files=min_files, day=day)
    with open_cli_store(store, write=False) as st:
        summary = compact(_lake(st), params)
    if json_out:
        print_json(summary.to_dict())
        return
    if summary.version is None:
        where = f"day {params.day}" if params.day else "no day"
        _say(f"nothing to compact: {where} holds {params.min_files} or more files")
        return
    for table, days in summary.days.items():
        if days:
            _say(f"{table}: {len(days)} day(s) compacted, {summary.rows_rewritten[table]:,} "
                 f"rows; files {summary.files_before[table]:,} -> "
                 f"{summary.files_after[table]:,}")
    _say(f"committed version {summary.version}; the old files stay until `cargotrace lake "
         "vacuum`")


@lake_app.command("vacuum")
def vacuum_(
    store: WorkStoreOption = None,
    keep: Annotated[int, typer.Option(
        "--keep", help="Snapshots to keep, the newest ones (readers of older ones fail).")
    ] = DEFAULT_KEEP_VERSIONS,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Say what would be deleted; delete nothing.")] = False,
    json_out: JsonOption = False,
) -> None:
    """Delete old snapshots and the data files no kept snapshot lists."""
    from cargotrace.store.lake.housekeeping import vacuum_lake

    with open_cli_store(store, write=False) as st:
        summary = vacuum_lake(_lake(st), keep_versions=keep, dry_run=dry_run)
    if json_out:
        print_json(summary.to_dict())
        return
    verb = "would delete" if dry_run else "deleted"
    _say(f"{verb} {len(summary.snapshots_removed):,} snapshot(s) and {summary.files_removed:,} "
         f"data file(s) ({summary.bytes_freed / 1e6:,.1f} MB); kept versions "
         f"{_span(summary.versions_kept)}")


def _span(found: list[int]) -> str:
    return "none" if not found else str(found[0]) if len(found) == 1 \
        else f"{found[0]}-{found[-1]}"


__all__ = ["lake_app"]
