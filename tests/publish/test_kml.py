"""KML exports parsed with fastkml and read with GDAL's LIBKML driver (what QGIS uses)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pyogrio  # type: ignore[import-untyped]

import cargotrace
from cargotrace.publish.export import events_export, write_features
from cargotrace.publish.features import FeatureSet, Layer, place_features, select_places

with warnings.catch_warnings():
    # fastkml 1.4 warns when lxml is missing (it only loses pretty-printing)
    warnings.filterwarnings("ignore", "Package `lxml` missing", UserWarning)
    from fastkml import kml as fastkml_kml
    from fastkml.gx import Track


def _parse(path: Path) -> Any:
    return fastkml_kml.KML.parse(str(path), strict=True)


def _folders(doc: Any) -> dict[str, list[Any]]:
    (document,) = doc.features
    return {folder.name: list(folder.features) for folder in document.features}


def _data(placemark: Any) -> dict[str, str]:
    """A Placemark's SchemaData values by field name."""
    (schema_data,) = placemark.extended_data.elements
    return {d.name: d.value for d in schema_data.data}


def test_events_round_trip(store: cargotrace.Store, tmp_path: Path) -> None:
    out = tmp_path / "events.kml"
    write_features(events_export(store), "kml", out)
    folders = _folders(_parse(out))
    assert list(folders) == ["Events"]
    placemarks = folders["Events"]
    assert len(placemarks) == store.count("events")
    ids = {r[0] for r in store.con.execute("SELECT event_id FROM events").fetchall()}
    seen = set()
    for pm in placemarks:
        seen.add(_data(pm)["event_id"])
        assert pm.times is not None and pm.times.begin is not None
    assert seen == ids
    gdal = pyogrio.read_dataframe(out, layer="Events")
    assert len(gdal) == len(ids) and {"event_id", "kind", "begin"} <= set(gdal.columns)


def test_tracks_are_gx_tracks_with_a_time_per_position(angara_map: FeatureSet,
                                                        tmp_path: Path) -> None:
    out = tmp_path / "angara.kml"
    write_features(angara_map, "kml", out)
    doc = _parse(out)
    (document,) = doc.features
    assert "© OpenStreetMap contributors (ODbL" in document.description
    folders = _folders(doc)
    assert set(folders) == {"Routes", "AIS tracks", "Events", "Places"}
    tracks = [f for f in angara_map.features if f.layer is Layer.TRACK]
    assert len(folders["AIS tracks"]) == len(tracks)
    for pm, feature in zip(folders["AIS tracks"], tracks, strict=True):
        assert isinstance(pm.kml_geometry, Track)
        assert len(pm.kml_geometry.track_items) == len(feature.coords)
    names = {pm.name for pm in folders["Places"]}
    assert names == {f.name for f in angara_map.features if f.layer is Layer.PLACE}
    gdal = pyogrio.read_dataframe(out, layer="AIS tracks")
    assert list(gdal.geometry.geom_type) == ["LineString"] * len(tracks)
    assert [len(g.coords) for g in gdal.geometry] == [len(f.coords) for f in tracks]
    routes = pyogrio.read_dataframe(out, layer="Routes")
    assert "rail" in set(routes["mode"])


# SimpleField types as GDAL's LIBKML driver (QGIS) reads them, by the pandas dtype pyogrio gives
GDAL_DTYPES = {"int": {"int32", "int64"}, "double": {"float64"}, "bool": {"bool"},
               "string": {"object"}}


