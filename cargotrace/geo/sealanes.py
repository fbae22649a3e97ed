"""Sea lanes: shortest paths on Eurostat's MARNET network as shipped by `searoute` 1.6.0.

Why MARNET through searoute: it is the network the simulator already sails (Apache-2.0 package,
MARNET © European Union / Eurostat, reused with attribution), and it is offline. We read its
graph (`searoute.setup_M()`, a networkx graph whose nodes are (lon, lat) and whose edges carry
`weight` in km and an optional `passage` tag) and run Dijkstra ourselves, so one search from a
port gives its distance to every other port (searoute's own call costs 0.1-0.3 s a pair).

A place joins the network at its nearest MARNET node by a straight approach leg, exactly like
`searoute(..., append_orig_dest=True)`: Najin -> Dunay is 249 km, not the 80 km between the two
snapped nodes. Passages named in `closed` (MARNET tags such as "suez") are not used. MARNET also
reaches the Caspian through the Volga–Don canal (river-sea vessels only): such routes are
reported with the Volga–Don chokepoint.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import networkx as nx  # type: ignore[import-untyped]

from cargotrace.geo.sphere import haversine_km

__all__ = ["SEA_ATTRIBUTION", "SeaNetwork", "SeaPath"]

SEA_ATTRIBUTION = ("Sea lanes: Eurostat MARNET (© European Union / Eurostat) via the searoute "
                   "package (Apache-2.0)")

LonLat = tuple[float, float]


@dataclass(frozen=True)
class SeaPath:
    distance_km: float
    coords: tuple[LonLat, ...]  # (lon, lat) from the origin place to the destination place


def _gc_km(a: LonLat, b: LonLat) -> float:
    return float(haversine_km(a[1], a[0], b[1], b[0]))


@dataclass
class SeaNetwork:
    """MARNET with per-(origin node, closed passages) Dijkstra results cached."""

    graph: Any = field(default=None)
    _trees: dict[tuple[LonLat, frozenset[str]], tuple[dict[Any, float], dict[Any, list[Any]]]] = (
        field(default_factory=dict))

    def __post_init__(self) -> None:
        if self.graph is None:
            self.graph = _marnet()

    def snap(self, lat: float, lon: float) -> LonLat:
        """The MARNET node nearest (lat, lon) in longitude-latitude degrees (searoute's own
        rule); within 10° of ±180 the nodes across the antimeridian are looked at too, and the
        nearer of the two candidates along the great circle wins."""
        node: LonLat = self.graph.kdtree.query((lon, lat))
        if abs(lon) > 170.0:
            across: LonLat = self.graph.kdtree.query((lon - 360.0 if lon > 0 else lon + 360.0,
                                                      lat))
            if _gc_km((lon, lat), across) < _gc_km((lon, lat), node):
                return across
        return node

    def _tree(self, node: LonLat, closed: frozenset[str]
              ) -> tuple[dict[Any, float], dict[Any, list[Any]]]:
        key = (node, closed)
        if key not in self._trees:
            def weight(u: Any, v: Any, data: dict[str, Any]) -> float | None:
                return None if data.get("passage") in closed else float(data["weight"])

            self._trees[key] = nx.single_source_dijkstra(self.graph, node, weight=weight)
        return self._trees[key]

    def distance_km(self, a: tuple[float, float], b: tuple[float, float],
                    closed: frozenset[str] = frozenset()) -> float:
        """Sea distance between two (lat, lon) places; inf when no open path."""
        na, nb = self.snap(*a), self.snap(*b)
        dist, _ = self._tree(na, closed)
        if nb not in dist:
            return math.inf
        return _gc_km((a[1], a[0]), na) + dist[nb] + _gc_km(nb, (b[1], b[0]))

    def path(self, a: tuple[float, float], b: tuple[float, float],
             closed: frozenset[str] = frozenset()) -> SeaPath:
        """The shortest sea path between two (lat, lon) places, with its polyline."""
        na, nb = self.snap(*a), self.snap(*b)
        dist, paths = self._tree(na, closed)
        if nb not in dist:
            return SeaPath(math.inf, ())
        coords = [(a[1], a[0]), *[(float(x), float(y)) for x, y in paths[nb]], (b[1], b[0])]
        return SeaPath(self.distance_km(a, b, closed), tuple(coords))


@functools.cache
def _marnet() -> Any:
    import searoute  # type: ignore[import-untyped]

    return _wrapped_at_antimeridian(searoute.setup_M())


def _wrapped_at_antimeridian(graph: Any) -> Any:
    """MARNET with every node's longitude in [-180, 180].

    Why: MARNET 1.6.0 draws part of the Bering Sea with longitudes past 180 (182.8 to 190.8),
    so the Bering Strait is two nodes, (190.85, 65.96) and (-169.15, 65.96), and that piece
    joins the rest only through a zero-length link at (180, 70): Anadyr to Nome went 2,641 km
    round the strait twice instead of through it once. Each such node is renamed to its
    longitude minus 360, merged with the node already there, if any (its edges keep their
    lengths, measured the short way), and the snapping tree is rebuilt."""
    from searoute.classes.kdtree import KDTree  # type: ignore[import-untyped]

    def key(lon: float, lat: float) -> tuple[float, float]:
        return round(lon, 6), round(lat, 6)

    outside = [n for n in graph.nodes if not -180.0 <= n[0] <= 180.0]
    if not outside:
        return graph
    inside = {key(*n): n for n in graph.nodes if -180.0 <= n[0] <= 180.0}
    for old in outside:
        lon = (old[0] + 180.0) % 360.0 - 180.0
        new = inside.setdefault(key(lon, old[1]), (lon, old[1]))
        for neighbour, data in list(graph.adj[old].items()):
            if neighbour in (old, new):
                continue
            known = graph.get_edge_data(new, neighbour)
            if known is None or known["weight"] > data["weight"]:
                graph.add_edge(new, neighbour, **data)
        graph.remove_node(old)
    graph.kdtree = KDTree(list(graph.nodes))
    return graph
