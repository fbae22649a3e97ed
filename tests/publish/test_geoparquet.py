"""GeoParquet 1.1 exports: `geo` metadata checked with pyarrow, data read back with geopandas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas  # type: ignore[import-untyped]
import pyarrow.parquet as pq
import shapely  # type: ignore[import-untyped]

import cargotrace
from cargotrace.publish.export import (
    ExportFormat,
    events_export,
    export_vessel,
    write_features,
)
from cargotrace.publish.features import FeatureSet

from .conftest import ANGARA_IMO


def _geo(path: Path) -> Any:
    meta = pq.read_schema(path).metadata
    geo = json.loads(meta[b"geo"])
    assert geo["version"] == "1.1.0" and geo["primary_column"] == "geometry"
    column = geo["columns"]["geometry"]
    assert column["encoding"] == "WKB" and "crs" not in column  # absent crs = OGC:CRS84
    assert column["covering"]["bbox"]["xmin"] == ["bbox", "xmin"]
    return geo


def test_vessel_positions_round_trip(store: cargotrace.Store, tmp_path: Path) -> None:
    out = tmp_path / "angara.parquet"
    result = export_vessel(store, ANGARA_IMO, ExportFormat.GEOPARQUET, out)
    geo = _geo(out)
    assert json.loads(pq.read_schema(out).metadata[b"geo"])["columns"]["geometry"][
        "geometry_types"] == ["Point"]
    frame = geopandas.read_parquet(out)
    assert frame.crs is not None and frame.crs.to_string() == "OGC:CRS84"
    expected = store.con.execute(
        "SELECT ts, lon, lat FROM positions WHERE mmsi IN (SELECT mmsi FROM vessel_reports "
        "WHERE imo = ?) AND lat IS NOT NULL ORDER BY mmsi, ts", [int(ANGARA_IMO)]).fetchall()
    assert result.records == len(frame) == len(expected) > 0
    assert str(frame["ts"].dtype) == "datetime64[us, UTC]"
    assert [(t, p.x, p.y) for t, p in zip(frame["ts"].dt.to_pydatetime(), frame.geometry,
                                          strict=True)] == expected
    lo_x, lo_y, hi_x, hi_y = geo["columns"]["geometry"]["bbox"]
    assert (lo_x, lo_y, hi_x, hi_y) == tuple(frame.total_bounds)


def test_events_keep_types_and_null_geometry(store: cargotrace.Store, tmp_path: Path) -> None:
    out = tmp_path / "events.parquet"
    write_features(events_export(store), "geoparquet", out)
    _geo(out)
    frame = geopandas.read_parquet(out)
    assert len(frame) == store.count("events")
    assert str(frame["start"].dtype) == "datetime64[us, UTC]"
    assert str(frame["mmsi"].dtype) == "int64"
    unlocated = store.con.execute("SELECT count(*) FROM events WHERE lat IS NULL").fetchall()
    assert int(frame.geometry.isna().sum()) == unlocated[0][0]
    boxes = pq.read_table(out, columns=["bbox"]).column("bbox").to_pylist()
    for box, geom in zip(boxes, frame.geometry, strict=True):
        if geom is not None:
            assert (box["xmin"], box["ymin"]) == geom.bounds[:2]


def test_routes_carry_openstreetmap_attribution(angara_map: FeatureSet, tmp_path: Path) -> None:
    out = tmp_path / "map.parquet"
    write_features(angara_map, "geoparquet", out)
    meta = pq.read_schema(out).metadata
    credits = json.loads(meta[b"attribution"])
    assert any("© OpenStreetMap contributors (ODbL" in c for c in credits)
    types = set(json.loads(meta[b"geo"])["columns"]["geometry"]["geometry_types"])
    assert types == {"Point", "LineString"}
    frame = geopandas.read_parquet(out)
    assert set(frame["layer"]) == {"track", "event", "place", "route"}
    assert all(shapely.is_valid(g) for g in frame.geometry if g is not None)
