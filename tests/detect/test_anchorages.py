"""A dense anchorage no gazetteer knows: encounter candidates stay bounded, true meetings stay.

60 ships wait for a day in one occupancy cell of open sea with no places loaded (the case the
issue measured: a port without places cost 8x and gave thousands of "encounters"), while two
other ships drift side by side for 3 h 30 km away. Every count is computed again here from the
rows themselves with pandas and numpy, not with the code under test.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

import cargotrace
from cargotrace.detect.anchorages import outside_crowds
from cargotrace.detect.encounters import (
    candidate_pairs,
    detect_encounters,
    encounter_crowding,
    scan_encounters,
    slow_steps,
)
from cargotrace.detect.params import EncounterParams
from cargotrace.detect.presets import GFW_ENCOUNTER
from cargotrace.detect.run import detect
from cargotrace.errors import ParamsError
from cargotrace.store.engines import Engine, tables_on, to_arrow

from .factories import SEA, Leg, add_positions, moored, ship
from .factories import SEA_T0 as T0
from .factories import offset_m as offset

CROWD = 60
HOURS = 24
EVERY_S = 600  # one report per grid step: the crowd's steps are easy to count
EARTH_KM = 6371.0088


def _cell_centre(at: tuple[float, float], cell_km: float) -> tuple[float, float]:
    """The middle of the 2 km occupancy cell around `at` (rows of cell_km of latitude, cells
    cell_km wide at the row's middle), so the whole crowd lies in one cell."""
    deg = cell_km / 111.195
    lat = (math.floor(at[0] / deg) + 0.5) * deg
    width = deg / math.cos(math.radians(lat))
    return lat, (math.floor(at[1] / width) + 0.5) * width


ANCHORAGE = _cell_centre(offset(SEA, north_m=30_000), GFW_ENCOUNTER.anchorage_cell_km)


def _crowd() -> list[dict[str, Any]]:
    """60 ships on a 6 x 10 grid 120 m apart (under 600 x 1,100 m, inside one 2 km cell),
    at rest for a day."""
    rows = []
    for i in range(CROWD):
        at = offset(ANCHORAGE, north_m=(i // 10 - 2.5) * 120, east_m=(i % 10 - 4.5) * 120)
        rows += moored(T0, HOURS, at, mmsi=100 + i, every_s=EVERY_S)
    return [{**r, "cog": 0.0} for r in rows]


def _pair() -> list[dict[str, Any]]:
    """Ships 1 and 2 arrive from opposite sides and drift 120 m apart for 3 h at SEA."""
    drift = [Leg(180, 0.0)]
    return [*ship(1, SEA, T0, [Leg(120, 11.0, 90)], [*drift, Leg(120, 11.0, 180)]),
            *ship(2, offset(SEA, north_m=120), T0, [Leg(120, 11.0, 270)],
                  [*drift, Leg(120, 11.0, 0)])]


def _haversine_m(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (np.sin((p2 - p1) / 2) ** 2
         + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_KM * 1000 * np.arcsin(np.sqrt(a))


def _steps(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Each ship's 10-minute steps: mean position and reported speed (pandas)."""
    df = pd.DataFrame(rows)
    df["step"] = df["ts"].map(lambda t: int(t.timestamp()) // 600)
    return df.groupby(["mmsi", "step"], as_index=False)[["lat", "lon", "sog"]].mean()


def _close_pairs(steps: pd.DataFrame, params: EncounterParams) -> int:
    """(pair, step) rows with both ships slower than max_speed_kn and within max_distance_m."""
    slow = steps[steps["sog"] < params.max_speed_kn]
    pairs = slow.merge(slow, on="step", suffixes=("", "_b"))
    pairs = pairs[pairs["mmsi"] < pairs["mmsi_b"]]
    far = _haversine_m(pairs["lat"], pairs["lon"], pairs["lat_b"], pairs["lon_b"])
    return int((far <= params.max_distance_m).sum())


def _candidates(store: cargotrace.Store, params: EncounterParams) -> int:
    tables = tables_on(Engine.DUCKDB, store, ["positions", "places"])
    slow = outside_crowds(slow_steps(tables["positions"], tables["places"], params), params)
    return to_arrow(candidate_pairs(slow, params)).num_rows


@pytest.fixture
def anchorage_store(tmp_store: cargotrace.Store) -> cargotrace.Store:
    add_positions(tmp_store, _crowd() + _pair())
    return tmp_store


def test_a_crowd_at_an_unknown_anchorage_pairs_nobody(
    engine: Engine, anchorage_store: cargotrace.Store, tmp_path: Any
) -> None:
    tables = tables_on(engine, anchorage_store, ["positions", "places"])
    found = detect_encounters(tables["positions"], tables["places"], GFW_ENCOUNTER)
    with cargotrace.open_store(tmp_path / "pair.duckdb") as alone:  # the pair, no crowd
        add_positions(alone, _pair())
        pair_tables = tables_on(engine, alone, ["positions", "places"])
        expected = detect_encounters(pair_tables["positions"], pair_tables["places"],
                                     GFW_ENCOUNTER)
    assert [(e.mmsi, e.other_mmsi) for e in expected] == [(1, 2)]
    assert [(e.event_id, e.start, e.end, e.attrs) for e in found] == [
        (e.event_id, e.start, e.end, e.attrs) for e in expected]


def test_candidate_pairs_are_bounded_and_counted(anchorage_store: cargotrace.Store) -> None:
    crowd, pair = _steps(_crowd()), _steps(_pair())
    # with the cap: only the drifting pair's close steps are candidates
    assert _candidates(anchorage_store, GFW_ENCOUNTER) == _close_pairs(pair, GFW_ENCOUNTER)
    # without it, every pair of the crowd within 500 m at every step (quadratic)
    uncapped = EncounterParams(anchorage_min_vessels=0)
    crowd_pairs = _close_pairs(crowd, uncapped)
    assert crowd_pairs > CROWD * HOURS * 6  # more candidate rows than the crowd has steps
    assert _candidates(anchorage_store, uncapped) == crowd_pairs + _close_pairs(pair, uncapped)
    # what was left out is recorded: one cell, per UTC day it spans, all 60 ships' steps
    tables = tables_on(Engine.DUCKDB, anchorage_store, ["positions", "places"])
    dropped = encounter_crowding(tables["positions"], tables["places"], GFW_ENCOUNTER)
    days = crowd["step"].map(lambda s: s * 600 // 86400).nunique()
    assert dropped == {"crowded_cells": days, "steps_not_paired": len(crowd),
                       "most_vessels_in_a_cell": crowd["mmsi"].nunique()}
    assert encounter_crowding(tables["positions"], tables["places"], uncapped)[
        "crowded_cells"] == 0


def test_a_run_counts_the_crowd_once_and_pairs_the_rest(
    anchorage_store: cargotrace.Store,
) -> None:
    """The detection run's one scan (slow steps found once, crowded cells grouped once) gives
    the encounters and the provenance the two separate calls give, and the run records it."""
    crowd = _steps(_crowd())
    expected = {"crowded_cells": crowd["step"].map(lambda s: s * 600 // 86400).nunique(),
                "steps_not_paired": len(crowd),
                "most_vessels_in_a_cell": crowd["mmsi"].nunique()}
    tables = tables_on(Engine.DUCKDB, anchorage_store, ["positions", "places"])
    scan = scan_encounters(tables["positions"], tables["places"], GFW_ENCOUNTER)
    alone = detect_encounters(tables["positions"], tables["places"], GFW_ENCOUNTER)
    assert scan.crowding == expected
    assert [(e.event_id, e.attrs) for e in scan.events] == [(e.event_id, e.attrs) for e in alone]
    assert [(e.mmsi, e.other_mmsi) for e in scan.events] == [(1, 2)]
    uncapped = EncounterParams(anchorage_min_vessels=0)
    assert scan_encounters(tables["positions"], tables["places"], uncapped).crowding == {
        "crowded_cells": 0, "steps_not_paired": 0, "most_vessels_in_a_cell": 0}
    summary = detect(anchorage_store, kinds=["encounter"])
    assert summary.written["encounter"] == 1
    assert summary.inputs["encounter"] == {"crowding": expected}
    stored = anchorage_store.con.execute(
        "SELECT params->'$.inputs.crowding' FROM events WHERE kind = 'encounter'").fetchall()
    assert [json.loads(row[0]) for row in stored] == [expected]


def test_a_crowd_below_the_cap_is_paired(anchorage_store: cargotrace.Store) -> None:
    """Raise the cap above the crowd and its ships are candidates again: the cap, not the
    crowd's position, is what leaves them out."""
    above = EncounterParams(anchorage_min_vessels=CROWD + 1)
    crowd_pairs = _close_pairs(_steps(_crowd()), above)
    assert _candidates(anchorage_store, above) == crowd_pairs + _close_pairs(
        _steps(_pair()), above)


@pytest.mark.parametrize("value", [-1, 1])
def test_cap_must_be_off_or_a_crowd(value: int) -> None:
    with pytest.raises(ParamsError, match="anchorage_min_vessels"):
        EncounterParams(anchorage_min_vessels=value)
