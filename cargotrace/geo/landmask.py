"""Land or sea at a point, from the 30-arc-second GLOBE mask shipped by `global-land-mask`.

Why this mask (see docs/decisions/0002-land-mask.md): it answers a million points in ~0.05-0.1 s,
works offline and ships inside the package; the simulator checks every position of every track
against it, so bulk speed matters more than the last few hundred metres of coastline. Its cost
is paid once per machine: the first use decompresses it (3-6 s) and caches it packed to one bit a
cell (117 MB, `cargotrace/cache.py`); later processes memory-map that file and read only the
pages they touch, in milliseconds.

Known limits, which callers must allow for:
- cells are 1/120 degree (~0.93 km north-south, less east-west away from the equator), so a
  coastline is only right to about a kilometre;
- most lakes, and canals narrower than a cell, are "land": the Suez and Panama canals are closed
  in the mask. `MASK_BLIND_WATERWAYS` lists those boxes where a sea lane may cross "land";
- ports sit on the coast and often fall on a land cell (Vladivostok, Nakhodka, Busan, Dunay,
  ...): route checks exempt a few kilometres around their end points.

The mask grid is read directly (`global_land_mask.globe._mask`), pinned to version 1.0.0, so the
route repair can search over the very cells that define land; `is_land` gives exactly the same
answers as `globe.is_land`.
"""

from __future__ import annotations

import functools
import heapq
import importlib.metadata
import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cargotrace.cache import cache_dir, write_atomic
from cargotrace.errors import ParamsError
from cargotrace.geo.sphere import EARTH_RADIUS_KM

__all__ = [
    "CELL_DEG",
    "CELL_KM",
    "MASK_BLIND_WATERWAYS",
    "MaskBlindWaterway",
    "cell_centre",
    "cell_index",
    "cell_path",
    "in_mask_blind_waterway",
    "is_land",
    "is_sea",
    "sea_cells",
    "sea_window",
]

_N_ROWS, _N_COLS = 21600, 43200  # 30-arc-second cells, row 0 at 90 N, column 0 at 180 W

CELL_DEG = 1.0 / 120.0
"""Size of one mask cell in degrees (30 arc seconds)."""

CELL_KM = CELL_DEG * math.pi / 180 * EARTH_RADIUS_KM
"""North-south size of one mask cell in km (on the mean-radius sphere)."""


class PackedMask:
    """The ocean mask at one bit a cell (117 MB instead of 933 MB), indexed like a bool array.

    Supports the integer fancy indexing the callers use, `mask[rows, cols]` with broadcasting
    (so `mask[np.ix_(rows, cols)]` works too), and returns a new bool array.
    """

    def __init__(self, packed: NDArray[np.uint8]) -> None:
        self.packed = packed  # rows of the mask, 8 cells a byte, most significant bit first

    def __getitem__(self, key: tuple[ArrayLike, ArrayLike]) -> NDArray[np.bool_]:
        rows = np.asarray(key[0], dtype=np.intp)
        cols = np.asarray(key[1], dtype=np.intp)
        byte = self.packed[rows, cols >> 3]
        bits: NDArray[np.bool_] = ((byte >> (7 - (cols & 7)).astype(np.uint8)) & 1).astype(bool)
        return bits


@dataclass(frozen=True)
class _Grid:
    ocean: PackedMask  # True where the cell is ocean
    lat0_deg: float
    dlat_deg: float  # negative: rows run north to south
    lon0_deg: float
    dlon_deg: float
    lat_min_deg: float
    lat_max_deg: float


MASK_PACKAGE = "global-land-mask"
MASK_FILE = "globe_combined_mask_compressed.npz"


