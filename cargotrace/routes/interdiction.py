"""Where a route could be watched or stopped: chokepoints, third-country ports, border crossings,
and time in international waters.

Why these: the 2022 reporting argued that sea routes to North Africa offer more chances to seize
cargo than rail through China; an analyst compares routes by how many such opportunities each
offers. International waters are where a flag state's consent, not a coastal state's, governs a
boarding: beyond `territorial_sea_nm` (12 nm, UNCLOS art. 3) from land.

Distance to land uses the Natural Earth 1:10m country polygons already loaded for rail borders,
sampled every `SAMPLE_KM` along the leg, rather than the 0.9 GB global land mask of
`geo/shore.py`: it answers a 17,000 km voyage in well under a second. It measures from the
coastline, not from legal baselines (which can lie far offshore), and misses islets below 1:10m
detail, so it overstates international waters somewhat near complex coasts.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely  # type: ignore[import-untyped]

from cargotrace.geo.sphere import KM_PER_DEG, KM_PER_NM
from cargotrace.routes.countries import country_polygons

if TYPE_CHECKING:
    from cargotrace.routes.model import Leg

__all__ = ["SAMPLE_KM", "international_waters_km", "interdiction_summary"]

SAMPLE_KM = 10.0


def _densify(coords: tuple[tuple[float, float], ...], step_km: float
             ) -> tuple[np.ndarray, np.ndarray, float]:
    """Points at most step_km apart along the polyline, and the length sampled (km)."""
    lon = np.array([c[0] for c in coords], dtype=np.float64)
    lat = np.array([c[1] for c in coords], dtype=np.float64)
    out_lon, out_lat = [lon[:1]], [lat[:1]]
    length = 0.0
    for i in range(lon.size - 1):
        k = math.cos(math.radians((lat[i] + lat[i + 1]) / 2))
        dlon = (lon[i + 1] - lon[i] + 180.0) % 360.0 - 180.0
        seg = math.hypot(dlon * k, lat[i + 1] - lat[i]) * KM_PER_DEG
        length += seg
        n = max(1, math.ceil(seg / step_km))
        t = np.arange(1, n + 1) / n
        out_lon.append(lon[i] + t * dlon)
        out_lat.append(lat[i] + t * (lat[i + 1] - lat[i]))
    return np.concatenate(out_lat), (np.concatenate(out_lon) + 180.0) % 360.0 - 180.0, length


def international_waters_km(coords: tuple[tuple[float, float], ...],
                            territorial_sea_nm: float = 12.0) -> float:
    """Length of the polyline ((lon, lat) points) farther than the territorial sea from land."""
    if len(coords) < 2:
        return 0.0
    lat, lon, length = _densify(coords, SAMPLE_KM)
    polygons = country_polygons()
    # a degree of longitude shrinks with latitude: widen the search so no land is missed
    reach_deg = territorial_sea_nm * KM_PER_NM / KM_PER_DEG / np.maximum(
        np.cos(np.radians(lat)), 0.05)
    points = shapely.points(lon, lat)
    pairs = polygons.tree.query(points, predicate="dwithin", distance=reach_deg)
    near = np.zeros(lat.size, dtype=bool)
    if pairs.size:
        pts, geoms = pairs
        # exact check on a local metric: the nearest land point of each candidate polygon
        lines = shapely.shortest_line(polygons.geoms[geoms], points[pts])
        land = shapely.get_coordinates(shapely.get_point(lines, 0))
        k = np.cos(np.radians(lat[pts]))
        dx = ((land[:, 0] - lon[pts] + 180.0) % 360.0 - 180.0) * k * KM_PER_DEG
        dy = (land[:, 1] - lat[pts]) * KM_PER_DEG
        close = np.hypot(dx, dy) <= territorial_sea_nm * KM_PER_NM
        near[pts[close]] = True
    return length * float((~near).mean())


def interdiction_summary(legs: tuple[Leg, ...], origin_country: str,
                         destination_country: str) -> dict[str, Any]:
    """Chokepoints, third-country ports and crossings a route offers, with hours at sea."""
    chokepoints = list(dict.fromkeys(c.name for leg in legs for c in leg.chokepoints))
    home = {origin_country, destination_country}
    ports: list[str] = []
    for i, leg in enumerate(legs):
        if leg.mode not in ("sea", "ferry"):
            continue
        for name, country in ((leg.from_name, leg.countries[0] if leg.countries else ""),
                              (leg.to_name, leg.countries[-1] if leg.countries else "")):
            is_end = (i == 0 and name == leg.from_name) or (
                i == len(legs) - 1 and name == leg.to_name)
            if country and country not in home and not is_end and name not in ports:
                ports.append(f"{name} ({country})")
    crossings = [c.name for leg in legs for c in leg.crossings]
    waters_h = sum(leg.international_waters_h or 0.0 for leg in legs)
    waters_known = any(leg.international_waters_km is not None for leg in legs)
    return {
        "chokepoints": chokepoints,
        "third_country_ports": ports,
        "border_crossings": crossings,
        "international_waters_h": round(waters_h, 1) if waters_known else None,
        "opportunities": len(chokepoints) + len(ports) + len(crossings),
    }
