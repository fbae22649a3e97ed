"""The shared sorted track and the shortcuts that avoid sorting: each one against the plain
computation it replaces, on both engines (issue #4's performance work must not change events).

Real data: the Solent AIS capture in ../shared/data/ais_positions (see its PROVENANCE.md),
18,620 positions of 91 vessels over 84 minutes with millisecond timestamps; hand-built tracks
for ties, shared MMSIs and the antimeridian.
"""

from __future__ import annotations

import math
import random
import shutil
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import ibis
import numpy as np
import pyarrow as pa
import pytest

import cargotrace
from cargotrace.detect.context import Context
from cargotrace.detect.gaps import gap_candidates
from cargotrace.detect.loitering import away_from_places
from cargotrace.detect.params import GapParams, IdentityParams
from cargotrace.detect.presets import resolve
from cargotrace.detect.run import detect
from cargotrace.detect.segments import identity_segments, split_segments
from cargotrace.detect.track import (
    RUN_BUCKET_ROWS,
    epoch_s,
    epoch_seconds,
    segmented_track,
    track_table,
)
from cargotrace.geo import sphere
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.store.engines import Engine, tables_on, to_arrow

from .factories import T0, M, add_port, make_position, store_rows, track

GAP_ORDER = ["mmsi", "start"]


@pytest.fixture(scope="module")
def solent(solent_store: Path) -> Path:
    """The Solent capture (conftest.py), opened read-only."""
    return solent_store


def _reference_gaps(positions: pa.Table, min_gap_s: float, end_s: int) -> set[tuple]:
    """Silences by the plain rule: each position and the next in (ts, lat, lon) order."""
    rows = sorted((r for r in positions.to_pylist() if r["lat"] is not None
                   and r["lon"] is not None),
                  key=lambda r: (r["mmsi"], r["ts"], r["lat"], r["lon"]))
    found = set()
    for a, b in zip(rows, [*rows[1:], None], strict=True):
        nxt = b if b is not None and b["mmsi"] == a["mmsi"] else None
        next_s = math.floor(nxt["ts"].timestamp()) if nxt else end_s
        if next_s - math.floor(a["ts"].timestamp()) >= min_gap_s:
            found.add((a["mmsi"], a["ts"], nxt["ts"] if nxt else None, a["lat"], a["lon"],
                       nxt["lat"] if nxt else None, nxt["lon"] if nxt else None))
    return found


def _gap_keys(table: pa.Table) -> set[tuple]:
    return {(r["mmsi"], r["start"], r["end"], r["lat"], r["lon"], r["next_lat"], r["next_lon"])
            for r in table.to_pylist()}


def test_gaps_without_sorting_are_the_gaps_of_the_sorted_track(
    engine: Engine, solent: Path
) -> None:
    """One-minute silences in the Solent capture (hundreds of them): the binned search, the
    search on the sorted track, and the plain position-by-position rule agree row for row."""
    params = GapParams(min_gap_h=1 / 60)
    with cargotrace.open_store(solent, read_only=True) as store:
        positions = tables_on(engine, store, ["positions"])["positions"]
        end = store.con.execute("SELECT max(ts) FROM positions").fetchall()[0][0]
        binned = to_arrow(gap_candidates(positions, params, end), order_by=GAP_ORDER)
        sorted_ = to_arrow(gap_candidates(positions, params, end, track_table(positions)),
                           order_by=GAP_ORDER)
        plain = _reference_gaps(to_arrow(store.positions), 60 - 1,
                                math.floor(end.timestamp()) + 1)
    assert binned.equals(sorted_)
    assert _gap_keys(binned) == plain
    assert binned.num_rows >= 1119  # silences over a minute, and the open ones at the end


