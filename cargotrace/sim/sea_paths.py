"""Sea routes between two points for simulated voyages, never across land.

Why: the simulator's tracks are test data for the detectors. A ship that sails over a peninsula
would teach a gap or spoofing detector the wrong thing, and an analyst looking at the demo map
would rightly stop trusting it. So a route follows real shipping lanes and is checked, every
50 m, against the land mask (`geo/landmask.py`).

How:
1. `searoute` gives the shortest path on the MARNET sea-lane network, with the straight legs
   from the origin and destination to the network appended (`append_orig_dest=True`; without it
   the route starts at the nearest network node, ~140 km from Najin). searoute only appends the
   legs when the points are passed as *lists*: with tuples its `origin != o_origin` test is
   False and the legs are silently dropped.
2. The polyline is followed along great circles and sampled every `CHECK_STEP_KM`. A point on a
   land cell is a crossing unless it lies within `port_exempt_km` of the origin or destination
   (ports sit on the coast; the mask is right to ~1 km) or inside a canal the mask cannot see
   (`landmask.MASK_BLIND_WATERWAYS`, e.g. Suez).
3. Each crossing (runs less than `MERGE_GAP_KM` apart count as one) is replaced by a detour:
   A* over the mask's own sea cells in a box around it, then straightened by dropping corners
   whose neighbours see each other over sea. The route is checked again; a route that cannot be
   repaired raises `ParamsError`.
4. The repaired lanes are straightened (`_straighten`): a corner is dropped while the great
   circle between its neighbours stays on water. MARNET has few nodes in open seas, and a ship
   sailing its zigzag looks, to a detector, like one making a detour (Maizuru -> Vostochny: 1,250
   km by the nodes, 830 across the sea).
5. Ports at most `direct_max_km` apart also get a direct path over the mask (the same A*), kept
   when shorter: MARNET has few nodes inside gulfs, so short hops otherwise detour by a factor
   of up to three (Vladivostok -> Nakhodka: 325 km by the lanes, 110 km direct).

Sea lanes: Eurostat MARNET via the searoute package (Apache-2.0).
"""

from __future__ import annotations

import functools
import logging
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import searoute  # type: ignore[import-untyped]
from numpy.typing import NDArray

from cargotrace.errors import ParamsError
from cargotrace.geo import landmask, sphere
from cargotrace.sim import route_cache

__all__ = ["CHECK_STEP_KM", "EARTH_RADIUS_KM", "MERGE_GAP_KM", "Route", "sea_route"]

logger = logging.getLogger(__name__)

EARTH_RADIUS_KM = sphere.EARTH_RADIUS_KM
"""Mean Earth radius (IUGG); every distance here is on this sphere, as in searoute."""

CHECK_STEP_KM = 0.05
"""Spacing of the land check along a route: much finer than a mask cell (~0.7-0.9 km)."""

MERGE_GAP_KM = 10.0
"""Land runs separated by less sea than this are repaired as one detour (smoother tracks)."""

_MAX_ROUNDS = 6
_DEDUP_KM = 1e-6
_DETOUR_MARGINS_CELLS = (6, 24, 72, 180, 360)  # box grown around a crossing until A* finds a path
_MAX_DETOUR_CELLS = 1_500_000

LatLon = tuple[float, float]
FloatArray = NDArray[np.float64]
OkFn = Callable[[FloatArray, FloatArray], NDArray[np.bool_]]


@dataclass(frozen=True, eq=False)
class Route:
    """A voyage's track: points at most `step_km` apart along great circles, all at sea.

    Arrays are read-only because routes are cached and shared between vessels.
    """

    lats: FloatArray
    lons: FloatArray
    cum_km: FloatArray  # distance from the origin at each point; cum_km[0] == 0
    length_km: float
    via: str  # "sea lanes" (MARNET, repaired) or "mask" (direct path over sea cells, short hops)
    land_crossings_repaired: int  # crossings of the sea-lane route replaced by a detour


