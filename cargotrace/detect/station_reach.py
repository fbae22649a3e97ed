"""How far each tagged receiver hears, estimated from its own positions.

Why: the footprint's cells (`footprint.py`) are known only where ships sail. A transponder
switched off 20 km out of port, on a course the lanes do not follow, points at cells no ship
was heard in and looked like a ship leaving coverage; a class B ship (2 W, heard about half as
far as a 12.5 W class A) that left its shorter reach, deep inside the class A lanes, looked
like a ship going dark. When positions name the receiver that heard them (`positions.station`,
the NMEA tag block's `s:`), each receiver leaves a clear ring: dense reception inside, nothing
beyond. So, per receiver and per transceiver class (class B: message types 18 and 19):

- its *centre* is the `reach_cell_deg` cell in which it hears the most vessels lying still
  (slower than `UNDERWAY_KN`: ships moored at the port it stands in; shore receivers stand at
  ports; a lane's cell holds more positions, as a ship under way reports every 10 s);
- its *reach* is the distance from the centre to the farthest cell holding at least
  `reach_min_cell_positions` positions (a stray fix from a ducting night does not stretch it),
  estimated only from at least `reach_min_positions` positions of that class.

A silence then begins at the edge when the vessel was within `reach_edge_band_km` of the reach
of the receiver that last heard it (module doc of `left_coverage.py`). A receiver (or class)
with too few positions has no reach, and its silences keep the cell test. The reach is a disk:
receivers whose range varies with direction (hills, a headland's shadow) are drawn at their
farthest, so a silence in a shadowed direction reads as a gap (the cautious side).

One group-by per (receiver, class, cell): a few thousand rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cargotrace.detect.footprint import UNDERWAY_KN
from cargotrace.detect.params import CoverageParams
from cargotrace.geo import sphere
from cargotrace.store.engines import to_arrow

__all__ = ["CLASS_B_MSG_TYPES", "NO_REACHES", "Reach", "Reaches", "station_reaches"]

CLASS_B_MSG_TYPES = (18, 19)


@dataclass(frozen=True)
class Reach:
    """One receiver's estimated centre and reach (km) for one transceiver class."""

    lat: float
    lon: float
    reach_km: float
    positions: int


@dataclass(frozen=True)
class Reaches:
    """The reach of every tagged receiver with enough positions, by (station, class B)."""

    by_station: Mapping[tuple[str, bool], Reach] = field(default_factory=dict)

    def of(self, station: str | None, class_b: bool) -> Reach | None:
        return None if station is None else self.by_station.get((station, class_b))

    def inside_km(self, reach: Reach, lat: float, lon: float) -> float:
        """How far inside `reach`'s edge a point is (negative: beyond it)."""
        return reach.reach_km - float(sphere.haversine_km(lat, lon, reach.lat, reach.lon))

    def outward(self, reach: Reach, lat: float, lon: float, course_deg: float) -> bool:
        """The course takes the vessel away from the receiver's centre."""
        away = float(sphere.bearing_deg(reach.lat, reach.lon, lat, lon))
        return bool(np.cos(np.radians(course_deg - away)) > 0)

    def heard_by_none(self, lat: float, lon: float, class_b: bool) -> bool:
        """No receiver with a known reach hears this point (for the vessel's class)."""
        return all(self.inside_km(r, lat, lon) < 0
                   for (_, b), r in self.by_station.items() if b == class_b)

    def attrs(self, reach: Reach | None, lat: float, lon: float) -> dict[str, Any]:
        if reach is None:
            return {}
        return {"station_reach_km": round(reach.reach_km, 1),
                "inside_reach_km": round(self.inside_km(reach, lat, lon), 1)}


NO_REACHES = Reaches()


def station_reaches(positions: Any, params: CoverageParams) -> Reaches:
    """Each tagged receiver's centre and reach, per transceiver class (module doc), from
    `positions` (an Ibis table on any engine)."""
    deg = params.reach_cell_deg
    p = positions.filter(positions.station.notnull() & positions.lat.notnull()
                         & positions.lon.notnull())
    class_b = p.msg_type.isin(list(CLASS_B_MSG_TYPES)).fill_null(False)
    cells = p.group_by(
        station=p.station, class_b=class_b,
        row=(p.lat / deg).floor().cast("int64"), col=(p.lon / deg).floor().cast("int64"),
    ).agg(n=p.count(), lat=p.lat.mean(), lon=p.lon.mean(),
          moored=p.mmsi.nunique(where=p.sog.fill_null(0) < UNDERWAY_KN))
    table = to_arrow(cells, order_by=["station", "class_b", "row", "col"])
    if table.num_rows == 0:
        return NO_REACHES
    cols = {name: table.column(name).to_pylist()
            for name in ("station", "class_b", "n", "lat", "lon", "moored")}
    station = np.asarray(cols["station"], dtype=object)
    is_b = np.asarray(cols["class_b"], dtype=bool)
    n = np.asarray(cols["n"], dtype=np.int64)
    moored = np.asarray(cols["moored"], dtype=np.int64)
    lat = np.asarray(cols["lat"], dtype=np.float64)
    lon = np.asarray(cols["lon"], dtype=np.float64)
    found: dict[tuple[str, bool], Reach] = {}
    for name in np.unique(station):
        mine = station == name
        # the centre from both classes: the port the receiver stands in, where most vessels
        # lie still (a lane's cell holds more positions: a ship under way reports every 10 s)
        idx = np.flatnonzero(mine)
        densest = int(idx[np.lexsort((n[idx], moored[idx]))[-1]])
        c_lat, c_lon = float(lat[densest]), float(lon[densest])
        for b in (False, True):
            sel = mine & (is_b == b)
            total = int(n[sel].sum())
            solid = sel & (n >= params.reach_min_cell_positions)
            if total < params.reach_min_positions or not solid.any():
                continue
            far = float(sphere.haversine_km(lat[solid], lon[solid], c_lat, c_lon).max())
            found[(str(name), b)] = Reach(c_lat, c_lon, far, total)
    return Reaches(found)
