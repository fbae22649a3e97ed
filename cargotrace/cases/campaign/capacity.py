"""Carrying capacity of a vessel, from the campaign file or from its dimensions in the store.

Why a box count, not a regression on tonnage: the store has what AIS static reports give
(type, length, beam), not deadweight or TEU. A ship carries containers in bays along its
length and rows across its beam, stacked in tiers; counting boxes on the plan is the rule a
reader can redo by hand: bays = cargo_length_fraction x length / bay_length_m, rows = beam /
row_width_m (MAN Diesel & Turbo / MAN Energy Solutions, "Propulsion Trends in Container
Vessels", section "Size of a container ship", p. 6 of the 2013 edition: "one extra container
box abreast in a given ship design involves an increased ship breadth of about 2.8 m"; checked
against a verbatim reproduction of that paragraph, docs/concepts/campaigns.md), tiers
between tiers_low and tiers_high. A 120 x 20 m ship gives 11 bays x 7 rows x 3-6 tiers =
231-462 TEU, the range of small feeders of that size.
TEU become the campaign's units (containers) by dividing by the TEU per container (1 for
20-footers, 2 for 40-footers). It is a rough rule, stated as a wide range; a capacity stated
in the file from evidence (e.g. containers counted on imagery) always wins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from cargotrace.cases.campaign.params import CampaignParams
from cargotrace.cases.campaign.schema import CampaignVessel, Triangular
from cargotrace.store.store import Store

__all__ = ["Dimensions", "capacity_from_dimensions", "store_dimensions", "vessel_capacity"]


@dataclass(frozen=True)
class Dimensions:
    mmsi: int
    length_m: float
    beam_m: float
    ship_type: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"mmsi": self.mmsi, "length_m": self.length_m, "beam_m": self.beam_m,
                "ship_type": self.ship_type}


def capacity_from_dimensions(dims: Dimensions, params: CampaignParams) -> Triangular:
    """Units per trip from length and beam by the box-count rule (module docstring)."""
    bays = math.floor(params.cargo_length_fraction * dims.length_m / params.bay_length_m)
    rows = math.floor(dims.beam_m / params.row_width_m)
    teu_low, teu_high = bays * rows * params.tiers_low, bays * rows * params.tiers_high
    low = teu_low / params.teu_per_unit_high_factor
    high = teu_high / params.teu_per_unit_low_factor
    mid_teu = bays * rows * (params.tiers_low + params.tiers_high) / 2
    mode = mid_teu / ((params.teu_per_unit_low_factor + params.teu_per_unit_high_factor) / 2)
    return Triangular(
        low=round(low, 1), mode=round(min(max(mode, low), high), 1), high=round(high, 1),
        basis=(f"box-count rule from AIS dimensions {dims.length_m:g} x {dims.beam_m:g} m "
               f"(MMSI {dims.mmsi}): {bays} bays x {rows} rows x {params.tiers_low}-"
               f"{params.tiers_high} tiers = {teu_low}-{teu_high} TEU, "
               f"{params.teu_per_unit_low_factor:g}-{params.teu_per_unit_high_factor:g} TEU "
               "per container"))


def store_dimensions(store: Store, vessel: CampaignVessel) -> Dimensions | None:
    """The most often reported length and beam of the vessel (by IMO, else MMSI)."""
    if vessel.imo is None and vessel.mmsi is None:
        return None
    column, value = ("imo", vessel.imo) if vessel.imo is not None else ("mmsi", vessel.mmsi)
    rows = store.con.execute(
        f"""SELECT mmsi, length, beam, ship_type, count(*) AS n FROM vessel_reports
            WHERE {column} = ? AND length > 0 AND beam > 0
            GROUP BY ALL ORDER BY n DESC, mmsi LIMIT 1""", [value]).fetchall()
    if not rows:
        return None
    mmsi, length, beam, ship_type, _ = rows[0]
    return Dimensions(int(mmsi), float(length), float(beam),
                      None if ship_type is None else int(ship_type))


def vessel_capacity(vessel: CampaignVessel, store: Store | None,
                    params: CampaignParams) -> tuple[Triangular | None, str]:
    """The vessel's capacity and where it came from: "file", "dimensions" or "unknown"."""
    if vessel.capacity is not None:
        return vessel.capacity, "file"
    dims = store_dimensions(store, vessel) if store is not None else None
    if dims is None:
        return None, "unknown"
    return capacity_from_dimensions(dims, params), "dimensions"
