"""How far each receiver hears: its reach, estimated from the positions it heard.

Why: the footprint's cells (`footprint.py`) are known only where ships sailed and were heard.
A transponder switched off 20 km out of port, on a course no other ship took, points at cells
no one was heard in and reads as leaving coverage; a ship back in range where two receivers'
ranges meet comes back through cells that straddle the edge and reads as "came back inside".
When positions name the receiver that heard them (`positions.station`: the NMEA tag block's
`s:`, a table's `station`/`receiver` column), each receiver's reach can be drawn instead, and a
silence judged against where the receivers hear, not where ships happened to sail.

Per receiver, from its own positions (one group-by per receiver, transceiver class and
`reach_cell_deg` cell, with the positions and the distinct hours in which a vessel lay still):
- its *centre* is the cell, within `reach_centre_max_offshore_nm` (5 nm) of the coast, in
  which vessels lay still (slower than `UNDERWAY_KN`) in the most distinct hours: a shore
  receiver stands at a port, where ships lie moored hour after hour and day after day; a ship
  loitering or two ships meeting hold still for a few hours, and mostly out at sea (ties: the
  cell with more positions, then the lowest cell). Without any vessel lying still near the
  coast there is no centre, and no reach (a receiver on an offshore platform is judged on the
  footprint's cells);
- its *reach*, per transceiver class (class B, message types 18 and 19: a 2 W transmitter is
  heard about half as far as a 12.5 W class A one), is the `reach_quantile` (99 %) of the
  distances of that class's positions from the centre (a few stray fixes, a spoofed position
  far away, do not stretch it), drawn only from at least `reach_min_positions` positions.

The reach is a disk: a receiver whose range varies with direction (hills, a headland's shadow)
is drawn at its 99th percentile. Where two receivers stand close, a ship is heard by one or
the other, and each disk holds what that receiver heard; a point is *covered* when it lies
inside some receiver's reach for the vessel's class.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cargotrace.detect.footprint import CLASS_B_MSG_TYPES, LOOK_STEPS, UNDERWAY_KN
from cargotrace.detect.params import CoverageParams
from cargotrace.detect.track import epoch_s
from cargotrace.geo import landmask, sphere
from cargotrace.geo.shore import distance_to_shore_nm
from cargotrace.geo.sphere import KM_PER_DEG, KM_PER_NM
from cargotrace.store.engines import to_arrow

__all__ = ["NO_REACHES", "Reach", "Reaches", "station_reaches"]

HOUR_S = 3600


@dataclass(frozen=True)
class Reach:
    """One receiver's estimated centre and reach (km) for one transceiver class."""

    station: str
    class_b: bool
    lat: float
    lon: float
    reach_km: float
    positions: int
    resolution_km: float = 0.0
    """Half the diagonal of the cells it was drawn from."""


@dataclass(frozen=True, eq=False)
class Reaches:
    """The reach of every receiver that could be drawn, by (station, class B)."""

    by_station: Mapping[tuple[str, bool], Reach] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # per class, the centres and reaches as arrays: `covered` tests points against all
        for b in (False, True):
            mine = [r for r in self.by_station.values() if r.class_b == b]
            object.__setattr__(self, f"_arrays_{int(b)}", (
                np.array([r.lat for r in mine]), np.array([r.lon for r in mine]),
                np.array([r.reach_km for r in mine])))

    def __bool__(self) -> bool:
        return bool(self.by_station)

    def of(self, station: str | None, class_b: bool) -> Reach | None:
        """The reach of `station` for the class, when it was drawn."""
        return None if station is None else self.by_station.get((station, class_b))

    def covered(self, lat: np.ndarray, lon: np.ndarray, class_b: bool) -> np.ndarray:
        """Each point lies inside some receiver's reach for the class."""
        c_lat, c_lon, reach = getattr(self, f"_arrays_{int(class_b)}")
        if reach.size == 0:
            return np.zeros(np.shape(lat), bool)
        km = sphere.haversine_km(np.asarray(lat)[:, None], np.asarray(lon)[:, None],
                                 c_lat[None, :], c_lon[None, :])
        inside: np.ndarray = (km < reach[None, :]).any(axis=1)
        return inside

    def heading_out(self, lat: float, lon: float, course_deg: float, class_b: bool,
                    lookahead_km: float) -> bool:
        """Open sea beyond every receiver's reach (for the class) lies within `lookahead_km`
        along `course_deg`, before any land: a vessel heading for a coast must turn before
        it, so only the water short of it says where it was going."""
        km = lookahead_km * np.asarray(LOOK_STEPS)
        plat, plon = sphere.destination(np.full(km.size, lat), np.full(km.size, lon),
                                        np.full(km.size, course_deg), km)
        land = landmask.is_land(plat, plon)
        before_land = np.cumsum(land) == 0
        return bool((before_land & ~self.covered(plat, plon, class_b)).any())

    def hours_to_edge(self, reach: Reach, lat: float, lon: float, sog_kn: float) -> float:
        """How soon a vessel at (lat, lon) sailing straight out at `sog_kn` is surely beyond
        `reach`: the reach is drawn from cells, so known to about half a cell's diagonal,
        which the vessel must sail too."""
        inside_km = reach.reach_km - sphere.distance_km(lat, lon, reach.lat, reach.lon)
        return max(0.0, inside_km + reach.resolution_km) / (sog_kn * KM_PER_NM)

    def attrs(self, reach: Reach, lat: float, lon: float) -> dict[str, Any]:
        """What the receiver's reach said about where a silence began."""
        km = sphere.distance_km(lat, lon, reach.lat, reach.lon)
        return {"reach_basis": "receiver", "reach_class": "B" if reach.class_b else "A",
                "station_reach_km": round(reach.reach_km, 1),
                "inside_reach_km": round(reach.reach_km - km, 1)}


