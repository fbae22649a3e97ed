from __future__ import annotations

import numpy as np
import pytest
from global_land_mask import globe

from cargotrace.errors import ParamsError
from cargotrace.geo import landmask


@pytest.mark.parametrize(
    ("lat", "lon", "land"),
    [
        pytest.param(41.0, 134.0, False, id="sea_of_japan"),
        pytest.param(0.0, -160.0, False, id="mid_pacific"),
        pytest.param(55.75, 37.62, True, id="moscow"),
        pytest.param(44.0, 133.5, True, id="inland_primorye"),
        pytest.param(45.04, 38.98, True, id="krasnodar"),
    ],
)
def test_known_points(lat: float, lon: float, land: bool) -> None:
    assert landmask.is_land(lat, lon) == land
    assert landmask.is_sea(lat, lon) == (not land)


def test_vectorised_shape_and_dtype() -> None:
    lats = np.array([[41.0, 55.75], [0.0, 44.0]])
    lons = np.array([[134.0, 37.62], [-160.0, 133.5]])
    result = landmask.is_land(lats, lons)
    assert result.shape == (2, 2)
    assert result.dtype == np.bool_
    assert result.tolist() == [[False, True], [False, True]]


def test_same_answers_as_global_land_mask() -> None:
    rng = np.random.default_rng(3)
    lats = rng.uniform(-90, 90, 200_000)
    lons = rng.uniform(-180, 180, 200_000)
    np.testing.assert_array_equal(landmask.is_land(lats, lons), globe.is_land(lats, lons))


def test_longitudes_past_180_wrap() -> None:
    # MARNET writes longitudes such as 187.69 near the antimeridian
    lats = np.array([52.0, 65.0, 10.0])
    lons = np.array([-172.31, -175.0, -150.0])
    np.testing.assert_array_equal(landmask.is_land(lats, lons + 360), landmask.is_land(lats, lons))


@pytest.mark.parametrize(
    ("lat", "lon", "message"),
    [
        (91.0, 0.0, "latitude must be finite and within -90..90"),
        (float("nan"), 0.0, "latitude must be finite"),
        (0.0, float("inf"), "longitude finite"),
    ],
)
def test_bad_coordinates_raise(lat: float, lon: float, message: str) -> None:
    with pytest.raises(ParamsError, match=message):
        landmask.is_land(lat, lon)


def test_shape_mismatch_raises() -> None:
    with pytest.raises(ParamsError, match=r"same shape \(got \(2,\) and \(3,\)\)"):
        landmask.is_land(np.zeros(2), np.zeros(3))


def test_suez_canal_is_land_in_the_mask_hence_a_mask_blind_waterway() -> None:
    ismailia_canal = (30.60, 32.33)
    assert landmask.is_land(*ismailia_canal)
    assert landmask.in_mask_blind_waterway(*ismailia_canal)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        pytest.param(41.12, 29.07, id="bosporus"),
        pytest.param(42.88, 132.34, id="dunay"),
        pytest.param(41.0, 134.0, id="sea_of_japan"),
    ],
)
def test_not_a_mask_blind_waterway(lat: float, lon: float) -> None:
    assert not landmask.in_mask_blind_waterway(lat, lon)


def test_cell_centre_round_trips_to_its_cell() -> None:
    rows, cols = landmask.cell_index(np.array([42.88, -33.9, 0.0]), np.array([132.34, 18.4, 0.0]))
    lats, lons = landmask.cell_centre(rows, cols)
    again = landmask.cell_index(lats, lons)
    np.testing.assert_array_equal(again[0], rows)
    np.testing.assert_array_equal(again[1], cols)


def test_cell_path_goes_around_a_wall() -> None:
    passable = np.ones((5, 5), dtype=bool)
    passable[0:4, 2] = False  # a wall open only at the bottom row
    path = landmask.cell_path(passable, (0, 0), (0, 4), np.full(5, 40.0))
    assert path is not None
    assert path[0] == (0, 0) and path[-1] == (0, 4)
    assert (4, 2) in path
    assert all(passable[p] for p in path)


def test_cell_path_does_not_squeeze_between_diagonal_land_cells() -> None:
    passable = np.array([[True, False], [False, True]])
    assert landmask.cell_path(passable, (0, 0), (1, 1), np.full(2, 40.0)) is None
