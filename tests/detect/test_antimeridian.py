"""Every detector across ±180° (issue 21): tracks that cross or straddle the antimeridian in the
open Bering Sea and North Pacific, on both engines where the detector runs as an Ibis query.

Each expected value is computed here, from the positions the test wrote, with a few lines of
plain math (`gc_km`), not with the code under test.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import cargotrace
from cargotrace.detect.dark_calls import dark_port_calls
from cargotrace.detect.dark_voyages import detect_dark_voyages
from cargotrace.detect.encounters import detect_encounters
from cargotrace.detect.gaps import gap_candidates, gap_events
from cargotrace.detect.identity import detect_identity
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.loitering import detect_loitering
from cargotrace.detect.outliers import position_outliers
from cargotrace.detect.params import DarkVoyageParams, GapParams, IdentityParams, PortVisitParams
from cargotrace.detect.port_visits import detect_port_visits
from cargotrace.detect.presets import GFW_ENCOUNTER, GFW_LOITERING
from cargotrace.detect.segments import identity_segments
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.store.engines import Engine, tables_on, to_arrow
from cargotrace.store.events import Event

from .factories import add_port, store_rows

T0 = datetime(2024, 6, 1, tzinfo=UTC)
M = 273310020
R_KM = 6371.0088


def wrap(lon: float) -> float:
    return (lon + 180.0) % 360.0 - 180.0


def gc_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Haversine, written out independently of cargotrace.geo."""
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dlon = math.radians(b[1] - a[1])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlon / 2) ** 2
    return 2 * R_KM * math.asin(math.sqrt(h))


def east_of(at: tuple[float, float], km: float) -> tuple[float, float]:
    """`km` east (west when negative) along the parallel, longitude wrapped into [-180, 180)."""
    lat, lon = at
    return lat, round(wrap(lon + km / (R_KM * math.pi / 180 * math.cos(math.radians(lat)))), 7)


def fix(ts: datetime, at: tuple[float, float], sog: float | None, mmsi: int = M
        ) -> dict[str, Any]:
    return {"mmsi": mmsi, "ts": ts, "lat": at[0], "lon": at[1], "sog": sog, "cog": 90.0,
            "msg_type": 1}


def run_east(start: datetime, at: tuple[float, float], speed_kn: float, hours: float,
             mmsi: int = M, every_s: int = 60, sog: float | None = None
             ) -> list[dict[str, Any]]:
    """A ship heading due east (west for a negative speed) along a parallel, heard every
    `every_s`; reported SOG `sog` (default: its speed)."""
    reported = abs(speed_kn) if sog is None else sog
    return [fix(start + timedelta(seconds=k * every_s),
                east_of(at, speed_kn * 1.852 * k * every_s / 3600), reported, mmsi)
            for k in range(int(hours * 3600 / every_s) + 1)]


def after(rows: list[dict[str, Any]], seconds: int = 60) -> datetime:
    ts: datetime = rows[-1]["ts"]
    return ts + timedelta(seconds=seconds)


def lons_cross(rows: list[dict[str, Any]]) -> bool:
    return any(abs(a["lon"] - b["lon"]) > 180 for a, b in zip(rows, rows[1:], strict=False))


# --- port visits -------------------------------------------------------------------------------

DATELINE_PORT = (56.0, 179.98)  # a port just west of 180 (radius 3 km)


