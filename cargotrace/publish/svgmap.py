"""A self-contained SVG map of features: Natural Earth land, routes by mode, AIS tracks, events
and labelled places, fitted to the features' bounds.

Why SVG built here: the report must open offline and print crisply, and a static vector map
needs no JavaScript, tiles or network. Land comes from the Natural Earth 1:10m admin-0 polygons
that `routes/countries.py` already reads (public domain), clipped to the map's extent and
simplified to half a pixel, so a regional map stays a few hundred kilobytes.

Projection and fit (svgframe.py): Web Mercator, fitted to the features' bounds plus a margin.
Maps crossing the antimeridian are drawn continuously (longitudes are unwrapped around the map's
centre). Every drawn coordinate lies inside the viewBox.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import shapely  # type: ignore[import-untyped]

from cargotrace.geo.sphere import KM_PER_DEG
from cargotrace.publish.features import Feature, FeatureSet, GeomType, Layer
from cargotrace.publish.params import SvgMapParams
from cargotrace.publish.svgframe import LEGEND_STRIP_PX, Frame, fit_frame, line_lons
from cargotrace.publish.svgroutes import RankedLine, rank_css, rank_label, rank_of, ranked_routes

__all__ = ["render_svg_map"]

ROUTE_MODES = ("sea", "ferry", "rail", "road")
# where a place's label may go (dx, dy of the baseline, anchor), nearest first
LABEL_SPOTS = ((6.0, 4.0, "start"), (-6.0, 4.0, "end"), (0.0, -8.0, "middle"),
               (0.0, 16.0, "middle"),
               *((dx, 4.0 + sign * k * 13.0, a) for k in (1, 2, 3) for sign in (-1, 1)
                 for dx, a in ((6.0, "start"), (-6.0, "end"))))
EVENT_COLOURS = {
    "gap": "#d62828", "dark_voyage": "#8b0000", "possible_dark_port_call": "#e76f93",
    "encounter": "#f77f00", "loitering": "#e9b200", "port_visit": "#2a9d8f",
    "identity": "#7b2cbf", "draught_change": "#8d5524", "sanction_match": "#000000",
    "shuttle": "#264653",
}
CSS = """
.sea{fill:#dcebf5}.land{fill:#f1eee4;stroke:#b3ab98;stroke-width:0.5;fill-rule:evenodd}
.route{fill:none;stroke-linecap:round;stroke-linejoin:round}
.route-sea{stroke:#1f7ac0;stroke-width:2.5;stroke-dasharray:7 4}
.route-ferry{stroke:#40a0e0;stroke-width:2.5;stroke-dasharray:2 4}
.route-rail-casing{stroke:#202020;stroke-width:3.5}
.route-rail{stroke:#ffffff;stroke-width:1.6;stroke-dasharray:6 6}
.route-road{stroke:#ff8c1a;stroke-width:2.5}.route-other{stroke:#808080;stroke-width:2}
.track{fill:none;stroke:#8e4f9c;stroke-width:1.1;stroke-opacity:0.75;stroke-linejoin:round}
.event{stroke:#ffffff;stroke-width:0.8}.event-line{fill:none;stroke-width:1.6;
stroke-dasharray:3 3}
.place{fill:#ffffff;stroke:#000000;stroke-width:1.4}
.label{font:600 11px sans-serif;fill:#111111;stroke:#ffffff;stroke-width:3;
paint-order:stroke;stroke-linejoin:round}
.legend-box{fill:#ffffff;fill-opacity:0.9;stroke:#999999;stroke-width:0.6}
.legend-text,.scale-text{font:10px sans-serif;fill:#222222}
.attribution{font:8px sans-serif;fill:#444444;stroke:#ffffff;stroke-width:2;
paint-order:stroke}.title{font:700 14px sans-serif;fill:#111111}
.scale{stroke:#222222;stroke-width:1.2;fill:none}
.legend-mode.route-sea,.legend-mode.route-ferry,.legend-mode.route-road,
.legend-mode.route-rail-casing{stroke:#6b6b6b}
"""
LEGEND_LINE_PX = 11.0  # a wrapped legend text's line height
LEGEND_CHAR_PX = 5.6  # an average character of the 10 px legend font
LEGEND_MAX_LINES = 4


def _path(xs: Any, ys: Any, close: bool = False) -> str:
    pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    return f"M{pts}{'Z' if close else ''}"


def _land(frame: Frame, params: SvgMapParams) -> list[str]:
    from cargotrace.routes.countries import country_polygons

    polygons = country_polygons()
    geoms, tree = polygons.geoms, polygons.tree
    lon_lo, lon_hi = frame.lon_range
    lat_lo, lat_hi = frame.lat_range
    paths: list[str] = []
    for shift in (-360.0, 0.0, 360.0):  # the frame may extend past ±180
        box = (lon_lo - shift, max(lat_lo, -90.0), lon_hi - shift, min(lat_hi, 90.0))
        if box[2] < -180 or box[0] > 180:
            continue
        for i in tree.query(shapely.box(*box)):
            clipped = shapely.clip_by_rect(geoms[i], *box)
            if clipped.is_empty:
                continue

            def to_px(c: Any, shift: float = shift) -> Any:
                x, y = frame.xy(c[:, 0] + shift, c[:, 1])
                return np.column_stack([x, y])

            projected = shapely.simplify(shapely.transform(clipped, to_px), params.simplify_px)
            paths.extend(_polygon_paths(projected))
    return paths


def _polygon_paths(geom: Any) -> list[str]:
    polys = [geom] if geom.geom_type == "Polygon" else [
        g for g in getattr(geom, "geoms", []) if g.geom_type == "Polygon"]
    out = []
    for poly in polys:
        if poly.is_empty or poly.area < 0.5:
            continue
        rings = [poly.exterior, *poly.interiors]
        d = "".join(_path(np.asarray(r.coords)[:, 0], np.asarray(r.coords)[:, 1], close=True)
                    for r in rings)
        out.append(f'<path class="land" d="{d}"/>')
    return out


def _line_xy(frame: Frame, feature: Feature, simplify_px: float) -> tuple[Any, Any]:
    lons = line_lons(feature.coords)
    lons = lons + (float(frame.unwrap(lons[0])) - lons[0])
    x, y = frame.xy(lons, [c[1] for c in feature.coords])
    line = shapely.simplify(shapely.LineString(np.column_stack([x, y])), simplify_px)
    xs, ys = np.asarray(line.coords).T
    return xs, ys


def _title(text: str) -> str:
    return f"<title>{escape(text)}</title>" if text else ""


def _routes(frame: Frame, routes: list[Feature], params: SvgMapParams,
            avoid: list[tuple[float, float]]) -> tuple[list[str], list[str]]:
    """Route elements and rank numbers: ranked routes (svgroutes.py) by rank colour, the
    others by mode."""
    ranked = [RankedLine(f, rank, *_line_xy(frame, f, params.simplify_px))
              for f in routes if (rank := rank_of(f)) is not None]
    drawn, badges = ranked_routes(ranked, frame.width, frame.height, avoid)
    return _mode_routes(frame, [f for f in routes if rank_of(f) is None], params) + drawn, badges


def _mode_routes(frame: Frame, routes: list[Feature], params: SvgMapParams) -> list[str]:
    out = []
    for f in routes:
        mode = f.mode if f.mode in ROUTE_MODES else "other"
        d = _path(*_line_xy(frame, f, params.simplify_px))
        if mode == "rail":
            out.append(f'<g class="route-rail-group" data-mode="rail">{_title(f.name)}'
                       f'<path class="route route-rail-casing" d="{d}"/>'
                       f'<path class="route route-rail" d="{d}"/></g>')
        else:
            out.append(f'<path class="route route-{mode}" data-mode="{mode}" d="{d}">'
                       f'{_title(f.name)}</path>')
    return out


def _tracks(frame: Frame, tracks: list[Feature], params: SvgMapParams) -> list[str]:
    return [f'<path class="track" data-mmsi="{escape(str(f.properties.get("mmsi", "")))}" '
            f'd="{_path(*_line_xy(frame, f, params.simplify_px))}">{_title(f.name)}</path>'
            for f in tracks]


def _events(frame: Frame, events: list[Feature]) -> list[str]:
    out = []
    for f in events:
        kind = str(f.properties.get("kind") or "")
        colour = EVENT_COLOURS.get(kind, "#555555")
        tip = _title(f"{f.name} {f.start:%Y-%m-%d %H:%M}Z" if f.start else f.name)
        if f.geom_type is GeomType.LINE:
            xs, ys = _line_xy(frame, f, 0.0)
            out.append(f'<path class="event-line" data-kind="{kind}" stroke="{colour}" '
                       f'd="{_path(xs, ys)}">{tip}</path>')
        x, y = frame.xy(frame.unwrap([f.coords[0][0]]), [f.coords[0][1]])
        out.append(f'<circle class="event" data-kind="{kind}" fill="{colour}" '
                   f'cx="{x[0]:.1f}" cy="{y[0]:.1f}" r="4">{tip}</circle>')
    return out


def _place_points(frame: Frame, places: list[Feature]) -> list[tuple[float, float]]:
    return [(float(x[0]), float(y[0])) for x, y in (
        frame.xy(frame.unwrap([f.coords[0][0]]), [f.coords[0][1]]) for f in places)]


def _places(frame: Frame, places: list[Feature]) -> tuple[list[str], list[str]]:
    marks, labels = [], []
    taken: list[tuple[float, float, float, float]] = []
    for f in sorted(places, key=lambda p: p.name):
        x, y = (float(v[0]) for v in frame.xy(frame.unwrap([f.coords[0][0]]), [f.coords[0][1]]))
        marks.append(f'<circle class="place" cx="{x:.1f}" cy="{y:.1f}" r="3.5">'
                     f'{_title(f.name)}</circle>')
        w, h = 6.2 * len(f.name) + 2, 12.0
        best = None
        for dx, dy, anchor in LABEL_SPOTS:
            left = x + dx - (w if anchor == "end" else w / 2 if anchor == "middle" else 0)
            left = min(max(left, 2.0), frame.width - w - 2)
            top = min(max(y + dy - 10, 2.0), frame.height - h - 2)
            box = (left, top, left + w, top + h)
            if best is None:
                best = box
            if not any(b[0] < box[2] and box[0] < b[2] and b[1] < box[3] and box[1] < b[3]
                       for b in taken):
                best = box
                break
        assert best is not None
        taken.append(best)
        labels.append(f'<text class="label" x="{best[0]:.1f}" y="{best[1] + 10:.1f}">'
                      f"{escape(f.name)}</text>")
    return marks, labels


def _legend_corner(features: list[Feature], frame: Frame, width: float,
                   height: float) -> tuple[float, float]:
    """The corner (top right first) whose legend box would hide the least: places first, then
    events, then line vertices; the bottom corners leave room for the scale bar and credits."""
    xs: list[float] = []
    ys: list[float] = []
    for f in features:
        # hiding a place (its label) is worse than an event, which is worse than a line vertex
        weight = {Layer.PLACE: 10_000, Layer.EVENT: 100}.get(f.layer, 1)
        if not f.coords:
            continue
        x, y = frame.xy(frame.unwrap([c[0] for c in f.coords]), [c[1] for c in f.coords])
        xs.extend(list(map(float, x)) * weight)
        ys.extend(list(map(float, y)) * weight)
    px, py = np.asarray(xs), np.asarray(ys)
    corners = [(frame.width - width - 10, 10.0), (10.0, 10.0),
               (frame.width - width - 10, frame.height - height - 60),
               (10.0, frame.height - height - 40)]

    def hidden(corner: tuple[float, float]) -> int:
        x0, y0 = corner
        return int(((px >= x0 - 8) & (px <= x0 + width + 8) & (py >= y0 - 8)
                    & (py <= y0 + height + 8)).sum())

    return min(corners, key=hidden)  # min keeps the first of equals: top right by default


def _wrap(text: str, chars: int) -> list[str]:
    """Greedy word wrap to `chars` a line, at most LEGEND_MAX_LINES (the last ends in '…')."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > LEGEND_MAX_LINES:
        lines = lines[:LEGEND_MAX_LINES]
        lines[-1] = lines[-1][:chars - 1].rstrip() + "…"
    return lines or [""]


def _legend_rows(features: list[Feature], chars: int) -> list[tuple[str, list[str], str]]:
    """(symbol, text lines, tooltip) per legend row: ranks first, then modes (their dash
    patterns, grey when ranks give the colours), tracks, event kinds, places."""
    rows: list[tuple[str, list[str], str]] = []
    routes = [f for f in features if f.layer is Layer.ROUTE]
    ranks: dict[int, str] = {}
    for f in routes:
        rank = rank_of(f)
        if rank is not None:
            ranks.setdefault(rank, rank_label(f))
    for rank, label in sorted(ranks.items()):
        rows.append((f'<rect class="rank-swatch rank-{rank}" x="0" y="-3" width="24" '
                     f'height="6" rx="2"/>', _wrap(f"#{rank} {label}", chars), f"#{rank} {label}"))
    neutral = " legend-mode" if ranks else ""
    for mode in sorted({f.mode if f.mode in ROUTE_MODES else "other" for f in routes}):
        cls = (f"route route-rail-casing{neutral}" if mode == "rail"
               else f"route route-{mode}{neutral}")
        extra = '<path class="route route-rail" d="M0,0 L24,0"/>' if mode == "rail" else ""
        rows.append((f'<path class="{cls}" d="M0,0 L24,0"/>{extra}', [f"{mode} route"], ""))
    if any(f.layer is Layer.TRACK for f in features):
        rows.append(('<path class="track" d="M0,0 L24,0"/>', ["AIS track"], ""))
    kinds = sorted({str(f.properties.get("kind")) for f in features
                    if f.layer is Layer.EVENT and f.geom_type is not GeomType.NONE})
    for kind in kinds:
        colour = EVENT_COLOURS.get(kind, "#555555")
        rows.append((f'<circle class="event" fill="{colour}" cx="12" cy="0" r="4"/>',
                     [kind.replace("_", " ")], ""))
    if any(f.layer is Layer.PLACE for f in features):
        rows.append(('<circle class="place" cx="12" cy="0" r="3.5"/>', ["place"], ""))
    return rows


def _legend(features: list[Feature], frame: Frame, id_prefix: str = "",
            outside: bool = False) -> list[str]:
    width = LEGEND_STRIP_PX - 20.0 if outside else 170.0
    rows = _legend_rows(features, int((width - 40) / LEGEND_CHAR_PX))
    if not rows:
        return []
    height = 10 + sum(14 + LEGEND_LINE_PX * (len(lines) - 1) for _, lines, _ in rows)
    x0, y0 = ((frame.width + 10, 10.0) if outside
              else _legend_corner(features, frame, width, height))
    out = [f'<g id="{id_prefix}legend" transform="translate({x0:.1f},{y0:.1f})">',
           f'<rect class="legend-box" x="0" y="0" width="{width:.0f}" height="{height:.0f}"/>']
    y = 12.0
    for symbol, lines, tip in rows:
        text = "".join(f'<tspan x="32" dy="{0 if i == 0 else LEGEND_LINE_PX:.0f}">'
                       f"{escape(line)}</tspan>" for i, line in enumerate(lines))
        title = f"<title>{escape(tip)}</title>" if tip else ""
        out.append(f'<g transform="translate(8,{y:.0f})">{title}'
                   f'{symbol}<text class="legend-text" x="32" y="3.5">{text}</text></g>')
        y += 14 + LEGEND_LINE_PX * (len(lines) - 1)
    out.append("</g>")
    return out


def _scale_bar(frame: Frame, id_prefix: str = "") -> list[str]:
    """A bar of a round length at the map's centre latitude (Mercator scale varies with it)."""
    lat_lo, lat_hi = frame.lat_range
    lat_c = (lat_lo + lat_hi) / 2
    km_per_unit = KM_PER_DEG * math.cos(math.radians(lat_c)) / frame.scale
    target_km = km_per_unit * frame.width * 0.15
    exp = 10 ** math.floor(math.log10(target_km))
    km = max(m * exp for m in (1, 2, 5) if m * exp <= target_km)
    length = km / km_per_unit
    x0, y0 = 12.0, frame.height - 22.0
    label = f"{km:,.0f} km" if km >= 1 else f"{km * 1000:,.0f} m"
    return [f'<g id="{id_prefix}scale">'
            f'<path class="scale" d="M{x0:.1f},{y0 - 4:.1f} L{x0:.1f},{y0:.1f} '
            f'L{x0 + length:.1f},{y0:.1f} L{x0 + length:.1f},{y0 - 4:.1f}"/>'
            f'<text class="scale-text" x="{x0:.1f}" y="{y0 - 7:.1f}">{label} '
            f"(at {lat_c:.0f}°)</text></g>"]


def _group(id_prefix: str, name: str, body: list[str]) -> list[str]:
    return [f'<g id="{id_prefix}{name}">', *body, "</g>"]


def render_svg_map(features: FeatureSet | Iterable[Feature],
                   params: SvgMapParams | None = None,
                   attribution: Iterable[str] = ()) -> str:
    """The map as an SVG document string (layers: land, routes, tracks, events, places,
    labels, legend, scale, attribution; each a `<g id=...>`)."""
    params = params or SvgMapParams()
    if isinstance(features, FeatureSet):
        credits = [*features.attribution, *attribution]
        feats = list(features.features)
    else:
        credits, feats = list(attribution), list(features)
    located = [f for f in feats if f.geom_type is not GeomType.NONE]
    frame = fit_frame(located, params)
    by_layer = {layer: [f for f in located if f.layer is layer] for layer in Layer}
    credits = list(dict.fromkeys([*credits, "Land: Natural Earth (public domain)"]))
    marks, labels = _places(frame, by_layer[Layer.PLACE])
    routes, badges = _routes(frame, by_layer[Layer.ROUTE], params,
                             _place_points(frame, by_layer[Layer.PLACE]))
    has_ranks = any(rank_of(f) is not None for f in by_layer[Layer.ROUTE])
    w, h = params.width_px, int(frame.height)
    total_w = w + (LEGEND_STRIP_PX if params.legend_outside else 0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {total_w} {h}" '
        f'width="{total_w}" height="{h}" role="img" '
        f'aria-label={quoteattr(params.title or "map")}>',
        f"<style>{CSS}{rank_css() if has_ranks else ''}</style>",
        f'<rect class="sea" x="0" y="0" width="{w}" height="{h}"/>',
        *([f'<rect fill="#ffffff" x="{w}" y="0" width="{LEGEND_STRIP_PX}" height="{h}"/>']
          if params.legend_outside else []),
        *_group(params.id_prefix, "land", _land(frame, params)),
        *_group(params.id_prefix, "routes", routes),
        *_group(params.id_prefix, "tracks", _tracks(frame, by_layer[Layer.TRACK], params)),
        *_group(params.id_prefix, "events", _events(frame, by_layer[Layer.EVENT])),
        *_group(params.id_prefix, "places", marks),
        *_group(params.id_prefix, "ranks", badges),
        *_group(params.id_prefix, "labels", labels),
        *_legend(located, frame, params.id_prefix, params.legend_outside),
        *_scale_bar(frame, params.id_prefix),
        f'<g id="{params.id_prefix}attribution">',
        *(f'<text class="attribution" x="{w - 6}" y="{h - 6 - 10 * i}" text-anchor="end">'
          f"{escape(text)}</text>" for i, text in enumerate(reversed(credits))),
        "</g>",
    ]
    if params.title:
        parts.append(f'<text class="title" x="12" y="22">{escape(params.title)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
