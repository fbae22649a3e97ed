"""Possible dark port calls from gap events: one event per silence, ports reachable at the
vessel's own speed over water, ports seen visited next to the gap left out."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

from cargotrace.detect.dark_calls import (
    PASSAGE_MAX_RATIO,
    dark_port_calls,
    leg_km,
    passage_km,
    plausible_speed_kn,
)
from cargotrace.detect.events import Event
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.params import GapParams
from cargotrace.geo import sphere

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
    # 12 kn seen, 10% allowed: 13.2 kn; slack = 20 h - 2 h stay - detour at that speed
    assert call.attrs["speed_kn"] == 13.2 and call.attrs["speed_basis"] == "own_speed"
    # slack: 20 h - 2 h stay - the longer of the detour (40 km) and the passage (west to east
    # along the lanes, at most 1.5x its 40 km), at that speed
    passage = passage_km(west, east)
    assert 40 < passage <= 60 and call.attrs["passage_km"] == round(passage, 1)
    assert candidates[0]["slack_h"] == pytest.approx(18 - passage / 1.852 / 13.2, abs=0.01)
    assert call.attrs["n_candidates"] == 2 and 0 < call.confidence <= 1


def test_a_silence_no_longer_than_the_passage_hides_no_call_at_own_speed() -> None:
    # 160 km apart (the passage: 240 km), silent 11 h, sailing at 12 kn before and after: an
    # anchorage 30 km off the line (171 km via it) leaves no time for 2 h alongside at 13.2 kn
    # (9.8 h to sail + 2 h), but would at the 20 kn cap used when the speed is unknown
    start, end = (42.0, 132.0), (42.0, 133.93)
    off_line = {**ANCHORAGE, "lat": 41.73, "lon": 132.965}
    assert passage_km(start, end) == pytest.approx(240, abs=2)
    assert dark_port_calls([gap(start, end, 11)], places(off_line), GapParams()) == []
    (call,) = dark_port_calls([gap(start, end, 11, sog_kn=None)], places(off_line), GapParams())
    assert call.attrs["speed_kn"] == 20.0 and call.attrs["speed_basis"] == "max_speed_kn"
    assert call.attrs["detour_km"] == pytest.approx(171, abs=2)


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
    assert plausible_speed_kn({"sog_before_kn": 10.0, "sog_after_kn": 12.0}, params) == (
        pytest.approx(13.2), "own_speed")
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


def test_a_silence_the_sea_lane_passage_fills_hides_no_call() -> None:
    """Silent from off Maizuru to 15 km short of Vostochny, 815 km apart in a straight line:
    Nakhodka, 20 km on, is within reach along great circles, but the passage along the lanes
    takes the whole 69 h at the 8.4 kn the ship sailed. With 11 h more, it had time for a call."""
    start, end = (35.5612, 135.3658), (42.6641, 133.0487)
    nakhodka = {**ANCHORAGE, "place_id": "ct:nakhodka", "kind": "seaport", "lat": 42.79884,
                "lon": 132.88925}
    passage = passage_km(start, end)
    straight = float(sphere.haversine_km(*start, *end))
    assert straight < passage <= PASSAGE_MAX_RATIO * straight
    silence = gap(start, end, 69, sog_kn=8.39)
    assert dark_port_calls([silence], places(nakhodka), GapParams()) == []
    (call,) = dark_port_calls([gap(start, end, 80, sog_kn=8.39)], places(nakhodka), GapParams())
    assert call.attrs["passage_km"] == round(passage, 1)
    speed_kmh = 8.39 * 1.1 * 1.852
    assert call.attrs["slack_h"] == pytest.approx((78 * speed_kmh - passage) / speed_kmh, abs=0.01)
