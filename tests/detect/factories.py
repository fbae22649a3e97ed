"""Builders of synthetic AIS rows and tracks for the detector tests, shared by their modules.

Test modules import these, never each other: a test module is a list of checks, and a helper
living in one of them ties its fate (and its import time) to the module's. Three families:
straight tracks for identity and track tests (`make_position`, `make_report`, `track`), ships
at and between a made-up port (`port_position`, `moored`, `sail`, `add_port`), and noisy legs at
sea for meetings and loitering (`ship`, `Leg`, `offset_m`); and `copy_store` for a test that
writes to a scenario store. No fixtures here (the scenario stores are session fixtures in
conftest.py), and nothing that calls the code under test.
"""

from __future__ import annotations

import importlib
import math
import random
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow as pa

import cargotrace
from cargotrace.sim.params import ScenarioParams
from cargotrace.store.places import Place, upsert_places

# --- straight tracks (identity, outliers, the sorted track, notes) -----------------------------

T0 = datetime(2024, 3, 1, tzinfo=UTC)
M = 273310020  # a Russian MMSI (MID 273)


def make_position(mmsi: int = M, ts: datetime = T0, lat: float = 43.0, lon: float = 131.9,
                  sog: float = 10.0, msg_type: int = 1) -> dict[str, Any]:
    return {"mmsi": mmsi, "ts": ts, "lat": lat, "lon": lon, "sog": sog, "cog": 180.0,
            "msg_type": msg_type}


def make_report(mmsi: int = M, ts: datetime = T0, name: str | None = None,
                imo: int | None = None, callsign: str | None = None,
                msg_type: int = 5) -> dict[str, Any]:
    return {"mmsi": mmsi, "ts": ts, "name": name, "imo": imo, "callsign": callsign,
            "msg_type": msg_type}


def track(mmsi: int = M, start: datetime = T0, lat: float = 43.0, lon: float = 131.9,
          speed_kn: float = 12.0, course_deg: float = 180.0, every_s: float = 60.0,
          hours: float = 2.0) -> list[dict[str, Any]]:
    """A ship sailing a straight course, heard every `every_s` seconds."""
    rows = []
    for k in range(int(hours * 3600 / every_s) + 1):
        nm = speed_kn * k * every_s / 3600
        rows.append(make_position(
            mmsi, start + timedelta(seconds=k * every_s),
            round(lat + nm * math.cos(math.radians(course_deg)) / 60, 6),
            round(lon + nm * math.sin(math.radians(course_deg))
                  / (60 * math.cos(math.radians(lat))), 6),
            speed_kn,
        ))
    return rows


# --- around a port (port visits, dark voyages, gaps, antimeridian) ----------------------------

PORT = (43.0, 132.0)  # open water south of Nakhodka: a made-up port for the hand-built cases
KM_PER_DEG_LAT = 111.195


def offset_km(origin: tuple[float, float], east_km: float, north_km: float = 0.0
              ) -> tuple[float, float]:
    lat, lon = origin
    return (round(lat + north_km / KM_PER_DEG_LAT, 7),
            round(lon + east_km / (KM_PER_DEG_LAT * math.cos(math.radians(lat))), 7))


def port_position(mmsi: int = M, ts: datetime = T0, lat: float = PORT[0], lon: float = PORT[1],
                  sog: float | None = 0.0) -> dict[str, Any]:
    return {"mmsi": mmsi, "ts": ts, "lat": lat, "lon": lon, "sog": sog, "cog": 90.0,
            "msg_type": 1}


def moored(start: datetime, hours: float, at: tuple[float, float], mmsi: int = M,
           every_s: float = 180.0, sog: float = 0.0) -> list[dict[str, Any]]:
    """A ship at rest, heard every `every_s` (class A: 3 min)."""
    n = int(hours * 3600 / every_s)
    return [port_position(mmsi, start + timedelta(seconds=k * every_s), *at, sog=sog)
            for k in range(n)]


def sail(start: datetime, a: tuple[float, float], b: tuple[float, float], speed_kn: float,
         mmsi: int = M, every_s: float = 30.0) -> list[dict[str, Any]]:
    """A straight course from a to b (both included), heard every `every_s`."""
    km = math.dist((a[0] * KM_PER_DEG_LAT, a[1] * KM_PER_DEG_LAT * math.cos(math.radians(a[0]))),
                   (b[0] * KM_PER_DEG_LAT, b[1] * KM_PER_DEG_LAT * math.cos(math.radians(a[0]))))
    hours = km / (speed_kn * 1.852)
    n = max(1, round(hours * 3600 / every_s))
    return [port_position(mmsi, start + timedelta(hours=hours * k / n),
                          a[0] + (b[0] - a[0]) * k / n, a[1] + (b[1] - a[1]) * k / n,
                          sog=speed_kn) for k in range(n + 1)]


def after(rows: list[dict[str, Any]], seconds: float = 60.0) -> datetime:
    ts: datetime = rows[-1]["ts"]
    return ts + timedelta(seconds=seconds)


def store_rows(store: cargotrace.Store, positions: Iterable[dict[str, Any]] = (),
               reports: Iterable[dict[str, Any]] = ()) -> None:
    for table, rows in (("positions", list(positions)), ("vessel_reports", list(reports))):
        if rows:
            data = pa.Table.from_pylist([{**r, "source": "test", "ingest_id": 1} for r in rows])
            store.con.register("rows_in", data)
            store.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM rows_in")
            store.con.unregister("rows_in")


