"""Ranked routes on the SVG map: one colour per rank, parallel offsets, and a circled rank number
on each route where it runs apart from the others.

Why: a case's best hypotheses often share most of their way (three rail routes Dunay →
Tikhoretsk run together west of Zabaykalsk), so routes drawn by mode alone are identical lines
and "numbered by rank" means nothing. Here the colour says the rank and the dash pattern the
mode; routes of different ranks are drawn side by side (offset a few pixels) where they overlap,
and each rank's number is put on its own route at the point farthest from the other ranks'
routes (where a reader can tell it apart), away from places, other numbers and the map's
scale bar and credits. A route feature is ranked by its `hypothesis_rank` property (case maps)
or its `route_rank` (route exports).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import shapely  # type: ignore[import-untyped]

from cargotrace.publish.features import Feature

__all__ = ["RANK_COLOURS", "RankedLine", "rank_css", "rank_label", "rank_of", "ranked_routes"]

RANK_COLOURS = ("#1d4e89", "#c0392b", "#e08a00", "#6a3d9a", "#2e8b57", "#8c564b")
RANK_OFFSETS_PX = (0.0, 4.5, -4.5, 9.0, -9.0, 13.5)  # side by side where routes overlap
BADGE_R = 9.0
SAMPLE_PX = 10.0  # candidate positions for a rank number, along each route
APART_CAP_PX = 40.0  # farther than this from the other routes is far enough
MIN_BADGE_GAP_PX = 2.6 * BADGE_R
MODE_CLASSES = {"sea": "route-sea", "ferry": "route-ferry", "road": "route-road"}


def rank_of(f: Feature) -> int | None:
    """The rank a route feature is drawn with (None: an unranked route)."""
    for key in ("hypothesis_rank", "route_rank"):
        value = f.properties.get(key)
        if value is not None:
            return int(value)
    return None


def rank_label(f: Feature) -> str:
    """What the legend says after '#n': the hypothesis (case maps) or the route summary."""
    return str(f.properties.get("hypothesis") or f.properties.get("route_summary") or "")


def rank_colour(rank: int) -> str:
    return RANK_COLOURS[(rank - 1) % len(RANK_COLOURS)]


def rank_css() -> str:
    """Stroke and badge colours per rank (the mode classes give width and dashes)."""
    rules = []
    for i, colour in enumerate(RANK_COLOURS, 1):
        rules.append(f".rank-{i}.route-sea,.rank-{i}.route-ferry,.rank-{i}.route-road,"
                     f".rank-{i}.route-rail-casing,.rank-{i}.route-other{{stroke:{colour}}}"
                     f".rank-badge.rank-{i} circle,.rank-swatch.rank-{i}{{fill:{colour}}}")
    return "".join(rules) + (
        ".rank-badge circle{stroke:#ffffff;stroke-width:1.5}"
        ".rank-badge text{font:700 11px sans-serif;fill:#ffffff;text-anchor:middle}")


@dataclass(frozen=True)
class RankedLine:
    """A route feature's line in viewBox units, before its rank's offset."""

    feature: Feature
    rank: int
    xs: Any
    ys: Any


def _path(xs: Any, ys: Any) -> str:
    return "M" + " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))


def _offset(line: RankedLine, width: float, height: float) -> Any:
    """The line moved sideways by its rank's offset (clipped to the frame)."""
    xy = np.column_stack([line.xs, line.ys])
    if len(xy) < 2:
        return xy
    distance = RANK_OFFSETS_PX[(line.rank - 1) % len(RANK_OFFSETS_PX)]
    if distance:
        moved = shapely.offset_curve(shapely.LineString(xy), distance, join_style="round")
        parts = [moved] if moved.geom_type == "LineString" else list(getattr(moved, "geoms", []))
        parts = [p for p in parts if not p.is_empty and p.geom_type == "LineString"]
        if parts:
            xy = np.asarray(max(parts, key=lambda p: p.length).coords)
    return np.column_stack([np.clip(xy[:, 0], 0, width), np.clip(xy[:, 1], 0, height)])


