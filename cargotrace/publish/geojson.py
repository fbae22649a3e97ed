"""GeoJSON (RFC 7946) FeatureCollections that open in QGIS, geojson.io and web maps.

Rules kept (RFC 7946): WGS 84 longitude, latitude order; no `crs` member; longitudes in [-180,
180] with lines crossing the antimeridian cut into a MultiLineString (section 3.1.9);
coordinates rounded to 6 decimals (~0.1 m, section 11.2). Properties are flat JSON scalars of
their declared type (`fields.FIELDS`: integers, numbers, booleans, text; times as ISO 8601 UTC,
nested values as JSON text) so that QGIS and spreadsheets read every field as one column; the
one exception is a track's `coordTimes`, one time per coordinate in order (the `togeojson`
convention that Google Earth and Mapbox converters use). The sources to credit are a top-level
`attribution` foreign member (section 6.1).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cargotrace.publish.features import Feature, FeatureSet, GeomType
from cargotrace.publish.fields import json_value
from cargotrace.publish.geometry import line_parts, wrap_lon

__all__ = ["feature_collection", "geometry", "write_geojson"]

DECIMALS = 6


def geometry(feature: Feature) -> dict[str, Any] | None:
    """The RFC 7946 geometry object of a feature (null without a location)."""
    if feature.geom_type is GeomType.NONE:
        return None
    if feature.geom_type is GeomType.POINT:
        lon, lat = feature.coords[0]
        return {"type": "Point",
                "coordinates": [round(wrap_lon(lon), DECIMALS), round(lat, DECIMALS)]}
    parts = [[[round(x, DECIMALS), round(y, DECIMALS)] for x, y, _ in p]
             for p in line_parts(feature.coords)]
    if len(parts) == 1:
        return {"type": "LineString", "coordinates": parts[0]}
    return {"type": "MultiLineString", "coordinates": parts}


def _properties(feature: Feature) -> dict[str, Any]:
    props: dict[str, Any] = {"layer": str(feature.layer), "name": feature.name}
    props.update({k: json_value(k, v) for k, v in feature.properties.items()})
    for key, value in (("start", feature.start), ("end", feature.end)):
        props.setdefault(key, json_value(key, value))
    if feature.times is not None and feature.geom_type is GeomType.LINE:
        props["coordTimes"] = [t.isoformat() for p in line_parts(feature.coords, feature.times)
                               for _, _, t in p if t is not None]
    return props


def feature_collection(features: FeatureSet) -> dict[str, Any]:
    """The FeatureCollection document (a dict ready for `json.dumps`)."""
    doc: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "geometry": geometry(f), "properties": _properties(f)}
                     for f in features.features],
    }
    if features.attribution:
        doc["attribution"] = list(features.attribution)
    return doc


def write_geojson(features: FeatureSet, path: Path) -> int:
    """Write the collection (UTF-8, no ASCII escaping); returns the number of features."""
    doc = feature_collection(features)
    path.write_text(json.dumps(doc, ensure_ascii=False, allow_nan=False) + "\n",
                    encoding="utf-8")
    return len(doc["features"])
