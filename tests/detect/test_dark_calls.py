"""Possible dark port calls from gap events: one event per silence, ports reachable at the
vessel's own speed over water, ports seen visited next to the gap left out."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from cargotrace.detect.dark_calls import (
    dark_port_calls,
    leg_km,
    passage_km,
    plausible_speed_kn,
)
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.params import GapParams
from cargotrace.geo import sphere
from cargotrace.store.events import Event

T0 = datetime(2023, 9, 5, 6, tzinfo=UTC)
# open water in the Sea of Japan, ~130 km south of Vladivostok; a fictitious anchorage on the
# ships' line, and a second one 100 km south of it
ANCHORAGE = {"place_id": "t:a", "name": "Anchorage A", "kind": "anchorage", "lat": 41.9,
             "lon": 133.0, "watch_reason": "test"}
FAR = {**ANCHORAGE, "place_id": "t:far", "name": "Anchorage far", "lat": 41.0}


def places(*rows: dict[str, Any]) -> pa.Table:
    return pa.Table.from_pylist(list(rows))


def gap(start: tuple[float, float], end: tuple[float, float], hours: float,
        sog_kn: float | None = 12.0, mmsi: int = 273000001) -> Event:
    return Event(EventKind.GAP, mmsi, T0, T0 + timedelta(hours=hours), lat=start[0],
                 lon=start[1], attrs={"duration_h": hours, "end_lat": end[0], "end_lon": end[1],
                                      "sog_before_kn": sog_kn, "sog_after_kn": sog_kn})


def around(place: dict[str, Any], km: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """Points `km` west and east of a place (where AIS went off and came back on)."""
    dlon = km / (111.32 * math.cos(math.radians(place["lat"])))
    return (place["lat"], place["lon"] - dlon), (place["lat"], place["lon"] + dlon)


def test_one_event_per_silence_naming_the_shortest_detour_first() -> None:
    west, east = around(ANCHORAGE, 20)
    (call,) = dark_port_calls([gap(west, east, 20)], places(FAR, ANCHORAGE), GapParams())
    assert call.kind == EventKind.POSSIBLE_DARK_PORT_CALL and call.place_id == "t:a"
    assert (call.start, call.end) == (T0, T0 + timedelta(hours=20))
    candidates = call.attrs["candidates"]
    assert [c["place_id"] for c in candidates] == ["t:a", "t:far"]
    assert candidates[0]["detour_km"] == pytest.approx(40, abs=0.5)
    # 12 kn seen, 10% allowed: 13.2 kn; slack = 20 h - 4 h stay - detour at that speed
    assert call.attrs["speed_kn"] == 13.2 and call.attrs["speed_basis"] == "own_speed"
    # slack: 20 h - 4 h stay - the detour (40 km: the passage itself, on the ship's line)
    assert call.attrs["passage_km"] == pytest.approx(40, abs=0.5)
    assert candidates[0]["slack_h"] == pytest.approx(16 - 40 / 1.852 / 13.2, abs=0.01)
    assert call.confidence is not None
    assert call.attrs["n_candidates"] == 2 and 0 < call.confidence <= 1


def test_a_silence_no_longer_than_the_passage_hides_no_call_at_own_speed() -> None:
    # 160 km sailed in 10 h at 12 kn (7.2 h needed): an anchorage 30 km off the line needs a
    # 171 km detour and 4 h alongside: 11 h at 13.2 kn, but only 8.6 h at the 20 kn cap used
    # when the vessel's speed is unknown
    start, end = (42.0, 132.0), (42.0, 133.93)
    off_line = {**ANCHORAGE, "lat": 41.73, "lon": 132.965}
    assert dark_port_calls([gap(start, end, 10)], places(off_line), GapParams()) == []
    (call,) = dark_port_calls([gap(start, end, 10, sog_kn=None)], places(off_line), GapParams())
    assert call.attrs["speed_kn"] == 20.0 and call.attrs["speed_basis"] == "max_speed_kn"
    assert call.attrs["detour_km"] == pytest.approx(171, abs=2)
    assert call.attrs["passage_km"] == pytest.approx(160, abs=1)  # open water: straight


def test_a_port_seen_visited_next_to_the_gap_is_no_candidate() -> None:
    west, east = around(ANCHORAGE, 20)
    silence = gap(west, east, 20)
    visit = Event(EventKind.PORT_VISIT, silence.mmsi, T0 - timedelta(hours=30),
                  T0 - timedelta(hours=1), place_id="t:a")
    (call,) = dark_port_calls([silence], places(ANCHORAGE, FAR), GapParams(), [visit])
    assert call.place_id == "t:far" and call.attrs["n_candidates"] == 1
    # another vessel's visit, or one long before, changes nothing
    other = Event(EventKind.PORT_VISIT, 1, visit.start, visit.end, place_id="t:a")
    old = Event(EventKind.PORT_VISIT, silence.mmsi, T0 - timedelta(days=3),
                T0 - timedelta(days=2), place_id="t:a")
    (call,) = dark_port_calls([silence], places(ANCHORAGE, FAR), GapParams(), [other, old])
    assert call.place_id == "t:a"


def test_only_watched_places_ships_call_at_and_closed_gaps() -> None:
    west, east = around(ANCHORAGE, 20)
    depot = {**ANCHORAGE, "kind": "depot"}
    unwatched = {**ANCHORAGE, "watch_reason": None}
    assert dark_port_calls([gap(west, east, 20)], places(depot, unwatched), GapParams()) == []
    still_open = gap(west, east, 20)
    still_open.end = None
    assert dark_port_calls([still_open], places(ANCHORAGE), GapParams()) == []


def test_plausible_speed() -> None:
    params = GapParams()
    speed, basis = plausible_speed_kn({"sog_before_kn": 10.0, "sog_after_kn": 12.0}, params)
    assert speed == pytest.approx(13.2) and basis == "own_speed"
    assert plausible_speed_kn({"sog_before_kn": None, "sog_after_kn": 9.0}, params)[0] == (
        pytest.approx(9.9))
    assert plausible_speed_kn({"sog_before_kn": 19.0}, params) == (20.0, "max_speed_kn")
    assert plausible_speed_kn({}, params) == (20.0, "max_speed_kn")


def test_legs_go_around_land() -> None:
    incheon, busan = (37.45, 126.6), (35.07, 129.05)
    great_circle = float(sphere.haversine_km(*incheon, *busan))
    assert leg_km(incheon, busan) > 1.5 * great_circle  # round the Korean peninsula
    at_sea = (41.9, 132.76), (41.9, 133.24)
    assert leg_km(*at_sea) == pytest.approx(float(sphere.haversine_km(*at_sea[0], *at_sea[1])))


def test_passage_is_straight_over_open_water_and_round_land() -> None:
    """Silent from off Maizuru to off Vostochny: 815 km across open water, however MARNET's few
    nodes there zigzag (1,247 km); from off Incheon to off Busan, round Korea by the lanes."""
    maizuru, vostochny = (35.5612, 135.3658), (42.6641, 133.0487)
    assert passage_km(maizuru, vostochny) == pytest.approx(
        float(sphere.haversine_km(*maizuru, *vostochny)))
    incheon, busan = (37.45, 126.6), (35.07, 129.05)
    assert passage_km(incheon, busan) == leg_km(incheon, busan)


def test_a_silence_at_the_berth_hides_no_call_elsewhere() -> None:
    """Moored at the anchorage, silent for a day, moored there again (the port visit spans the
    gap): with no sailing speed on either side the 20 kn cap would reach every port around."""
    silence = gap((41.9, 133.0), (41.9001, 133.0), 24, sog_kn=None)
    stay = Event(EventKind.PORT_VISIT, silence.mmsi, T0 - timedelta(hours=12),
                 T0 + timedelta(hours=36), place_id="t:a")
    assert dark_port_calls([silence], places(ANCHORAGE, FAR), GapParams(), [stay]) == []
    # without the visit the far anchorage fits: the test above is the rule, not the data
    (call,) = dark_port_calls([silence], places(ANCHORAGE, FAR), GapParams())
    assert "t:far" in [c["place_id"] for c in call.attrs["candidates"]]


def test_the_real_world_port_index_round_korea_fits_as_leg_by_leg(shared_data: Path) -> None:
    """Silent for 60 h from off Incheon to off Busan (the passage goes round Korea by the
    lanes) among the World Port Index's ports: the places that fit and their detours are those
    `leg_km` there and on gives for each place (the lanes are searched once per gap end, not
    once per place: the same answer)."""
    wpi = pd.read_csv(shared_data / "ports" / "UpdatedPub150.csv", encoding="utf-8-sig")
    near = wpi[wpi["Latitude"].between(30, 42) & wpi["Longitude"].between(122, 134)]
    rows = [{"place_id": f"wpi:{n}", "name": name, "kind": "seaport", "lat": float(lat),
             "lon": float(lon), "watch_reason": "test"}
            for n, name, lat, lon in near[["World Port Index Number", "Main Port Name",
                                            "Latitude", "Longitude"]].itertuples(index=False)]
    assert len(rows) > 50
    incheon, busan = (37.45, 126.4), (35.0, 129.1)
    silence = gap(incheon, busan, 60)
    [call] = dark_port_calls([silence], places(*rows), GapParams())
    speed_kn = 12.0 * GapParams().speed_margin
    budget_km = (60 - GapParams().min_port_stay_h) * speed_kn * sphere.KM_PER_NM
    expected = {}
    for row in rows:
        at = (row["lat"], row["lon"])
        if float(sphere.haversine_km(*incheon, *at)) + float(
                sphere.haversine_km(*at, *busan)) > budget_km:
            continue  # beyond the great circles' reach: never a candidate
        detour = leg_km(incheon, at) + leg_km(at, busan)
        if detour <= budget_km:
            expected[row["place_id"]] = round(detour, 1)
    found = {c["place_id"]: c["detour_km"] for c in call.attrs["candidates"]}
    assert len(found) > 10 and found == expected