def test_gap_ends_tied_on_time_take_the_last_and_first_position(
    engine: Engine, tmp_store: cargotrace.Store
) -> None:
    """Two fixes at the instant a silence starts, two at the instant it ends: the gap runs from
    the last of the first pair to the first of the second, in (ts, lat, lon) order."""
    before = [make_position(ts=T0 + timedelta(minutes=k), lat=43.0 + k / 1000) for k in range(5)]
    start = T0 + timedelta(minutes=4)
    tied_start = make_position(ts=start, lat=43.5)
    end = start + timedelta(hours=8)
    tied_end = [make_position(ts=end, lat=44.2), make_position(ts=end, lat=44.1)]
    store_rows(tmp_store, [*before, tied_start, *tied_end])
    positions = tables_on(engine, tmp_store, ["positions"])["positions"]
    params, data_end = GapParams(), end + timedelta(hours=1)
    binned = to_arrow(gap_candidates(positions, params, data_end), order_by=GAP_ORDER)
    sorted_ = to_arrow(gap_candidates(positions, params, data_end, track_table(positions)),
                       order_by=GAP_ORDER)
    assert binned.equals(sorted_)
    (gap,) = binned.to_pylist()
    assert (gap["start"], gap["end"], gap["lat"], gap["next_lat"]) == (start, end, 43.5, 44.1)
    assert gap["positions_before"] == 6


def test_segmented_track_is_the_track_of_the_identity_segments(
    engine: Engine, tmp_store: cargotrace.Store
) -> None:
    """A shared MMSI (two ships 300 km apart) next to an ordinary vessel: renumbering only the
    split MMSI gives exactly the track computed per (mmsi, segment) from scratch."""
    ship_a = track(lat=42.8, lon=131.9, every_s=60, hours=10)
    here = ship_a[120]
    ship_b = track(start=here["ts"], lat=here["lat"], lon=here["lon"] + 3.7, every_s=90,
                   hours=5)
    other = track(mmsi=M + 1, lat=43.2, lon=132.4, every_s=120, hours=10)
    store_rows(tmp_store, ship_a + ship_b + other)
    positions = tables_on(engine, tmp_store, ["positions"])["positions"]
    params = IdentityParams()
    runs = split_segments(positions, params).runs
    assert set(runs.column("segment").to_pylist()) == {0, 1}
    got = segmented_track(track_table(positions), runs)
    expected = track_table(identity_segments(positions, params), ("mmsi", "segment"))
    order = ["mmsi", "segment", "rn"]
    got_rows, expected_rows = to_arrow(got, order_by=order), to_arrow(expected, order_by=order)
    assert got_rows.num_rows == len(ship_a) + len(ship_b) + len(other)
    assert got_rows.to_pylist() == expected_rows.select(got_rows.column_names).to_pylist()


def test_segmented_track_of_long_shared_tracks_across_run_buckets(
    engine: Engine, tmp_store: cargotrace.Store
) -> None:
    """Two ships on one MMSI, talking in turn for hours: their runs of row numbers cross the
    buckets of `RUN_BUCKET_ROWS` rows that positions meet their runs by, and every position
    still gets its own ship's segment and neighbours (the same as from scratch)."""
    ship_a = track(lat=42.8, lon=131.9, every_s=20, hours=16)
    ship_b = track(start=ship_a[0]["ts"] + timedelta(seconds=7), lat=42.8, lon=135.6,
                   every_s=45, hours=15)
    store_rows(tmp_store, ship_a + ship_b)
    positions = tables_on(engine, tmp_store, ["positions"])["positions"]
    params = IdentityParams()
    runs = split_segments(positions, params).runs
    crossing = [a // RUN_BUCKET_ROWS != b // RUN_BUCKET_ROWS for a, b in
                zip(runs.column("first_rn").to_pylist(), runs.column("last_rn").to_pylist(),
                    strict=True)]
    assert len(ship_a) + len(ship_b) > 3 * RUN_BUCKET_ROWS and any(crossing)
    got = segmented_track(track_table(positions), runs)
    expected = track_table(identity_segments(positions, params), ("mmsi", "segment"))
    order = ["mmsi", "segment", "rn"]
    got_rows, expected_rows = to_arrow(got, order_by=order), to_arrow(expected, order_by=order)
    assert got_rows.num_rows == len(ship_a) + len(ship_b)
    assert got_rows.to_pylist() == expected_rows.select(got_rows.column_names).to_pylist()
    sizes = sorted(Counter(got_rows.column("segment").to_pylist()).values())
    assert sizes == sorted([len(ship_a), len(ship_b)])