def sea_route(
    origin: LatLon,
    dest: LatLon,
    *,
    step_km: float = 2.0,
    port_exempt_km: float = 3.0,
    restrictions: tuple[str, ...] = ("northwest",),
    direct_max_km: float = 300.0,
) -> Route:
    """Shortest sea route from `origin` to `dest`, both (lat, lon) in degrees, never over land.

    `restrictions` names searoute passages to avoid (babalmandab, bosporus, gibraltar, suez,
    panama, ormuz, northwest). When the ports are at most `direct_max_km` apart (great circle),
    a direct path over the mask's sea cells is also found and kept if shorter: MARNET has few
    nodes inside gulfs, so its Vladivostok -> Nakhodka route is 325 km against 110 km direct.
    Set it to 0 to use the sea lanes only. Results are cached per (origin, dest rounded to 1e-6
    degrees, and the options), in memory and on disk (`route_cache`).
    """
    for name, (lat, lon) in (("origin", origin), ("destination", dest)):
        if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
            raise ParamsError(f"{name} ({lat}, {lon}) is not a (lat, lon) pair in degrees")
    if not step_km > 0:
        raise ParamsError(f"step_km must be positive (got {step_km})")
    if not port_exempt_km >= 0:
        raise ParamsError(f"port_exempt_km must be zero or positive (got {port_exempt_km})")
    if not direct_max_km >= 0:
        raise ParamsError(f"direct_max_km must be zero or positive (got {direct_max_km})")
    return _sea_route_cached(
        (round(float(origin[0]), 6), round(float(origin[1]), 6)),
        (round(float(dest[0]), 6), round(float(dest[1]), 6)),
        float(step_km),
        float(port_exempt_km),
        tuple(sorted(set(restrictions))),
        float(direct_max_km),
    )


@functools.lru_cache(maxsize=512)
def _sea_route_cached(origin: LatLon, dest: LatLon, step_km: float, port_exempt_km: float,
                      restrictions: tuple[str, ...], direct_max_km: float) -> Route:
    """The route from memory, else from disk (`route_cache`), else computed."""
    key = (origin, dest, step_km, port_exempt_km, restrictions, direct_max_km)
    a = route_cache.cached(key, lambda: _compute_route(*key))
    for array in (a["lats"], a["lons"], a["cum_km"]):
        array.setflags(write=False)
    return Route(a["lats"], a["lons"], a["cum_km"], float(a["length_km"]), str(a["via"]),
                 int(a["repaired"]))


def _compute_route(origin: LatLon, dest: LatLon, step_km: float, port_exempt_km: float,
                   restrictions: tuple[str, ...], direct_max_km: float) -> dict[str, FloatArray]:
    direct_km = float(sphere.haversine_km(*origin, *dest))
    if direct_km < 1e-3:
        raise ParamsError(f"origin and destination are the same point {origin}: no route")
    raw = _searoute_points(origin, dest, restrictions)
    # Samples are CHECK_STEP_KM apart: exempting a little less than promised guarantees that
    # no point between two samples is on land farther than port_exempt_km from a port.
    exempt_km = max(port_exempt_km - CHECK_STEP_KM, 0.0)

    def ok(lats: FloatArray, lons: FloatArray) -> NDArray[np.bool_]:
        return _ok(lats, lons, origin, dest, exempt_km)

    vertices, repaired = _repair(raw, ok, origin, dest, exempt_km)
    # straight across open water: MARNET's few nodes there zigzag (Maizuru -> Vostochny by the
    # nodes is 1,250 km, across the sea 830), and a ship sailing the zigzag looks like one
    # making a detour to a port
    vertices = _straighten(vertices, ok)
    via = "sea lanes"
    if direct_km <= direct_max_km:
        ends = np.array([origin, dest])
        direct = _find_detour(ends[:, 0], ends[:, 1], ok, origin, dest, exempt_km)
        if direct is not None and sphere.path_length_km(direct) < sphere.path_length_km(vertices):
            vertices, _ = _repair(direct, ok, origin, dest, exempt_km)  # a check: repairs nothing
            via, repaired = "mask", 0
    lats, lons, _ = _densify(vertices, step_km)
    lats[0], lons[0] = origin
    lats[-1], lons[-1] = dest
    cum_km = np.concatenate([[0.0], np.cumsum(sphere.step_km(lats, lons))])
    logger.debug("sea route %s -> %s via %s: %.1f km, %d points, %d land crossings repaired",
                 origin, dest, via, cum_km[-1], lats.size, repaired)
    return {"lats": lats, "lons": lons, "cum_km": cum_km, "length_km": np.array(cum_km[-1]),
            "via": np.array(via), "repaired": np.array(repaired)}


