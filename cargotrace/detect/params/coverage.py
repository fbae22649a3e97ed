"""Feed coverage parameters: when the feed (and each receiver) was listening, and where.

Its own module because every silence detector shares it and it changes often as the coverage
model grows; kept apart, an added field merges without touching any detector's parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cargotrace.detect.params.checks import check_positive
from cargotrace.errors import ParamsError


@dataclass(frozen=True)
class CoverageParams:
    """Feed coverage, shared by every detector that reasons about silence (gaps, left
    coverage, dark voyages, possible dark port calls, port visits, identity): when the feed
    was quiet (as a whole and per receiver) and where it receives at all (its footprint)."""

    min_hour_fraction: float = field(
        default=0.1,
        metadata={"help": "An hour hearing fewer vessels than this share of the busiest hour was "
                          "not observed (by the whole feed, or by one receiver): its silence is "
                          "no evidence against a vessel."},
    )
    min_busy_hour_vessels: int = field(
        default=20,
        metadata={"help": "Judge the hours of the feed (or of one receiver) only when its busiest "
                          "hour hears at least this many vessels (otherwise every hour counts as "
                          "observed)."},
    )
    outage_lead_h: float = field(
        default=1.0,
        metadata={"help": "A silence that begins this close before hours the feed (or the "
                          "vessel's receiver) was quiet, or in them, is explained by that outage: "
                          "where the vessel was when the feed came back is unknown, so it is no "
                          "gap, coverage exit or dark voyage."},
    )
    exit_outage_lead_h: float = field(
        default=0.25,
        metadata={"help": "As outage_lead_h for a silence that leaves coverage: a vessel at the "
                          "footprint's edge heading out is beyond reach within minutes, so only "
                          "a silence this close before an outage is the outage's."},
    )
    footprint_cell_deg: float = field(
        default=0.1,
        metadata={"help": "Grid cell of the feed's footprint (where positions are received), in "
                          "degrees of latitude and longitude."},
    )
    footprint_min_positions: int = field(
        default=10,
        metadata={"help": "Positions a cell needs to belong to the footprint (a few stray fixes "
                          "do not make a cell covered)."},
    )
    footprint_fill_cells: int = field(
        default=2,
        metadata={"help": "Holes and notches in the footprint narrower than 2 x this + 1 cells "
                          "are filled (the water between two lanes near a receiver is covered "
                          "too); 0 keeps the cells as received."},
    )
    footprint_min_cells: int = field(
        default=4,
        metadata={"help": "Judge the footprint only when it has at least this many cells "
                          "(otherwise no silence is read as leaving coverage)."},
    )
    edge_lookahead_km: float = field(
        default=30.0,
        metadata={"help": "A silence leaves coverage when open sea outside the footprint lies "
                          "within this distance along the vessel's course where it fell silent "
                          "(and, when it came back, within this distance of where it did)."},
    )
    global_min_fraction: float = field(
        default=0.02,
        metadata={"help": "A feed with at least this share of long-range (type 27) reports, "
                          "which only satellites listen for, is satellite-style: its footprint "
                          "is everywhere, no silence leaves it."},
    )
    sparse_max_positions: int = field(
        default=2,
        metadata={"help": "An hour in which a vessel under way is heard at most this many times "
                          "is sparse reception: a shore receiver hears a ship under way dozens of "
                          "times an hour, a satellite a few times at best."},
    )
    global_min_sparse_fraction: float = field(
        default=0.2,
        metadata={"help": "A feed with at least this share of sparse under-way vessel-hours "
                          "(in the hours it observed) is satellite-style, as with "
                          "global_min_fraction."},
    )
    exit_min_silence_h: float = field(
        default=6.0,
        metadata={"help": "Shortest observed silence reported as left_coverage."},
    )
    reach_cell_deg: float = field(
        default=0.02,
        metadata={"help": "When positions name their receiver: grid cell (degrees) in which "
                          "each receiver's centre (where vessels lay still in the most hours) "
                          "and reach are estimated."},
    )
    reach_centre_max_offshore_nm: float = field(
        default=5.0,
        metadata={"help": "A receiver's centre is looked for within this distance of the coast "
                          "(a shore receiver stands at a port; ships loitering or meeting lie "
                          "still out at sea)."},
    )
    reach_quantile: float = field(
        default=0.99,
        metadata={"help": "A receiver's reach (per transceiver class) is this quantile of the "
                          "distances of the positions it heard from its centre (a few stray or "
                          "spoofed fixes do not stretch it)."},
    )
    reach_min_positions: int = field(
        default=200,
        metadata={"help": "Positions of one transceiver class a receiver needs for its reach to "
                          "be drawn (otherwise silences it last heard are judged on the "
                          "footprint's cells)."},
    )

    def __post_init__(self) -> None:
        for name in ("min_hour_fraction", "global_min_fraction", "global_min_sparse_fraction",
                     "reach_quantile"):
            if not 0 <= getattr(self, name) <= 1:
                raise ParamsError(f"{name} must be between 0 and 1")
        check_positive(footprint_cell_deg=self.footprint_cell_deg,
                       edge_lookahead_km=self.edge_lookahead_km,
                       exit_min_silence_h=self.exit_min_silence_h,
                       reach_cell_deg=self.reach_cell_deg, reach_quantile=self.reach_quantile)
        if min(self.outage_lead_h, self.exit_outage_lead_h,
               self.reach_centre_max_offshore_nm) < 0:
            raise ParamsError("outage_lead_h, exit_outage_lead_h and "
                              "reach_centre_max_offshore_nm must be >= 0")
        if max(self.footprint_cell_deg, self.reach_cell_deg) > 10:
            raise ParamsError("footprint_cell_deg and reach_cell_deg must be at most 10")
        if self.footprint_fill_cells < 0:
            raise ParamsError("footprint_fill_cells must be >= 0")
        if min(self.min_busy_hour_vessels, self.footprint_min_positions,
               self.footprint_min_cells, self.reach_min_positions) < 1:
            raise ParamsError("min_busy_hour_vessels, footprint_min_positions, "
                              "footprint_min_cells and reach_min_positions must be >= 1")
