"""The nearest-station search measures only points in a station's latitude band: same answer as
measuring every point against every station."""

from __future__ import annotations

import numpy as np

from cargotrace.geo.sphere import haversine_km
from cargotrace.sim.reception import Station, nearest_station
from cargotrace.sim.scenarios import region_ports


def brute_force(lat: np.ndarray, lon: np.ndarray, reach_km: float,
                stations: list[Station]) -> np.ndarray:
    nearest = np.full(lat.size, -1)
    best = np.full(lat.size, np.inf)
    for i, st in enumerate(stations):
        d = haversine_km(lat, lon, st.lat, st.lon)
        closer = (d < best) & (d <= reach_km)
        nearest[closer] = i
        best[closer] = d[closer]
    return nearest


def test_nearest_station_matches_brute_force() -> None:
    _, ports = region_ports("sea-of-japan")
    stations = [Station(p.place_id, p.lat, p.lon) for p in ports]
    rng = np.random.default_rng(3)
    near = rng.integers(0, len(stations), 20_000)
    st_lat = np.array([s.lat for s in stations])[near]
    st_lon = np.array([s.lon for s in stations])[near]
    # points around the stations, many right at the edge of reach, plus open sea
    lat = np.concatenate([st_lat + rng.normal(0, 0.5, near.size), rng.uniform(33, 52, 5000)])
    lon = np.concatenate([st_lon + rng.normal(0, 0.7, near.size), rng.uniform(127, 142, 5000)])
    for reach_km in (35.0, 75.0, 300.0):
        got = nearest_station(lat, lon, reach_km, stations)
        assert np.array_equal(got, brute_force(lat, lon, reach_km, stations))
        assert 0 < (got >= 0).mean() < 1