def test_fast_epoch_is_ibis_epoch(solent: Path) -> None:
    """DuckDB's epoch() of the stored TIMESTAMPTZ gives Ibis' epoch_seconds() to the µs."""
    with cargotrace.open_store(solent, read_only=True) as store:
        p = store.positions
        both = to_arrow(p.select(fast=epoch_seconds(p.ts),
                                 ibis_=p.ts.epoch_seconds().cast("float64"),
                                 whole=epoch_s(p.ts)))
    fast, reference = both.column("fast").to_pylist(), both.column("ibis_").to_pylist()
    assert fast == reference
    assert both.column("whole").to_pylist() == [math.floor(x) for x in reference]
    assert any(x != math.floor(x) for x in fast)  # the capture has milliseconds


def test_away_from_places_on_a_grid_is_every_place_compared(
    engine: Engine, tmp_store: cargotrace.Store
) -> None:
    """Points scattered around a port on the antimeridian, one in the Arctic and one on the
    edge of a grid cell: the grid anti-join keeps exactly the points that a comparison with
    every place keeps (distance from the place's edge >= min_km)."""
    places = {"test:anadyr": (64.7, 179.98, 3000.0), "test:arctic": (78.2, 15.6, 5000.0),
              "test:edge": (43.0, 132.0, 1000.0)}
    for place_id, (lat, lon, radius_m) in places.items():
        add_port(tmp_store, place_id, (lat, lon), radius_m)
    rng = random.Random(4)
    rows = []
    for k in range(1500):
        lat0, lon0, _ = list(places.values())[k % 3]
        lat = lat0 + rng.uniform(-0.3, 0.3)
        lon = lon0 + rng.uniform(-0.8, 0.8)
        lon = (lon + 180) % 360 - 180  # across the antimeridian
        rows.append(make_position(mmsi=M + k, ts=T0, lat=round(lat, 6), lon=round(lon, 6)))
    store_rows(tmp_store, rows)
    min_km = 10.0
    tables = tables_on(engine, tmp_store, ["positions", "places"])
    kept = to_arrow(away_from_places(tables["positions"], tables["places"], min_km))
    kept_mmsi = set(kept.column("mmsi").to_pylist())

    lat, lon = np.array([r["lat"] for r in rows]), np.array([r["lon"] for r in rows])
    margin_km = np.full(len(rows), np.inf)
    for plat, plon, radius_m in places.values():
        km = sphere.haversine_km(lat, lon, plat, plon) - radius_m / 1000 - min_km
        margin_km = np.minimum(margin_km, km)
    clear = np.abs(margin_km) > 1e-6  # not on the boundary, where rounding may decide
    expected = {r["mmsi"] for r, m in zip(rows, margin_km, strict=True) if m >= 0}
    considered = {r["mmsi"] for r, c in zip(rows, clear, strict=True) if c}
    assert kept_mmsi & considered == expected & considered
    across = [r for r in rows if r["lon"] < -179.5 and r["mmsi"] not in expected]
    assert across  # points west of the antimeridian within reach of Anadyr were tested
    assert len(expected) > 300 and len(considered) == len(rows)


def test_epoch_of_a_memtable_runs_without_a_store() -> None:
    """Expressions bound to no backend run on Ibis' default (DuckDB): the fast form is used."""
    t = ibis.memtable(pa.table({"ts": pa.array([datetime(2024, 3, 1, 0, 0, 1, 500000,
                                                         tzinfo=UTC)],
                                               pa.timestamp("us", tz="UTC"))}))
    out = to_arrow(t.select(s=epoch_s(t.ts), f=epoch_seconds(t.ts)))
    assert out.to_pylist() == [{"s": 1709251201, "f": 1709251201.5}]


