from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from cargotrace.errors import ParamsError
from cargotrace.geo import landmask
from cargotrace.sim.route_positions import position_at
from cargotrace.sim.sea_paths import Route, sea_route

# Port coordinates (lat, lon) as used across the reference case (DESIGN.md).
NAJIN = (42.23, 130.30)
DUNAY = (42.88, 132.34)  # on a land cell of the mask: ~2.6 km from its nearest sea cell
VLADIVOSTOK = (43.11, 131.89)
NAKHODKA = (42.80, 132.88)
VOSTOCHNY = (42.75, 133.08)
BUSAN = (35.10, 129.04)
NOVOROSSIYSK = (44.72, 37.78)
TARTUS = (34.90, 35.87)

EXEMPT_KM = 3.0
EARTH_RADIUS_KM = 6371.0088

# (origin, destination, min km, max km, options)
ROUTES = [
    pytest.param(NAJIN, DUNAY, 200, 330, {}, id="najin_dunay"),
    pytest.param(NAJIN, DUNAY, 200, 330, {"direct_max_km": 0.0}, id="najin_dunay_sea_lanes"),
    pytest.param(DUNAY, NAJIN, 200, 330, {}, id="dunay_najin"),
    pytest.param(NAJIN, VLADIVOSTOK, 165, 300, {}, id="najin_vladivostok"),
    pytest.param(VLADIVOSTOK, NAKHODKA, 90, 200, {}, id="vladivostok_nakhodka"),
    pytest.param(
        VLADIVOSTOK,
        NAKHODKA,
        200,
        350,
        {"direct_max_km": 0.0},
        id="vladivostok_nakhodka_sea_lanes",
    ),
    pytest.param(VOSTOCHNY, BUSAN, 920, 1300, {}, id="vostochny_busan"),
    pytest.param(NAJIN, NOVOROSSIYSK, 16_000, 19_000, {}, id="najin_novorossiysk"),
    pytest.param(VLADIVOSTOK, TARTUS, 14_500, 17_500, {}, id="vladivostok_tartus"),
]


def haversine_km(
    lat1: NDArray[np.float64],
    lon1: NDArray[np.float64],
    lat2: float | NDArray[np.float64],
    lon2: float | NDArray[np.float64],
) -> NDArray[np.float64]:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(h)))


def bearing_deg(
    lat1: NDArray[np.float64],
    lon1: NDArray[np.float64],
    lat2: NDArray[np.float64],
    lon2: NDArray[np.float64],
) -> NDArray[np.float64]:
    p1, p2, dl = np.radians(lat1), np.radians(lat2), np.radians(lon2 - lon1)
    y = np.sin(dl) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    return np.asarray(np.mod(np.degrees(np.arctan2(y, x)), 360.0))


