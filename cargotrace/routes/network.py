"""The multimodal network: rail (borders enforced), sea lanes, crossings, ferries and connectors.

Two levels. The physical networks stay as they are: the world railway graph with every
cross-border edge removed except those standing for a curated crossing (`RailRouter`), and
MARNET (`SeaNetwork`). On top, per query, a small graph of *hubs* (the curated gazetteer's places,
both sides of every crossing, and the query's own places) whose edges are shortest physical paths
between hubs, one node per (hub, mode), so a change of mode costs its dwell. Rail paths between
hubs are domestic; a route leaves a country only over a crossing edge, which carries the
crossing's dwell and records its gauges. A hub-to-hub edge is left out when a third hub lies on
its shortest path, so alternative routes differ in substance (ports, crossings, modes), not in
which hub they pass.

An off-network place (more than `rail_snap_km` from any rail node of its country, at most
`connector_max_km`) gets an explicit `road` connector leg to its railhead: never a silent snap.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cargotrace.geo.sealanes import SeaNetwork
from cargotrace.geo.sphere import haversine_km
from cargotrace.routes.crossings import Crossing, curated_crossings
from cargotrace.routes.params import RouteParams
from cargotrace.routes.place_book import is_sea_place
from cargotrace.routes.rail import RailData, load_rail_data
from cargotrace.store.places import Place

__all__ = ["CrossingLink", "Hub", "RailRouter", "RouteNetwork", "hubs_for"]


@dataclass(frozen=True)
class CrossingLink:
    crossing: Crossing
    node_a: int  # rail node on the country_a side
    node_b: int
    length_km: float


@dataclass(frozen=True)
class Hub:
    """A point where routes can start, end, change mode or cross a border."""

    key: str
    name: str
    lat: float
    lon: float
    country: str
    place: Place | None
    sea: bool
    rail_node: int | None = None  # node the hub reaches the railway at
    rail_gap_km: float = 0.0  # straight line from the hub to rail_node
    connector: bool = False  # the gap is bridged by an explicit road connector leg

    @property
    def railhead_key(self) -> str:
        return f"{self.key}~railhead" if self.connector else self.key


class RailRouter:
    """Shortest rail paths on domestic edges, plus the curated crossing edges."""

    def __init__(self, data: RailData, crossing_match_km: float) -> None:
        self.data = data
        c = data.country
        domestic = c[data.u] == c[data.v]
        adjacency: list[dict[int, float]] = [{} for _ in range(data.n_nodes)]
        for u, v, km in zip(data.u[domestic].tolist(), data.v[domestic].tolist(),
                            data.length_km[domestic].tolist(), strict=True):
            adjacency[u][v] = km
            adjacency[v][u] = km
        from scgraph import Graph  # type: ignore[import-untyped]

        self.graph: Any = Graph(adjacency)
        self.crossings = self._match_crossings(~domestic, crossing_match_km)
        self.removed_border_edges = int((~domestic).sum()) - len(self.crossings)
        self._trees: dict[int, Any] = {}

    def _match_crossings(self, border: np.ndarray, match_km: float) -> list[CrossingLink]:
        d = self.data
        bu, bv, bkm = d.u[border], d.v[border], d.length_km[border]
        links: list[CrossingLink] = []
        for crossing in curated_crossings():
            a, b = crossing.country_a, crossing.country_b
            cu, cv = d.country[bu], d.country[bv]
            pair = ((cu == a) & (cv == b)) | ((cu == b) & (cv == a))
            if not pair.any():
                continue
            dist = haversine_km(crossing.lat, crossing.lon, d.lat[bu], d.lon[bu])
            dist = np.where(pair, dist, np.inf)
            i = int(np.argmin(dist))
            if dist[i] > match_km:
                continue
            u, v = int(bu[i]), int(bv[i])
            node_a, node_b = (u, v) if d.country[u] == a else (v, u)
            links.append(CrossingLink(crossing, node_a, node_b, float(bkm[i])))
        return links

    def distances_from(self, node: int) -> np.ndarray:
        if node not in self._trees:
            tree = self.graph.get_shortest_path_tree(origin_id=node)
            self._trees[node] = np.asarray(tree["distance_matrix"], dtype=np.float64)
        found: np.ndarray = self._trees[node]
        return found

    def path(self, a: int, b: int) -> list[int]:
        if a == b:
            return [a]
        result = self.graph.dijkstra(origin_id=a, destination_id=b)
        return [int(n) for n in result["path"]]


@dataclass
class RouteNetwork:
    """The physical networks, loaded once per process and shared by every query."""

    rail: RailRouter
    sea: SeaNetwork
    params: RouteParams = field(default_factory=RouteParams)

    @classmethod
    def load(cls, params: RouteParams | None = None, cache: str | None = None) -> RouteNetwork:
        params = params or RouteParams()
        return _network(params.crossing_match_km, cache, params)


@functools.cache
def _network(match_km: float, cache: str | None, params: RouteParams) -> RouteNetwork:
    return RouteNetwork(RailRouter(load_rail_data(cache), match_km), SeaNetwork(), params)


def place_hub(net: RouteNetwork, place: Place, params: RouteParams) -> Hub:
    """A place as a hub: on the rail network, joined by a connector, or sea only."""
    data = net.rail.data
    country = place.country or ""
    node, gap = data.nearest(place.lat, place.lon, country or None)
    if not math.isfinite(gap):  # the place's country has no railway in the graph
        node, gap = data.nearest(place.lat, place.lon)
    base = dict(key=place.place_id, name=place.name, lat=place.lat, lon=place.lon,
                country=country or str(data.country[node]), place=place, sea=is_sea_place(place))
    if gap <= params.rail_snap_km:
        return Hub(**base, rail_node=node, rail_gap_km=gap)  # type: ignore[arg-type]
    if gap <= params.connector_max_km and place.kind != "chokepoint":
        return Hub(**base, rail_node=node, rail_gap_km=gap, connector=True)  # type: ignore[arg-type]
    return Hub(**base)  # type: ignore[arg-type]


def crossing_hubs(net: RouteNetwork) -> list[Hub]:
    data = net.rail.data
    hubs = []
    for link in net.rail.crossings:
        for side, node in (("a", link.node_a), ("b", link.node_b)):
            hubs.append(Hub(
                key=f"x:{link.crossing.crossing_id}:{side}",
                name=f"{link.crossing.name} ({data.country[node]} side)",
                lat=float(data.lat[node]), lon=float(data.lon[node]),
                country=str(data.country[node]), place=None, sea=False, rail_node=node))
    return hubs


def hubs_for(net: RouteNetwork, places: Iterable[Place], params: RouteParams) -> list[Hub]:
    """Hubs for a query: the given places (deduplicated) plus both sides of every crossing."""
    seen: dict[str, Hub] = {}
    for place in places:
        if place.place_id not in seen:
            seen[place.place_id] = place_hub(net, place, params)
    return list(seen.values()) + crossing_hubs(net)
