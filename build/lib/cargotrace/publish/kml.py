"""KML 2.2 for Google Earth and QGIS: one Folder per layer, Placemarks with ExtendedData.

Why the standard library: the document is a few element types, and `xml.etree` keeps the
export free of extra dependencies (tests parse it back with fastkml and with GDAL).

- Events: a Point (or a LineString from start to end position for gaps and dark voyages) with
  a `TimeSpan` (begin = start, end = end when known), so Google Earth's time slider and QGIS's
  temporal controller can play them.
- Vessel tracks: `gx:Track` (one `when` per `gx:coord`; Google Earth animates it and GDAL's
  LIBKML driver, used by QGIS, reads it as a line) with the piece's `TimeSpan`.
- Routes: a LineString per leg, styled by mode; places: labelled Points.
- Lines crossing the antimeridian are cut (MultiGeometry / gx:MultiTrack), as in GeoJSON.
- Every property is a `Data` element (times ISO 8601 UTC, nested values as JSON text); the
  sources to credit are in the Document's `description`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

from cargotrace.publish.features import Feature, FeatureSet, GeomType, Layer
from cargotrace.publish.geometry import flat_value, line_parts, wrap_lon

__all__ = ["KML_NS", "GX_NS", "kml_document", "write_kml"]

KML_NS = "http://www.opengis.net/kml/2.2"
GX_NS = "http://www.google.com/kml/ext/2.2"

# KML colours are aabbggrr
STYLES: dict[str, tuple[str, float]] = {
    "route-sea": ("ffc07a1f", 3.0), "route-rail": ("ff202020", 3.0),
    "route-road": ("ff1a8cff", 3.0), "route-ferry": ("ffe0a040", 3.0),
    "route-other": ("ff808080", 3.0), "track": ("cc9c4f8e", 1.5), "event": ("ff2828d6", 2.5),
    "position": ("ff9c4f8e", 1.0), "place": ("ff000000", 1.0),
}
LAYER_TITLES = {Layer.ROUTE: "Routes", Layer.TRACK: "AIS tracks", Layer.POSITION: "Positions",
                Layer.EVENT: "Events", Layer.PLACE: "Places"}


def _k(tag: str) -> str:
    return f"{{{KML_NS}}}{tag}"


def _gx(tag: str) -> str:
    return f"{{{GX_NS}}}{tag}"


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, tag)
    if text is not None:
        el.text = text
    return el


def _when(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _coords(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{x:.6f},{y:.6f}" for x, y in points)


def _styles(doc: ET.Element) -> None:
    for sid, (color, width) in STYLES.items():
        style = _sub(doc, _k("Style"))
        style.set("id", sid)
        if sid in ("event", "position", "place"):
            icon = _sub(style, _k("IconStyle"))
            _sub(icon, _k("color"), color)
            _sub(icon, _k("scale"), {"event": "0.9", "position": "0.4", "place": "1.0"}[sid])
        line = _sub(style, _k("LineStyle"))
        _sub(line, _k("color"), color)
        _sub(line, _k("width"), f"{width:g}")


def _style_of(feature: Feature) -> str:
    if feature.layer is Layer.ROUTE:
        mode = feature.mode
        return f"route-{mode}" if f"route-{mode}" in STYLES else "route-other"
    return str(feature.layer)


def _geometry(parent: ET.Element, feature: Feature) -> None:
    if feature.geom_type is GeomType.NONE:
        return
    if feature.geom_type is GeomType.POINT:
        lon, lat = feature.coords[0]
        _sub(_sub(parent, _k("Point")), _k("coordinates"), _coords([(wrap_lon(lon), lat)]))
        return
    parts = line_parts(feature.coords, feature.times)
    if feature.times is not None:
        holder = _sub(parent, _gx("MultiTrack")) if len(parts) > 1 else parent
        for part in parts:
            track = _sub(holder, _gx("Track"))
            for _, _, t in part:
                _sub(track, _k("when"), _when(t) if t else None)
            for x, y, _ in part:
                _sub(track, _gx("coord"), f"{x:.6f} {y:.6f} 0")
        return
    holder = _sub(parent, _k("MultiGeometry")) if len(parts) > 1 else parent
    for part in parts:
        line = _sub(holder, _k("LineString"))
        _sub(line, _k("tessellate"), "1")
        _sub(line, _k("coordinates"), _coords([(x, y) for x, y, _ in part]))


def _placemark(folder: ET.Element, feature: Feature) -> None:
    pm = _sub(folder, _k("Placemark"))
    _sub(pm, _k("name"), feature.name)
    if feature.start is not None:
        span = _sub(pm, _k("TimeSpan"))
        _sub(span, _k("begin"), _when(feature.start))
        if feature.end is not None:
            _sub(span, _k("end"), _when(feature.end))
    _sub(pm, _k("styleUrl"), f"#{_style_of(feature)}")
    data = _sub(pm, _k("ExtendedData"))
    # start/end are the TimeSpan (GDAL names its own fields begin/end; a second "end" clashes)
    props = {"layer": str(feature.layer), **{k: v for k, v in feature.properties.items()
                                             if k not in ("start", "end")}}
    for key, value in props.items():
        flat = flat_value(value)
        item = _sub(data, _k("Data"))
        item.set("name", key)
        _sub(item, _k("value"), "" if flat is None else str(flat).lower()
             if isinstance(flat, bool) else str(flat))
    _geometry(pm, feature)


def kml_document(features: FeatureSet) -> ET.Element:
    """The `<kml>` root element."""
    root = ET.Element(_k("kml"))
    doc = _sub(root, _k("Document"))
    _sub(doc, _k("name"), features.title)
    credits = "; ".join(features.attribution) if features.attribution else ""
    _sub(doc, _k("description"),
         f"Exported by cargotrace. {credits}".strip() if credits else "Exported by cargotrace.")
    _styles(doc)
    for layer in Layer:
        members = [f for f in features.features if f.layer is layer]
        if not members:
            continue
        folder = _sub(doc, _k("Folder"))
        _sub(folder, _k("name"), LAYER_TITLES[layer])
        for feature in members:
            _placemark(folder, feature)
    return root


def write_kml(features: FeatureSet, path: Path) -> int:
    """Write the KML file (UTF-8 with an XML declaration); returns the number of Placemarks."""
    root = kml_document(features)
    ET.indent(root)
    # KML in the default namespace and `gx:` for Google's extension: GDAL's LIBKML (QGIS)
    # ignores the tracks of a document prefixed `kml:`. Registered at each write, not once at
    # import, because other libraries (fastkml) register their own prefixes for these URIs
    # (ElementTree's `default_namespace=` cannot be used: it rejects unqualified attributes).
    ET.register_namespace("", KML_NS)
    ET.register_namespace("gx", GX_NS)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return len(features.features)