def test_port_visit_across_180(engine: Engine, tmp_store: cargotrace.Store) -> None:
    """Issue 21: a ship moored at lon -179.99 inside a port centred at 179.98 makes one visit,
    as does one moored at 179.99; the first arrives from the east and leaves eastwards."""
    add_port(tmp_store, "test:dateline", DATELINE_PORT)
    berth_east, berth_west = (56.0, -179.99), (56.0, 179.99)
    arrive = run_east(T0, east_of(berth_east, 15), -10, 15 / 18.52)  # 15 km at 10 kn
    moored = run_east(after(arrive), berth_east, 0.0, 10, every_s=180)
    leave = run_east(after(moored), berth_east, 10, 15 / 18.52)
    other = run_east(T0, berth_west, 0.0, 10, mmsi=M + 1, every_s=180)
    rows = arrive + moored + leave
    store_rows(tmp_store, rows + other)

    tables = tables_on(engine, tmp_store, ["positions", "places"])
    visits = {v.mmsi: v for v in detect_port_visits(tables["positions"], tables["places"],
                                                    PortVisitParams())}
    assert set(visits) == {M, M + 1}
    visit = visits[M]
    assert visit.place_id == "test:dateline"
    assert gc_km(berth_east, DATELINE_PORT) < 3.0  # 1.9 km, across the meridian
    first_in = next(r for r in rows if gc_km((r["lat"], r["lon"]), DATELINE_PORT) <= 3.0)
    last_near = [r for r in rows if gc_km((r["lat"], r["lon"]), DATELINE_PORT) <= 4.0][-1]
    assert (visit.start, visit.end) == (first_in["ts"], last_near["ts"])
    assert visit.attrs["visit_confidence"] == 4
    assert visit.attrs["min_distance_km"] == pytest.approx(
        min(gc_km((r["lat"], r["lon"]), DATELINE_PORT) for r in rows), abs=1e-3)
    assert visits[M + 1].attrs["min_distance_km"] == pytest.approx(
        gc_km(berth_west, DATELINE_PORT), abs=1e-3)


# --- encounters and loitering ------------------------------------------------------------------

PACIFIC = (45.0, 180.0)  # open North Pacific, some 600 km south of the Aleutians


def test_encounter_of_a_pair_either_side_of_180(engine: Engine,
                                                tmp_store: cargotrace.Store) -> None:
    """Two ships drift 300 m apart for 3 h, one at 179.998, the other at -179.998: one
    encounter, placed on the meridian (not at lon 0), at the distance measured here."""
    west, east = east_of(PACIFIC, -0.15), east_of(PACIFIC, 0.15)
    a = run_east(T0, east_of(west, -40.7), 11, 2)  # arrives from the west
    a += run_east(after(a), west, 0.0, 3, sog=0.1)
    a += run_east(after(a), west, -11, 2)
    b = run_east(T0, east_of(east, 40.7), -11, 2, mmsi=M + 1)  # and the other from the east
    b += run_east(after(b), east, 0.0, 3, mmsi=M + 1, sog=0.1)
    b += run_east(after(b), east, 11, 2, mmsi=M + 1)
    assert west[1] > 0 > east[1]
    store_rows(tmp_store, a + b)

    tables = tables_on(engine, tmp_store, ["positions", "places"])
    (event,) = detect_encounters(tables["positions"], tables["places"], GFW_ENCOUNTER)
    assert (event.kind, event.mmsi, event.other_mmsi) == (EventKind.ENCOUNTER, M, M + 1)
    assert event.attrs["median_distance_m"] == pytest.approx(gc_km(west, east) * 1000, abs=1)
    assert 2.7 <= event.attrs["duration_h"] <= 3.1
    assert event.lat == pytest.approx(PACIFIC[0], abs=1e-4)
    assert abs(event.lon) > 179.999


