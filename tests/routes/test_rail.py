"""The world railway graph: parsed from the scgraph-data wheel, cached, countries, borders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cargotrace.errors import UnreadableInputError
from cargotrace.routes import rail
from cargotrace.routes.network import RouteNetwork


def test_parse_matches_the_shared_csv_conversion(network: RouteNetwork,
                                                 shared_data: Path) -> None:
    data = network.rail.data
    rail_dir = shared_data / "rail"
    nodes = pd.read_csv(rail_dir / "scgraph_world_railways_nodes.csv")
    edges = pd.read_csv(rail_dir / "scgraph_world_railways_edges.csv")
    assert data.n_nodes == len(nodes)
    np.testing.assert_array_equal(data.lat, nodes["lat"].to_numpy())
    np.testing.assert_array_equal(data.lon, nodes["lon"].to_numpy())
    ours = pd.DataFrame({"u": data.u, "v": data.v, "km": data.length_km})[~data.bridge]
    joined = ours.merge(edges, on=["u", "v"], how="outer", indicator=True)
    assert (joined["_merge"] == "both").all()
    assert np.allclose(joined["km"], joined["length_km"])


def test_cache_round_trip(network: RouteNetwork, rail_cache: Path) -> None:
    files = sorted(p.name for p in rail_cache.glob("*.parquet"))
    assert len(files) == 2 and all("scgraph_data-2.0.0" in f for f in files)
    rail._load_cached.cache_clear()
    warm = rail.load_rail_data(rail_cache)
    cold = network.rail.data
    np.testing.assert_array_equal(warm.country, cold.country)
    np.testing.assert_array_equal(warm.u, cold.u)
    np.testing.assert_array_equal(warm.length_km, cold.length_km)
    np.testing.assert_array_equal(warm.bridge, cold.bridge)


def test_nodes_get_countries(network: RouteNetwork) -> None:
    data = network.rail.data
    for lat, lon, country in ((43.11, 131.89, "RU"), (42.24, 130.29, "KP"),
                              (49.6, 117.43, "CN"), (45.85, 40.12, "RU")):
        node, km = data.nearest(lat, lon)
        assert km < 10 and data.country[node] == country


def test_borders_are_crossed_only_at_curated_crossings(network: RouteNetwork) -> None:
    router = network.rail
    ids = {link.crossing.crossing_id for link in router.crossings}
    assert {"khasan-tumangang", "zabaykalsk-manzhouli", "grodekovo-suifenhe",
            "dostyk-alashankou"} <= ids
    assert router.removed_border_edges > 100  # the rest of the graph's border edges


def test_parser_refuses_code() -> None:
    with pytest.raises(UnreadableInputError, match="more than numbers"):
        rail.parse_world_railways("graph=[{1: 2.0}, {0: __import__('os')}]\nnodes=[[0, 0]]\n")
