"""Loitering: hand-built tracks on both engines, and the simulator's `mixed` scenario.

The track builders are in factories.py and the scenario store in conftest.py, both shared with
test_encounters.py.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import cargotrace
from cargotrace.detect.loitering import detect_loitering
from cargotrace.detect.params import LoiteringParams
from cargotrace.detect.presets import GFW_LOITERING, RENDEZVOUS_LOITERING
from cargotrace.errors import ParamsError
from cargotrace.ingest.gazetteers import load_curated_gazetteer
from cargotrace.sim.evaluate import evaluate, read_events, read_truth
from cargotrace.sim.params import MatchParams
from cargotrace.store.engines import Engine, tables_on
from cargotrace.store.events import Event

from .factories import NAJIN, NAKHODKA, SEA, Leg, add_positions, near, ship
from .factories import SEA_T0 as T0

# --- hand-built tracks ---------------------------------------------------------------------


def loitering(engine: Engine, store: cargotrace.Store, rows: list[dict[str, Any]],
              params: LoiteringParams = GFW_LOITERING) -> list[Event]:
    add_positions(store, rows)
    load_curated_gazetteer(store)
    tables = tables_on(engine, store, ["positions", "places"])
    return detect_loitering(tables["positions"], tables["places"], params)


# --- the simulator's mixed scenario (built once per run: conftest.py's `mixed_meetings`) ------


@pytest.fixture(scope="module")
def mixed(mixed_sim: Path, mixed_meetings: Path) -> tuple[Path, Path]:
    return mixed_sim, mixed_meetings


def test_loitering_matches_the_simulated_truth(mixed: tuple[Path, Path]) -> None:
    out, store_path = mixed
    with cargotrace.open_store(store_path, read_only=True) as store:
        events = read_events(store)
    score = evaluate(events, read_truth(out / "truth.parquet"), MatchParams(),
                     kinds={"loitering"}).score("loitering")
    assert score.truth >= 20
    assert score.precision >= 0.95 and score.recall >= 0.95, score
    # edges come from the first and last slow position: a few minutes off at most
    assert score.start_error_max_min is not None and score.end_error_max_min is not None
    assert score.start_error_max_min <= 10 and score.end_error_max_min <= 10, score


def test_loitering_attributes(mixed: tuple[Path, Path]) -> None:
    _, store_path = mixed
    with cargotrace.open_store(store_path, read_only=True) as store:
        rows = store.con.execute(
            "SELECT start, \"end\", attrs, params FROM events WHERE kind = 'loitering'"
        ).fetchall()
    for start, end, attrs, params in rows:
        attrs, params = json.loads(attrs), json.loads(params)
        assert params["preset"] == "gfw" and params["min_duration_h"] == 2.0
        assert attrs["duration_h"] == pytest.approx((end - start).total_seconds() / 3600,
                                                     abs=1e-3)
        assert attrs["duration_h"] >= 2.0 and attrs["mean_speed_kn"] < 2.0
        # the simulator puts meetings 25+ km from port centres; radii are 3-6 km
        assert attrs["distance_from_port_km"] >= 15


# --- hand-built cases, on both engines ---------------------------------------------------------

def test_drift_offshore_is_loitering(engine: Engine, tmp_store: cargotrace.Store) -> None:
    rows = ship(1, SEA, T0, [Leg(120, 11.0, 90)], [Leg(180, 0.3, 45), Leg(120, 11.0, 90)])
    (event,) = loitering(engine, tmp_store, rows)
    assert event.mmsi == 1 and event.kind == "loitering"
    assert near(event.start, T0) and near(event.end, T0 + timedelta(hours=3))
    assert event.attrs["mean_speed_kn"] < 1.0 and event.attrs["distance_from_port_km"] > 100
    assert event.confidence == event.attrs["observed_share"] == 1.0  # heard throughout


def test_moored_in_port_is_not_loitering(engine: Engine, tmp_store: cargotrace.Store) -> None:
    rows = ship(1, NAKHODKA, T0, [Leg(120, 8.0, 0)], [Leg(720, 0.0), Leg(120, 8.0, 180)])
    assert loitering(engine, tmp_store, rows) == []


@pytest.mark.parametrize(
    ("legs", "found"),
    [
        pytest.param([Leg(600, 3.0, 90)], 0, id="slow_steaming_3kn"),
        pytest.param([Leg(90, 0.3)], 0, id="drift_1_5h_too_short"),
        # the hourly mean bridges a 20-minute move at 4 kn inside a long drift
        pytest.param([Leg(150, 0.3), Leg(20, 4.0, 90), Leg(150, 0.3)], 1, id="burst_bridged"),
    ],
)
def test_what_is_not_loitering(legs: list[Leg], found: int, tmp_store: cargotrace.Store) -> None:
    rows = ship(1, SEA, T0, [Leg(120, 11.0, 90)], [*legs, Leg(120, 11.0, 90)])
    assert len(loitering(Engine.DUCKDB, tmp_store, rows)) == found


def test_rendezvous_preset_finds_shorter_loitering(tmp_store: cargotrace.Store) -> None:
    rows = ship(1, SEA, T0, [Leg(120, 11.0, 90)], [Leg(90, 0.3), Leg(120, 11.0, 90)])
    (event,) = loitering(Engine.DUCKDB, tmp_store, rows, RENDEZVOUS_LOITERING)
    assert event.attrs["duration_h"] == pytest.approx(1.5, abs=0.2)


def test_a_shared_mmsi_is_two_tracks_when_segmented(tmp_store: cargotrace.Store) -> None:
    # two ships moored 220 km apart transmit one MMSI: averaged together, they make a ghost
    # loitering between the two ports; with identity segments they are two tracks in port
    rows = [*ship(1, NAKHODKA, T0, [], [Leg(180, 0.0)]),
            *ship(1, NAJIN, T0 + timedelta(seconds=15), [], [Leg(180, 0.0)])]
    add_positions(tmp_store, rows)
    load_curated_gazetteer(tmp_store)
    positions, places = tmp_store.positions, tmp_store.places
    (ghost,) = detect_loitering(positions, places)
    assert ghost.lon is not None and NAJIN[1] + 0.5 < ghost.lon < NAKHODKA[1] - 0.5
    segmented = positions.mutate(segment=(positions.lon > 131.5).cast("int64"))
    assert detect_loitering(segmented, places) == []


@pytest.mark.parametrize(
    ("silence_min", "events"),
    [pytest.param(40, 1, id="hole_40min_interpolated"),
     pytest.param(150, 2, id="hole_2_5h_splits")],
)
def test_reception_holes(silence_min: int, events: int, tmp_store: cargotrace.Store) -> None:
    silent = (T0 + timedelta(hours=3), T0 + timedelta(hours=3, minutes=silence_min))
    rows = ship(1, SEA, T0, [Leg(120, 11.0, 90)], [Leg(480, 0.3), Leg(120, 11.0, 90)],
                silent=silent)
    found = loitering(Engine.DUCKDB, tmp_store, rows)
    assert len(found) == events
    if events == 1:  # the hole's steps were interpolated: less than fully observed
        (event,) = found
        assert event.confidence == event.attrs["observed_share"]
        assert 0.8 < event.confidence < 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("max_speed_kn", 0, "max_speed_kn must be > 0, got 0"),
     ("min_port_distance_km", -1,
      "min_port_distance_km, min_shore_distance_nm and max_interpolate_gap_h must be >= 0"),
     ("resample_min", 180, "resample_min (180) must not exceed min_duration_h (2.0 h): a run "
                           "is measured in grid steps")],
)
def test_params_are_checked(field: str, value: Any, message: str) -> None:
    with pytest.raises(ParamsError) as info:
        LoiteringParams(**{field: value})
    assert str(info.value) == message


def test_the_nearest_place_is_found_chunk_by_chunk_as_in_one_matrix(
    tmp_store: cargotrace.Store,
) -> None:
    """`nearest_place_km` bounds its memory by taking points in chunks (the whole distance
    matrix against the world gazetteer took ~7 GB on a 100M store without places); the
    answer is the plain one-matrix argmin, point by point, checked here with numpy."""
    import numpy as np

    from cargotrace.detect.loitering import NEAREST_CHUNK, nearest_place_km
    from cargotrace.geo import sphere
    from cargotrace.ingest.world_gazetteer import ensure_default_places

    ensure_default_places(tmp_store)
    places = tmp_store.con.sql(
        "SELECT place_id, lat, lon, radius_m FROM places ORDER BY place_id").to_arrow_table()
    assert places.num_rows > 1000  # the packaged world gazetteer
    rng = np.random.default_rng(16)
    n = 3 * NEAREST_CHUNK + 7  # several chunks and a partial one
    lat, lon = rng.uniform(-60, 70, n), rng.uniform(-180, 180, n)
    km, ids = nearest_place_km(lat, lon, places)
    frame = places.to_pandas()
    whole = sphere.haversine_km(lat[:, None], lon[:, None], frame.lat.to_numpy()[None, :],
                                frame.lon.to_numpy()[None, :]) - frame.radius_m.to_numpy() / 1000
    assert np.array_equal(km, np.maximum(whole.min(axis=1), 0.0))
    assert ids == list(frame.place_id.to_numpy()[whole.argmin(axis=1)])
