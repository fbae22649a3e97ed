"""Encounters: hand-built meetings on both engines, and the simulator's `mixed` scenario."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import cargotrace
from cargotrace.detect.encounters import detect_encounters
from cargotrace.detect.params import EncounterParams, IdentityParams
from cargotrace.detect.presets import GFW_ENCOUNTER, RENDEZVOUS_ENCOUNTER
from cargotrace.detect.segments import identity_segments
from cargotrace.errors import ParamsError
from cargotrace.ingest.gazetteers import load_curated_gazetteer
from cargotrace.sim.evaluate import evaluate, read_events, read_truth
from cargotrace.sim.params import MatchParams
from cargotrace.store.engines import Engine, tables_on
from cargotrace.store.events import Event, events_table

from .factories import NAKHODKA, SEA, Leg, add_positions, near, ship
from .factories import SEA_T0 as T0
from .factories import offset_m as offset

IN = [Leg(120, 11.0, 90)]  # arriving from the west at 11 kn
OUT = [Leg(120, 11.0, 180)]  # leaving southwards


def encounters(engine: Engine, store: cargotrace.Store, *tracks: list[dict[str, Any]],
               params: EncounterParams = GFW_ENCOUNTER) -> list[Event]:
    add_positions(store, [row for track in tracks for row in track])
    load_curated_gazetteer(store)
    tables = tables_on(engine, store, ["positions", "places"])
    return detect_encounters(tables["positions"], tables["places"], params)


def drifting_pair(at: tuple[float, float], hours: float, apart_m: float = 120.0, mmsi: int = 1
                  ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Ship `mmsi` and ship `mmsi` + 1 arrive from opposite sides and drift `apart_m` apart
    for `hours`."""
    drift = [Leg(hours * 60, 0.0)]
    return (ship(mmsi, at, T0, IN, [*drift, *OUT]),
            ship(mmsi + 1, offset(at, north_m=apart_m), T0, [Leg(120, 11.0, 270)],
                 [*drift, Leg(120, 11.0, 0)]))


# --- hand-built cases ------------------------------------------------------------------------


def test_drifting_side_by_side_offshore_but_not_moored_in_port(
    engine: Engine, tmp_store: cargotrace.Store
) -> None:
    """Ships 1 and 2 drift 120 m apart for 3 h mid-sea: one encounter. Ships 3 and 4 lie 30 m
    apart for 12 h in Nakhodka: a port, so none. Both pairs in one store and one detection
    per engine (a Spark detection costs seconds whatever its rows)."""
    found = encounters(engine, tmp_store, *drifting_pair(SEA, hours=3),
                       *drifting_pair(NAKHODKA, hours=12, apart_m=30, mmsi=3))
    (event,) = found  # nothing for the moored pair
    assert (event.kind, event.mmsi, event.other_mmsi) == ("encounter", 1, 2)
    assert near(event.start, T0) and near(event.end, T0 + timedelta(hours=3))
    assert event.attrs["median_distance_m"] == pytest.approx(120, abs=20)
    assert event.attrs["max_distance_m"] < 200 and event.attrs["mean_speed_kn"] < 0.5
    assert event.attrs["port_distance_km"] > 100 and event.attrs["runs"] == 1
    assert event.lat == pytest.approx(SEA[0], abs=0.01)
    assert event.confidence == event.attrs["observed_share"] == 1.0  # both heard throughout


@pytest.mark.parametrize(
    "other_legs",
    [
        # head-on, passing 300 m apart at 12 kn
        pytest.param(([Leg(120, 12.0, 270)], [Leg(120, 12.0, 270)]), id="passing_12kn"),
        # same course, 300 m abeam for four hours
        pytest.param(([Leg(120, 12.0, 90)], [Leg(240, 12.0, 90)]), id="convoy_12kn"),
    ],
)
def test_vessels_under_way_are_not_an_encounter(
    other_legs: tuple[list[Leg], list[Leg]], tmp_store: cargotrace.Store
) -> None:
    first = ship(1, SEA, T0, [Leg(120, 12.0, 90)], [Leg(240, 12.0, 90)])
    second = ship(2, offset(SEA, north_m=300), T0, *other_legs)
    assert encounters(Engine.DUCKDB, tmp_store, first, second) == []


