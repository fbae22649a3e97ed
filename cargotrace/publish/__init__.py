"""Publish: standard exports (GeoJSON, KML, GeoParquet, CSV, FollowTheMoney) and the SVG map.

Data flow (DESIGN.md): store tables and `routes.Route`s → `features` (format-neutral map
features) → one writer per format; `svgmap` draws the same features for the report. Reference:
docs/reference/exports.md.

The names below are loaded on first use (PEP 562): every module under publish/ runs this file
first, and importing every writer here would make `cargotrace --help` (which only needs
`formats.ExportFormat`) pay for Arrow, DuckDB and the FtM model (docs/concepts/architecture.md,
"Start-up").
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cargotrace.publish.export import events_export, vessel_export, write_features
    from cargotrace.publish.features import Feature, FeatureSet, Layer
    from cargotrace.publish.formats import ExportFormat
    from cargotrace.publish.params import ExportParams, SvgMapParams
    from cargotrace.publish.svgmap import render_svg_map

__all__ = ["ExportFormat", "ExportParams", "Feature", "FeatureSet", "Layer", "SvgMapParams",
           "events_export", "render_svg_map", "vessel_export", "write_features"]

_SOURCES = {
    "ExportFormat": "cargotrace.publish.formats",
    "events_export": "cargotrace.publish.export",
    "vessel_export": "cargotrace.publish.export",
    "write_features": "cargotrace.publish.export",
    "Feature": "cargotrace.publish.features",
    "FeatureSet": "cargotrace.publish.features",
    "Layer": "cargotrace.publish.features",
    "ExportParams": "cargotrace.publish.params",
    "SvgMapParams": "cargotrace.publish.params",
    "render_svg_map": "cargotrace.publish.svgmap",
}


def __getattr__(name: str) -> object:
    if name in _SOURCES:
        value = getattr(importlib.import_module(_SOURCES[name]), name)
        globals()[name] = value  # found directly next time
        return value
    raise AttributeError(f"module 'cargotrace.publish' has no attribute {name!r}")
