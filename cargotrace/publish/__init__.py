"""Publish: standard exports (GeoJSON, KML, GeoParquet, CSV, FollowTheMoney) and the SVG map.

Data flow (DESIGN.md): store tables and `routes.Route`s → `features` (format-neutral map
features) → one writer per format; `svgmap` draws the same features for the report. Reference:
docs/reference/exports.md.
"""

from __future__ import annotations

from cargotrace.publish.export import ExportFormat, events_export, vessel_export, write_features
from cargotrace.publish.features import Feature, FeatureSet, Layer
from cargotrace.publish.params import ExportParams, SvgMapParams
from cargotrace.publish.svgmap import render_svg_map

__all__ = ["ExportFormat", "ExportParams", "Feature", "FeatureSet", "Layer", "SvgMapParams",
           "events_export", "render_svg_map", "vessel_export", "write_features"]
