"""`cargotrace export`'s library twin: choose what to export, then write it in one format.

Two steps so that other callers (a case file, the report) can reuse the second: build a
`FeatureSet` however you like, then `write_features(features, fmt, path)`. The selections here
are the CLI's: all events matching filters, or one vessel (its tracks and events for the map
formats, its positions for the table formats, its list entities for FtM).

Files are written next to the target and renamed into place, so a failed export never leaves a
half-written file where a good one was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cargotrace.errors import NotFoundError, ParamsError, UnreadableInputError
from cargotrace.publish.csv import write_csv
from cargotrace.publish.features import (
    FeatureSet,
    event_features,
    place_features,
    position_features,
    select_events,
    select_places,
    select_positions,
    track_features,
)
from cargotrace.publish.formats import ExportFormat
from cargotrace.publish.ftm import vessel_entities, write_ftm
from cargotrace.publish.geojson import write_geojson
from cargotrace.publish.geoparquet import write_geoparquet
from cargotrace.publish.kml import write_kml
from cargotrace.publish.params import ExportParams
from cargotrace.store.store import Store

__all__ = ["ExportFormat", "ExportResult", "events_export", "export_vessel", "vessel_export",
           "write_features"]


WRITERS: dict[ExportFormat, Callable[[FeatureSet, Path], int]] = {
    ExportFormat.GEOJSON: write_geojson, ExportFormat.KML: write_kml,
    ExportFormat.GEOPARQUET: write_geoparquet, ExportFormat.CSV: write_csv,
}


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: ExportFormat
    records: int  # features, rows or entities written
    what: str  # e.g. "12 events", "2 tracks and 5 events of MMSI 273950540"


def _atomic(path: Path, write: Callable[[Path], int]) -> int:
    if path.is_dir():
        raise UnreadableInputError(f"--out {path}: is a folder; give a file name")
    if not path.parent.is_dir():
        raise UnreadableInputError(f"--out {path}: folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        count = write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; the export is an ordinary file
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return count


def write_features(features: FeatureSet, fmt: ExportFormat | str, path: Path) -> int:
    """Write features as GeoJSON, KML, GeoParquet or CSV; returns the records written."""
    fmt = ExportFormat(fmt)
    if fmt is ExportFormat.FTM:
        raise ParamsError("--format ftm exports vessels, owners and sanctions links, not map "
                          "features: use --vessel QUERY")
    return _atomic(path, lambda p: WRITERS[fmt](features, p))


def events_export(store: Store, kinds: Sequence[str] = (), mmsis: Sequence[int] = (),
                  since: datetime | None = None, until: datetime | None = None) -> FeatureSet:
    """Events matching the filters (all when none), one feature each."""
    return event_features(select_events(store, kinds, mmsis, since, until))


def _vessel_mmsis(store: Store, query: str, mmsi: int | None) -> list[int]:
    from cargotrace.screen.profile import Query, subject_mmsis

    mmsis = subject_mmsis(store, Query.parse(query))
    if mmsi is not None:
        if mmsi not in mmsis:
            raise NotFoundError(f"--mmsi {mmsi}: not one of the MMSIs answering {query!r} "
                                f"({', '.join(map(str, mmsis)) or 'none'})")
        mmsis = [mmsi]
    if not mmsis:
        raise NotFoundError(f"vessel {query!r}: not in the store (give an IMO number, MMSI or "
                            "name as `cargotrace vessels` shows it)")
    return mmsis


def vessel_export(store: Store, query: str, fmt: ExportFormat, kinds: Sequence[str] = (),
                  mmsi: int | None = None, since: datetime | None = None,
                  until: datetime | None = None, params: ExportParams | None = None,
                  ) -> tuple[FeatureSet, str]:
    """One vessel's features: positions (table formats) or tracks + events + the places its
    events name (map formats). Returns the features and a one-line description."""
    mmsis = _vessel_mmsis(store, query, mmsi)
    positions = select_positions(store, mmsis, since, until)
    label = f"MMSI {', '.join(map(str, mmsis))}"
    if fmt.is_table:
        out = position_features(positions)
        out.title = f"cargotrace positions of {query}"
        return out, f"{len(out.features):,} positions of {label}"
    names = dict(store.con.execute(
        "SELECT mmsi, arg_max(name, ts) FROM vessel_reports WHERE list_contains(?, mmsi) "
        "AND name IS NOT NULL GROUP BY mmsi", [mmsis]).fetchall())
    out = track_features(positions, params, names)
    events = event_features(select_events(store, kinds, mmsis, since, until))
    n_tracks, n_events = len(out.features), len(events.features)
    out.extend(events)
    place_ids = sorted({str(f.properties["place_id"]) for f in events.features
                        if f.properties.get("place_id")})
    out.extend(place_features(select_places(store, place_ids)))
    out.title = f"cargotrace: {query}"
    return out, f"{n_tracks} track piece(s) and {n_events} event(s) of {label}"


def export_vessel(store: Store, query: str, fmt: ExportFormat | str, path: Path,
                  **filters: object) -> ExportResult:
    """Write one vessel in `fmt` (FtM: its entities; else `vessel_export`'s features)."""
    fmt = ExportFormat(fmt)
    if fmt is ExportFormat.FTM:
        entities = vessel_entities(store, query)
        n = _atomic(path, lambda p: write_ftm(entities, p))
        return ExportResult(path, fmt, n, f"{n} FollowTheMoney entities for {query}")
    features, what = vessel_export(store, query, fmt, **filters)  # type: ignore[arg-type]
    return ExportResult(path, fmt, write_features(features, fmt, path), what)