def _searoute_points(origin: LatLon, dest: LatLon, restrictions: tuple[str, ...]) -> FloatArray:
    """searoute's polyline as an (n, 2) array of (lat, lon), starting and ending at the ports."""
    with warnings.catch_warnings(record=True) as caught:
        # searoute reports "no path" (e.g. every way restricted) only as a UserWarning and then
        # returns the straight line origin -> destination, over land: catch it and raise ours.
        warnings.simplefilter("always")
        feature = searoute.searoute(
            [origin[1], origin[0]],  # lists, not tuples: see the module docstring
            [dest[1], dest[0]],
            append_orig_dest=True,
            restrictions=list(restrictions),
        )
    coords = np.asarray(feature["geometry"]["coordinates"], dtype=np.float64).reshape(-1, 2)
    no_path = [str(w.message) for w in caught if str(w.message).startswith("No path found")]
    if no_path or coords.shape[0] < 2:
        raise ParamsError(
            f"no sea route from {origin} to {dest} avoiding {list(restrictions)} "
            f"(searoute: {'; '.join(no_path) or 'empty route'}); lift a restriction"
        )
    for w in caught:
        logger.warning("searoute %s -> %s: %s", origin, dest, w.message)
    points = coords[:, ::-1].copy()
    points[:, 1] = np.mod(points[:, 1] + 180.0, 360.0) - 180.0  # MARNET goes past 180 E
    points[0], points[-1] = origin, dest
    return _dedup(points)


def _dedup(points: FloatArray) -> FloatArray:
    """Drop consecutive repeats, keeping the last of each group (so the end point stays exact)."""
    keep = np.ones(points.shape[0], dtype=bool)
    keep[:-1] = sphere.step_km(points[:, 0], points[:, 1]) > _DEDUP_KM
    return points[keep]


def _densify(
    vertices: FloatArray, step_km: float
) -> tuple[FloatArray, FloatArray, NDArray[np.intp]]:
    """Points along the great circles between vertices at most `step_km` apart, and for each
    point the index of the segment it starts or lies on."""
    unit = sphere.to_unit(vertices[:, 0], vertices[:, 1])
    seg_km = sphere.step_km(vertices[:, 0], vertices[:, 1])
    n_per_seg = np.maximum(1, np.ceil(seg_km / step_km)).astype(np.intp)
    seg = np.repeat(np.arange(seg_km.size), n_per_seg)
    starts = np.cumsum(n_per_seg) - n_per_seg
    frac = (np.arange(seg.size) - starts[seg]) / n_per_seg[seg]
    points = np.vstack([sphere.slerp(unit[seg], unit[seg + 1], frac), unit[-1:]])
    lats, lons = sphere.from_unit(points)
    return lats, lons, np.append(seg, seg_km.size - 1)


# --- land check and repair ----------------------------------------------------------------------


def _ok(
    lats: FloatArray, lons: FloatArray, origin: LatLon, dest: LatLon, port_exempt_km: float
) -> NDArray[np.bool_]:
    """True where a point of a densely sampled line is allowed: at sea, near either port, or in
    a mask-blind canal.

    Two consecutive samples in diagonally adjacent cells mean the line passes through a corner
    region: both side cells must be sea too, or a line grazing a land cell by a few metres
    would slip between samples.
    """
    rows, cols = landmask.cell_index(lats, lons)
    sea = landmask.sea_cells(rows, cols)
    exempt = np.zeros_like(sea)
    if not sea.all():
        exempt |= sphere.haversine_km(lats, lons, *origin) <= port_exempt_km
        exempt |= sphere.haversine_km(lats, lons, *dest) <= port_exempt_km
        exempt |= landmask.in_mask_blind_waterway(lats, lons)
    ok = sea | exempt
    diagonal = (rows[1:] != rows[:-1]) & (cols[1:] != cols[:-1])
    if diagonal.any():
        sides_sea = landmask.sea_cells(rows[:-1], cols[1:]) & landmask.sea_cells(
            rows[1:], cols[:-1]
        )
        pair_ok = ~diagonal | sides_sea | exempt[:-1] | exempt[1:]
        ok[:-1] &= pair_ok
        ok[1:] &= pair_ok
    return ok


def _repair(
    vertices: FloatArray, ok: OkFn, origin: LatLon, dest: LatLon, port_exempt_km: float
) -> tuple[FloatArray, int]:
    """Replace every land crossing by a detour over sea; return the vertices and the count."""
    repaired = 0
    for _ in range(_MAX_ROUNDS):
        lats, lons, seg = _densify(vertices, CHECK_STEP_KM)
        bad = ~ok(lats, lons)
        if not bad.any():
            return vertices, repaired
        pieces: list[FloatArray] = []
        next_vertex = 0
        runs = _runs(bad, int(MERGE_GAP_KM / CHECK_STEP_KM))
        for k, (first, last) in enumerate(runs):
            before, after = first - 1, last + 1  # both ok: the ends of a route are always ok
            # An anchor on a land cell near a port is only ok thanks to the exemption, and the
            # cell may reach past it: detour from (or to) the port itself instead.
            if k == 0 and _on_land_near(lats[before], lons[before], origin, port_exempt_km):
                before = 0
            if k == len(runs) - 1 and _on_land_near(lats[after], lons[after], dest, port_exempt_km):
                after = lats.size - 1
            detour = _find_detour(
                lats[before : after + 1], lons[before : after + 1], ok, origin, dest, port_exempt_km
            )
            if detour is None:
                raise ParamsError(
                    f"no sea route from {origin} to {dest}: the sea lane crosses land near "
                    f"({lats[first]:.3f}, {lons[first]:.3f}) and no detour over sea was found; "
                    "move the point onto open water or lift a passage restriction"
                )
            pieces += [vertices[next_vertex : seg[before] + 1], detour]
            next_vertex = seg[after] + 1
            repaired += 1
        pieces.append(vertices[next_vertex:])
        vertices = _dedup(np.vstack(pieces))
    raise ParamsError(
        f"no sea route from {origin} to {dest}: land crossings remain after {_MAX_ROUNDS} "
        "rounds of repair"
    )


