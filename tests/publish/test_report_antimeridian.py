"""The report's detail map around a track that crosses ±180: the places near the track, not
every place of the case (a box from the smallest to the largest longitude spans the world)."""

from __future__ import annotations

from cargotrace.publish.features import Feature, FeatureSet, GeomType, Layer
from cargotrace.publish.report.content import _detail


def place(name: str, lon: float, lat: float) -> Feature:
    return Feature(Layer.PLACE, GeomType.POINT, ((lon, lat),), {"place_id": name}, name=name)


def test_detail_map_of_a_track_across_180_keeps_only_the_places_near_it() -> None:
    track = Feature(Layer.TRACK, GeomType.LINE, ((179.6, 56.0), (179.9, 56.05), (-179.8, 56.1),
                                                 (-179.5, 56.2)), {"mmsi": 273310020})
    near_west, near_east = place("near_west", 179.7, 56.3), place("near_east", -179.6, 55.9)
    # on the track's latitude, but half a world away, and 3° west and east of it
    far = [place("kattegat", 11.0, 56.1), place("hudson_bay", -87.0, 56.0),
           place("west", 176.5, 56.1), place("east", -176.6, 56.1)]
    detail = _detail(FeatureSet(features=[track, near_west, near_east, *far]))
    assert detail is not None
    shown = {f.name for f in detail.features if f.layer == Layer.PLACE}
    # the track spans 0.9° of longitude: padded by 1°/4 either side, latitude 55.75-56.45
    assert shown == {"near_west", "near_east"}
