"""The SVG map's frame: its parameters, the Web Mercator projection, and fitting the features'
bounds into the viewBox.

Why apart from the drawing (svgmap.py): the projection and the fit are the geometry every layer
(land, routes, labels, legend) is placed with; keeping them in one small module keeps the
drawing code about what is drawn.

Web Mercator because readers know it from web maps and it is conformal (coastlines keep their
shape). The frame is `width_px` wide and `height_px` high, or, with `min_height_px`, only as high
as the features need.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from cargotrace.errors import ParamsError
from cargotrace.geo.sphere import KM_PER_DEG
from cargotrace.publish.features import Feature
from cargotrace.publish.params import SvgMapParams

__all__ = ["LEGEND_STRIP_PX", "MAX_LAT_DEG", "Frame", "fit_frame",
           "inv_merc_y", "line_lons", "merc_y"]

MAX_LAT_DEG = 85.0
LEGEND_STRIP_PX = 240  # wide enough for a hypothesis title in four lines


def merc_y(lat: Any) -> Any:
    lat = np.clip(lat, -MAX_LAT_DEG, MAX_LAT_DEG)
    return np.degrees(np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)))


def inv_merc_y(y: float) -> float:
    return math.degrees(2 * math.atan(math.exp(math.radians(y))) - math.pi / 2)


@dataclass(frozen=True)
class Frame:
    """Web Mercator (in degrees of longitude) → viewBox units."""

    lon0: float  # centre longitude (others are unwrapped to within ±180 of it)
    x_min: float
    y_max: float
    scale: float  # units per degree
    width: float
    height: float

    def unwrap(self, lon: Any) -> Any:
        return (np.asarray(lon, dtype=float) - self.lon0 + 180.0) % 360.0 - 180.0 + self.lon0

    def xy(self, lon: Any, lat: Any) -> tuple[Any, Any]:
        x = (np.asarray(lon, dtype=float) - self.x_min) * self.scale
        y = (self.y_max - merc_y(np.asarray(lat, dtype=float))) * self.scale
        return np.clip(x, 0, self.width), np.clip(y, 0, self.height)

    @property
    def lon_range(self) -> tuple[float, float]:
        return self.x_min, self.x_min + self.width / self.scale

    @property
    def lat_range(self) -> tuple[float, float]:
        return (inv_merc_y(self.y_max - self.height / self.scale), inv_merc_y(self.y_max))


def line_lons(coords: tuple[tuple[float, float], ...]) -> Any:
    """Longitudes made continuous along a line (no 360° jumps)."""
    lons = np.array([c[0] for c in coords], dtype=float)
    steps = np.diff(lons)
    steps = (steps + 180.0) % 360.0 - 180.0
    return np.concatenate([[lons[0]], lons[0] + np.cumsum(steps)])


def fit_frame(features: list[Feature], params: SvgMapParams) -> Frame:
    points = [c for f in features for c in f.coords]
    if not points:
        raise ParamsError("nothing to map: no feature has a location")
    lons = np.array([p[0] for p in points], dtype=float)
    lats = np.array([p[1] for p in points], dtype=float)
    # centre longitude: the circular mean, so a map across the antimeridian is one piece
    ang = np.radians(lons)
    lon0 = math.degrees(math.atan2(float(np.sin(ang).mean()), float(np.cos(ang).mean())))
    u = (lons - lon0 + 180.0) % 360.0 - 180.0 + lon0
    x0, x1 = float(u.min()), float(u.max())
    y = merc_y(lats)
    y0, y1 = float(y.min()), float(y.max())
    mid_lat = float(np.clip(lats.mean(), -MAX_LAT_DEG, MAX_LAT_DEG))
    min_span = params.min_span_km / KM_PER_DEG / max(math.cos(math.radians(mid_lat)), 0.05)
    if x1 - x0 < min_span:
        x0, x1 = (x0 + x1 - min_span) / 2, (x0 + x1 + min_span) / 2
    if y1 - y0 < min_span:
        y0, y1 = (y0 + y1 - min_span) / 2, (y0 + y1 + min_span) / 2
    inner_w = params.width_px * (1 - 2 * params.margin_frac)
    height = float(params.height_px)
    if params.min_height_px:
        needed = (y1 - y0) * inner_w / (x1 - x0) / (1 - 2 * params.margin_frac)
        height = float(round(min(max(needed, params.min_height_px), params.height_px)))
    inner_h = height * (1 - 2 * params.margin_frac)
    scale = min(inner_w / (x1 - x0), inner_h / (y1 - y0))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return Frame(lon0=(x0 + x1) / 2, x_min=cx - params.width_px / 2 / scale,
                  y_max=cy + height / 2 / scale, scale=scale,
                  width=params.width_px, height=height)
