"""Crowded cells: where so many slow ships wait that pairing them would be quadratic.

Why: encounters pair the slow steps of different vessels that are near each other. In a
known port or anchorage the places keep them out (`min_port_distance_km`), but the gazetteer
never knows every anchorage: without the scenario's places, one port's 60 waiting ships make
60 x 59 / 2 = 1,770 pairs at every 10-minute step (the issue measured 8x the run time and
15,003 "encounters" of ships at anchor). So, before the pair join, the slow steps are counted
per occupancy cell (`anchorage_cell_km` square) and time bin (`anchorage_bin_h`), and a cell
that held `anchorage_min_vessels` or more distinct slow vessels in a bin is treated as an
anchorage, as Global Fishing Watch derives anchorages from the cells many distinct vessels
stop in: its steps are not paired. What is left pairs at most `anchorage_min_vessels - 1`
vessels per cell and bin with each other (a bound by design, not by luck), and what was left
out is counted (`crowding`) and recorded with the run's encounters.

The price: a meeting inside such a crowd is not reported (an analyst looking at a known
ship-to-ship hub where dozens of tankers wait can raise the threshold with
`--set encounter.anchorage_min_vessels=...`, or set it to 0 to pair everything).
"""

from __future__ import annotations

from typing import Any

import ibis
import pyarrow as pa

from cargotrace.detect.params import EncounterParams
from cargotrace.geo.sphere import KM_PER_DEG
from cargotrace.store.engines import to_arrow

CELL_KEYS = ("occ_lat", "occ_lon", "occ_bin")
"""What makes an occupancy cell and time bin (`occupancy_cells`)."""


def occupancy_cells(steps: Any, params: EncounterParams) -> Any:
    """`steps` (lat, lon, step) with their occupancy cell (`occ_lat`, `occ_lon`) and time bin
    (`occ_bin`). Cells are `anchorage_cell_km` square: a row of cells is that many degrees of
    latitude high, and its cells that many km wide at the row's middle latitude."""
    cell_deg = params.anchorage_cell_km / KM_PER_DEG
    row = (steps.lat / cell_deg).floor().cast("int64")
    middle = (row.cast("float64") + 0.5) * cell_deg
    width = cell_deg / ibis.greatest(middle.radians().cos(), 0.01)
    steps_per_bin = max(1, round(params.anchorage_bin_h * 60 / params.resample_min))
    return steps.mutate(
        occ_lat=row, occ_lon=(steps.lon / width).floor().cast("int64"),
        occ_bin=(steps.step / steps_per_bin).floor().cast("int64"),
    )


def crowded_cells(slow: Any, params: EncounterParams) -> Any:
    """The occupancy cells and bins (`occupancy_cells`) of `slow` steps (mmsi, segment, ...)
    that held at least `anchorage_min_vessels` distinct vessel segments: columns occ_lat,
    occ_lon, occ_bin, vessels, steps."""
    cells = list(CELL_KEYS)
    located = occupancy_cells(slow, params)
    per_vessel = located.group_by([*cells, "mmsi", "segment"]).aggregate(steps=located.count())
    per_cell = per_vessel.group_by(cells).aggregate(vessels=per_vessel.count(),
                                                     steps=per_vessel.steps.sum())
    return per_cell.filter(per_cell.vessels >= params.anchorage_min_vessels)


def outside_crowds(slow: Any, params: EncounterParams) -> Any:
    """The `slow` steps not in a crowded cell (`crowded_cells`); all of them when the cap is
    off (`anchorage_min_vessels` = 0)."""
    if not params.anchorage_min_vessels:
        return slow
    return _outside(slow, crowded_cells(slow, params), params)


def outside_found(slow: Any, crowded: pa.Table, params: EncounterParams) -> Any:
    """`outside_crowds` with the crowded cells already found (`crowded_cells`, fetched): the
    encounter scan counts them for the run's provenance and leaves them out of the pairing
    from that one result, not by grouping the slow steps a second time."""
    if not params.anchorage_min_vessels or crowded.num_rows == 0:
        return slow
    found = ibis.memtable(crowded.select(list(CELL_KEYS)))
    return _outside(slow, found, params)


def _outside(slow: Any, crowded: Any, params: EncounterParams) -> Any:
    keys = list(CELL_KEYS)
    return occupancy_cells(slow, params).anti_join(crowded, keys).drop(*keys)


def crowding(slow: Any, params: EncounterParams) -> dict[str, int]:
    """What `outside_crowds` leaves out of the pairing, for the run's provenance: crowded
    cells (cell x bin), the slow steps in them and the most vessels one of them held."""
    if not params.anchorage_min_vessels:
        return crowding_of(None)
    return crowding_of(to_arrow(crowded_cells(slow, params)))


def crowding_of(found: pa.Table | None) -> dict[str, int]:
    """`crowding` from the fetched `crowded_cells` (None: the cap is off)."""
    if found is None:
        return {"crowded_cells": 0, "steps_not_paired": 0, "most_vessels_in_a_cell": 0}
    return {
        "crowded_cells": found.num_rows,
        "steps_not_paired": _total(found.column("steps")),
        "most_vessels_in_a_cell": _most(found.column("vessels")),
    }


def _total(column: pa.ChunkedArray) -> int:
    return int(sum(v for v in column.to_pylist() if v is not None))


def _most(column: pa.ChunkedArray) -> int:
    return int(max((v for v in column.to_pylist() if v is not None), default=0))
