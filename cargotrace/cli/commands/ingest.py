"""`cargotrace ingest`: load AIS files into the store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cargotrace.cli.app import (
    JsonOption,
    StoreOption,
    app,
    err,
    open_cli_store,
    parse_utc,
    print_json,
)
from cargotrace.errors import CargotraceError, ParamsError
from cargotrace.ingest.params import IngestOptions, InputFormat, SparkIngestParams
from cargotrace.store.engines.engine import Engine

if TYPE_CHECKING:
    from rich.table import Table

    from cargotrace.ingest.summary import IngestSummary


def _parse_columns(pairs: list[str]) -> tuple[tuple[str, str], ...]:
    parsed = []
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise ParamsError(f"--column {pair!r}: expected FIELD=COLUMN, e.g. mmsi=MMSI_ID")
        parsed.append((field.strip().lower(), column.strip()))
    return tuple(parsed)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="AIS files: NMEA, CSV or Parquet.")],
    store: StoreOption = None,
    format: Annotated[
        InputFormat, typer.Option("--format", help="Input format; auto reads the file's header.")
    ] = InputFormat.AUTO,
    column: Annotated[
        list[str] | None,
        typer.Option("--column", help="Map a field to a CSV column: FIELD=COLUMN (repeatable)."),
    ] = None,
    assume_time: Annotated[
        str | None,
        typer.Option(
            "--assume-time",
            help="UTC receive time for NMEA lines without one (a broken one is quarantined).",
        ),
    ] = None,
    time_from_filename: Annotated[
        bool,
        typer.Option("--time-from-filename", help="Receive time of untimed lines from the name."),
    ] = False,
    max_part_gap: Annotated[
        float,
        typer.Option("--max-part-gap", help="Most seconds between the parts of one multipart "
                     "NMEA message (raise for aggregators that stamp sentences late)."),
    ] = IngestOptions.max_part_gap_s,
    engine: Annotated[
        Engine, typer.Option(help="Decode on this process (duckdb) or spread each NMEA file "
                             "over Spark tasks (spark; into a lake only).")
    ] = Engine.DUCKDB,
    range_mb: Annotated[
        float, typer.Option("--range-mb", help="With --engine spark: MiB of file per task.")
    ] = SparkIngestParams.range_mb,
    json_out: JsonOption = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Validate, deduplicate and store AIS records; bad records go to the quarantine table."""
    options = IngestOptions(
        format=format,
        columns=_parse_columns(column or []),
        assume_time=parse_utc(assume_time, "--assume-time") if assume_time else None,
        time_from_filename=time_from_filename,
        max_part_gap_s=max_part_gap,
    )
    summaries: list[IngestSummary] = []
    failed = 0
    spark_params = SparkIngestParams(range_mb)
    with open_cli_store(store, write=True) as st:
        if engine is Engine.SPARK:
            from cargotrace.ingest.spark_ingest import require_lake

            require_lake(st)
            outcomes = _ingest_spark(st, paths, options, spark_params)
        else:
            outcomes = _ingest_all(st, paths, options, quiet or not sys.stderr.isatty())
        for outcome in outcomes:
            if isinstance(outcome, CargotraceError):
                sys.stderr.write(f"Error: {outcome}\n")
                failed += 1
            else:
                summaries.append(outcome)
        if not summaries:
            raise typer.Exit(1)  # nothing stored: a store this command created is removed
    if json_out:
        print_json([s.to_dict() for s in summaries])
    else:
        for summary in summaries:
            err.print(render_summary(summary))
            for hint in summary.hints:
                err.print(f"hint: {hint}", markup=False, highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(1)


def _ingest_all(st: object, paths: list[Path], options: IngestOptions,
                quiet: bool) -> list[IngestSummary | CargotraceError]:
    """Every file, through `ingest_files` (a lake's files in batches, one snapshot each), with
    one progress bar over all their bytes naming the file and step under way."""
    from cargotrace.ingest.arrow_start import pandas_unused
    from cargotrace.ingest.lake_batches import ingest_files

    if quiet:
        with pandas_unused():
            return ingest_files(st, paths, options)  # type: ignore[arg-type]
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    # the step under way beside the bytes: hashing before the first chunk, committing (a
    # lake's Parquet files, a store file's checkpoint) once every byte is read
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
               TimeRemainingColumn())
    total = sum(p.stat().st_size for p in paths if p.is_file())
    with pandas_unused(), Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(paths[0].name if len(paths) == 1 else f"{len(paths)} files",
                            total=total)

        def step(path: Path | None, name: str) -> None:
            what = path.name if path is not None else f"{len(paths)} files"
            bar.update(task, description=f"{what}: {name}")

        return ingest_files(st, paths, options,  # type: ignore[arg-type]
                            progress=lambda n: bar.advance(task, n), stage=step)


def _ingest_spark(st: object, paths: list[Path], options: IngestOptions,
                  params: SparkIngestParams) -> list[IngestSummary | CargotraceError]:
    from cargotrace.ingest.spark_ingest import spark_ingest_file

    outcomes: list[IngestSummary | CargotraceError] = []
    for path in paths:
        try:
            outcomes.append(spark_ingest_file(st, path, options, params))  # type: ignore[arg-type]
        except CargotraceError as exc:
            outcomes.append(exc)
    return outcomes


def render_summary(s: IngestSummary) -> Table | str:
    from rich.table import Table  # here: `--quiet` and `--json` never draw it (start-up)

    from cargotrace.ingest.summary import JOINED_PARTS

    if s.already_ingested:
        return (f"{s.path}: already ingested (ingest #{s.ingest_id}, same content and options); "
                "nothing changed")
    table = Table(title=f"{s.path} ({s.format}, ingest #{s.ingest_id})", show_header=False,
                  caption="a table row or type 19 message can give a position and a report")
    table.add_column()
    table.add_column(justify="right")
    table.add_row("records read", f"{s.records_read:,}")
    for what, read, stored, duplicates in (
        ("positions", s.positions_read, s.positions_stored, s.duplicate_positions),
        ("vessel reports", s.reports_read, s.reports_stored, s.duplicate_reports),
    ):
        table.add_row(f"{what} read", f"{read:,}")
        table.add_row("  stored", f"{stored:,}")
        table.add_row("  duplicates (not stored again)", f"{duplicates:,}")
    for reason, n in sorted(s.quarantined.items()):
        table.add_row(f"quarantined: {reason}", f"{n:,}")
    if s.quarantined_before:
        table.add_row("  of which already quarantined by an earlier ingest",
                      f"{s.quarantined_before:,}")
    if s.quarantine_resolved:
        table.add_row("earlier quarantine rows of this file resolved (records stored now)",
                      f"{s.quarantine_resolved:,}")
    for kind, n in sorted(s.skipped.items()):
        label = ("later parts of multipart messages (counted with part 1)"
                 if kind == JOINED_PARTS else f"skipped: {kind}")
        table.add_row(label, f"{n:,}")
    table.add_row("seconds", f"{s.duration_s:.2f}")
    return table
