"""GeoJSON exports read back against RFC 7946, the `geojson` package and GDAL (QGIS's reader)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import geojson  # type: ignore[import-untyped]
import pyogrio  # type: ignore[import-untyped]

import cargotrace
from cargotrace.publish.export import events_export, write_features
from cargotrace.publish.features import FeatureSet, track_features
from cargotrace.publish.fields import ogr_schema


def _positions(geometry: dict[str, Any]) -> list[list[float]]:
    if geometry["type"] == "Point":
        return [geometry["coordinates"]]
    if geometry["type"] == "LineString":
        return list(geometry["coordinates"])
    return [c for part in geometry["coordinates"] for c in part]


def check_rfc7946(doc: dict[str, Any]) -> None:
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    for feature in doc["features"]:
        assert feature["type"] == "Feature" and set(feature) == {"type", "geometry",
                                                                 "properties"}
        for key, value in feature["properties"].items():
            if key == "coordTimes":
                assert all(isinstance(t, str) for t in value)
            else:
                assert value is None or isinstance(value, str | int | float | bool), key
        if feature["geometry"] is None:
            continue
        for lon, lat in _positions(feature["geometry"]):
            assert -180 <= lon <= 180 and -90 <= lat <= 90
        if feature["geometry"]["type"] == "MultiLineString":  # cut at the antimeridian
            for part in feature["geometry"]["coordinates"]:
                lons = [c[0] for c in part]
                assert max(lons) - min(lons) < 180
    parsed = geojson.loads(json.dumps(doc))
    assert parsed.is_valid, parsed.errors()


def test_events_round_trip(store: cargotrace.Store, tmp_path: Path) -> None:
    out = tmp_path / "events.geojson"
    n = write_features(events_export(store), "geojson", out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    check_rfc7946(doc)
    assert n == len(doc["features"]) == store.count("events")
    rows = {r[0]: r[1:] for r in store.con.execute(
        "SELECT event_id, lon, lat, kind FROM events").fetchall()}
    for feature in doc["features"]:
        lon, lat, kind = rows[feature["properties"]["event_id"]]
        assert feature["properties"]["kind"] == kind
        if lon is None:
            continue
        geometry = feature["geometry"]
        # a point, or for a gap or dark voyage a line from where it went silent to where it
        # reappeared (cut in two at the antimeridian)
        first = {"Point": lambda c: c, "LineString": lambda c: c[0],
                 "MultiLineString": lambda c: c[0][0]}[geometry["type"]](geometry["coordinates"])
        assert geometry["type"] == "Point" or kind in ("gap", "dark_voyage"), kind
        assert first == [round(lon, 6), round(lat, 6)]
    gdal = pyogrio.read_dataframe(out)
    assert len(gdal) == n and {"event_id", "kind", "start"} <= set(gdal.columns)


def test_vessel_tracks_routes_and_attribution(angara_map: FeatureSet, tmp_path: Path) -> None:
    out = tmp_path / "angara.geojson"
    write_features(angara_map, "geojson", out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    check_rfc7946(doc)
    assert any("© OpenStreetMap contributors (ODbL" in a for a in doc["attribution"])
    layers = {f["properties"]["layer"] for f in doc["features"]}
    assert layers == {"track", "event", "place", "route"}
    for f in doc["features"]:
        if f["properties"]["layer"] == "track":
            assert len(f["properties"]["coordTimes"]) == len(_positions(f["geometry"]))
    modes = {f["properties"]["mode"] for f in doc["features"]
             if f["properties"]["layer"] == "route"}
    assert "rail" in modes


def test_track_across_the_antimeridian_is_a_multilinestring(tmp_path: Path) -> None:
    t0 = datetime(2023, 9, 7, tzinfo=UTC)
    rows = [{"mmsi": 273950540, "ts": t0 + timedelta(minutes=20 * i), "lat": 52.0 + 0.02 * i,
             "lon": ((179.6 + 0.1 * i) + 180) % 360 - 180} for i in range(8)]
    out = tmp_path / "bering.geojson"
    write_features(track_features(rows), "geojson", out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    check_rfc7946(doc)
    (feature,) = doc["features"]
    assert feature["geometry"]["type"] == "MultiLineString"
    first, second = feature["geometry"]["coordinates"]
    assert first[-1][0] == 180 and second[0][0] == -180 and first[-1][1] == second[0][1]
    assert len(feature["properties"]["coordTimes"]) == len(rows) + 2


def _json_kind(value: object) -> str:
    return {bool: "bool", int: "number", float: "number", str: "text"}[type(value)]


def test_one_json_type_per_field_and_typed_reading_with_gdal(store: cargotrace.Store,
                                                             tmp_path: Path) -> None:
    """Exports of different kinds agree on each property's JSON type; GDAL reads numbers and
    times as such, and with `ogr_schema` as OGR_SCHEMA a property null in every feature
    (other_mmsi of gaps) is still an integer."""
    kinds_seen: dict[str, str] = {}
    for kinds in (["gap"], ["encounter"], ["port_visit"], ["sanction_match"], []):
        out = tmp_path / f"{'-'.join(kinds) or 'all'}.geojson"
        write_features(events_export(store, kinds), "geojson", out)
        doc = json.loads(out.read_text(encoding="utf-8"))
        for feature in doc["features"]:
            for key, value in feature["properties"].items():
                if value is not None:
                    assert kinds_seen.setdefault(key, _json_kind(value)) == _json_kind(value), \
                        (kinds, key, value)
        dtypes = dict(zip(*(pyogrio.read_info(out)[k] for k in ("fields", "dtypes")),
                          strict=True))
        assert dtypes["mmsi"] in ("int32", "int64") and dtypes["start"].startswith("datetime")
        names = {k for f in doc["features"] for k in f["properties"]}
        schema = json.dumps(ogr_schema(out.stem, names))
        info = pyogrio.read_info(out, OGR_SCHEMA=schema)  # GDAL's field types, before pandas
        typed = dict(zip(info["fields"], info["dtypes"], strict=True))
        assert typed["other_mmsi"] == typed["mmsi"] == "int64", kinds
        assert typed["start"].startswith("datetime")
        if kinds == ["gap"]:
            assert dtypes["other_mmsi"] == "object"  # what GDAL guesses without the schema
            frame = pyogrio.read_dataframe(out, OGR_SCHEMA=schema)
            assert len(frame) > 0 and frame["other_mmsi"].isna().all()
    assert {kinds_seen[k] for k in ("mmsi", "other_mmsi", "confidence")} == {"number"}
    assert kinds_seen["open"] == "bool" and kinds_seen["last_position_ts"] == "text"
    visits = json.loads((tmp_path / "port_visit.geojson").read_text())["features"]
    expected = dict(store.con.execute(
        "SELECT event_id, CAST(attrs->>'last_position_ts' AS TIMESTAMPTZ) FROM events "
        "WHERE kind = 'port_visit'").fetchall())
    assert {f["properties"]["event_id"]: datetime.fromisoformat(
        f["properties"]["last_position_ts"]) for f in visits} == expected
