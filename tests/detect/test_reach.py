"""Receivers' reach (detect/reach.py): the geometry left_coverage asks of it, on hand-built
reaches. How a reach is drawn from real positions is tested end to end on the simulator's
regional feed, against the ports its receivers stand at (test_left_coverage.py)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

import cargotrace
from cargotrace.detect.params import CoverageParams
from cargotrace.detect.reach import Reach, Reaches, station_reaches
from cargotrace.errors import ParamsError
from cargotrace.geo import landmask, sphere
from cargotrace.store.engines import Engine, tables_on

from .factories import RECEIVER, T0, regional_feed, store_rows

HERE = (42.60, 132.30)  # Peter the Great Bay, open water; the coast 30 km north
REACH_KM = 25.0


@pytest.fixture
def reaches() -> Reaches:
    return Reaches({("rX", False): Reach("rX", False, *HERE, REACH_KM, 1000, 1.5)})


def test_a_vessel_heads_out_only_toward_open_sea_beyond_every_reach(reaches: Reaches) -> None:
    north = sphere.destination(np.full(4, HERE[0]), np.full(4, HERE[1]), np.zeros(4),
                               np.array([7.5, 15.0, 22.5, 30.0]))
    assert list(landmask.is_land(*north)) == [False, False, False, True]  # the construction
    # northward every point short of the coast is in reach: it must turn, it is not leaving
    assert not reaches.heading_out(*HERE, 0.0, False, 30.0)
    # southward open sea 30 km out is beyond the 25 km reach; 20 km out it is not
    assert reaches.heading_out(*HERE, 180.0, False, 30.0)
    assert not reaches.heading_out(*HERE, 180.0, False, 20.0)
    # no receiver's class B reach was drawn: nothing is covered for a class B transponder
    assert reaches.heading_out(*HERE, 180.0, True, 20.0)


def test_hours_to_the_edge_count_the_reach_and_its_resolution(reaches: Reaches) -> None:
    reach = reaches.of("rX", False)
    assert reach is not None and reaches.of("rX", True) is None and reaches.of(None, False) is None
    # 23 km out from the centre, 2 km inside: (2 + 1.5) km at 10 kn (18.52 km/h)
    lat, lon = sphere.destination(HERE[0], HERE[1], 180.0, 23.0)
    assert reaches.hours_to_edge(reach, float(lat), float(lon), 10.0) == pytest.approx(
        3.5 / 18.52, abs=1e-3)
    far_lat, far_lon = sphere.destination(HERE[0], HERE[1], 180.0, 40.0)
    assert reaches.hours_to_edge(reach, float(far_lat), float(far_lon), 10.0) == 0.0
    attrs = reaches.attrs(reach, float(lat), float(lon))
    assert attrs == {"reach_basis": "receiver", "reach_class": "A", "station_reach_km": 25.0,
                     "inside_reach_km": 2.0}


@pytest.mark.parametrize("field, value", [
    ("reach_quantile", 0.0), ("reach_quantile", 1.5), ("reach_cell_deg", 0.0),
    ("reach_min_positions", 0), ("reach_centre_max_offshore_nm", -1.0)])
def test_reach_parameters_are_checked(field: str, value: float) -> None:
    with pytest.raises(ParamsError, match=field):
        CoverageParams(**{field: value})


PORT = (42.80, 132.89)  # Nakhodka's port, on the coast


def test_a_receivers_reach_is_drawn_alike_on_both_engines(engine: Engine,
                                                          tmp_store: cargotrace.Store) -> None:
    """The hand-built regional feed (one receiver hearing 60 km) moved to a coastal port, with
    three ships moored at the receiver for a day: the centre is their cell, the class A reach
    is the 99th percentile (pandas) of the distances from it, and both engines draw the same
    reach. No class B position: no class B reach."""
    d_lat, d_lon = PORT[0] - RECEIVER[0], PORT[1] - RECEIVER[1]
    rows = [{**r, "lat": round(r["lat"] + d_lat, 6), "lon": round(r["lon"] + d_lon, 6)}
            for r in regional_feed(24, station="A")]
    rows += [{"mmsi": 273200000 + i, "ts": T0 + timedelta(minutes=3 * k), "lat": PORT[0],
              "lon": PORT[1], "sog": 0.0, "cog": None, "msg_type": 1, "station": "A"}
             for i in range(3) for k in range(480)]
    store_rows(tmp_store, rows)
    found = station_reaches(tables_on(engine, tmp_store, ["positions"])["positions"],
                            CoverageParams()).by_station
    on_duckdb = station_reaches(tables_on(Engine.DUCKDB, tmp_store, ["positions"])["positions"],
                                CoverageParams()).by_station
    assert found == on_duckdb and set(found) == {("A", False)}
    reach = found[("A", False)]
    assert sphere.distance_km(reach.lat, reach.lon, *PORT) < 1.5  # within the port's cell
    p = pd.DataFrame(rows)
    expected = np.quantile(sphere.haversine_km(p["lat"], p["lon"], *PORT), 0.99)
    assert reach.positions == len(p) and abs(reach.reach_km - expected) < 2.0