def test_short_meeting_is_a_rendezvous_not_a_gfw_encounter(tmp_store: cargotrace.Store) -> None:
    first, second = drifting_pair(SEA, hours=1.5)
    assert encounters(Engine.DUCKDB, tmp_store, first, second) == []
    tables = tables_on(Engine.DUCKDB, tmp_store, ["positions", "places"])
    (event,) = detect_encounters(tables["positions"], tables["places"], RENDEZVOUS_ENCOUNTER)
    assert event.attrs["duration_h"] == pytest.approx(1.5, abs=0.15)


@pytest.mark.parametrize(("apart_m", "gfw", "rendezvous"),
                         [(200, 1, 1), (400, 1, 0), (600, 0, 0)])
def test_distance_thresholds(apart_m: float, gfw: int, rendezvous: int,
                             tmp_store: cargotrace.Store) -> None:
    # east-west apart, far north, where a degree of longitude is short
    at = (60.5, 3.0)
    first = ship(1, at, T0, IN, [Leg(180, 0.0), *OUT])
    second = ship(2, offset(at, east_m=apart_m), T0, [Leg(120, 11.0, 0)],
                  [Leg(180, 0.0), Leg(120, 11.0, 0)])
    assert len(encounters(Engine.DUCKDB, tmp_store, first, second)) == gfw
    tables = tables_on(Engine.DUCKDB, tmp_store, ["positions", "places"])
    found = detect_encounters(tables["positions"], tables["places"], RENDEZVOUS_ENCOUNTER)
    assert len(found) == rendezvous


# Minutes ship 2 is away (out and back at 6 kn each way) -> the runs of the encounters found:
# away 2 h the two meetings are one encounter of two runs; away 5 h they are two encounters.
AWAY_MIN_RUNS = {60: [2], 150: [1, 1]}
PAIRS_APART_M = 100_000  # the pairs of ships sail far enough apart never to be paired across


def test_meetings_less_than_4h_apart_merge(engine: Engine, tmp_store: cargotrace.Store) -> None:
    """Both cases in one store and one detection per engine (a Spark detection costs seconds
    whatever its rows): pair k is ships 2k+1 and 2k+2, PAIRS_APART_M north of pair k-1."""
    tracks = []
    for k, away_min in enumerate(AWAY_MIN_RUNS):
        at = offset(SEA, north_m=k * PAIRS_APART_M)
        # ship 2 leaves ship 1 for a while (out and back at 6 kn), then comes back alongside
        tracks += [ship(2 * k + 1, at, T0, IN, [Leg(300 + 2 * away_min, 0.0), *OUT]),
                   ship(2 * k + 2, offset(at, north_m=150), T0, [Leg(120, 11.0, 270)],
                        [Leg(150, 0.0), Leg(away_min, 6.0, 0), Leg(away_min, 6.0, 180),
                         Leg(150, 0.0), Leg(120, 11.0, 0)])]
    everything = encounters(engine, tmp_store, *tracks)
    assert {(e.mmsi, e.other_mmsi) for e in everything} == {(1, 2), (3, 4)}
    for k, (away_min, expected_runs) in enumerate(AWAY_MIN_RUNS.items()):
        found = sorted((e for e in everything if e.mmsi == 2 * k + 1), key=lambda e: e.start)
        assert [e.attrs["runs"] for e in found] == expected_runs
        assert near(found[0].start, T0)
        total_h = 5 + 2 * away_min / 60
        assert near(found[-1].end, T0 + timedelta(hours=total_h))
        if len(found) == 1:
            assert found[0].attrs["duration_h"] == pytest.approx(total_h, abs=0.2)
            assert found[0].attrs["close_h"] == pytest.approx(5, abs=0.3)


def test_reception_hole_is_interpolated(tmp_store: cargotrace.Store) -> None:
    first, second = drifting_pair(SEA, hours=4)
    silent = (T0 + timedelta(hours=1), T0 + timedelta(minutes=100))
    second = [r for r in second if not silent[0] <= r["ts"] < silent[1]]
    (event,) = encounters(Engine.DUCKDB, tmp_store, first, second)
    assert event.attrs["runs"] == 1 and event.attrs["duration_h"] == pytest.approx(4, abs=0.2)
    # 40 of the ~4 h was placed by interpolation: confidence is the share of steps both were heard
    steps = 4 * 60 / GFW_ENCOUNTER.resample_min
    assert event.confidence == event.attrs["observed_share"]
    assert event.confidence == pytest.approx(1 - 40 / GFW_ENCOUNTER.resample_min / steps, abs=0.1)
    assert event.confidence < 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("max_distance_m", -5, "max_distance_m must be > 0, got -5"),
     ("merge_gap_h", -1, "min_port_distance_km, min_shore_distance_nm, merge_gap_h and "
                         "max_interpolate_gap_h must be >= 0"),
     ("min_shore_distance_nm", -1, "min_port_distance_km, min_shore_distance_nm, merge_gap_h "
                                   "and max_interpolate_gap_h must be >= 0"),
     ("resample_min", 60, "resample_min (60) must not exceed min_duration_h (0.5 h): a run is "
                          "measured in grid steps")],
)
def test_params_are_checked(field: str, value: Any, message: str) -> None:
    with pytest.raises(ParamsError) as info:
        EncounterParams(**{"min_duration_h": 0.5, field: value})
    assert str(info.value) == message


