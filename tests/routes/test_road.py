"""Issue 15: the road mode (trucks) - great-circle x circuity, AETR driving time, border delay.

Expected values come from an independent computation in the test: great-circle distances from
the places' coordinates with a plain spherical-law formula, and the AETR day simulated hour by
hour (drive, break, rest), not the closed form of routes/road.py."""

from __future__ import annotations

import math

import pytest

from cargotrace.errors import ParamsError
from cargotrace.routes import plan_routes
from cargotrace.routes.network import RouteNetwork
from cargotrace.routes.params import RoadParams
from cargotrace.routes.place_book import PlaceBook
from cargotrace.routes.road import calendar_hours, road_leg


def _great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Spherical law of cosines on the mean Earth radius (6371.0088 km, IUGG)."""
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    c = math.sin(la1) * math.sin(la2) + math.cos(la1) * math.cos(la2) * math.cos(lo2 - lo1)
    return 6371.0088 * math.acos(min(1.0, c))


def _aetr_clock(driving_h: float, p: RoadParams) -> float:
    """Step through the trip: drive up to 4.5 h, then a break, until the day's driving is
    used up, then a daily rest; arrival ends it (no break or rest after the last stint)."""
    clock, left, today = 0.0, driving_h, 0.0
    while left > 1e-9:
        stint = min(4.5, left, p.driving_per_day_h - today)
        clock, left, today = clock + stint, left - stint, today + stint
        if left <= 1e-9:
            break
        if today >= p.driving_per_day_h - 1e-9:
            clock, today = clock + p.daily_rest_h, 0.0
        else:
            clock += p.break_h
    return clock


@pytest.mark.parametrize("driving_h", [0.5, 4.5, 5.0, 9.0, 9.5, 13.5, 30.0, 71.3])
def test_calendar_hours_follow_the_aetr_day(driving_h: float) -> None:
    p = RoadParams()
    assert calendar_hours(driving_h, p) == pytest.approx(_aetr_clock(driving_h, p))


def test_a_truck_leg_within_russia(network: RouteNetwork, book: PlaceBook) -> None:
    """Vladivostok -> Nakhodka by truck: one road leg, distance = great circle x 1.26, no
    border; its P50 moving time is the AETR clock of that distance at 42 km/h."""
    (route,) = plan_routes(book, "Vladivostok", "Nakhodka", modes="road", k=1,
                           network=network)
    (leg,) = route.legs
    a, b = book.resolve("Vladivostok"), book.resolve("Nakhodka")
    gc = _great_circle_km((a.lat, a.lon), (b.lat, b.lon))
    p = RoadParams()
    assert leg.mode == "road" and leg.distance_km == pytest.approx(gc * 1.26, rel=1e-3)
    assert leg.moving.p50_h == pytest.approx(_aetr_clock(gc * 1.26 / 42.0, p), rel=1e-3)
    assert leg.moving.p90_h == pytest.approx(_aetr_clock(gc * 1.435 / 30.0, p), rel=1e-3)
    assert [s.kind for s in leg.stops] == ["road_handling"]  # loading the trucks, no border
    assert "great-circle x circuity" in leg.note


def test_a_truck_leg_across_a_border_waits_there(network: RouteNetwork,
                                                 book: PlaceBook) -> None:
    """Najin (KP) -> Khasan (RU) by truck: a border stop with the CAREC delay (P50 9.9 h);
    Najin -> Tumangang stays in the DPRK, no border stop."""
    (across,) = plan_routes(book, "Najin", "Khasan", modes="road", k=1, network=network)
    (within,) = plan_routes(book, "Najin", "Tumangang", modes="road", k=1, network=network)
    borders = [s for s in across.legs[0].stops if s.kind == "border"]
    assert len(borders) == 1 and borders[0].time.p50_h == pytest.approx(9.9)
    assert not [s for s in within.legs[0].stops if s.kind == "border"]
    assert across.time.p50_h > within.time.p50_h + 9.0


def test_beyond_reach_no_truck_and_nonsense_refused() -> None:
    assert road_leg(42.2, 130.3, 45.85, 40.1, False, RoadParams()) is None  # Najin-Tikhoretsk
    for bad in ({"circuity_p50": 0.9}, {"circuity_p50": 1.5, "circuity_p90": 1.3},
                {"speed_slow_kmh": 50.0}, {"driving_per_day_h": 14.0}):
        with pytest.raises(ParamsError):
            RoadParams(**bad)  # type: ignore[arg-type]