def _on_land_near(lat: float, lon: float, port: LatLon, exempt_km: float) -> bool:
    near = float(sphere.haversine_km(lat, lon, *port)) <= exempt_km
    return near and bool(landmask.is_land(lat, lon))


def _runs(bad: NDArray[np.bool_], merge_gap: int) -> list[tuple[int, int]]:
    """Maximal runs of True as (first, last) indices, merging runs fewer than merge_gap apart."""
    idx = np.flatnonzero(bad)
    breaks = np.flatnonzero(np.diff(idx) > merge_gap)
    firsts = np.concatenate([idx[:1], idx[breaks + 1]])
    lasts = np.concatenate([idx[breaks], idx[-1:]])
    return [(int(a), int(b)) for a, b in zip(firsts, lasts, strict=True)]


def _find_detour(
    lats: FloatArray,
    lons: FloatArray,
    ok: OkFn,
    origin: LatLon,
    dest: LatLon,
    port_exempt_km: float,
) -> FloatArray | None:
    """A path over sea cells from the first to the last point, as (lat, lon) vertices.

    The A* grid is the mask itself, so a path from cell centre to neighbouring cell centre
    stays inside sea cells (diagonal steps need both side cells at sea too). Cells near the
    ports and in mask-blind canals are passable, as in the route check.
    """
    rows, cols = landmask.cell_index(lats, lons)
    n_cols = 360 * round(1 / landmask.CELL_DEG)
    cols = cols[0] + np.mod(cols - cols[0] + n_cols // 2, n_cols) - n_cols // 2  # unwrap at 180
    for margin in _DETOUR_MARGINS_CELLS:
        r0, r1 = max(int(rows.min()) - margin, 0), int(rows.max()) + margin + 1
        c0, c1 = int(cols.min()) - margin, int(cols.max()) + margin + 1
        if (r1 - r0) * (c1 - c0) > _MAX_DETOUR_CELLS:
            return None
        passable = landmask.sea_window(r0, r1, c0, c1).copy()
        r1 = r0 + passable.shape[0]
        grid_r, grid_c = np.mgrid[r0:r1, c0:c1]
        c_lats, c_lons = landmask.cell_centre(grid_r, grid_c)
        # A cell near a port is passable only if all of it is within the exempt radius.
        cell_km = landmask.CELL_KM
        half_diagonal_km = 0.5 * np.hypot(cell_km, cell_km * np.cos(np.radians(c_lats)))
        for port in (origin, dest):
            port_km = sphere.haversine_km(c_lats, c_lons, *port)
            passable |= port_km + half_diagonal_km <= port_exempt_km
        passable |= landmask.in_mask_blind_waterway(c_lats, c_lons)
        start = (int(rows[0]) - r0, int(cols[0]) - c0)
        goal = (int(rows[-1]) - r0, int(cols[-1]) - c0)
        passable[start] = passable[goal] = True
        path = landmask.cell_path(passable, start, goal, c_lats[:, 0])
        if path is not None:
            inner = [(float(c_lats[p]), float(c_lons[p])) for p in path[1:-1]]
            corners = np.array([(lats[0], lons[0]), *inner, (lats[-1], lons[-1])])
            return _straighten(corners, ok)
    return None


def _straighten(corners: FloatArray, ok: OkFn) -> FloatArray:
    """Drop corners while the great circle between the kept neighbours stays ok (string pull)."""
    kept = [0]
    i, n = 0, corners.shape[0]
    while i < n - 1:
        j = i + 1
        while j + 1 < n and _segment_ok(corners[i], corners[j + 1], ok):
            j += 1
        kept.append(j)
        i = j
    return corners[kept]


def _segment_ok(a: FloatArray, b: FloatArray, ok: OkFn) -> bool:
    lats, lons, _ = _densify(np.vstack([a, b]), CHECK_STEP_KM)
    return bool(ok(lats, lons).all())