def loitering_drift(mmsi: int, lat: float, silent: tuple[float, float] | None
                    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A ship arriving at 11 kn, drifting east at 0.6 kn for 8 h (reaching 180 after 4 h 5 min,
    inside a 10-minute step, its speed unreported from 3 h to 5 h, nothing heard in the
    `silent` hours), leaving at 11 kn. Returns what was heard, and the drift."""
    start = east_of((lat, 180.0), -0.6 * 1.852 * (4 + 5 / 60))
    drift = run_east(T0, start, 0.6, 8, mmsi=mmsi)
    for r in drift:
        if T0 + timedelta(hours=3) <= r["ts"] < T0 + timedelta(hours=5):
            r["sog"] = None
    if silent is not None:
        off, on = (T0 + timedelta(hours=h) for h in silent)
        assert [r for r in drift if off <= r["ts"] < on][0]["lon"] > 0
        assert [r for r in drift if off <= r["ts"] < on][-1]["lon"] < 0  # crossed unheard
        drift = [r for r in drift if not off <= r["ts"] < on]
    rows = run_east(T0 - timedelta(hours=2), east_of(start, -40.7), 11, 2, mmsi=mmsi)[:-1]
    rows += drift + run_east(after(drift), (drift[-1]["lat"], drift[-1]["lon"]), 11, 2,
                             mmsi=mmsi)
    return rows, drift


def test_loitering_drift_across_180(engine: Engine, tmp_store: cargotrace.Store) -> None:
    """Two ships drift east at 0.6 kn for 8 h across the meridian, their speed unreported for
    2 h as they cross; one is heard throughout (a 10-minute step holds fixes either side of
    180), the other is silent for 40 min as it crosses (the hole is interpolated). One
    loitering event each over the whole drift, slow throughout and placed near 180: a step
    averaged to lon 0, or a hole filled round the world, would have cut it in two."""
    heard_rows, heard = loitering_drift(M, PACIFIC[0], None)
    holed_rows, holed = loitering_drift(M + 1, PACIFIC[0] + 0.1, (3.7, 4.35))
    store_rows(tmp_store, heard_rows + holed_rows)

    tables = tables_on(engine, tmp_store, ["positions", "places"])
    events = detect_loitering(tables["positions"], tables["places"], GFW_LOITERING)
    assert [e.mmsi for e in events] == [M, M + 1]
    for event, drift in zip(events, (heard, holed), strict=True):
        assert abs(event.start - T0) <= timedelta(minutes=15)
        assert abs(event.end - drift[-1]["ts"]) <= timedelta(minutes=15)
        assert event.attrs["mean_speed_kn"] < 1.0
        assert event.lat == pytest.approx(drift[0]["lat"], abs=1e-3)
        assert abs(event.lon) > 179.9  # the drift's middle is near 180, not near 0
    assert events[0].attrs["observed_share"] == 1.0
    assert events[1].attrs["observed_share"] < 1.0  # the silence was filled in


# --- gaps and dark voyages ---------------------------------------------------------------------

BERING = (56.0, 180.0)  # open Bering Sea, far from any island


def test_gap_across_180_is_measured_the_short_way(engine: Engine,
                                                   tmp_store: cargotrace.Store) -> None:
    """A ship sails east at 12 kn and is silent for 7 h while it crosses 180: the gap's
    distance and implied speed are those of the short way (about 155 km, 12 kn)."""
    start = east_of(BERING, -12 * 1.852 * 5)  # reaches 180 after 5 h
    track = run_east(T0, start, 12, 12)
    silent = (T0 + timedelta(hours=3), T0 + timedelta(hours=10))
    heard = [r for r in track if not silent[0] <= r["ts"] < silent[1]]
    store_rows(tmp_store, heard)
    before = [r for r in heard if r["ts"] < silent[0]][-1]
    back = next(r for r in heard if r["ts"] >= silent[1])
    assert before["lon"] > 0 > back["lon"]

    positions = tables_on(engine, tmp_store, ["positions"])["positions"]
    data_end = heard[-1]["ts"]
    params = GapParams()
    (gap,) = gap_events(to_arrow(gap_candidates(positions, params, data_end)), params, data_end)
    expected_km = gc_km((before["lat"], before["lon"]), (back["lat"], back["lon"]))
    hours = (back["ts"] - before["ts"]).total_seconds() / 3600
    assert (gap.start, gap.end) == (before["ts"], back["ts"])
    assert gap.attrs["distance_km"] == pytest.approx(expected_km, abs=1e-3)
    assert gap.attrs["implied_speed_kn"] == pytest.approx(expected_km / 1.852 / hours, abs=0.01)
    assert 11.9 < gap.attrs["implied_speed_kn"] < 12.1
    assert (gap.attrs["end_lat"], gap.attrs["end_lon"]) == (back["lat"], back["lon"])


def test_dark_voyage_across_180(engine: Engine, tmp_store: cargotrace.Store) -> None:
    """From a port at 177.0 to one at 179.99 whose berth is across the meridian (-179.995):
    silent from 30 min after leaving to 1 h before arriving, a dark voyage between the two
    ports at the 12 kn the ship sailed."""
    from_port, to_port = (56.0, 177.0), (56.0, 179.99)
    add_port(tmp_store, "test:west", from_port)
    add_port(tmp_store, "test:dateline", to_port)
    berth_a, berth_b = east_of(from_port, 0.5), (56.0, -179.995)
    here = run_east(T0, berth_a, 0.0, 6, every_s=180)
    km = (wrap(berth_b[1] - berth_a[1]) * R_KM * math.pi / 180
          * math.cos(math.radians(berth_a[0])))  # along the parallel
    voyage = run_east(after(here), berth_a, 12, km / (12 * 1.852))
    there = run_east(after(voyage), berth_b, 0.0, 6, every_s=180)
    assert lons_cross(voyage) and gc_km((voyage[-1]["lat"], voyage[-1]["lon"]), berth_b) < 0.5
    off = voyage[0]["ts"] + timedelta(minutes=30)
    on = voyage[-1]["ts"] - timedelta(hours=1)
    heard = [r for r in here + voyage + there if not off < r["ts"] < on]
    store_rows(tmp_store, heard)
    pairs = list(zip(heard, heard[1:], strict=False))
    last, back = max(pairs, key=lambda p: p[1]["ts"] - p[0]["ts"])

    tables = tables_on(engine, tmp_store, ["positions", "places"])
    visits = detect_port_visits(tables["positions"], tables["places"], PortVisitParams())
    assert sorted(v.place_id or "" for v in visits) == ["test:dateline", "test:west"]
    (dark,) = detect_dark_voyages(visits, tables["positions"], DarkVoyageParams())
    assert (dark.kind, dark.start, dark.end) == (EventKind.DARK_VOYAGE, last["ts"], back["ts"])
    assert (dark.attrs["from_place_id"], dark.attrs["to_place_id"]) == (
        "test:west", "test:dateline")
    hours = (back["ts"] - last["ts"]).total_seconds() / 3600
    expected_kn = gc_km((last["lat"], last["lon"]), (back["lat"], back["lon"])) / 1.852 / hours
    assert dark.attrs["implied_speed_kn"] == pytest.approx(expected_kn, abs=0.01)
    assert 11.9 < dark.attrs["implied_speed_kn"] < 12.1


# --- possible dark port calls --------------------------------------------------------------------


def test_dark_call_at_a_port_just_across_180() -> None:
    """Silent for 10 h east of 180 at 12 kn; a watched port at 179.95, 34 km west of where the
    ship went silent, is a possible call, its detour measured the short way."""
    went_off, came_on = (56.0, -179.5), (56.0, -178.5)
    port = {"place_id": "t:dateline", "name": "Dateline", "kind": "seaport", "lat": 56.0,
            "lon": 179.95, "watch_reason": "test"}
    gap = Event(EventKind.GAP, M, T0, T0 + timedelta(hours=10), lat=went_off[0],
                lon=went_off[1], attrs={"duration_h": 10.0, "end_lat": came_on[0],
                                        "end_lon": came_on[1], "sog_before_kn": 12.0,
                                        "sog_after_kn": 12.0})
    (call,) = dark_port_calls([gap], pa.Table.from_pylist([port]), GapParams())
    at = (port["lat"], port["lon"])
    detour = gc_km(went_off, at) + gc_km(at, came_on)
    assert detour < 140  # round the world it would be some 40,000 km
    assert call.place_id == "t:dateline"
    assert call.attrs["detour_km"] == pytest.approx(detour, abs=0.05)
    assert call.attrs["passage_km"] == pytest.approx(gc_km(went_off, came_on), abs=0.05)


# --- identity ------------------------------------------------------------------------------------


def test_crossing_180_at_12_kn_is_no_teleport(engine: Engine,
                                              tmp_store: cargotrace.Store) -> None:
    """A ship sails east across 180 at 12 kn for 6 h, heard every minute: one segment, no
    identity event and no position flagged as an outlier. A single bogus fix at lon 0.5 in the
    middle of it is a lone outlier (flagged, no event); two in a row are one teleport."""
    track = run_east(T0, east_of(BERING, -12 * 1.852 * 2), 12, 6)
    assert lons_cross(track)
    store_rows(tmp_store, track)
    tables = tables_on(engine, tmp_store, ["positions", "vessel_reports"])
    assert detect_identity(tables["positions"], tables["vessel_reports"]) == []
    assert position_outliers(tables["positions"]).num_rows == 0
    segments = to_arrow(identity_segments(tables["positions"], IdentityParams()))
    assert segments.num_rows == len(track)
    assert set(segments.column("segment").to_pylist()) == {0}

    bogus = fix(T0 + timedelta(hours=2, seconds=30), (56.0, 0.5), 12.0)
    store_rows(tmp_store, [bogus])
    tables = tables_on(engine, tmp_store, ["positions", "vessel_reports"])
    assert detect_identity(tables["positions"], tables["vessel_reports"]) == []
    (flag,) = position_outliers(tables["positions"]).to_pylist()
    assert (flag["ts"], flag["lat"], flag["lon"]) == (bogus["ts"], 56.0, 0.5)

    again = fix(T0 + timedelta(hours=2, seconds=40), (56.0, 0.5), 12.0)
    store_rows(tmp_store, [again])
    tables = tables_on(engine, tmp_store, ["positions", "vessel_reports"])
    (teleport,) = detect_identity(tables["positions"], tables["vessel_reports"])
    assert teleport.attrs["identity_kind"] == "teleport"
    assert (teleport.start, teleport.lat, teleport.lon) == (bogus["ts"], 56.0, 0.5)


# --- real data: a global satellite sample with ships crossing 180 -------------------------------

CROSSINGS_SQL = """
WITH p AS (
    SELECT mmsi, ts, lat, lon,
           lead(ts) OVER w AS next_ts, lead(lat) OVER w AS next_lat, lead(lon) OVER w AS next_lon
    FROM positions WHERE lat IS NOT NULL AND lon IS NOT NULL
    WINDOW w AS (PARTITION BY mmsi ORDER BY ts, lat, lon)
)
SELECT mmsi, ts, lat, lon, next_ts, next_lat, next_lon FROM p
WHERE abs(next_lon - lon) > 180 ORDER BY mmsi, ts
"""


def test_real_ships_crossing_180_are_measured_the_short_way(
    engine: Engine, tmp_store: cargotrace.Store, shared_data: Path
) -> None:
    """AISdb's global satellite sample of 2021-07-01 has ships heard either side of 180 (a
    North Pacific crossing at 16 kn, Bering Sea fishing vessels). Every such pair of consecutive
    fixes a gap joins is measured the short way (the distance computed here), at a speed a
    ship can sail, and none of those ships is split into two identities."""
    ingest_file(tmp_store, shared_data / "ais_positions" / "aisdb_test_data_20210701.csv")
    crossings = tmp_store.con.execute(CROSSINGS_SQL).fetchall()
    assert len(crossings) >= 3
    params = GapParams(min_gap_h=1.0)
    tables = tables_on(engine, tmp_store, ["positions", "vessel_reports"])
    data_end = tmp_store.con.execute("SELECT max(ts) FROM positions").fetchall()[0][0]
    gaps = gap_events(to_arrow(gap_candidates(tables["positions"], params, data_end)), params,
                      data_end)
    by_start = {(g.mmsi, g.start): g for g in gaps}
    measured = 0
    for mmsi, ts, lat, lon, next_ts, next_lat, next_lon in crossings:
        hours = (next_ts - ts).total_seconds() / 3600
        if hours < params.min_gap_h:
            continue
        gap = by_start[(mmsi, ts)]
        km = gc_km((lat, lon), (next_lat, next_lon))
        assert gap.attrs["distance_km"] == pytest.approx(km, abs=1e-3)
        assert km < 2000 and gap.attrs["implied_speed_kn"] < 30
        measured += 1
    assert measured >= 3
    segments = to_arrow(identity_segments(tables["positions"], IdentityParams()))
    crossing_mmsis = {c[0] for c in crossings}
    split = {m for m, s in zip(segments.column("mmsi").to_pylist(),
                               segments.column("segment").to_pylist(), strict=True)
             if m in crossing_mmsis and s not in (0, None)}
    assert split == set()