NO_REACHES = Reaches()


def station_reaches(positions: Any, params: CoverageParams) -> Reaches:
    """Each tagged receiver's centre and reach per transceiver class (module doc), from
    `positions` (an Ibis table on any engine): two group-bys (every position by receiver,
    class and cell; the positions of vessels lying still by receiver and cell), a few
    thousand rows."""
    deg = params.reach_cell_deg
    p = positions.filter(positions.station.notnull() & positions.lat.notnull()
                         & positions.lon.notnull())
    row, col = (p.lat / deg).floor().cast("int64"), (p.lon / deg).floor().cast("int64")
    cells = _columns(p.group_by(
        station=p.station, class_b=p.msg_type.isin(list(CLASS_B_MSG_TYPES)).fill_null(False),
        row=row, col=col).agg(n=p.count()), ["station", "class_b", "row", "col", "n"])
    if not cells["n"].size:
        return NO_REACHES
    s = p.filter(p.sog < UNDERWAY_KN)
    still = _columns(s.group_by(
        station=s.station, row=(s.lat / deg).floor().cast("int64"),
        col=(s.lon / deg).floor().cast("int64"),
    ).agg(hours=(epoch_s(s.ts) // HOUR_S).nunique(), n=s.count()),
        ["station", "row", "col", "hours", "n"])
    centres = _centres(still, deg, params.reach_centre_max_offshore_nm)
    lat, lon = (cells["row"] + 0.5) * deg, sphere.wrap_lon((cells["col"] + 0.5) * deg)
    found: dict[tuple[str, bool], Reach] = {}
    for (name, b), at in _groups(cells["station"], cells["class_b"]).items():
        total = int(cells["n"][at].sum())
        if name not in centres or total < params.reach_min_positions:
            continue
        c_lat, c_lon = centres[name]
        km = sphere.haversine_km(lat[at], lon[at], c_lat, c_lon)
        found[(name, b)] = Reach(name, b, c_lat, c_lon,
                                 _weighted_quantile(km, cells["n"][at], params.reach_quantile),
                                 total, deg * KM_PER_DEG * math.sqrt(2) / 2)
    return Reaches(found)


def _columns(expr: Any, names: list[str]) -> dict[str, np.ndarray]:
    """A small grouped result as numpy columns, in the order of `names` (deterministic on
    every engine)."""
    table = to_arrow(expr.select(*names), order_by=names[:-1])
    return {name: np.asarray(table.column(name).to_pylist(),
                             dtype=object if name == "station" else None) for name in names}


def _groups(station: np.ndarray, class_b: np.ndarray) -> dict[tuple[str, bool], np.ndarray]:
    """The row indices of each (receiver, class)."""
    out: dict[tuple[str, bool], list[int]] = {}
    for i, key in enumerate(zip(station.tolist(), class_b.tolist(), strict=True)):
        out.setdefault((str(key[0]), bool(key[1])), []).append(i)
    return {k: np.asarray(v) for k, v in out.items()}


def _centres(still: dict[str, np.ndarray], deg: float, max_offshore_nm: float
             ) -> dict[str, tuple[float, float]]:
    """Per receiver, the centre of its cell within `max_offshore_nm` of the coast in which
    vessels lay still in the most distinct hours (then with the most such positions, then
    the lowest cell); receivers with none have no centre."""
    if not still["n"].size:
        return {}
    lat, lon = (still["row"] + 0.5) * deg, sphere.wrap_lon((still["col"] + 0.5) * deg)
    coastal = distance_to_shore_nm(lat, lon) <= max_offshore_nm
    # best first: most hours, most positions, lowest cell (rows are in cell order already)
    order = np.lexsort((-np.arange(lat.size), still["n"], still["hours"]))[::-1]
    centres: dict[str, tuple[float, float]] = {}
    for i in order[coastal[order]]:
        centres.setdefault(str(still["station"][i]), (float(lat[i]), float(lon[i])))
    return centres


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The `q` quantile of `values` each counted `weights` times (the lowest value at which
    the running count reaches q of the total)."""
    order = np.argsort(values, kind="stable")
    running = np.cumsum(weights[order])
    at = int(np.searchsorted(running, q * running[-1]))
    return float(values[order][min(at, values.size - 1)])
