"""`cargotrace export`: events or one vessel as GeoJSON, KML, GeoParquet, CSV or FtM JSON lines.

Python API twin: `cargotrace.publish.export` (formats: docs/reference/exports.md).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cargotrace.cli.app import (
    app,
    err,
    kinds_help,
    open_cli_store,
    parse_utc,
    read_optional_store,
    store_option,
)
from cargotrace.errors import ParamsError
from cargotrace.publish.formats import ExportFormat

if TYPE_CHECKING:
    from cargotrace.publish.features import FeatureSet


def _case_features(case: Path, store: Path | None) -> FeatureSet:
    """Build the case (with the store when there is one) and turn it into map features."""
    if importlib.util.find_spec("cargotrace.cases") is None:
        raise ParamsError(f"--case {case}: case exports are not available in this version "
                          "(no cargotrace.cases); use --events or --vessel")
    from cargotrace.cases import build_case, read_case
    from cargotrace.publish.case_features import case_features

    parsed = read_case(case)
    return read_optional_store(store, lambda st: case_features(build_case(parsed, st), st))


def _campaign_features(campaign: Path, store: Path | None) -> FeatureSet:
    """Build the campaign (with the store when there is one) and turn it into map features."""
    from cargotrace.cases.campaign import build_campaign, read_campaign
    from cargotrace.publish.campaign_report.features import campaign_features

    parsed = read_campaign(campaign)
    return read_optional_store(store, lambda st: campaign_features(
        build_campaign(parsed, st, source_path=str(campaign)), st))


@app.command()
def export(
    out_path: Annotated[Path, typer.Option("--out", help="File to write (replaced if present).")],
    format: Annotated[ExportFormat, typer.Option(
        "--format", help="geojson, kml, geoparquet, csv, or ftm (FollowTheMoney JSON lines; "
        "--vessel only).")],
    events: Annotated[bool, typer.Option("--events", help="Export stored events.")] = False,
    vessel: Annotated[str | None, typer.Option(
        "--vessel", metavar="QUERY", help="Export one vessel: IMO number, MMSI or name.")] = None,
    case: Annotated[Path | None, typer.Option(
        "--case", metavar="CASE.yaml", help="Export a case: its anchors, the routes of its best "
        "hypotheses, and the legs' vessels (a file, or a packaged case's name).")] = None,
    campaign: Annotated[Path | None, typer.Option(
        "--campaign", metavar="CAMPAIGN.yaml", help="Export a campaign: its corridors (lines) "
        "and every trip's calls (points, with how each was evidenced).")] = None,
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", help=kinds_help("Only events of this kind (repeatable)"))] = None,
    mmsi: Annotated[int | None, typer.Option(
        "--mmsi", help="Only this MMSI (for --vessel: one of the vessel's MMSIs).")] = None,
    since: Annotated[str | None, typer.Option(
        help="Events starting / positions from this time (UTC, ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option(
        help="Events starting / positions before this time (UTC, ISO 8601).")] = None,
    store: Annotated[Path | None, store_option(
        ", to read; it must exist, except with --case or --campaign")] = None,
) -> None:
    """Write events, or one vessel's track, events and sanctions entities, in a standard format."""
    from cargotrace.publish.export import ExportResult, events_export, export_vessel, write_features

    chosen = [name for name, on in (("--events", events), ("--vessel", vessel is not None),
                                    ("--case", case is not None),
                                    ("--campaign", campaign is not None)) if on]
    if len(chosen) != 1:
        raise ParamsError("export: give exactly one of --events, --vessel QUERY, --case "
                          f"CASE.yaml or --campaign CAMPAIGN.yaml (got "
                          f"{', '.join(chosen) or 'none'})")
    if kind:
        from cargotrace.detect.kinds import parse_kinds

        parse_kinds(kind)  # a typo must not export "0 event(s)"
    t0 = parse_utc(since, "--since") if since else None
    t1 = parse_utc(until, "--until") if until else None
    if case is not None:
        features = _case_features(case, store)
        n = write_features(features, format, out_path)
        err.print(f"{n:,} feature(s) of case {case} → {out_path} ({format})")
        return
    if campaign is not None:
        features = _campaign_features(campaign, store)
        n = write_features(features, format, out_path)
        err.print(f"{n:,} feature(s) of campaign {campaign} → {out_path} ({format})")
        return
    with open_cli_store(store, write=False, read_only=True) as st:
        if vessel is not None:
            result = export_vessel(st, vessel, format, out_path, kinds=kind or (), mmsi=mmsi,
                                   since=t0, until=t1)
        else:
            features = events_export(st, kind or (), [mmsi] if mmsi else (), t0, t1)
            n = write_features(features, format, out_path)
            result = ExportResult(out_path, format, n, f"{n:,} event(s)")
    err.print(f"{result.what} → {result.path} ({result.format})")
