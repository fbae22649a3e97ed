"""KML exports parsed with fastkml and read with GDAL's LIBKML driver (what QGIS uses)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pyogrio  # type: ignore[import-untyped]

import cargotrace
from cargotrace.publish.export import events_export, write_features
from cargotrace.publish.features import FeatureSet, Layer

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
        data = {d.name: d.value for d in pm.extended_data.elements}
        seen.add(data["event_id"])
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
