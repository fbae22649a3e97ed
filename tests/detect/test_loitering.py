"""Loitering: hand-built tracks on both engines, and the simulator's `mixed` scenario.

The track factory and the scenario store here are shared with test_encounters.py.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import cargotrace
from cargotrace.detect.encounters import detect_encounters
from cargotrace.detect.loitering import detect_loitering
from cargotrace.detect.params import IdentityParams, LoiteringParams
from cargotrace.detect.presets import GFW_ENCOUNTER, GFW_LOITERING, RENDEZVOUS_LOITERING
from cargotrace.detect.segments import identity_segments
from cargotrace.errors import ParamsError
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.ingest.places import load_curated_gazetteer, load_places
from cargotrace.sim.evaluate import evaluate, read_events, read_truth
from cargotrace.sim.params import MatchParams, ScenarioParams
from cargotrace.sim.run import simulate
from cargotrace.store.engines import Engine, tables_on
from cargotrace.store.events import Event, events_table, replace_events

T0 = datetime(2023, 9, 10, 6, tzinfo=UTC)
SEA = (38.5, 134.5)  # mid Sea of Japan, over 150 km from any port
NAKHODKA = (42.8, 132.883333)  # the curated gazetteer's Nakhodka (radius 4 km)
NAJIN = (42.233333, 130.3)  # and Najin (3 km)
KM_PER_DEG = 111.195


# --- hand-built tracks ---------------------------------------------------------------------


@dataclass(frozen=True)
class Leg:
    minutes: float
    speed_kn: float
    course_deg: float = 0.0


def moved(lat: float, lon: float, km: float, course_deg: float) -> tuple[float, float]:
    c = math.radians(course_deg)
    return (lat + km * math.cos(c) / KM_PER_DEG,
            lon + km * math.sin(c) / (KM_PER_DEG * math.cos(math.radians(lat))))


def offset(at: tuple[float, float], north_m: float = 0.0, east_m: float = 0.0
           ) -> tuple[float, float]:
    lat, lon = moved(*at, north_m / 1000, 0.0)
    return moved(lat, lon, east_m / 1000, 90.0)


def ship(
    mmsi: int, at: tuple[float, float], when: datetime, before: list[Leg], after: list[Leg],
    every_s: int = 30, silent: tuple[datetime, datetime] | None = None,
) -> list[dict[str, Any]]:
    """Positions of a class A ship that is at `at` at `when`, having sailed `before` and sailing
    `after` (each leg at a constant course and speed), with reported SOG noise of ±0.2 kn and
    GPS noise of about 5 m; nothing is received during `silent`."""
    rng = random.Random(mmsi)
    lat, lon = at
    for leg in reversed(before):
        lat, lon = moved(lat, lon, -leg.speed_kn * 1.852 * leg.minutes / 60, leg.course_deg)
    t = when - timedelta(minutes=sum(leg.minutes for leg in before))
    rows = []
    for leg in [*before, *after]:
        for _ in range(int(leg.minutes * 60 // every_s)):
            if silent is None or not silent[0] <= t < silent[1]:
                rows.append({
                    "mmsi": mmsi, "ts": t, "cog": leg.course_deg,
                    "lat": round(lat + rng.gauss(0, 5) / 1000 / KM_PER_DEG, 6),
                    "lon": round(lon + rng.gauss(0, 5) / 1000 / KM_PER_DEG, 6),
                    "sog": round(max(0.0, leg.speed_kn + rng.uniform(-0.2, 0.2)), 1),
                })
            lat, lon = moved(lat, lon, leg.speed_kn * 1.852 * every_s / 3600, leg.course_deg)
            t += timedelta(seconds=every_s)
    return rows


def add_positions(store: cargotrace.Store, rows: list[dict[str, Any]]) -> None:
    table = pa.table({
        "mmsi": pa.array([r["mmsi"] for r in rows], pa.int64()),
        "ts": pa.array([r["ts"] for r in rows], pa.timestamp("us", tz="UTC")),
        "lat": [r["lat"] for r in rows], "lon": [r["lon"] for r in rows],
        "sog": [r["sog"] for r in rows], "cog": [r["cog"] for r in rows],
        "source": ["test"] * len(rows), "ingest_id": pa.array([0] * len(rows), pa.int64()),
    })
    store.con.register("new_positions", table)
    store.con.execute("INSERT INTO positions BY NAME SELECT * FROM new_positions")
    store.con.unregister("new_positions")


def loitering(engine: Engine, store: cargotrace.Store, rows: list[dict[str, Any]],
              params: LoiteringParams = GFW_LOITERING) -> list[Event]:
    add_positions(store, rows)
    load_curated_gazetteer(store)
    tables = tables_on(engine, store, ["positions", "places"])
    return detect_loitering(tables["positions"], tables["places"], params)


def near(actual: datetime | None, expected: datetime, minutes: float = 10) -> bool:
    return actual is not None and abs(actual - expected) <= timedelta(minutes=minutes)


# --- the simulator's mixed scenario ----------------------------------------------------------

_MIXED: dict[str, tuple[Path, Path]] = {}


def mixed_scenario(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """`mixed` (50 vessels, 10 days, seed 3: the gap tests' data), with every port of the region
    in `places` and GFW encounters and loitering stored. Built once per test run.

    The detectors run on identity-segmented positions, as `cargotrace detect` runs them: the
    scenario's shared MMSIs include ships that meet or loiter, and one stream averaged over two
    ships 300 km apart would put a ghost between them."""
    if "mixed" not in _MIXED:
        out = tmp_path_factory.mktemp("mixed-encounters")
        simulate(ScenarioParams.for_scenario("mixed", vessels=50, days=10, seed=3), out)
        store_path = out / "s.duckdb"
        with cargotrace.open_store(store_path) as store:
            ingest_file(store, out / "positions.parquet")
            load_curated_gazetteer(store)
            # the scenario's ports where the ships sail to them (curated ones stay watched)
            load_places(store, out / "places.csv")
            positions = identity_segments(store.positions, IdentityParams())
            found = {
                "encounter": (detect_encounters(positions, store.places), GFW_ENCOUNTER),
                "loitering": (detect_loitering(positions, store.places), GFW_LOITERING),
            }
            for kind, (events, params) in found.items():
                replace_events(store, events_table(events, "gfw", params), [kind])
        _MIXED["mixed"] = (out, store_path)
    return _MIXED["mixed"]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return mixed_scenario(tmp_path_factory)


def test_loitering_matches_the_simulated_truth(mixed: tuple[Path, Path]) -> None:
    out, store_path = mixed
    with cargotrace.open_store(store_path) as store:
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
    with cargotrace.open_store(store_path) as store:
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
     ("min_port_distance_km", -1, "min_port_distance_km and max_interpolate_gap_h must be >= 0"),
     ("resample_min", 180, "resample_min (180) must not exceed min_duration_h (2.0 h): a run "
                           "is measured in grid steps")],
)
def test_params_are_checked(field: str, value: Any, message: str) -> None:
    with pytest.raises(ParamsError) as info:
        LoiteringParams(**{field: value})
    assert str(info.value) == message
