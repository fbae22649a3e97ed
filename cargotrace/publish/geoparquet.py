"""GeoParquet 1.1: one row per feature, WKB geometry, `geo` metadata, a bbox covering column.

Why GeoParquet: events and positions are tables first; analysts load them into geopandas, DuckDB
(spatial), QGIS 3.32+ or BigQuery without a conversion step, and Parquet keeps types (times
stay UTC timestamps, counts stay integers).

Layout: the features' properties as columns, each with the type `fields.FIELDS` declares for it
whatever rows are exported (times `timestamp[us, UTC]`, days `date32`, nested values and
undeclared properties text), then `layer` and `name`, then `geometry`
(WKB; Point, LineString, or MultiLineString when cut at the antimeridian; null for an event
without a location) and `bbox` (struct xmin/ymin/xmax/ymax, declared as the geometry's
`covering` so readers can filter row groups). No `crs` is written: GeoParquet then means
OGC:CRS84 (WGS 84 longitude, latitude). The sources to credit are the file's key-value metadata
`attribution` (JSON list), also repeated inside `geo` as a foreign key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import shapely  # type: ignore[import-untyped]

from cargotrace.publish.features import FeatureSet
from cargotrace.publish.fields import arrow_field, arrow_type, typed_value
from cargotrace.publish.geometry import to_shapely

__all__ = ["GEOPARQUET_VERSION", "geo_table", "write_geoparquet"]

GEOPARQUET_VERSION = "1.1.0"


def _column(name: str, values: list[Any]) -> pa.Array:
    """The property's declared Arrow type (`fields.FIELDS`), whatever values this export has:
    a column null in every row keeps its type."""
    return pa.array([typed_value(name, v) for v in values], arrow_type(name))


def geo_table(features: FeatureSet) -> pa.Table:
    """The Arrow table with GeoParquet `geo` metadata (and `attribution`) in its schema."""
    feats = features.features
    keys: dict[str, None] = {}
    for f in feats:
        keys.update(dict.fromkeys(f.properties))
    columns: dict[str, pa.Array] = {}
    declared: list[pa.Field] = []
    for key in keys:
        if key in ("layer", "name", "geometry", "bbox"):
            continue
        columns[key] = _column(key, [f.properties.get(key) for f in feats])
        declared.append(arrow_field(key))
    columns["layer"] = pa.array([str(f.layer) for f in feats], pa.string())
    columns["name"] = pa.array([f.name for f in feats], pa.string())
    geoms = [to_shapely(f) for f in feats]
    columns["geometry"] = pa.array(
        [None if g is None else shapely.to_wkb(g, output_dimension=2) for g in geoms],
        pa.binary())
    boxes = [None if g is None else dict(zip(("xmin", "ymin", "xmax", "ymax"), g.bounds,
                                             strict=True)) for g in geoms]
    columns["bbox"] = pa.array(boxes, pa.struct([(k, pa.float64()) for k in
                                                 ("xmin", "ymin", "xmax", "ymax")]))
    present = [g for g in geoms if g is not None]
    types = sorted({g.geom_type for g in present})
    bbox = (list(shapely.total_bounds(present)) if present else [])
    geo: dict[str, Any] = {
        "version": GEOPARQUET_VERSION,
        "primary_column": "geometry",
        "columns": {"geometry": {
            "encoding": "WKB", "geometry_types": types, "edges": "planar",
            "covering": {"bbox": {k: ["bbox", k] for k in ("xmin", "ymin", "xmax", "ymax")}},
            **({"bbox": [float(v) for v in bbox]} if bbox else {}),
        }},
    }
    if features.attribution:
        geo["attribution"] = list(features.attribution)
    table = pa.table(columns)
    # the declared fields carry their unit and description as Arrow field metadata
    table = table.cast(pa.schema([*declared, *list(table.schema)[len(declared):]]))
    meta = {b"geo": json.dumps(geo).encode(),
            b"attribution": json.dumps(list(features.attribution)).encode(),
            b"title": features.title.encode()}
    return table.replace_schema_metadata(meta)


def write_geoparquet(features: FeatureSet, path: Path) -> int:
    """Write the GeoParquet file (zstd); returns the number of rows."""
    table = geo_table(features)
    pq.write_table(table, path, compression="zstd")
    return int(table.num_rows)
