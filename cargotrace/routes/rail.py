"""The world railway graph: read from the `scgraph-data` wheel, given countries, cached as Parquet.

Source: `scgraph_data/world_railways.py` in scgraph-data 2.0.0, a Python literal
`graph=[{neighbour: km, ...}, ...]` plus `nodes=[[lat, lon], ...]`, derived from OpenStreetMap
(ODbL 1.0: "© OpenStreetMap contributors"). We never import that module (its import needs
`scgraph.core`, which scgraph 3.6 no longer has) and never call scgraph's downloaders: the file
text is read with `importlib.resources` and parsed as data.

Why JSON rather than `ast.literal_eval`: the literal is JSON once `{`, `}` and `:` become `[`,
`]` and `,` (keys and values are plain numbers; the text is checked to hold nothing else), and
`json.loads` parses it in ~0.9 s against ~25 s for `ast.literal_eval`. Both evaluate no code.

The source is simplified and breaks into 787 pieces; some breaks are short gaps on real lines
(the Nakhodka/Vostochny branch is 1.7 km from the Trans-Siberian network). Pieces of one country
closer than `BRIDGE_GAP_KM` are joined by a straight "bridge" edge, flagged in the cache; pieces
of different countries never are (borders are crossed only at curated crossings).

Cold load (parse + countries + bridges + Parquet write) takes ~8 s; a warm load ~0.1 s.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import time
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from cargotrace.errors import UnreadableInputError
from cargotrace.geo.sphere import KM_PER_DEG, haversine_km
from cargotrace.routes.cache import cache_dir, write_parquet_atomic
from cargotrace.routes.countries import country_polygons

__all__ = ["RAIL_ATTRIBUTION", "RailData", "load_rail_data", "parse_world_railways"]

logger = logging.getLogger(__name__)

RAIL_ATTRIBUTION = "Railways © OpenStreetMap contributors (ODbL 1.0), via scgraph-data 2.0.0"
RAIL_PACKAGE = "scgraph_data"
RAIL_FILE = "world_railways.py"
CACHE_FORMAT = 2  # bump when what is cached changes
BRIDGE_GAP_KM = 2.0  # source gaps up to this long between pieces of one country are closed
_ALLOWED = re.compile(r"[0-9.,:\s{}\[\]eE+\-]*")


@dataclass(frozen=True, eq=False)
class RailData:
    """Nodes (lat, lon, ISO2 country) and undirected edges (u < v, length in km)."""

    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    country: NDArray[np.str_]
    u: NDArray[np.int64]
    v: NDArray[np.int64]
    length_km: NDArray[np.float64]
    bridge: NDArray[np.bool_]  # edge added to close a source gap (not in OpenStreetMap)

    @property
    def n_nodes(self) -> int:
        return int(self.lat.size)

    def nearest(self, lat: float, lon: float, country: str | None = None) -> tuple[int, float]:
        """(node, distance_km) of the node nearest (lat, lon), optionally within one country."""
        d = haversine_km(lat, lon, self.lat, self.lon)
        if country is not None:
            d = np.where(self.country == country, d, np.inf)
        node = int(np.argmin(d))
        return node, float(d[node])


def _assignments(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = re.match(r"^(graph|nodes)\s*=\s*(\[.*\])\s*$", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def parse_world_railways(text: str) -> tuple[NDArray[np.float64], NDArray[np.float64],
                                               NDArray[np.int64], NDArray[np.int64],
                                               NDArray[np.float64]]:
    """(lat, lon, u, v, length_km) from the literal; self-loops dropped, each pair once."""
    parts = _assignments(text)
    if set(parts) != {"graph", "nodes"}:
        raise UnreadableInputError(f"{RAIL_FILE}: expected `graph=[...]` and `nodes=[...]` lines")
    for name, value in parts.items():
        if not _ALLOWED.fullmatch(value):
            raise UnreadableInputError(f"{RAIL_FILE}: `{name}` holds more than numbers")
    adjacency = json.loads(parts["graph"].translate(str.maketrans("{}:", "[],")))
    coords = np.asarray(json.loads(parts["nodes"]), dtype=np.float64)
    if coords.ndim != 2 or coords.shape[1] != 2 or len(adjacency) != coords.shape[0]:
        raise UnreadableInputError(f"{RAIL_FILE}: graph and nodes differ in length")
    sizes = np.fromiter((len(row) // 2 for row in adjacency), dtype=np.int64, count=len(adjacency))
    flat = np.fromiter((x for row in adjacency for x in row), dtype=np.float64,
                       count=int(sizes.sum()) * 2)
    src = np.repeat(np.arange(len(adjacency), dtype=np.int64), sizes)
    dst, km = flat[0::2].astype(np.int64), flat[1::2]
    keep = src < dst  # the literal lists each edge from both ends; u == v are self-loops
    u, v, length = src[keep], dst[keep], km[keep]
    order = np.lexsort((length, v, u))
    u, v, length = u[order], v[order], length[order]
    first = np.ones(u.size, dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    return coords[:, 0].copy(), coords[:, 1].copy(), u[first], v[first], length[first]


def bridge_gaps(lat: NDArray[np.float64], lon: NDArray[np.float64], country: NDArray[np.str_],
                u: NDArray[np.int64], v: NDArray[np.int64], max_km: float = BRIDGE_GAP_KM
                ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Edges joining same-country pieces of the graph that lie within `max_km` of each other.

    For each pair of pieces, only their closest pair of nodes is joined.
    """
    import networkx as nx  # type: ignore[import-untyped]
    import shapely  # type: ignore[import-untyped]

    graph = nx.Graph()
    graph.add_nodes_from(range(lat.size))
    graph.add_edges_from(zip(u.tolist(), v.tolist(), strict=True))
    label = np.empty(lat.size, dtype=np.int64)
    for i, piece in enumerate(nx.connected_components(graph)):
        label[np.fromiter(piece, dtype=np.int64)] = i
    points = shapely.points(lon, lat)
    tree = shapely.STRtree(points)
    a, b = tree.query(points, predicate="dwithin", distance=max_km / KM_PER_DEG / np.maximum(
        np.cos(np.radians(lat)), 0.1))
    keep = (a < b) & (label[a] != label[b]) & (country[a] == country[b])
    a, b = a[keep], b[keep]
    km = haversine_km(lat[a], lon[a], lat[b], lon[b])
    ok = km <= max_km
    a, b, km = a[ok], b[ok], km[ok]
    la, lb = np.minimum(label[a], label[b]), np.maximum(label[a], label[b])
    order = np.lexsort((km, lb, la))
    first = np.ones(order.size, dtype=bool)
    first[1:] = (la[order][1:] != la[order][:-1]) | (lb[order][1:] != lb[order][:-1])
    pick = order[first]
    return a[pick].astype(np.int64), b[pick].astype(np.int64), km[pick]