def test_typed_schema_loads_numbers_as_numbers(store: cargotrace.Store, tmp_path: Path) -> None:
    """One typed <Schema> per layer; GDAL reads ints, doubles and booleans as such, with the
    store's values, and a field's type does not depend on the kinds exported: in a gaps-only
    export `other_mmsi` is null in every placemark and still an integer field."""
    frames = {}
    for kinds in (["gap"], ["encounter"], []):
        out = tmp_path / f"{'-'.join(kinds) or 'all'}.kml"
        write_features(events_export(store, kinds), "kml", out)
        (document,) = _parse(out).features
        (schema,) = document.schemata
        types = {f.name: f.type_.value for f in schema.fields}
        assert types["mmsi"] == types["other_mmsi"] == "int" and types["confidence"] == "double"
        assert types["start" if "start" in types else "event_id"] == "string"
        info = pyogrio.read_info(out, layer="Events")
        dtypes = dict(zip(info["fields"], info["dtypes"], strict=True))
        for name, kml_type in types.items():
            assert dtypes[name] in GDAL_DTYPES[kml_type], (kinds, name, dtypes[name])
        frames[tuple(kinds)] = pyogrio.read_dataframe(out, layer="Events")
    gaps = frames[("gap",)]
    assert len(gaps) > 0 and gaps["other_mmsi"].isna().all()
    expected = dict(store.con.execute(
        "SELECT event_id, other_mmsi FROM events WHERE kind = 'encounter'").fetchall())
    got = frames[("encounter",)]
    assert dict(zip(got["event_id"], got["other_mmsi"].astype(int), strict=True)) == expected
    everything = frames[()]
    truth = {r[0]: r[1:] for r in store.con.execute(
        "SELECT event_id, mmsi, confidence, (attrs->>'open')::BOOLEAN FROM events").fetchall()}
    for row in everything.itertuples():
        mmsi, confidence, is_open = truth[row.event_id]
        assert row.mmsi == mmsi
        assert (confidence is None and row.confidence != row.confidence) or \
            abs(row.confidence - confidence) < 1e-12
        if is_open is not None:
            assert bool(row.open) is is_open


def test_one_style_per_event_kind_and_names_with_the_vessel(store: cargotrace.Store,
                                                            tmp_path: Path) -> None:
    out = tmp_path / "events.kml"
    write_features(events_export(store), "kml", out)
    (document,) = _parse(out).features
    styles = {s.id: s for s in document.styles}
    kinds = {r[0] for r in store.con.execute("SELECT DISTINCT kind FROM events").fetchall()}
    colours = {styles[f"event-{k}"].styles[0].color for k in kinds}
    assert len(colours) == len(kinds)  # distinct colours
    # the latest AIS name each vessel sent up to the event's start (else its first), in Python
    sent: dict[int, list[tuple[Any, str]]] = {}
    for mmsi, ts, name in store.con.execute(
            "SELECT mmsi, ts, name FROM vessel_reports WHERE name IS NOT NULL").fetchall():
        sent.setdefault(mmsi, []).append((ts, name))
    events = {r[0]: r[1:] for r in store.con.execute(
        "SELECT event_id, kind, mmsi, other_mmsi, start FROM events").fetchall()}
    (placemarks,) = _folders(_parse(out)).values()
    for pm in placemarks:
        kind, mmsi, other, start = events[_data(pm)["event_id"]]
        assert pm.style_url.url == f"#event-{kind}"
        for vessel in (mmsi, other):
            if vessel is None:
                continue
            reports = sorted(sent.get(vessel, []))
            before = [name for ts, name in reports if ts <= start]
            name = before[-1] if before else reports[0][1] if reports else None
            label = f"{name} (MMSI {vessel})" if name else f"MMSI {vessel}"
            assert label in pm.name, (pm.name, vessel)
    assert any(" and " in pm.name for pm in placemarks)  # encounters name both vessels


def test_carriage_returns_and_control_characters_survive(store: cargotrace.Store,
                                                          tmp_path: Path) -> None:
    """A place whose reason holds CR LF (text pasted from Windows) and a stray control
    character: XML would turn a literal CR into LF and cannot carry the control character."""
    (row,) = select_places(store, ["ct:najin"])
    reason = "line one\r\nline two & <three>\x07"
    features = place_features([{**row, "watch_reason": reason}])
    out = tmp_path / "place.kml"
    write_features(features, "kml", out)
    assert b"&#13;" in out.read_bytes()
    (pm,) = _folders(_parse(out))["Places"]
    expected = "line one\r\nline two & <three>\ufffd"
    assert _data(pm)["watch_reason"] == expected
    assert pyogrio.read_dataframe(out, layer="Places")["watch_reason"][0] == expected
