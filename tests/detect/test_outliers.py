"""Lone outlier positions: flagged, kept, and left out of detection; sustained jumps are not.

Hand-built tracks for the edge cases (an outlier at the start or end of a track, two bad points
in a row, a sustained jump, a second ship); the real MarineCadastre sample is in
test_detect_real.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

import cargotrace
from cargotrace.detect.outliers import (
    LONE_OUTLIER,
    position_outliers,
    replace_flags,
    without_flagged,
)
from cargotrace.detect.params import OutlierParams
from cargotrace.detect.run import detect
from cargotrace.errors import ParamsError
from cargotrace.store.engines import Engine, tables_on, to_arrow

from .factories import T0, M, store_rows, track


def flagged(engine: Engine, store: cargotrace.Store,
            params: OutlierParams | None = None) -> list[dict[str, Any]]:
    positions = tables_on(engine, store, ["positions"])["positions"]
    return position_outliers(positions, params).to_pylist()


def moved(row: dict[str, Any], dlat: float = 0.0, dlon: float = 0.0) -> dict[str, Any]:
    return {**row, "lat": round(row["lat"] + dlat, 6), "lon": round(row["lon"] + dlon, 6)}


def test_lone_outliers_in_a_track(engine: Engine, tmp_store: cargotrace.Store) -> None:
    """A 12 kn ship heard every 10 s: one position 333 km off (a dropped digit), and later
    three fixes stamped with one second, the last two 11 km off the track and off each other
    (two bad points in a row, each alone): three lone outliers, with their implied speeds."""
    rows = track(every_s=10, hours=2)
    rows[300] = moved(rows[300], dlat=3.0)
    same_second = rows[500]["ts"]
    rows[501] = moved({**rows[501], "ts": same_second}, dlat=0.10)
    rows[502] = moved({**rows[502], "ts": same_second}, dlat=0.20, dlon=0.1)
    store_rows(tmp_store, rows)
    flags = flagged(engine, tmp_store)
    assert [(f["ts"], f["lat"], f["lon"]) for f in flags] == [
        (rows[k]["ts"], rows[k]["lat"], rows[k]["lon"]) for k in (300, 501, 502)]
    assert {f["reason"] for f in flags} == {LONE_OUTLIER}
    first = flags[0]
    assert 330 < first["jump_km"] < 336 and 330 < first["return_km"] < 336
    assert first["implied_speed_kn"] > 10_000 and first["return_speed_kn"] > 10_000
    # same-second fixes: the time is floored at 1 s, so the speed stays finite
    assert 10 < flags[1]["jump_km"] < 12 and flags[1]["implied_speed_kn"] > 20_000


def test_outliers_at_the_ends_of_a_track(engine: Engine, tmp_store: cargotrace.Store) -> None:
    """The first position 200 km off the track after it, the last 150 km off the track
    before it: flagged with the one step there is (the other side NULL), unless
    `at_track_ends` is off."""
    rows = track(every_s=30, hours=1)
    rows[0] = moved(rows[0], dlon=2.5)
    rows[-1] = moved(rows[-1], dlat=-1.35)
    store_rows(tmp_store, rows)
    flags = flagged(engine, tmp_store)
    assert [f["ts"] for f in flags] == [rows[0]["ts"], rows[-1]["ts"]]
    start, end = flags
    assert start["jump_km"] is None and 195 < start["return_km"] < 210
    assert end["return_km"] is None and 145 < end["jump_km"] < 155
    assert flagged(engine, tmp_store, OutlierParams(at_track_ends=False)) == []


def test_what_is_not_an_outlier(engine: Engine, tmp_store: cargotrace.Store) -> None:
    """A sustained jump (two positions off that agree with each other), a ship that keeps
    reporting from its new place (a second ship), GPS noise of 50 m, and a fast ship after a
    silence: nothing flagged."""
    sustained = track(every_s=10, hours=1)
    for k in (100, 101):
        sustained[k] = moved(sustained[k], dlon=3.1)
    second_ship = track(mmsi=M + 1, every_s=60, hours=4)
    second_ship += [moved(r, dlat=2.0) for r in track(mmsi=M + 1, start=T0 + timedelta(
        minutes=30, seconds=30), every_s=120, hours=2)]
    noisy = [moved(r, dlat=(k % 3 - 1) * 0.0004) for k, r in enumerate(
        track(mmsi=M + 2, speed_kn=0.0, every_s=5, hours=0.5))]
    before = track(mmsi=M + 3, speed_kn=25, every_s=30, hours=1)
    after = track(mmsi=M + 3, start=T0 + timedelta(hours=4), lat=before[-1]["lat"] - 1.25,
                  speed_kn=25, every_s=30, hours=1)
    store_rows(tmp_store, sustained + second_ship + noisy + before + after)
    assert flagged(engine, tmp_store) == []


def test_a_run_leaves_flagged_positions_out_and_keeps_them(tmp_store: cargotrace.Store) -> None:
    """`detect` stores the flags, keeps every position, and no detector sees the flagged
    one: no identity event, and the 6 h silence it would have broken is one gap."""
    rows = track(every_s=60, hours=2)
    rows += track(start=T0 + timedelta(hours=10), lat=rows[-1]["lat"] - 0.01, every_s=60,
                  hours=2)
    glitch = moved({**rows[-1], "ts": T0 + timedelta(hours=6)}, dlat=5.0)
    store_rows(tmp_store, [*rows, glitch])
    summary = detect(tmp_store, kinds=["identity", "gap"])
    assert summary.flagged == 1
    assert tmp_store.con.execute(
        "SELECT mmsi, ts, lat, lon, reason FROM position_flags").fetchall() == [
        (M, glitch["ts"], glitch["lat"], glitch["lon"], LONE_OUTLIER)]
    assert tmp_store.count("positions") == len(rows) + 1  # nothing lost
    assert summary.written == {"identity": 0, "gap": 1}
    (gap_start, gap_end), = tmp_store.con.execute(
        "SELECT start, \"end\" FROM events WHERE kind = 'gap'").fetchall()
    assert (gap_start, gap_end) == (rows[120]["ts"], rows[121]["ts"])
    # a second run replaces the flags of its window, it does not add them again
    assert detect(tmp_store, kinds=["gap"]).flagged == 1
    assert tmp_store.count("position_flags") == 1
    # switched off, the glitch splits the silence in two halves too short for a gap
    off = detect(tmp_store, kinds=["gap"], overrides={"outlier.enabled": "false"})
    assert (off.flagged, off.written) == (0, {"gap": 0})
    assert tmp_store.count("position_flags") == 0


def test_spark_flags_what_duckdb_flags(engine: Engine, tmp_store: cargotrace.Store) -> None:
    rows = track(every_s=10, hours=1)
    rows[0] = moved(rows[0], dlon=2.5)
    rows[200] = moved(rows[200], dlat=3.0)
    store_rows(tmp_store, rows)
    positions = tables_on(engine, tmp_store, ["positions"])["positions"]
    flags = position_outliers(positions)
    kept = to_arrow(without_flagged(positions, flags).count().as_table()).column(0)[0].as_py()
    assert flags.num_rows == 2 and kept == len(rows) - 2


def test_params_reject_nonsense() -> None:
    with pytest.raises(ParamsError, match="max_speed_kn must be > 0, got 0"):
        OutlierParams(max_speed_kn=0)


def test_flags_outside_the_window_are_not_stored(tmp_store: cargotrace.Store) -> None:
    """`replace_flags` keeps only the flags of positions in [since, until): those of a
    windowed run's margins are other windows' (the rule is enforced there, once)."""
    rows = track(every_s=60, hours=6)
    for i, (dlat, dlon) in ((30, (4.0, 0.0)), (150, (-5.0, 0.0)), (300, (0.0, 6.0))):
        rows[i] = moved(rows[i], dlat=dlat, dlon=dlon)  # three glitches that disagree
    store_rows(tmp_store, rows)
    positions = tables_on(Engine.DUCKDB, tmp_store, ["positions"])["positions"]
    flags = position_outliers(positions)
    since, until = T0 + timedelta(hours=2), T0 + timedelta(hours=4)
    frame = flags.to_pandas()
    inside = frame[(frame.ts >= since) & (frame.ts < until)]
    assert len(frame) == 3 and len(inside) == 1
    assert replace_flags(tmp_store, flags, since, until) == len(inside)
    assert tmp_store.con.execute("SELECT ts FROM position_flags").fetchall() == [
        (inside.ts.iloc[0].to_pydatetime(),)]
