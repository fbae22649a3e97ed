"""Issue 14 on the real Solent capture (84 minutes, 91 vessels), fresh store, no `places load`,
with 30-minute minimums so that the capture can hold encounters and loitering at all.

Before the world gazetteer this reported 180 encounters and 63 loitering: ships moored side by
side in Southampton and Portsmouth. Now the ports are known, and what is left is six ships at
anchor off the Isle of Wight (St Helens Roads, 5-7.5 nm from land), which the default 20 nm
shore floor (GFW's) keeps out. Independent checks read the World Port Index file with pandas."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

import cargotrace
from cargotrace.detect.run import detect

SHORT = {"encounter.min_duration_h": "0.5", "loitering.min_duration_h": "0.5"}


def _km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Haversine, written here (not the code under test)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (np.sin((p2 - p1) / 2) ** 2
         + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0088 * np.arcsin(np.sqrt(a))


def test_solent_moored_ships_are_not_encounters(
    solent_store: Path, shared_data: Path, tmp_path: Path
) -> None:
    path = tmp_path / "s.duckdb"
    shutil.copyfile(solent_store, path)
    wpi = pd.read_csv(shared_data / "ports/UpdatedPub150.csv", encoding="utf-8-sig",
                      usecols=["Main Port Name", "Latitude", "Longitude"])
    with cargotrace.open_store(path) as store:
        positions = store.con.sql(
            "SELECT mmsi, lat, lon, sog FROM positions WHERE lat IS NOT NULL").df()
        off_floor = detect(store, kinds=["encounter", "loitering"],
                           overrides=SHORT | {"loitering.min_shore_distance_nm": "0"})
        events = store.con.sql("SELECT kind, lat, lon, attrs FROM events").df()
        default = detect(store, kinds=["encounter", "loitering"], overrides=SHORT)
    # independent: many ships lie stopped within 3 km of a WPI port point (the old encounters)
    near = [(_km(positions.lat.to_numpy(), positions.lon.to_numpy(), la, lo) <= 3.0)
            for la, lo in zip(wpi.Latitude, wpi.Longitude, strict=True)
            if abs(la - 50.8) < 1 and abs(lo + 1.2) < 1]
    moored = positions[np.logical_or.reduce(near) & (positions.sog.fillna(9) < 0.5)]
    assert moored.mmsi.nunique() >= 20
    assert off_floor.written["encounter"] == 0
    # every loitering left is at least 10 km from every WPI port point (raw file, any point)
    loiter = events[events.kind == "loitering"]
    assert len(loiter) == off_floor.written["loitering"] > 0
    for lat, lon in zip(loiter.lat, loiter.lon, strict=True):
        assert _km(wpi.Latitude.to_numpy(), wpi.Longitude.to_numpy(), lat, lon).min() > 10
        assert lat < 50.7  # south of Portsmouth and Ryde: off the Isle of Wight, not in port
    shore = [json.loads(a)["distance_from_shore_nm"] for a in loiter["attrs"]]
    assert max(shore) < 20  # the Solent is a strait: nothing in it is 20 nm from land
    assert default.written == {"encounter": 0, "loitering": 0}