def _mask_npz() -> Path:
    """The package's compressed mask file, found without importing `globe` (whose import
    decompresses the whole mask)."""
    spec = importlib.util.find_spec("global_land_mask")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("global-land-mask is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / MASK_FILE


def _packed_ocean(npz: Path) -> NDArray[np.uint8]:
    """The mask packed to bits, from the cache (memory-mapped: a process pages in only the
    regions it looks at, in milliseconds), built there on first use (3-6 s, once)."""
    version = importlib.metadata.version(MASK_PACKAGE)
    path = cache_dir() / f"landmask-{MASK_PACKAGE}-{version}-ocean-bits.npy"
    if not path.exists():
        with np.load(npz) as archive:
            ocean = archive["mask"]
        if ocean.shape != (_N_ROWS, _N_COLS):
            raise ValueError(f"{npz}: unexpected mask shape {ocean.shape}")
        packed = np.packbits(ocean, axis=1)
        del ocean
        write_atomic(path, lambda tmp: _save_npy(tmp, packed))
    loaded: NDArray[np.uint8] = np.load(path, mmap_mode="r")
    return loaded


def _save_npy(path: str, array: NDArray[np.uint8]) -> None:
    with open(path, "wb") as f:  # a file object: np.save would append ".npy" to a name
        np.save(f, array)


@functools.cache
def _grid() -> _Grid:
    """The mask, opened on first use, so only code that needs it pays, not every command."""
    npz = _mask_npz()
    with np.load(npz) as archive:  # lat and lon are small members: no mask decompression
        lat, lon = archive["lat"], archive["lon"]
    return _Grid(
        PackedMask(_packed_ocean(npz)),
        float(lat[0]),
        float(lat[1] - lat[0]),
        float(lon[0]),
        float(lon[1] - lon[0]),
        float(lat.min()),
        float(lat.max()),
    )


@dataclass(frozen=True)
class MaskBlindWaterway:
    """A navigable waterway that the mask shows as land, where sea lanes are trusted instead."""

    name: str
    lat_min_deg: float
    lat_max_deg: float
    lon_min_deg: float
    lon_max_deg: float
    why: str


MASK_BLIND_WATERWAYS: tuple[MaskBlindWaterway, ...] = (
    MaskBlindWaterway(
        "Suez Canal",
        29.90,
        31.30,
        32.20,
        32.65,
        "canal ~300 m wide and the Bitter Lakes are land cells; measured: the mask has no sea "
        "path between the Gulf of Suez and the Mediterranean",
    ),
    MaskBlindWaterway(
        "Panama Canal",
        8.85,
        9.42,
        -79.95,
        -79.50,
        "Gatun Lake and the Culebra Cut are land cells (lakes are land in the mask)",
    ),
)
"""Boxes where a route point on a land cell is not a land crossing. Kept as small as the canal.

The Bosporus and the Dardanelles are *not* listed: the mask keeps a 4-connected sea path through
both, so routes there are repaired onto mask sea like anywhere else.
"""


def _as_lat_lon(lat: ArrayLike, lon: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    lat_deg = np.asarray(lat, dtype=np.float64)
    lon_deg = np.asarray(lon, dtype=np.float64)
    if lat_deg.shape != lon_deg.shape:
        raise ParamsError(
            f"lat and lon must have the same shape (got {lat_deg.shape} and {lon_deg.shape})"
        )
    finite = np.isfinite(lat_deg) & np.isfinite(lon_deg)
    if not finite.all() or np.any(np.abs(lat_deg) > 90.0):
        bad = np.flatnonzero(~finite.ravel() | (np.abs(lat_deg.ravel()) > 90.0))[0]
        raise ParamsError(
            f"latitude must be finite and within -90..90 and longitude finite "
            f"(first bad value at index {bad}: lat={lat_deg.ravel()[bad]}, "
            f"lon={lon_deg.ravel()[bad]})"
        )
    # Sea-lane networks use longitudes past 180 near the antimeridian: wrap to -180..180.
    lon_deg = np.mod(lon_deg + 180.0, 360.0) - 180.0
    return lat_deg, lon_deg


def cell_index(lat: ArrayLike, lon: ArrayLike) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Row and column of the mask cell holding each point (the same rule as `globe.is_land`)."""
    lat_deg, lon_deg = _as_lat_lon(lat, lon)
    grid = _grid()
    lat_deg = np.clip(lat_deg, grid.lat_min_deg, grid.lat_max_deg)
    rows = ((lat_deg - grid.lat0_deg) / grid.dlat_deg).astype(np.intp)
    cols = ((lon_deg - grid.lon0_deg) / grid.dlon_deg).astype(np.intp)
    return np.clip(rows, 0, _N_ROWS - 1), np.clip(cols, 0, _N_COLS - 1)


def cell_centre(
    rows: ArrayLike, cols: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Latitude and longitude of the centre of mask cells (columns wrap around the globe)."""
    grid = _grid()
    rows_f = np.asarray(rows, dtype=np.float64)
    cols_f = np.mod(np.asarray(cols, dtype=np.intp), _N_COLS).astype(np.float64)
    lat_deg = grid.lat0_deg + (rows_f + 0.5) * grid.dlat_deg
    lon_deg = grid.lon0_deg + (cols_f + 0.5) * grid.dlon_deg
    return lat_deg, np.mod(lon_deg + 180.0, 360.0) - 180.0


def sea_cells(rows: ArrayLike, cols: ArrayLike) -> NDArray[np.bool_]:
    """True where the cell (row, col) is sea; rows are clipped to the grid, columns wrap."""
    rows_i = np.clip(np.asarray(rows, dtype=np.intp), 0, _N_ROWS - 1)
    cols_i = np.mod(np.asarray(cols, dtype=np.intp), _N_COLS)
    ocean: NDArray[np.bool_] = _grid().ocean[rows_i, cols_i]
    return ocean


def sea_window(row_start: int, row_stop: int, col_start: int, col_stop: int) -> NDArray[np.bool_]:
    """Sea cells of a block of the mask (rows clipped to the grid, columns wrap at 180 degrees).

    Returns a new array; True for sea.
    """
    rows = np.arange(max(row_start, 0), min(row_stop, _N_ROWS))
    cols = np.mod(np.arange(col_start, col_stop), _N_COLS)
    window: NDArray[np.bool_] = _grid().ocean[rows[:, None], cols[None, :]]
    return window


def is_land(lat: ArrayLike, lon: ArrayLike) -> NDArray[np.bool_]:
    """True where a point falls on a land cell. Vectorised over arrays of any (equal) shape.

    Raises `ParamsError` on NaN or |lat| > 90; longitudes are wrapped, so 187.7 means -172.3.
    """
    return np.logical_not(sea_cells(*cell_index(lat, lon)))


def is_sea(lat: ArrayLike, lon: ArrayLike) -> NDArray[np.bool_]:
    """True where a point falls on a sea cell (the negation of `is_land`)."""
    return sea_cells(*cell_index(lat, lon))


def in_mask_blind_waterway(lat: ArrayLike, lon: ArrayLike) -> NDArray[np.bool_]:
    """True where a point lies inside one of `MASK_BLIND_WATERWAYS`."""
    lat_deg, lon_deg = _as_lat_lon(lat, lon)
    inside = np.zeros(lat_deg.shape, dtype=np.bool_)
    for box in MASK_BLIND_WATERWAYS:
        inside |= (
            (lat_deg >= box.lat_min_deg)
            & (lat_deg <= box.lat_max_deg)
            & (lon_deg >= box.lon_min_deg)
            & (lon_deg <= box.lon_max_deg)
        )
    return inside


def _walk_back(
    parent: dict[int, int], start_i: int, goal_i: int, n_cols: int
) -> list[tuple[int, int]]:
    """The (row, col) cells from start to goal, read back from the goal through each cell's
    parent on the shortest path (flat indices `row * n_cols + col`)."""
    path = [goal_i]
    while path[-1] != start_i:
        path.append(parent[path[-1]])
    return [divmod(i, n_cols) for i in reversed(path)]


def cell_path(
    passable: NDArray[np.bool_],
    start: tuple[int, int],
    goal: tuple[int, int],
    row_lats: NDArray[np.float64],
) -> list[tuple[int, int]] | None:
    """Shortest 8-connected path over `passable` cells of a mask window, as (row, col) pairs.

    A* with step costs in km at each row's latitude (`row_lats`). A diagonal step needs both
    side cells passable, so the straight line between the centres of consecutive cells never
    touches any other cell: a path over sea cells is a line over sea.
    """
    n_rows, n_cols = passable.shape
    free = passable.ravel().tolist()
    dy_km = CELL_KM
    dx_km = (dy_km * np.cos(np.radians(row_lats))).tolist()
    dx_min_km = min(dx_km)
    goal_r, goal_c = goal

    def estimate(r: int, c: int) -> float:
        return math.hypot((r - goal_r) * dy_km, (c - goal_c) * dx_min_km)

    start_i, goal_i = start[0] * n_cols + start[1], goal_r * n_cols + goal_c
    best = {start_i: 0.0}
    parent: dict[int, int] = {}
    heap = [(estimate(*start), 0.0, start_i)]
    while heap:
        _, g, u = heapq.heappop(heap)
        if u == goal_i:
            return _walk_back(parent, start_i, goal_i, n_cols)
        if g > best[u]:
            continue
        r, c = divmod(u, n_cols)
        for dr in (-1, 0, 1):
            rr = r + dr
            if not 0 <= rr < n_rows:
                continue
            for dc in (-1, 0, 1):
                cc = c + dc
                v = rr * n_cols + cc
                if (dr == dc == 0) or not 0 <= cc < n_cols or not free[v]:
                    continue
                if dr and dc and not (free[rr * n_cols + c] and free[r * n_cols + cc]):
                    continue  # a diagonal step must not clip a land corner
                dx = (dx_km[r] + dx_km[rr]) / 2
                g_new = g + math.hypot(dr * dy_km, dc * dx)
                if g_new < best.get(v, math.inf):
                    best[v] = g_new
                    parent[v] = u
                    heapq.heappush(heap, (g_new + estimate(rr, cc), g_new, v))
    return None