def add_port(store: cargotrace.Store, place_id: str = "test:port",
             at: tuple[float, float] = PORT, radius_m: float = 3000.0,
             kind: str = "seaport") -> None:
    upsert_places(store, [Place(place_id, place_id.split(":")[-1].title(), (), "RU", kind,
                                at[0], at[1], radius_m, None, "test")])


# --- noisy legs at sea (loitering and encounters) ----------------------------------------------

SEA_T0 = datetime(2023, 9, 10, 6, tzinfo=UTC)  # the meetings' clock (T0 in their modules)
SEA = (38.5, 134.5)  # mid Sea of Japan, over 150 km from any port
NAKHODKA = (42.8, 132.883333)  # the curated gazetteer's Nakhodka (radius 4 km)
NAJIN = (42.233333, 130.3)  # and Najin (3 km)
KM_PER_DEG = 111.195


@dataclass(frozen=True)
class Leg:
    minutes: float
    speed_kn: float
    course_deg: float = 0.0


def moved(lat: float, lon: float, km: float, course_deg: float) -> tuple[float, float]:
    c = math.radians(course_deg)
    return (lat + km * math.cos(c) / KM_PER_DEG,
            lon + km * math.sin(c) / (KM_PER_DEG * math.cos(math.radians(lat))))


def offset_m(at: tuple[float, float], north_m: float = 0.0, east_m: float = 0.0
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


def near(actual: datetime | None, expected: datetime, minutes: float = 10) -> bool:
    return actual is not None and abs(actual - expected) <= timedelta(minutes=minutes)


# --- scenarios and stores ------------------------------------------------------------------------


# the simulated scenario the detector modules score against its truth (conftest.py's `mixed_sim`):
# every behaviour planted, ~300,000 positions
MIXED = ScenarioParams.for_scenario("mixed", vessels=50, days=10, seed=3)


def copy_store(source: Path, folder: Path, name: str = "s.duckdb") -> Path:
    """A writable copy of a store built once per run: the scenario fixtures in conftest.py are
    shared by many tests, so a test (or module fixture) that writes events works on its own copy.
    A closed DuckDB file is self-contained, and copying ~30 MB takes milliseconds, not the
    seconds of a fresh ingest."""
    path = folder / name
    shutil.copyfile(source, path)
    return path


# --- a regional feed (coverage: left_coverage, outages) ------------------------------------------

RECEIVER = (40.0, 134.0)  # open water in the Sea of Japan, over 150 km from any coast
RANGE_KM = 60.0


def regional_feed(hours: float, *, silent: dict[int, tuple[float, float]] | None = None,
                  outage: tuple[float, float] | None = None, station: str | None = None,
                  every_s: float = 120.0) -> list[dict[str, Any]]:
    """One shore receiver at `RECEIVER` that hears every position within `RANGE_KM` and none
    beyond. Ships 0-10 circle it at 5 to 55 km, always in reach; ships 11-22 sail out and back
    along spokes from 2 to 200 km, heard up to the edge and silent for ~13 h beyond it. Ship
    i's transponder is off during `silent[i]` (hours from T0); the whole feed hears nothing
    during `outage`. All at 12 kn, class A."""
    rows = []
    step_km = 12 * 1.852 * every_s / 3600
    for i in range(23):
        mmsi = 273100000 + i
        dist_km, angle, outward = 2.0 + (i * 37) % 150, (i * 47) % 360, True
        for k in range(int(hours * 3600 / every_s)):
            h = k * every_s / 3600
            if i <= 10:  # circling at a fixed distance: the bearing turns
                radius = 5.0 + 5 * i
                angle = (angle + math.degrees(step_km / radius)) % 360
                lat, lon = moved(*RECEIVER, radius, angle)
                course, dist_km = (angle + 90) % 360, radius
            else:
                dist_km += step_km if outward else -step_km
                if dist_km >= 200 or dist_km <= 2:
                    outward = not outward
                lat, lon = moved(*RECEIVER, dist_km, angle)
                course = angle if outward else (angle + 180) % 360
            off = silent is not None and i in silent and silent[i][0] <= h < silent[i][1]
            down = outage is not None and outage[0] <= h < outage[1]
            if dist_km > RANGE_KM or off or down:
                continue
            rows.append({"mmsi": mmsi, "ts": T0 + timedelta(hours=h), "lat": round(lat, 6),
                         "lon": round(lon, 6), "sog": 12.0, "cog": round(course, 1),
                         "msg_type": 1, "station": station})
    return rows


# --- real files (under ../shared/data) and the tools that measure them -------------------------

MARINECADASTRE = "ais_positions/marinecadastre_AIS_2022_01_03_first99999.csv"
AISDB_GLOBAL = "ais_positions/aisdb_test_data_20210701.csv"
SOLENT = "ais_positions/stonesoup_SolentAIS_20160112_130211.csv"
WPI = "ports/UpdatedPub150.csv"


def load_tool(name: str) -> ModuleType:
    """A script of tools/ as a module: tools/ is no package, and its scripts import each other
    by name (tools/real_data_quality.py imports real_checks)."""
    tools = str(Path(__file__).resolve().parents[2] / "tools")
    if tools not in sys.path:
        sys.path.insert(0, tools)
    return importlib.import_module(name)
