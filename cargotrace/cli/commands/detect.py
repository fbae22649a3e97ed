"""`cargotrace detect` and `cargotrace events`: find behaviour events, then list them."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from cargotrace.cli.app import (
    JsonOption,
    ReadStoreOption,
    WorkStoreOption,
    app,
    err,
    kinds_help,
    open_cli_store,
    out,
    parse_utc,
    print_json,
)
from cargotrace.detect.kinds import EventKind
from cargotrace.errors import ParamsError
from cargotrace.store.engines.engine import Engine

DETECTED_KINDS = [k for k in EventKind if k is not EventKind.SANCTION_MATCH]
"""The kinds `detect --kind` accepts (detect/registry.py's SUPPORTED, which imports every
detector: listed here so help stays instant; tests/test_cli_help.py checks they agree)."""


class EventFormat(StrEnum):
    """How `cargotrace events` prints: a table, CSV or GeoJSON (the features of
    `cargotrace export --events`), or the stored rows as JSON."""

    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    GEOJSON = "geojson"


def _pairs(items: list[str] | None) -> dict[str, str]:
    pairs = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise ParamsError(
                f"--set {item!r}: expected DETECTOR.FIELD=VALUE, e.g. gap.min_gap_h=4"
            )
        pairs[key.strip()] = value.strip()
    return pairs


@app.command()
def detect(
    store: WorkStoreOption = None,
    preset: Annotated[str, typer.Option(help="Parameter preset: gfw or rendezvous.")] = "gfw",
    kind: Annotated[list[str] | None, typer.Option(
        help=kinds_help("Only these kinds (repeatable)", DETECTED_KINDS))] = None,
    since: Annotated[str | None, typer.Option(
        help="Re-detect the events starting from this time (UTC); each kind reads its "
             "margin (window.*) around the window.")] = None,
    until: Annotated[
        str | None, typer.Option(help="Re-detect the events starting before this time (UTC).")
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override: DETECTOR.FIELD=VALUE.")
    ] = None,
    engine: Annotated[
        Engine, typer.Option(help="Run the detectors on DuckDB (embedded) or Spark.")
    ] = Engine.DUCKDB,
    json_out: JsonOption = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Detect behaviour events and replace those of the same kinds and time range."""
    from cargotrace.detect.run import detect as run_detect
    from cargotrace.ingest.arrow_start import pandas_unused

    # a DuckDB run never uses pandas; pyarrow imports it on the first array built (~0.3 CPU-s
    # of a run's single-threaded time). Spark's Arrow collection may want it: left alone.
    no_pandas = pandas_unused() if Engine(engine) is Engine.DUCKDB else nullcontext()
    with open_cli_store(store, write=False) as st, no_pandas, \
            step_bar(quiet or not sys.stderr.isatty()) as progress:
        summary = run_detect(
            st,
            kinds=kind,
            preset=preset,
            overrides=_pairs(set_),
            since=parse_utc(since, "--since") if since else None,
            until=parse_utc(until, "--until") if until else None,
            engine=engine,
            progress=progress,
        )
    if json_out:
        print_json(summary.to_dict())
        return
    for k, n in summary.written.items():
        err.print(f"{k}: {n:,} events", markup=False)
        for note in summary.notes.get(k, []):
            err.print(f"  note: {note}", markup=False)
    if summary.flagged:
        err.print(f"{summary.flagged:,} lone outlier positions flagged (kept, left out of "
                  "detection; see the position_flags table)", markup=False)
    if summary.window:
        w = summary.window
        err.print(f"events starting in [{w['since']}, {w['until']}) replaced; positions read "
                  f"from {w['read_since']} to {w['read_until']} (margins: window.* parameters)",
                  markup=False)
    err.print(
        f"({summary.replaced:,} earlier events of these kinds replaced; {summary.duration_s:.1f} s)"
    )


@contextmanager
def step_bar(off: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress bar over a detection run's steps on stderr (none when `off`): the step that
    is running, how many are done, time elapsed. Gone once the run ends (transient)."""
    if off:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("detect", total=None)

        def show(step: str, done: int, total: int) -> None:
            bar.update(task, description=f"detect: {step}", completed=done, total=total)

        yield show


@app.command()
def events(
    store: ReadStoreOption = None,
    kind: Annotated[str | None, typer.Option(help=kinds_help("Only this kind"))] = None,
    mmsi: Annotated[int | None, typer.Option(help="Only this vessel.")] = None,
    since: Annotated[str | None, typer.Option(help="Events starting from this time.")] = None,
    until: Annotated[str | None, typer.Option(help="Events starting before this time.")] = None,
    format: Annotated[EventFormat, typer.Option("--format", help="Output format.")] = (
        EventFormat.TABLE
    ),
) -> None:
    """List stored events as a table, CSV, JSON or GeoJSON."""
    from cargotrace.detect.kinds import parse_kinds
    from cargotrace.store.events import list_events

    if kind:
        parse_kinds([kind])  # a typo must not read as "0 event(s)"
    t0 = parse_utc(since, "--since") if since else None
    t1 = parse_utc(until, "--until") if until else None
    if format in (EventFormat.GEOJSON, EventFormat.CSV):
        # the same features, typed fields and geometry as `cargotrace export --events`
        from cargotrace.publish.features import event_features, select_events

        with open_cli_store(store, write=False, read_only=True) as st:
            features = event_features(select_events(st, [kind] if kind else (),
                                                    [mmsi] if mmsi else (), t0, t1))
        if format is EventFormat.GEOJSON:
            from cargotrace.publish.geojson import feature_collection

            sys.stdout.write(json.dumps(feature_collection(features), ensure_ascii=False,
                                        allow_nan=False) + "\n")
        else:
            from cargotrace.publish.csv import write_csv_rows

            write_csv_rows(features, sys.stdout)
        return
    with open_cli_store(store, write=False, read_only=True) as st:
        rows = list_events(st, kind=kind, mmsi=mmsi, since=t0, until=t1)
    if format is EventFormat.JSON:
        print_json(rows)
    else:
        table = Table(title=f"{len(rows)} event(s)")
        for col in ("kind", "mmsi", "other_mmsi", "start", "end", "place_id", "confidence"):
            table.add_column(col)
        for r in rows:
            table.add_row(
                *(
                    "" if r[c] is None else str(r[c])
                    for c in (
                        "kind",
                        "mmsi",
                        "other_mmsi",
                        "start",
                        "end",
                        "place_id",
                        "confidence",
                    )
                )
            )
        out.print(table)
