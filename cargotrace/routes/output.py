"""Route documents: the stable JSON contract and an RFC 7946 GeoJSON FeatureCollection.

JSON (`route --format json`): a list of routes, best first (the issue's contract); each
route has `attribution` (the sources to credit for it), `params`, `rank`, `summary`,
`distance_km`, `distance_by_mode_km`, `p10_h`, `p50_h`, `p90_h`, `mean_h`, `countries`,
`chokepoints`, `border_crossings`, `interdiction` and `legs`; each leg `from`, `to`, `from_id`,
`to_id`, `mode`, `distance_km`, `p10_h`, `p50_h`, `p90_h`, `mean_h`, `moving`, `stops`,
`countries`, `chokepoints`, `border_crossings`, `note` (and `international_waters_km`/`_h` on
sea and ferry legs). Documented in docs/concepts/routes.md.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from cargotrace.geo import sphere
from cargotrace.geo.sealanes import SEA_ATTRIBUTION
from cargotrace.routes.model import Route
from cargotrace.routes.params import RouteParams
from cargotrace.routes.rail import RAIL_ATTRIBUTION

__all__ = ["attribution", "routes_geojson", "routes_json"]


def attribution(routes: list[Route]) -> list[str]:
    """Sources to credit: OpenStreetMap (ODbL) whenever a route uses rail, MARNET for sea."""
    out = []
    if any(r.uses_rail for r in routes):
        out.append(RAIL_ATTRIBUTION)
    if any(leg.mode in ("sea", "ferry") for r in routes for leg in r.legs):
        out.append(SEA_ATTRIBUTION)
    out.append("Country borders: Natural Earth 1:10m admin-0 (public domain)")
    return out


def routes_json(routes: list[Route], params: RouteParams) -> list[dict[str, Any]]:
    """Each route carries its own attribution and parameters, so a route copied out of the
    list still credits OpenStreetMap and can be reproduced."""
    return [{**r.to_dict(), "attribution": attribution([r]), "params": asdict(params)}
            for r in routes]


def _geometry(coords: tuple[tuple[float, float], ...]) -> dict[str, Any]:
    """LineString with longitudes in -180..180, cut into a MultiLineString at the antimeridian
    (RFC 7946, section 3.1.9): each part ends, and the next begins, on ±180 at the latitude
    where the leg crosses it, so the drawn line has no hole there."""
    parts: list[list[list[float]]] = [[]]
    prev: tuple[float, float] | None = None
    for lon, lat in coords:
        lon = float(sphere.wrap_lon(lon))
        crossed = prev is not None and abs(lon - prev[0]) > 180.0
        if prev is not None and crossed:
            edge = 180.0 if prev[0] > 0 else -180.0
            step = float(sphere.lon_delta(prev[0], lon))
            at = prev[1] + (lat - prev[1]) * (edge - prev[0]) / (step if step else 1.0)
            parts[-1].append([edge, round(at, 5)])
            parts.append([[-edge, round(at, 5)]])
        point = [round(lon, 5), round(lat, 5)]
        if not (crossed and parts[-1] == [point]):  # a vertex on the meridian itself
            parts[-1].append(point)
        prev = (lon, lat)
    parts = [p for p in parts if len(p) >= 2]
    if len(parts) == 1:
        return {"type": "LineString", "coordinates": parts[0]}
    return {"type": "MultiLineString", "coordinates": parts}


def routes_geojson(routes: list[Route]) -> dict[str, Any]:
    """One Feature per leg, with the route's rank and totals and the leg's properties."""
    features = []
    for route in routes:
        for i, leg in enumerate(route.legs):
            props = {k: v for k, v in leg.to_dict().items()}
            props.update(route_rank=route.rank, leg_index=i, route_p50_h=round(route.time.p50_h, 1))
            features.append({"type": "Feature", "geometry": _geometry(leg.coords),
                             "properties": props})
    return {"type": "FeatureCollection", "features": features,
            "attribution": attribution(routes)}