def test_presets() -> None:
    assert (GFW_ENCOUNTER.max_distance_m, GFW_ENCOUNTER.min_duration_h) == (500.0, 2.0)
    assert (GFW_ENCOUNTER.max_speed_kn, GFW_ENCOUNTER.min_port_distance_km) == (2.0, 10.0)
    assert (GFW_ENCOUNTER.resample_min, GFW_ENCOUNTER.merge_gap_h) == (10, 4.0)
    assert (RENDEZVOUS_ENCOUNTER.max_distance_m, RENDEZVOUS_ENCOUNTER.min_duration_h) == (
        250.0, 0.5)


# --- the simulator's mixed scenario ------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed(mixed_sim: Path, mixed_meetings: Path) -> tuple[Path, Path]:
    return mixed_sim, mixed_meetings


def test_encounters_match_the_simulated_truth(mixed: tuple[Path, Path]) -> None:
    out, store_path = mixed
    with cargotrace.open_store(store_path, read_only=True) as store:
        events = read_events(store)
    score = evaluate(events, read_truth(out / "truth.parquet"), MatchParams(),
                     kinds={"encounter"}).score("encounter")
    assert score.truth == 8
    assert score.precision >= 0.95 and score.recall >= 0.95, score
    # start and end come from both vessels' own slow positions: minutes off at most
    assert score.start_error_max_min is not None and score.end_error_max_min is not None
    assert score.start_error_max_min <= 10 and score.end_error_max_min <= 10, score


def test_encounter_attributes(mixed: tuple[Path, Path]) -> None:
    _, store_path = mixed
    with cargotrace.open_store(store_path, read_only=True) as store:
        rows = store.con.execute(
            "SELECT mmsi, other_mmsi, attrs, params FROM events WHERE kind = 'encounter'"
        ).fetchall()
    assert rows
    for mmsi, other_mmsi, attrs, params in rows:
        attrs, params = json.loads(attrs), json.loads(params)
        assert mmsi < other_mmsi
        assert params["preset"] == "gfw" and params["max_distance_m"] == 500.0
        # the simulator's ships drift ±120 m around points about 185 m apart
        assert 120 <= attrs["median_distance_m"] <= 260 and attrs["max_distance_m"] <= 500
        assert attrs["mean_speed_kn"] < 2 and attrs["port_distance_km"] >= 15


def test_rendezvous_preset_finds_the_simulated_encounters(mixed: tuple[Path, Path]) -> None:
    out, store_path = mixed
    with cargotrace.open_store(store_path, read_only=True) as store:
        positions = identity_segments(store.positions, IdentityParams())
        found = detect_encounters(positions, store.places, RENDEZVOUS_ENCOUNTER)
    truth = read_truth(out / "truth.parquet")
    table = events_table(found, "rendezvous", RENDEZVOUS_ENCOUNTER)
    # The same meetings, but shorter: the simulated ships drift ±120 m around points about
    # 185 m apart, so they are within 250 m of each other only part of the time, and a
    # rendezvous covers 41-98 % of its meeting (seed 3). Hence a quarter overlap, not a half.
    score = evaluate(table, truth, MatchParams(min_overlap_fraction=0.25),
                     kinds={"encounter"}).score("encounter")
    assert score.precision == 1.0 and score.recall == 1.0, score
    truth_rows = {(min(r["mmsi"], r["other_mmsi"]), max(r["mmsi"], r["other_mmsi"])): r
                  for r in truth.to_pylist() if r["kind"] == "encounter"}
    for event in found:
        meeting = truth_rows[(event.mmsi, event.other_mmsi or 0)]
        assert event.start >= meeting["start"] - timedelta(minutes=10)
        assert event.end is not None and event.end <= meeting["end"] + timedelta(minutes=10)
        assert event.attrs["max_distance_m"] <= 250