def _draw(line: RankedLine, xy: Any) -> str:
    f, rank = line.feature, line.rank
    title = f"<title>{escape(f.name)}</title>" if f.name else ""
    d = _path(xy[:, 0], xy[:, 1])
    if f.mode == "rail":
        return (f'<g class="route-rail-group rank-{rank}" data-mode="rail" data-rank="{rank}">'
                f'{title}<path class="route route-rail-casing rank-{rank}" d="{d}"/>'
                f'<path class="route route-rail rank-{rank}" d="{d}"/></g>')
    cls = MODE_CLASSES.get(f.mode, "route-other")
    return (f'<path class="route {cls} rank-{rank}" data-mode="{f.mode}" data-rank="{rank}" '
            f'd="{d}">{title}</path>')


def _keep_out(x: Any, y: Any, width: float, height: float) -> Any:
    """Candidates a number must not sit on: the frame's edge, the scale bar (bottom left) and
    the credits (bottom right)."""
    m = BADGE_R + 4
    return ((x < m) | (x > width - m) | (y < m) | (y > height - m)
            | ((x < 180) & (y > height - 45)) | ((x > width - 340) & (y > height - 55)))


def _badge_spot(mine: list[Any], others: list[Any], placed: list[tuple[float, float]],
                avoid: Sequence[tuple[float, float]], width: float,
                height: float) -> tuple[float, float] | None:
    lines = [shapely.LineString(xy) for xy in mine if len(xy) >= 2]
    if not lines:
        return None
    drawable = [xy for xy in others if len(xy) >= 2]
    other = shapely.MultiLineString(drawable) if drawable else None
    best: tuple[float, tuple[float, float]] | None = None
    longest = max(line.length for line in lines)
    for line in lines:
        steps = np.arange(SAMPLE_PX / 2, max(line.length, SAMPLE_PX), SAMPLE_PX)
        pts = shapely.line_interpolate_point(line, steps)
        x, y = shapely.get_x(pts), shapely.get_y(pts)
        apart = (np.minimum(shapely.distance(pts, other), APART_CAP_PX) if other is not None
                 else np.full(len(pts), APART_CAP_PX))
        score = apart + 4.0 * (1 - np.abs(steps / max(line.length, 1e-9) - 0.5)) \
            + 2.0 * line.length / longest
        for px, py in (*placed, *avoid):
            near = np.hypot(x - px, y - py)
            score = score - np.where(near < MIN_BADGE_GAP_PX, 1000.0, 0.0)
        score = np.where(_keep_out(x, y, width, height), score - 500.0, score)
        i = int(np.argmax(score))
        if best is None or score[i] > best[0]:
            best = (float(score[i]), (float(x[i]), float(y[i])))
    return best[1] if best is not None else None


def ranked_routes(lines: list[RankedLine], width: float, height: float,
                  avoid: Sequence[tuple[float, float]] = ()) -> tuple[list[str], list[str]]:
    """(route elements, rank numbers) for the map's routes and its rank layer. Higher ranks
    are drawn first so #1 lies on top; `avoid`: points (places) a number must not cover."""
    moved = [(line, _offset(line, width, height)) for line in lines]
    routes = [_draw(line, xy) for line, xy in sorted(moved, key=lambda m: -m[0].rank)]
    badges: list[str] = []
    placed: list[tuple[float, float]] = []
    for rank in sorted({line.rank for line in lines}):
        mine = [xy for line, xy in moved if line.rank == rank]
        others = [xy for line, xy in moved if line.rank != rank]
        spot = _badge_spot(mine, others, placed, avoid, width, height)
        if spot is None:
            continue
        placed.append(spot)
        label = next((rank_label(line.feature) for line in lines if line.rank == rank), "")
        badges.append(
            f'<g class="rank-badge rank-{rank}" data-rank="{rank}">'
            f"<title>#{rank} {escape(label)}</title>"
            f'<circle cx="{spot[0]:.1f}" cy="{spot[1]:.1f}" r="{BADGE_R:.0f}"/>'
            f'<text x="{spot[0]:.1f}" y="{spot[1] + 4:.1f}">{rank}</text></g>')
    return routes, badges
