"""The SVG map: valid XML, the expected layers and labels, every coordinate in the viewBox."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from cargotrace.errors import ParamsError
from cargotrace.publish.features import FeatureSet, Layer, track_features
from cargotrace.publish.params import SvgMapParams
from cargotrace.publish.svgmap import render_svg_map

SVG = "{http://www.w3.org/2000/svg}"
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _coordinates(root: ET.Element) -> list[tuple[float, float]]:
    """Every drawn x, y outside the legend (which has its own translated frame)."""
    legend = {id(e) for g in root.iter(f"{SVG}g") if g.get("id") == "legend" for e in g.iter()}
    points = []
    for el in root.iter():
        if id(el) in legend:
            continue
        if el.tag == f"{SVG}path":
            values = [float(v) for v in NUMBER.findall(el.get("d", ""))]
            points += list(zip(values[::2], values[1::2], strict=True))
        for x, y in (("cx", "cy"), ("x", "y")):
            if el.get(x) is not None and el.tag != f"{SVG}rect":
                points.append((float(el.get(x, "")), float(el.get(y, ""))))
    return points


def _parse(svg: str) -> tuple[ET.Element, tuple[float, ...]]:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    box = tuple(float(v) for v in root.get("viewBox", "").split())
    return root, box


def test_layers_labels_and_bounds(angara_map: FeatureSet) -> None:
    svg = render_svg_map(angara_map, SvgMapParams(title="Angara"))
    root, (x0, y0, w, h) = _parse(svg)
    groups = {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("id")}
    assert {"land", "routes", "tracks", "events", "places", "labels", "legend", "scale",
            "attribution"} <= set(groups)
    assert len(groups["land"]) > 0
    labels = {t.text for t in groups["labels"]}
    assert labels == {f.name for f in angara_map.features if f.layer is Layer.PLACE}
    modes = {p.get("data-mode") for p in groups["routes"]}
    routes = {f.mode for f in angara_map.features if f.layer is Layer.ROUTE}
    assert modes == routes and "rail" in modes
    tracks = [f for f in angara_map.features if f.layer is Layer.TRACK]
    assert len(groups["tracks"]) == len(tracks)
    credits = " ".join(t.text or "" for t in groups["attribution"])
    assert "© OpenStreetMap contributors (ODbL" in credits and "Natural Earth" in credits
    points = _coordinates(root)
    assert len(points) > 100
    assert all(x0 <= x <= x0 + w and y0 <= y <= y0 + h for x, y in points)
    assert "<script" not in svg and "http://" not in svg.replace(
        "http://www.w3.org/2000/svg", "")


def test_a_map_across_the_antimeridian_is_one_piece() -> None:
    t0 = datetime(2023, 9, 7, tzinfo=UTC)
    rows = [{"mmsi": 273950540, "ts": t0 + timedelta(hours=i), "lat": 52.0 + 0.1 * i,
             "lon": ((178.0 + 0.5 * i) + 180) % 360 - 180} for i in range(9)]
    svg = render_svg_map(track_features(rows))
    root, (_, _, w, h) = _parse(svg)
    (track,) = [p for g in root.iter(f"{SVG}g") if g.get("id") == "tracks" for p in g]
    values = [float(v) for v in NUMBER.findall(track.get("d", ""))]
    xs = values[::2]
    assert xs == sorted(xs) and xs[-1] - xs[0] < w  # drawn eastwards, not round the globe
    assert all(0 <= x <= w for x in xs) and all(0 <= y <= h for y in values[1::2])


def test_nothing_to_map_is_a_params_error() -> None:
    with pytest.raises(ParamsError, match="nothing to map: no feature has a location"):
        render_svg_map(FeatureSet())


def test_wide_map_shrinks_to_its_content_and_keeps_the_legend_off_it(
        angara_map: FeatureSet) -> None:
    full = render_svg_map(angara_map, SvgMapParams(id_prefix="m-"))
    _, (_, _, w_full, h_full) = _parse(full)
    fitted = render_svg_map(angara_map, SvgMapParams(id_prefix="m-", min_height_px=300,
                                                     legend_outside=True))
    root, (_, _, w, h) = _parse(fitted)
    assert 300 <= h < h_full  # Najin → Tikhoretsk is much wider than tall
    groups = {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("id")}
    assert {"m-land", "m-routes", "m-places", "m-legend"} <= set(groups)
    x_legend = float(NUMBER.findall(groups["m-legend"].get("transform", ""))[0])
    assert x_legend >= w_full and w > w_full  # in the strip right of the map
    outside = [x for g in ("m-routes", "m-places", "m-tracks") for x, _ in
               _coordinates(groups[g])]
    assert outside and max(outside) <= w_full


def test_legend_inside_takes_the_corner_hiding_no_place(angara_map: FeatureSet) -> None:
    from cargotrace.publish import svgmap
    from cargotrace.publish.features import Feature, GeomType
    from cargotrace.publish.svgframe import fit_frame, inv_merc_y

    located = [f for f in angara_map.features if f.coords]
    frame = fit_frame(located, SvgMapParams())
    default = svgmap._legend_corner(located, frame, 150.0, 150.0)
    # a place where the legend would go: the legend moves to another corner
    x, y = default[0] + 75.0, default[1] + 75.0
    lon = frame.x_min + x / frame.scale
    lat = inv_merc_y(frame.y_max - y / frame.scale)
    place = Feature(Layer.PLACE, GeomType.POINT, ((lon, lat),), {}, name="under the legend")
    moved = svgmap._legend_corner([*located, place], frame, 150.0, 150.0)
    assert moved != default
    px, py = (float(v[0]) for v in frame.xy([lon], [lat]))
    assert not (moved[0] <= px <= moved[0] + 150 and moved[1] <= py <= moved[1] + 150)
