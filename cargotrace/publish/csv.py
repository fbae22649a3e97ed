"""CSV for spreadsheets and for QGIS's delimited-text layer: one row per feature.

Columns: `layer`, `name`, the union of the features' properties (in first-seen order), then
`lon`, `lat` (a point's position, or where a line starts) and `wkt` (the whole geometry as WKT,
cut at the antimeridian like the other formats; empty without a location). Values are those
of the declared fields (`fields.FIELDS`), written as text. QGIS: Layer → Add
Delimited Text Layer, geometry from "Well known text (WKT)" = `wkt`, CRS EPSG:4326. Times are
ISO 8601 UTC, nested values JSON text, missing values empty. UTF-8, comma separated, RFC 4180
quoting.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TextIO

import shapely  # type: ignore[import-untyped]

from cargotrace.publish.features import FeatureSet, GeomType
from cargotrace.publish.fields import json_value
from cargotrace.publish.geometry import to_shapely, wrap_lon

__all__ = ["write_csv", "write_csv_rows"]

GEOMETRY_COLUMNS = ("lon", "lat", "wkt")


def _cell(name: str, value: object) -> str:
    flat = json_value(name, value)
    if flat is None:
        return ""
    if isinstance(flat, bool):
        return "true" if flat else "false"
    return str(flat)


def write_csv_rows(features: FeatureSet, handle: TextIO) -> int:
    """Write the CSV to an open text stream (e.g. standard output); returns the data rows."""
    keys: dict[str, None] = {}
    for f in features.features:
        keys.update(dict.fromkeys(k for k in f.properties
                                  if k not in ("layer", "name", *GEOMETRY_COLUMNS)))
    header = ["layer", "name", *keys, *GEOMETRY_COLUMNS]
    writer = csv.writer(handle)
    writer.writerow(header)
    for f in features.features:
        geom = to_shapely(f)
        lon, lat = ("", "") if f.geom_type is GeomType.NONE else (
            f"{wrap_lon(f.coords[0][0]):.6f}", f"{f.coords[0][1]:.6f}")
        wkt = "" if geom is None else shapely.to_wkt(geom, rounding_precision=6)
        writer.writerow([str(f.layer), f.name, *(_cell(k, f.properties.get(k)) for k in keys),
                         lon, lat, wkt])
    return len(features.features)


def write_csv(features: FeatureSet, path: Path) -> int:
    """Write the CSV file; returns the number of data rows."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        return write_csv_rows(features, handle)