def _cache_paths(folder: Path) -> tuple[Path, Path]:
    version = metadata.version("scgraph-data")
    stem = f"world_railways-scgraph_data-{version}-c{CACHE_FORMAT}"
    return folder / f"{stem}-nodes.parquet", folder / f"{stem}-edges.parquet"


@functools.cache
def _load_cached(folder: str) -> RailData:
    nodes_path, edges_path = _cache_paths(Path(folder))
    if nodes_path.exists() and edges_path.exists():
        try:
            nodes, edges = pq.read_table(nodes_path), pq.read_table(edges_path)
            return RailData(
                lat=nodes["lat"].to_numpy(), lon=nodes["lon"].to_numpy(),
                country=np.asarray(nodes["country"].to_pylist(), dtype=str),
                u=edges["u"].to_numpy(), v=edges["v"].to_numpy(),
                length_km=edges["length_km"].to_numpy(),
                bridge=edges["bridge"].to_numpy(zero_copy_only=False),
            )
        except (OSError, KeyError, pa.ArrowException) as exc:  # a damaged cache is rebuilt
            logger.warning("rail cache %s unreadable (%s): rebuilding", nodes_path, exc)
    start = time.perf_counter()
    text = (resources.files(RAIL_PACKAGE) / RAIL_FILE).read_text(encoding="utf-8")
    lat, lon, u, v, length = parse_world_railways(text)
    country = country_polygons().codes_at(lat, lon)
    bu, bv, bkm = bridge_gaps(lat, lon, country, u, v)
    bridge = np.concatenate([np.zeros(u.size, dtype=bool), np.ones(bu.size, dtype=bool)])
    u, v, length = np.concatenate([u, bu]), np.concatenate([v, bv]), np.concatenate([length, bkm])
    data = RailData(lat, lon, country, u, v, length, bridge)
    write_parquet_atomic(pa.table({"lat": lat, "lon": lon, "country": country.tolist()}),
                         nodes_path)
    write_parquet_atomic(pa.table({"u": u, "v": v, "length_km": length, "bridge": bridge}),
                         edges_path)
    logger.info("rail graph built and cached in %.1f s (%d gap bridges): %s",
                time.perf_counter() - start, bu.size, folder)
    return data


def load_rail_data(cache: str | Path | None = None) -> RailData:
    """The world railway graph with node countries; parsed once, then read from the cache."""
    return _load_cached(str(cache_dir(cache)))
