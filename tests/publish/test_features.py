"""Store rows → features: where events sit, how tracks are cut, what routes credit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import cargotrace
from cargotrace.errors import ParamsError
from cargotrace.publish.features import (
    GeomType,
    Layer,
    event_features,
    route_features,
    select_events,
    select_positions,
    track_features,
)
from cargotrace.publish.geometry import line_parts
from cargotrace.publish.params import ExportParams

T0 = datetime(2023, 9, 7, tzinfo=UTC)


def fix(minutes: float, lat: float, lon: float, mmsi: int = 273950540) -> dict[str, Any]:
    return {"mmsi": mmsi, "ts": T0 + timedelta(minutes=minutes), "lat": lat, "lon": lon}


def test_every_event_is_one_feature_with_its_location(store: cargotrace.Store) -> None:
    rows = select_events(store)
    features = event_features(rows).features
    assert len(features) == store.count("events") > 0
    for row, feature in zip(rows, features, strict=True):
        assert feature.properties["event_id"] == row["event_id"]
        if row["lat"] is None:
            assert feature.geom_type is GeomType.NONE
        else:
            assert feature.coords[0] == (row["lon"], row["lat"])
    assert {f.geom_type for f in features} >= {GeomType.POINT, GeomType.NONE}


def test_closed_gap_is_a_line_from_start_to_end_position(store: cargotrace.Store) -> None:
    row = dict(select_events(store, kinds=["gap"])[0])
    row["attrs"] = {**row["attrs"], "end_lat": row["lat"] + 0.5, "end_lon": row["lon"] + 1.0,
                    "open": False}
    (feature,) = event_features([row]).features
    assert feature.geom_type is GeomType.LINE
    assert feature.coords == ((row["lon"], row["lat"]), (row["lon"] + 1.0, row["lat"] + 0.5))
    assert feature.properties["open"] is False and "attr_lat" not in feature.properties


def test_tracks_cut_at_silences_and_jumps(store: cargotrace.Store) -> None:
    mmsis = [r[0] for r in store.con.execute("SELECT DISTINCT mmsi FROM positions").fetchall()]
    rows = select_positions(store, mmsis)
    params = ExportParams()
    tracks = track_features(rows, params).features
    assert tracks and all(f.layer is Layer.TRACK and f.times is not None for f in tracks)
    assert sum(len(f.coords) for f in tracks) <= len(rows)
    for f in tracks:
        assert f.times is not None
        steps = [(b - a).total_seconds() for a, b in zip(f.times, f.times[1:], strict=False)]
        assert min(steps) >= 0 and max(steps) <= params.track_split_h * 3600
    silent = [fix(0, 42.6, 131.2), fix(10, 42.62, 131.22), fix(10 + 7 * 60, 42.9, 131.8),
              fix(10 + 7 * 60 + 10, 42.92, 131.82)]
    assert [len(f.coords) for f in track_features(silent).features] == [2, 2]
    jump = [fix(0, 42.6, 131.2), fix(10, 42.62, 131.22), fix(20, 38.0, 128.0),
            fix(30, 38.02, 128.02)]
    assert [len(f.coords) for f in track_features(jump).features] == [2, 2]


def test_antimeridian_parts_meet_at_the_interpolated_crossing() -> None:
    coords = ((179.5, 52.0), (179.9, 52.2), (-179.7, 52.6), (-179.2, 52.8))
    times = tuple(T0 + timedelta(hours=h) for h in range(4))
    parts = line_parts(coords, times)
    assert len(parts) == 2
    end, start = parts[0][-1], parts[1][0]
    assert (end[0], start[0]) == (180.0, -180.0) and end[1] == start[1]
    assert 52.2 < end[1] < 52.6 and times[1] < end[2] < times[2]  # type: ignore[operator]
    assert all(-180 <= x <= 180 for p in parts for x, _, _ in p)


def test_routes_credit_openstreetmap_when_they_use_rail(reference_routes: list[Any]) -> None:
    features = route_features(reference_routes)
    assert {f.mode for f in features.features} >= {"rail"}
    assert any("© OpenStreetMap contributors (ODbL" in a for a in features.attribution)
    legs = sum(len(r.legs) for r in reference_routes)
    assert len(features.features) == legs


def test_params_reject_nonsense() -> None:
    with pytest.raises(ParamsError, match="track_split_h must be > 0 hours, got 0"):
        ExportParams(track_split_h=0)


def test_overlapping_selection_keeps_events_that_began_before_the_window(store: Any) -> None:
    from datetime import timedelta

    from cargotrace.publish.features import select_events

    rows = store.con.execute(
        'SELECT start, "end" FROM events WHERE "end" > start + INTERVAL 6 HOUR '
        "ORDER BY start LIMIT 1").fetchall()
    assert rows, "the simulated store has events lasting more than 6 h"
    start, end = rows[0]
    since = start + timedelta(hours=3)
    started_inside = select_events(store, since=since, until=end)
    overlapping = select_events(store, since=since, until=end, overlapping=True)
    ids = {e["event_id"] for e in overlapping}
    assert {e["event_id"] for e in started_inside} < ids
    assert any(e["start"] == start for e in overlapping)