def _events(path: Path, kinds: list[str]) -> list[tuple[object, ...]]:
    with cargotrace.open_store(path, read_only=True) as store:
        return store.con.execute(
            'SELECT event_id, kind, mmsi, other_mmsi, start, "end", lat, lon, place_id, '
            "confidence, attrs FROM events WHERE kind IN (SELECT unnest(?)) ORDER BY event_id",
            [kinds],
        ).fetchall()


def test_detectors_alone_find_what_the_whole_run_finds(
    mixed_sim: Path, mixed_meetings: Path, tmp_path: Path
) -> None:
    """A run of every detector keeps one sorted track for all; identity, encounters, loitering
    and gaps asked for alone sort only what they read. Same events either way."""
    out, shared = mixed_sim, mixed_meetings
    alone = ["identity", "encounter", "loitering", "gap", "possible_dark_port_call"]
    paths = {name: tmp_path / f"{name}.duckdb" for name in ("whole", "alone")}
    for name, path in paths.items():
        shutil.copyfile(shared, path)
        with cargotrace.open_store(path) as store:
            store.con.execute("DELETE FROM events")
            ingest_file(store, out / "vessel_reports.parquet")
            detect(store, kinds=None if name == "whole" else alone)
    whole, on_their_own = (_events(paths[n], alone) for n in ("whole", "alone"))
    assert {row[1] for row in whole} == set(alone)
    assert on_their_own == whole


def _reference_track(positions: pa.Table) -> list[tuple]:
    """Each located position with its 0-based number and the next position along its MMSI,
    in (ts, lat, lon) order: plain Python sorting."""
    rows = sorted((r for r in positions.to_pylist() if r["lat"] is not None
                   and r["lon"] is not None),
                  key=lambda r: (r["mmsi"], r["ts"], r["lat"], r["lon"]))
    out, rn = [], 0
    for i, r in enumerate(rows):
        rn = rn + 1 if i and rows[i - 1]["mmsi"] == r["mmsi"] else 0
        nxt = rows[i + 1] if i + 1 < len(rows) and rows[i + 1]["mmsi"] == r["mmsi"] else None
        out.append((r["mmsi"], r["ts"], r["lat"], r["lon"], rn,
                    nxt and nxt["ts"], nxt and nxt["lat"], nxt and nxt["lon"]))
    return out


def test_run_track_sorted_on_time_is_the_full_order_track_with_ties(
    engine: Engine, solent: Path, tmp_store: cargotrace.Store
) -> None:
    """The run's shared track sorts on time alone and numbers the MMSIs with tied times again:
    on the real Solent capture plus fixes tied on one second (three for one of its vessels,
    stored out of coordinate order, and a made-up ship's pair), every position's number and
    next position are those of the plain (ts, lat, lon) order."""
    tmp_store.con.execute(f"ATTACH '{solent}' AS solent (READ_ONLY)")
    tmp_store.con.execute("INSERT INTO positions SELECT * FROM solent.positions")
    mmsi, ts = tmp_store.con.execute(
        "SELECT mmsi, min(ts) + INTERVAL 7 SECOND FROM positions WHERE lat IS NOT NULL "
        "GROUP BY mmsi ORDER BY count(*) DESC, mmsi LIMIT 1").fetchall()[0]
    tied = [make_position(mmsi=mmsi, ts=ts, lat=lat, lon=-1.3) for lat in (50.8, 50.7, 50.9)]
    pair = [make_position(mmsi=M, ts=T0 + timedelta(minutes=k // 2), lat=43.0 - k / 100)
            for k in range(6)]
    store_rows(tmp_store, tied + pair)
    positions = tables_on(engine, tmp_store, ["positions"])["positions"]
    ctx = Context({"positions": positions}, resolve("gfw", {}), T0)
    try:
        got = to_arrow(ctx.track().select("mmsi", "ts", "lat", "lon", "rn", "next_ts",
                                          "next_lat", "next_lon"),
                       order_by=["mmsi", "rn"])
    finally:
        ctx.release()
    expected = _reference_track(to_arrow(positions))
    assert len(expected) >= 18_620 + len(tied) + len(pair)
    assert [tuple(r.values()) for r in got.to_pylist()] == expected
