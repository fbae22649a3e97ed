"""Where a feed receives at all: its footprint, estimated from the positions themselves.

A regional (terrestrial) feed hears ships within some 40-60 nm of its receivers. A ship that
sails beyond them falls silent with its transponder on: that is *leaving coverage*
(`left_coverage.py`), not going dark, and no silence detector may count it against the ship.
Receiver positions and ranges are rarely published with a dataset, so the footprint is the set
of grid cells (`footprint_cell_deg`, 0.5 degree) holding at least `footprint_min_positions`
positions: where the data show that the feed hears ships.

Three kinds of footprint, so every event can say which rule judged it:
- `regional`: the footprint is judged; a silence beginning at its edge heading out can be a
  coverage exit.
- `global`: a satellite-style feed, whose footprint is everywhere: no silence in it leaves
  coverage (today's behaviour: every silence is judged as a gap). Two signs, either enough:
  a shore receiver hears a ship under way dozens of times an hour (class A reports every 2-10
  s), a satellite a few times at best, so a feed in which at least
  `global_min_sparse_fraction` (20 %) of the under-way vessel-hours it observed hold at most
  `sparse_max_positions` (2) positions is global; and only satellites listen for the
  long-range type 27 reports, so a feed with `global_min_fraction` (2 %) of them is global.
  (Distance from shore is no sign: receivers stand on islands and offshore platforms too.)
- `not_judged`: fewer than `footprint_min_cells` cells reach the minimum, or the feed's hours
  could not be judged (fewer than `min_busy_hour_vessels` vessels in its busiest hour: one
  ship's track draws its route, not the feed's reach): no silence leaves coverage either.

Land is never "outside the footprint": coastal cells border land that hears nothing, and a
ship does not sail there, so points on land (`geo/landmask.py`) count as inside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cargotrace.detect.hour_spans import NO_SPANS, in_spans
from cargotrace.detect.params import CoverageParams
from cargotrace.geo import landmask, sphere
from cargotrace.store.engines import to_arrow

__all__ = ["NO_FOOTPRINT", "Footprint", "data_footprint"]

LONG_RANGE_MSG_TYPE = 27
CLASS_B_MSG_TYPES = (18, 19)
UNDERWAY_KN = 1.0
"""Below this speed a vessel reports rarely (class A at anchor: every 3 minutes) and a
reported course is GPS noise."""
LOOK_STEPS = (0.25, 0.5, 0.75, 1.0)
"""Fractions of the look-ahead tested along a course (here and by `reach.py`)."""
_RING_BEARINGS = np.arange(0.0, 360.0, 45.0)


@dataclass(frozen=True, eq=False)
class Footprint:
    """The cells (integer indices floor(lat / cell_deg), floor(lon / cell_deg)) a feed
    receives in, and what kind of feed it is (module doc)."""

    kind: str
    cell_deg: float = 0.5
    cells: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))
    """Sorted `_key`s of the covered cells."""
    long_range_share: float = 0.0
    sparse_share: float = 0.0
    class_b: Footprint | None = None
    """Where class B transponders are heard (`CLASS_B_MSG_TYPES`), when judged: a 2 W class B
    transmitter is heard about half as far as a 12.5 W class A one, so it leaves a receiver's
    reach well inside the class A lanes."""

    def for_class(self, class_b: bool) -> Footprint:
        """The footprint a vessel's silence is judged on: the class B one for a class B
        transponder when it was judged, else this one."""
        if class_b and self.class_b is not None and self.class_b.regional:
            return self.class_b
        return self

    @property
    def regional(self) -> bool:
        return self.kind == "regional"

    def _covered(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Each point is in a footprint cell, or on land (never outside)."""
        return self._in_cells(lat, lon) | landmask.is_land(lat, lon)

    def _in_cells(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        rows = np.floor(lat / self.cell_deg).astype(np.int64)
        cols = _wrapped(np.floor(sphere.wrap_lon(lon) / self.cell_deg).astype(np.int64),
                        self.cell_deg)
        keys = _key(rows, cols)
        at = np.minimum(np.searchsorted(self.cells, keys), max(self.cells.size - 1, 0))
        inside: np.ndarray = ((self.cells[at] == keys) if self.cells.size
                              else np.zeros(keys.size, bool))
        return inside

    def heading_out(self, lat: float, lon: float, course_deg: float, lookahead_km: float
                    ) -> bool:
        """Open sea outside the footprint lies within `lookahead_km` along `course_deg`, and no
        land: a vessel heading for a coast that close must turn, so where it points says
        nothing (a bay no one else sails is outside the cells, not outside the reach)."""
        if not self.regional:
            return False
        km = lookahead_km * np.asarray(LOOK_STEPS)
        plat, plon = sphere.destination(np.full(km.size, lat), np.full(km.size, lon),
                                        np.full(km.size, course_deg), km)
        if landmask.is_land(plat, plon).any():
            return False
        return bool((~self._in_cells(plat, plon)).any())

    def at_edge(self, lat: float, lon: float, lookahead_km: float) -> bool:
        """Open sea outside the footprint lies within `lookahead_km` in some direction."""
        if not self.regional:
            return False
        n = _RING_BEARINGS.size * len(LOOK_STEPS)
        bearings = np.repeat(_RING_BEARINGS, len(LOOK_STEPS))
        km = lookahead_km * np.tile(np.asarray(LOOK_STEPS), _RING_BEARINGS.size)
        plat, plon = sphere.destination(np.full(n, lat), np.full(n, lon), bearings, km)
        return bool((~self._covered(plat, plon)).any())

    def attrs(self) -> dict[str, Any]:
        return {"footprint": self.kind, "footprint_cells": int(self.cells.size),
                "long_range_share": round(self.long_range_share, 4),
                "sparse_share": round(self.sparse_share, 4)}


NO_FOOTPRINT = Footprint("not_judged")


def _closed(rows: np.ndarray, cols: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The cells with the holes and notches narrower than 2k+1 cells filled (a morphological
    closing: grown by k cells, then shrunk by k): the footprint is known only where ships
    sailed and were heard, and the water between two lanes near a receiver is no less
    covered than the lanes. The outer edge, where reception ends, does not move."""
    if k <= 0 or rows.size == 0:
        return rows, cols
    r0, c0 = int(rows.min()) - 2 * k, int(cols.min()) - 2 * k
    grid = np.zeros((int(rows.max()) - r0 + 2 * k + 1, int(cols.max()) - c0 + 2 * k + 1), bool)
    grid[rows - r0, cols - c0] = True
    offsets = [(i, j) for i in range(-k, k + 1) for j in range(-k, k + 1)]
    grown = np.zeros_like(grid)
    for i, j in offsets:
        grown |= np.roll(grid, (i, j), axis=(0, 1))
    shrunk = np.ones_like(grid)
    for i, j in offsets:
        shrunk &= np.roll(grown, (i, j), axis=(0, 1))
    r, c = np.nonzero(shrunk | grid)
    return r + r0, c + c0


def _key(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """One integer per cell (rows and columns stay under 100,000 in absolute value down to
    cells of 0.004 degree)."""
    out: np.ndarray = rows.astype(np.int64) * 1_000_000 + cols.astype(np.int64)
    return out


def _wrapped(cols: np.ndarray, cell_deg: float) -> np.ndarray:
    """Column indices wrapped at the antimeridian (longitude 180 is -180)."""
    n_lon = round(360 / cell_deg)
    out: np.ndarray = (cols + n_lon // 2) % n_lon - n_lon // 2
    return out


def sparse_share(hours: Any, params: CoverageParams, unobserved_spans_s: np.ndarray
                 ) -> float:
    """The share of under-way vessel-hours (a vessel reporting at least `UNDERWAY_KN` in the
    hour) heard at most `sparse_max_positions` times, over the hours the feed observed, from
    the positions' `coverage.vessel_hours` (per receiver, vessel and hour): one group-by per
    vessel and hour (over its receivers), then one per hour."""
    per = hours.group_by(["mmsi", "hour_s"]).agg(n=hours.n.sum(), fastest=hours.fastest.max())
    per = per.filter(per.fastest >= UNDERWAY_KN)
    by_hour = per.group_by("hour_s").agg(
        underway=per.count(), sparse=(per.n <= params.sparse_max_positions).cast("int64").sum())
    table = to_arrow(by_hour, order_by=["hour_s"])
    if table.num_rows == 0:
        return 0.0
    hour = np.asarray(table.column("hour_s").to_pylist(), dtype=np.int64)
    observed = ~in_spans(hour, unobserved_spans_s)
    underway = np.asarray(table.column("underway").to_pylist(), dtype=np.float64)[observed]
    sparse = np.asarray(table.column("sparse").to_pylist(), dtype=np.float64)[observed]
    return float(sparse.sum() / underway.sum()) if underway.sum() else 0.0


def data_footprint(positions: Any, hours: Any, params: CoverageParams,
                   unobserved_spans_s: np.ndarray | None = None) -> Footprint:
    """The footprint of the feed in `positions` (an Ibis table on any engine): one group-by
    per grid cell (counting its long-range and its class B reports, so the class B footprint
    needs no second pass), and the share of sparse reception (`sparse_share`, from the
    positions' `coverage.vessel_hours`, `hours`)."""
    deg = params.footprint_cell_deg
    p = positions.filter(positions.lat.notnull() & positions.lon.notnull())
    cells = p.group_by(
        row=(p.lat / deg).floor().cast("int64"), col=(p.lon / deg).floor().cast("int64"),
    ).agg(n=p.count(), long_range=_counted(p.msg_type == LONG_RANGE_MSG_TYPE),
          class_b=_counted(p.msg_type.isin(list(CLASS_B_MSG_TYPES))))
    table = to_arrow(cells, order_by=["row", "col"])
    if table.num_rows == 0:
        return NO_FOOTPRINT
    row = np.asarray(table.column("row").to_pylist(), dtype=np.int64)
    col = _wrapped(np.asarray(table.column("col").to_pylist(), dtype=np.int64), deg)
    n = np.asarray(table.column("n").to_pylist(), dtype=np.float64)
    long_range = np.asarray(table.column("long_range").to_pylist(), dtype=np.float64)
    total = float(n.sum())
    long_range_share = float(long_range.sum()) / total
    kept = n >= params.footprint_min_positions
    covered = np.unique(_key(*_closed(row[kept], col[kept], params.footprint_fill_cells)))
    sparse = sparse_share(hours, params,
                          NO_SPANS if unobserved_spans_s is None else unobserved_spans_s)
    if (long_range_share >= params.global_min_fraction
            or sparse >= params.global_min_sparse_fraction):
        kind = "global"
    elif covered.size < params.footprint_min_cells:
        kind = "not_judged"
    else:
        kind = "regional"
    class_b = None
    if kind == "regional":
        # the cells holding class B positions, drawn as the footprint is from all of them
        n_b = np.asarray(table.column("class_b").to_pylist(), dtype=np.float64)
        b = (n_b > 0) & (n_b >= params.footprint_min_positions)
        b_cells = np.unique(_key(*_closed(row[b], col[b], params.footprint_fill_cells)))
        class_b = Footprint("regional" if b_cells.size >= params.footprint_min_cells
                            else "not_judged", deg, b_cells)
    return Footprint(kind, deg, covered, long_range_share, sparse, class_b)


def _counted(matches: Any) -> Any:
    """How many rows of a group match (NULL matches nothing), as an integer sum."""
    return matches.fill_null(False).cast("int64").sum()