def resample(route: Route, step_km: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Points every `step_km` along the route's great-circle steps (independent of the module)."""
    xyz = np.stack(
        [
            np.cos(np.radians(route.lats)) * np.cos(np.radians(route.lons)),
            np.cos(np.radians(route.lats)) * np.sin(np.radians(route.lons)),
            np.sin(np.radians(route.lats)),
        ],
        axis=1,
    )
    pieces = []
    for a, b, seg_km in zip(xyz[:-1], xyz[1:], np.diff(route.cum_km), strict=True):
        n = max(1, int(np.ceil(seg_km / step_km)))
        t = np.arange(n)[:, None] / n
        omega = np.arccos(np.clip(a @ b, -1, 1))
        if omega < 1e-12:
            pieces.append(np.repeat(a[None], n, axis=0))
        else:
            pieces.append((np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega))
    points = np.vstack([*pieces, xyz[-1:]])
    lats = np.degrees(np.arctan2(points[:, 2], np.hypot(points[:, 0], points[:, 1])))
    return lats, np.degrees(np.arctan2(points[:, 1], points[:, 0]))


@pytest.mark.parametrize(("origin", "dest", "min_km", "max_km", "options"), ROUTES)
def test_route_never_on_land_sampled_every_200_m(
    origin: tuple[float, float],
    dest: tuple[float, float],
    min_km: float,
    max_km: float,
    options: dict[str, float],
) -> None:
    route = sea_route(origin, dest, **options)
    lats, lons = resample(route, 0.2)
    on_land = landmask.is_land(lats, lons)
    exempt = (
        (haversine_km(lats, lons, *origin) <= EXEMPT_KM)
        | (haversine_km(lats, lons, *dest) <= EXEMPT_KM)
        | landmask.in_mask_blind_waterway(lats, lons)
    )
    crossings = np.flatnonzero(on_land & ~exempt)
    assert crossings.size == 0, list(zip(lats[crossings][:5], lons[crossings][:5], strict=True))


@pytest.mark.parametrize(("origin", "dest", "min_km", "max_km", "options"), ROUTES)
def test_route_shape(
    origin: tuple[float, float],
    dest: tuple[float, float],
    min_km: float,
    max_km: float,
    options: dict[str, float],
) -> None:
    route = sea_route(origin, dest, **options)
    assert min_km <= route.length_km <= max_km
    assert (route.lats[0], route.lons[0]) == origin
    assert (route.lats[-1], route.lons[-1]) == dest
    steps_km = np.diff(route.cum_km)
    assert steps_km.min() > 0 and steps_km.max() <= 2.0 + 1e-9
    np.testing.assert_allclose(
        steps_km,
        haversine_km(route.lats[:-1], route.lons[:-1], route.lats[1:], route.lons[1:]),
        rtol=1e-9,
    )
    assert route.cum_km[0] == 0 and route.cum_km[-1] == route.length_km
    assert route.lats.dtype == route.lons.dtype == route.cum_km.dtype == np.float64


def test_najin_novorossiysk_goes_via_suez_and_the_bosporus() -> None:
    route = sea_route(NAJIN, NOVOROSSIYSK)
    in_suez = landmask.in_mask_blind_waterway(route.lats, route.lons)
    in_bosporus = (
        (route.lats > 41.0) & (route.lats < 41.25) & (route.lons > 28.95) & (route.lons < 29.2)
    )
    assert in_suez.any() and in_bosporus.any()
    assert route.via == "sea lanes"
    assert route.land_crossings_repaired > 0  # MARNET's lines do cut capes and islands


def test_short_hop_uses_the_direct_path_when_shorter() -> None:
    direct = sea_route(VLADIVOSTOK, NAKHODKA)
    lanes = sea_route(VLADIVOSTOK, NAKHODKA, direct_max_km=0.0)
    assert direct.via == "mask" and lanes.via == "sea lanes"
    assert direct.length_km < lanes.length_km


def test_smaller_step_gives_denser_route_of_same_length() -> None:
    coarse = sea_route(NAJIN, DUNAY)
    fine = sea_route(NAJIN, DUNAY, step_km=0.5)
    assert np.diff(fine.cum_km).max() <= 0.5 + 1e-9
    assert fine.lats.size > coarse.lats.size
    assert fine.length_km == pytest.approx(coarse.length_km, rel=1e-6)


def test_routes_are_cached_and_read_only() -> None:
    route = sea_route(NAJIN, DUNAY)
    assert sea_route((42.2300000001, 130.30), DUNAY) is route
    with pytest.raises(ValueError, match="read-only"):
        route.lats[0] = 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param(
            {"origin": (95.0, 0.0), "dest": DUNAY},
            r"origin \(95.0, 0.0\) is not a \(lat, lon\) pair in degrees",
            id="bad_lat",
        ),
        pytest.param(
            {"origin": NAJIN, "dest": (0.0, float("nan"))},
            r"destination \(0.0, nan\) is not a \(lat, lon\) pair",
            id="nan_lon",
        ),
        pytest.param(
            {"origin": NAJIN, "dest": DUNAY, "step_km": 0.0},
            r"step_km must be positive \(got 0.0\)",
            id="zero_step",
        ),
        pytest.param(
            {"origin": NAJIN, "dest": DUNAY, "port_exempt_km": -1.0},
            r"port_exempt_km must be zero or positive",
            id="negative_exempt",
        ),
        pytest.param(
            {"origin": NAJIN, "dest": NAJIN},
            r"origin and destination are the same point \(42.23, 130.3\)",
            id="same",
        ),
        pytest.param(
            {"origin": NAJIN, "dest": NOVOROSSIYSK, "restrictions": ("bosporus",)},
            r"no sea route from \(42.23, 130.3\) to \(44.72, 37.78\) avoiding "
            r"\['bosporus'\] \(searoute: No path found",
            id="blocked_by_restriction",
        ),
    ],
)
def test_bad_requests_raise_params_error(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ParamsError, match=message):
        sea_route(**kwargs)  # type: ignore[arg-type]


