"""GeoParquet 1.1 exports: `geo` metadata checked with pyarrow, data read back with geopandas."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import duckdb
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

from .factories import ANGARA_IMO


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


# DuckDB's names for the types every export must give these fields, whatever rows it holds
EXPECTED_DUCKDB_TYPES = {
    "mmsi": "BIGINT", "other_mmsi": "BIGINT", "start": "TIMESTAMP WITH TIME ZONE",
    "end": "TIMESTAMP WITH TIME ZONE", "confidence": "DOUBLE", "open": "BOOLEAN",
    "last_position_ts": "TIMESTAMP WITH TIME ZONE", "listed_on": "DATE", "imo": "BIGINT",
    "visit_confidence": "BIGINT", "duration_h": "DOUBLE", "programs": "VARCHAR",
    "vessel_name": "VARCHAR", "other_vessel_name": "VARCHAR",
}


def test_one_type_per_field_whatever_kinds_are_exported(store: cargotrace.Store,
                                                         tmp_path: Path) -> None:
    """Gaps only (other_mmsi null in every row), encounters, port visits (a time kept as text
    in attrs), the sanctions match (a date, lists) and everything: each field has one type,
    read back by DuckDB, pyarrow and geopandas."""
    seen: dict[str, str] = {}
    for kinds in (["gap"], ["encounter"], ["port_visit"], ["sanction_match"], []):
        out = tmp_path / f"{'-'.join(kinds) or 'all'}.parquet"
        n = write_features(events_export(store, kinds), "geoparquet", out)
        assert n > 0, kinds
        described = {r[0]: r[1] for r in duckdb.connect().execute(
            f"DESCRIBE SELECT * FROM '{out}'").fetchall()}
        for name, type_ in described.items():
            assert seen.setdefault(name, type_) == type_, (kinds, name, type_, seen[name])
            if name in EXPECTED_DUCKDB_TYPES:
                assert type_ == EXPECTED_DUCKDB_TYPES[name], (kinds, name, type_)
        assert pq.read_schema(out).field("other_mmsi").type == "int64"
        frame = geopandas.read_parquet(out)  # pandas itself turns null ints into floats
        assert str(frame["start"].dtype) == "datetime64[us, UTC]"
    nulls = duckdb.connect().execute(
        f"SELECT count(*), count(other_mmsi) FROM '{tmp_path / 'gap.parquet'}'").fetchall()
    assert nulls[0][0] > 0 and nulls[0][1] == 0
    # the port visit's last position time, from the store's JSON text, as a UTC timestamp
    expected = dict(store.con.execute(
        "SELECT event_id, CAST(attrs->>'last_position_ts' AS TIMESTAMPTZ) FROM events "
        "WHERE kind = 'port_visit'").fetchall())
    got = duckdb.connect().execute(
        f"SELECT event_id, last_position_ts FROM '{tmp_path / 'port_visit.parquet'}'").fetchall()
    assert dict(got) == expected and len(expected) > 0
    assert {"start", "end", "last_position_ts", "listed_on"} <= set(seen)


def test_positions_name_their_file_and_its_hash(store: cargotrace.Store,
                                                tmp_path: Path) -> None:
    out = tmp_path / "angara.parquet"
    export_vessel(store, ANGARA_IMO, ExportFormat.GEOPARQUET, out)
    (path, sha), = store.con.execute(
        "SELECT path, sha256 FROM ingests WHERE path LIKE '%positions.parquet'").fetchall()
    assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == sha
    table = pq.read_table(out, columns=["source", "source_sha256"]).to_pylist()
    assert table and {(r["source"], r["source_sha256"]) for r in table} == {
        (Path(path).name, sha)}
