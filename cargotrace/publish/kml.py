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
- Properties are typed: one `<Schema>` per layer declares a `SimpleField` per property with
  its type from `fields.FIELDS` (int, double, bool, string; KML has no time type, so times are
  ISO 8601 UTC text), and each Placemark's `SchemaData` holds the values. QGIS (GDAL) and
  Google Earth then load numbers as numbers, and a field's type never depends on which rows
  an export holds. Missing values are left out.
- One `Style` per event kind (the report map's colours), per route mode and per layer; no icon
  URLs, so opening the file fetches nothing.
- Placemark names say who: an event's kind, vessel name and MMSI (see `features`).
- Text is escaped by ElementTree; a carriage return is written as `&#13;`, because an XML
  parser turns a literal one into a line feed (XML 1.0, 2.11) and the value would change;
  characters XML 1.0 cannot carry (other control characters) become U+FFFD.
- The sources to credit are in the Document's `description`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

from cargotrace.publish.features import Feature, FeatureSet, GeomType, Layer
from cargotrace.publish.fields import json_value, kml_type
from cargotrace.publish.geometry import line_parts, wrap_lon
from cargotrace.publish.svgmap import EVENT_COLOURS

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
ICON_SCALES = {"event": "0.9", "position": "0.4", "place": "1.0"}
# XML 1.0 cannot carry these characters at all, even escaped
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
TIMESPAN_PROPERTIES = ("start", "end")  # written as the TimeSpan, not as fields
LAYER_TITLES = {Layer.ROUTE: "Routes", Layer.TRACK: "AIS tracks", Layer.POSITION: "Positions",
                Layer.EVENT: "Events", Layer.PLACE: "Places"}


def _k(tag: str) -> str:
    return f"{{{KML_NS}}}{tag}"


def _gx(tag: str) -> str:
    return f"{{{GX_NS}}}{tag}"


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, tag)
    if text is not None:
        el.text = NOT_XML.sub("\ufffd", text)
    return el


def _kml_colour(hex_rgb: str, alpha: str = "ff") -> str:
    """'#d62828' -> 'ff2828d6' (KML colours are aabbggrr)."""
    r, g, b = hex_rgb[1:3], hex_rgb[3:5], hex_rgb[5:7]
    return f"{alpha}{b}{g}{r}"


def _when(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _coords(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{x:.6f},{y:.6f}" for x, y in points)


def _style(doc: ET.Element, sid: str, color: str, width: float, icon_scale: str | None) -> None:
    style = _sub(doc, _k("Style"))
    style.set("id", sid)
    if icon_scale is not None:
        icon = _sub(style, _k("IconStyle"))
        _sub(icon, _k("color"), color)
        _sub(icon, _k("scale"), icon_scale)
    line = _sub(style, _k("LineStyle"))
    _sub(line, _k("color"), color)
    _sub(line, _k("width"), f"{width:g}")


def _styles(doc: ET.Element, features: FeatureSet) -> None:
    for sid, (color, width) in STYLES.items():
        _style(doc, sid, color, width, ICON_SCALES.get(sid))
    kinds = sorted({str(f.properties.get("kind")) for f in features.features
                    if f.layer is Layer.EVENT and f.properties.get("kind")})
    for kind in kinds:
        colour = _kml_colour(EVENT_COLOURS.get(kind, "#555555"))
        _style(doc, _event_style(kind), colour, 2.5, ICON_SCALES["event"])


def _event_style(kind: str) -> str:
    return "event-" + re.sub(r"[^A-Za-z0-9_-]", "_", kind)


def _style_of(feature: Feature) -> str:
    if feature.layer is Layer.ROUTE:
        mode = feature.mode
        return f"route-{mode}" if f"route-{mode}" in STYLES else "route-other"
    if feature.layer is Layer.EVENT and feature.properties.get("kind"):
        return _event_style(str(feature.properties["kind"]))
    return str(feature.layer)


def _schema_id(layer: Layer) -> str:
    return f"schema-{layer}"


def _schema_fields(members: list[Feature]) -> list[str]:
    """The layer's properties in first-seen order, `layer` first."""
    keys: dict[str, None] = {"layer": None}
    for f in members:
        keys.update(dict.fromkeys(k for k in f.properties if k not in TIMESPAN_PROPERTIES))
    return list(keys)


def _schema(doc: ET.Element, layer: Layer, fields: list[str]) -> None:
    schema = _sub(doc, _k("Schema"))
    schema.set("name", LAYER_TITLES[layer])
    schema.set("id", _schema_id(layer))
    for key in fields:
        field = _sub(schema, _k("SimpleField"))
        field.set("name", key)
        field.set("type", kml_type(key))


def _text(value: object) -> str | None:
    """A typed value as SimpleData text (booleans as KML's true/false); None when missing."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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


def _placemark(folder: ET.Element, feature: Feature, fields: list[str]) -> None:
    pm = _sub(folder, _k("Placemark"))
    _sub(pm, _k("name"), feature.name)
    if feature.start is not None:
        span = _sub(pm, _k("TimeSpan"))
        _sub(span, _k("begin"), _when(feature.start))
        if feature.end is not None:
            _sub(span, _k("end"), _when(feature.end))
    _sub(pm, _k("styleUrl"), f"#{_style_of(feature)}")
    data = _sub(_sub(pm, _k("ExtendedData")), _k("SchemaData"))
    data.set("schemaUrl", f"#{_schema_id(feature.layer)}")
    props = {"layer": str(feature.layer), **feature.properties}
    for key in fields:
        text = _text(json_value(key, props.get(key)))
        if text is not None:
            _sub(data, _k("SimpleData"), text).set("name", key)
    _geometry(pm, feature)


def kml_document(features: FeatureSet) -> ET.Element:
    """The `<kml>` root element."""
    root = ET.Element(_k("kml"))
    doc = _sub(root, _k("Document"))
    _sub(doc, _k("name"), features.title)
    credits = "; ".join(features.attribution) if features.attribution else ""
    _sub(doc, _k("description"),
         f"Exported by cargotrace. {credits}".strip() if credits else "Exported by cargotrace.")
    _styles(doc, features)
    layers = [(layer, [f for f in features.features if f.layer is layer]) for layer in Layer]
    layers = [(layer, members) for layer, members in layers if members]
    fields = {layer: _schema_fields(members) for layer, members in layers}
    for layer, _ in layers:
        _schema(doc, layer, fields[layer])
    for layer, members in layers:
        folder = _sub(doc, _k("Folder"))
        _sub(folder, _k("name"), LAYER_TITLES[layer])
        for feature in members:
            _placemark(folder, feature, fields[layer])
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
    xml = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    # every carriage return in the output comes from a value (ElementTree indents with "\n")
    path.write_bytes(xml.replace(b"\r", b"&#13;"))
    return len(features.features)