def test_position_at_matches_endpoints_and_route_points() -> None:
    route = sea_route(NAJIN, DUNAY)
    lats, lons, _ = position_at(route, np.array([0.0, route.length_km]))
    np.testing.assert_allclose(lats, [NAJIN[0], DUNAY[0]], atol=1e-9)
    np.testing.assert_allclose(lons, [NAJIN[1], DUNAY[1]], atol=1e-9)
    lats, lons, _ = position_at(route, route.cum_km)
    np.testing.assert_allclose(lats, route.lats, atol=1e-9)
    np.testing.assert_allclose(lons, route.lons, atol=1e-9)


@pytest.mark.parametrize("dest", [DUNAY, NOVOROSSIYSK], ids=["dunay", "novorossiysk"])
def test_position_at_is_monotone_along_the_route(dest: tuple[float, float]) -> None:
    route = sea_route(NAJIN, dest)
    km = np.sort(np.random.default_rng(11).uniform(0.0, route.length_km, 20_000))
    lats, lons, _ = position_at(route, km)
    # each position lies on its route step, as far from the step's ends as asked ...
    seg = np.clip(np.searchsorted(route.cum_km, km, "right") - 1, 0, route.cum_km.size - 2)
    from_start_km = haversine_km(route.lats[seg], route.lons[seg], lats, lons)
    to_end_km = haversine_km(lats, lons, route.lats[seg + 1], route.lons[seg + 1])
    np.testing.assert_allclose(from_start_km, km - route.cum_km[seg], atol=1e-6)
    np.testing.assert_allclose(to_end_km, route.cum_km[seg + 1] - km, atol=1e-6)
    # ... so positions advance with km and never jump further than the distance between them
    moved_km = haversine_km(lats[:-1], lons[:-1], lats[1:], lons[1:])
    assert (moved_km <= np.diff(km) + 1e-6).all()


def test_course_is_the_bearing_along_the_route() -> None:
    route = sea_route(VOSTOCHNY, BUSAN)
    km = np.random.default_rng(7).uniform(0.0, route.length_km - 0.01, 5_000)
    lats, lons, course = position_at(route, km)
    ahead_lats, ahead_lons, _ = position_at(route, km + 0.005)
    expected = bearing_deg(lats, lons, ahead_lats, ahead_lons)
    # same route step for both points (else the bearing turns a corner): compare those
    same_step = np.searchsorted(route.cum_km, km, "right") == np.searchsorted(
        route.cum_km, km + 0.005, "right"
    )
    difference = np.abs((course - expected + 180.0) % 360.0 - 180.0)
    assert same_step.mean() > 0.99
    assert difference[same_step].max() < 0.05
    assert ((course >= 0) & (course < 360)).all()


def test_position_at_keeps_the_input_shape() -> None:
    route = sea_route(NAJIN, DUNAY)
    lats, lons, course = position_at(route, np.full((3, 4), 10.0))
    assert lats.shape == lons.shape == course.shape == (3, 4)
    lat, _, _ = position_at(route, 10.0)
    assert lat.shape == ()


@pytest.mark.parametrize("km", [-0.1, 1e6, float("nan")])
def test_position_at_outside_the_route_raises(km: float) -> None:
    route = sea_route(NAJIN, DUNAY)
    with pytest.raises(ParamsError, match=r"km is outside the route \(0 to 2\d\d\.\d{3} km\)"):
        position_at(route, np.array([5.0, km]))
